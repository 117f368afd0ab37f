// PEP 740 provenance, the pure half: what `expected-publisher` means, what a provenance object
// holds, how one attestation becomes a Sigstore bundle, and the checks after the signature
// (statement names this file with this digest; certificate names the expected publisher).
// The signature and certificate chain themselves are checked by @sigstore/verify in
// src/stages/provenance.ts; nothing here touches the network or the disk.
import { normalizeName } from './names'

/** `github:owner/repo`, optionally narrowed to one workflow file. */
export interface ExpectedPublisher {
  repository: string
  /** `publish.yml`, or '' for "any workflow of the repository". */
  workflow: string
}

export type ProvenanceStatus = 'verified' | 'absent' | 'mismatch' | ''

/** What the result file, the output and the summary say about provenance. */
export interface ProvenanceReport {
  status: ProvenanceStatus
  /** Who signed the tested files, e.g. `github:org/repo/.github/workflows/publish.yml`; '' when unknown. */
  publisher: string
  detail: string
}

const OWNER = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})'
const REPO = '[A-Za-z0-9._-]{1,100}'
const WORKFLOW = '[A-Za-z0-9._-]+\\.ya?ml'
const EXPECTED = new RegExp(`^github:(${OWNER}/${REPO})(?:/\\.github/workflows/(${WORKFLOW}))?$`)

/** Parses the `expected-publisher` input; null when it is not one of the accepted forms. */
export function parseExpectedPublisher(value: string): ExpectedPublisher | null {
  const m = EXPECTED.exec(value.trim())
  if (!m || m[1]!.endsWith('/.') || m[1]!.endsWith('/..')) return null
  return { repository: m[1]!, workflow: m[2] ?? '' }
}

/** Text from an index or a certificate, made safe to print in one line of a message. */
export function printable(s: string, max = 200): string {
  const clean = s.replace(/[^\x20-\x7e]/g, '?')
  return clean.length > max ? `${clean.slice(0, max)}…` : clean
}

export function describeExpected(p: ExpectedPublisher): string {
  return `github:${p.repository}${p.workflow ? `/.github/workflows/${p.workflow}` : ''}`
}

// ---------------------------------------------------------------------------------------------
// The provenance object (PEP 740 / PyPI's Integrity API).

/** One PEP 740 attestation, with its base64 fields kept as they came. */
export interface Attestation {
  certificate: string
  transparencyEntries: unknown[]
  statement: string
  signature: string
}

export interface AttestationBundle {
  /** The index's own (unsigned) claim of who published; shown, never trusted. */
  publisher: { kind: string; repository: string; workflow: string }
  attestations: Attestation[]
}

export class ProvenanceFormatError extends Error {
  override name = 'ProvenanceFormatError'
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/
const str = (v: unknown) => (typeof v === 'string' ? v : '')

function attestation(a: unknown, where: string): Attestation {
  if (!isObject(a) || a.version !== 1) throw new ProvenanceFormatError(`${where} is not a version 1 attestation`)
  const vm = a.verification_material
  const env = a.envelope
  if (!isObject(vm) || !isObject(env)) throw new ProvenanceFormatError(`${where} lacks verification_material or envelope`)
  const fields = {
    certificate: vm.certificate,
    statement: env.statement,
    signature: env.signature,
  }
  for (const [name, value] of Object.entries(fields)) {
    if (typeof value !== 'string' || !BASE64.test(value)) throw new ProvenanceFormatError(`${where}: ${name} is not base64`)
  }
  if (!Array.isArray(vm.transparency_entries) || vm.transparency_entries.length === 0 || !vm.transparency_entries.every(isObject)) {
    throw new ProvenanceFormatError(`${where} has no transparency log entry`)
  }
  return {
    certificate: fields.certificate as string,
    statement: fields.statement as string,
    signature: fields.signature as string,
    transparencyEntries: vm.transparency_entries,
  }
}

/** Parses a provenance object; throws ProvenanceFormatError with what is wrong. */
export function parseProvenance(body: string): AttestationBundle[] {
  let data: unknown
  try {
    data = JSON.parse(body)
  } catch (e) {
    throw new ProvenanceFormatError(`it is not JSON (${(e as Error).message.slice(0, 100)})`)
  }
  if (!isObject(data) || data.version !== 1 || !Array.isArray(data.attestation_bundles)) {
    throw new ProvenanceFormatError('it is not a version 1 provenance object with "attestation_bundles"')
  }
  return data.attestation_bundles.map((b, i) => {
    if (!isObject(b) || !Array.isArray(b.attestations)) throw new ProvenanceFormatError(`attestation bundle ${i + 1} has no "attestations" list`)
    const p = isObject(b.publisher) ? b.publisher : {}
    return {
      publisher: {
        kind: str(p.kind),
        repository: str(p.repository),
        workflow: str(p.workflow),
      },
      attestations: b.attestations.map((a, j) => attestation(a, `attestation ${j + 1} of bundle ${i + 1}`)),
    }
  })
}

const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json'
const SIGSTORE_BUNDLE_V03 = 'application/vnd.dev.sigstore.bundle.v0.3+json'

/**
 * The Sigstore bundle (v0.3, JSON form) that a PEP 740 attestation stands for: its leaf
 * certificate, its first transparency log entry (already in the bundle's JSON shape), and a DSSE
 * envelope holding the statement as an in-toto payload with its one signature.
 */
export function toSigstoreBundleJson(a: Attestation): Record<string, unknown> {
  return {
    mediaType: SIGSTORE_BUNDLE_V03,
    verificationMaterial: {
      certificate: { rawBytes: a.certificate },
      tlogEntries: [a.transparencyEntries[0]],
      timestampVerificationData: { rfc3161Timestamps: [] },
    },
    dsseEnvelope: {
      payload: a.statement,
      payloadType: IN_TOTO_PAYLOAD_TYPE,
      signatures: [{ sig: a.signature, keyid: '' }],
    },
  }
}

// ---------------------------------------------------------------------------------------------
// The statement inside a verified envelope.

const ATTESTATION_TYPES = ['https://docs.pypi.org/attestations/publish/v1', 'https://slsa.dev/provenance/v1']
const STATEMENT_TYPES = ['https://in-toto.io/Statement/v1', 'https://in-toto.io/Statement/v0.1']

/**
 * A distribution filename in one spelling for comparison: the project part normalised, the
 * version lower-cased, and compressed wheel tag sets (`py2.py3`) sorted; signers need not
 * spell a filename exactly as the index does.
 */
export function canonicalFilename(filename: string): string {
  const lower = filename.toLowerCase()
  if (lower.endsWith('.whl')) {
    const parts = lower.slice(0, -4).split('-')
    if (parts.length !== 5 && parts.length !== 6) return lower
    const [name, version, ...rest] = parts
    const tags = rest.slice(-3).map((t) => t.split('.').sort().join('.'))
    const build = rest.length === 4 ? [rest[0]!] : []
    return `${[normalizeName(name!).replace(/-/g, '_'), version, ...build, ...tags].join('-')}.whl`
  }
  const ext = ['.tar.gz', '.zip'].find((e) => lower.endsWith(e))
  if (!ext) return lower
  const stem = lower.slice(0, -ext.length)
  const dash = stem.lastIndexOf('-')
  return dash > 0 ? `${normalizeName(stem.slice(0, dash)).replace(/-/g, '_')}-${stem.slice(dash + 1)}${ext}` : lower
}

/** Why the statement does not vouch for this file, or null when it does. */
export function statementProblem(payload: string, file: { filename: string; sha256: string }): string | null {
  let s: unknown
  try {
    s = JSON.parse(payload)
  } catch {
    return 'the attestation statement is not JSON'
  }
  if (!isObject(s) || !STATEMENT_TYPES.includes(str(s._type))) return 'the attestation statement is not an in-toto statement'
  if (!ATTESTATION_TYPES.includes(str(s.predicateType))) return `the attestation is of an unknown type (${printable(str(s.predicateType), 100) || 'none'})`
  if (!Array.isArray(s.subject) || s.subject.length !== 1 || !isObject(s.subject[0])) return 'the attestation statement must name exactly one subject'
  const subject = s.subject[0]
  if (canonicalFilename(str(subject.name)) !== canonicalFilename(file.filename)) {
    return `the attestation is for another file (${printable(str(subject.name)) || 'no name'})`
  }
  const digest = isObject(subject.digest) ? str(subject.digest.sha256).toLowerCase() : ''
  if (!digest || digest !== file.sha256.toLowerCase()) return 'attestation subject digest does not match the file'
  return null
}

// ---------------------------------------------------------------------------------------------
// The signer: Fulcio certificate extensions, as @sigstore/verify reports them.

const GITHUB_ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com'

/** Fulcio's OIDs (https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md). */
const FULCIO_OID = {
  issuerV1: '1.3.6.1.4.1.57264.1.1',
  issuer: '1.3.6.1.4.1.57264.1.8',
  sourceRepositoryUri: '1.3.6.1.4.1.57264.1.12',
  sourceRepositoryRef: '1.3.6.1.4.1.57264.1.14',
  buildConfigUri: '1.3.6.1.4.1.57264.1.18',
} as const

export interface SignerIdentity {
  subjectAlternativeName: string
  issuer: string
  sourceRepositoryUri: string
  buildConfigUri: string
}

/** A raw OID value → text: extensions from .8 on are DER UTF8Strings, the older ones raw bytes. */
function oidText(value: Uint8Array): string {
  const b = Buffer.from(value)
  if (b[0] === 0x0c && b.length >= 2) {
    let len = b[1]!
    let start = 2
    if (len & 0x80) {
      const n = len & 0x7f
      len = 0
      for (let i = 0; i < n; i++) len = len * 256 + (b[2 + i] ?? 0)
      start = 2 + n
    }
    if (start + len === b.length) return b.subarray(start).toString('utf8')
  }
  return b.toString('utf8')
}

/** The identity fields we check, from the SAN and the OID/value pairs @sigstore/verify returns. */
export function signerIdentity(san: string | undefined, oids: { oid?: { id: number[] }; value: Uint8Array }[] = []): SignerIdentity {
  const byOid = new Map<string, string>()
  for (const o of oids) if (o.oid) byOid.set(o.oid.id.join('.'), oidText(o.value))
  return {
    subjectAlternativeName: san ?? '',
    issuer: byOid.get(FULCIO_OID.issuer) ?? byOid.get(FULCIO_OID.issuerV1) ?? '',
    sourceRepositoryUri: byOid.get(FULCIO_OID.sourceRepositoryUri) ?? '',
    buildConfigUri: byOid.get(FULCIO_OID.buildConfigUri) ?? '',
  }
}

const WORKFLOW_URI = /^https:\/\/github\.com\/([^/]+\/[^/]+)\/\.github\/workflows\/([^@/]+)@.+$/

/**
 * The GitHub publisher a certificate names: repository from the Source Repository URI, workflow
 * from the Build Config URI (the workflow that started the run, which is what a Trusted
 * Publisher is registered for), each falling back to the SAN for certificates without them.
 * Null when the certificate is not from GitHub Actions.
 */
export function githubPublisher(id: SignerIdentity): { repository: string; workflow: string } | null {
  if (id.issuer !== GITHUB_ACTIONS_ISSUER) return null
  const fromSan = WORKFLOW_URI.exec(id.subjectAlternativeName)
  const fromConfig = WORKFLOW_URI.exec(id.buildConfigUri) ?? fromSan
  const repoUri = /^https:\/\/github\.com\/([^/]+\/[^/]+)$/.exec(id.sourceRepositoryUri)
  const repository = repoUri?.[1] ?? fromSan?.[1]
  if (!repository) return null
  return {
    repository,
    workflow: fromConfig && fromConfig[1]!.toLowerCase() === repository.toLowerCase() ? fromConfig[2]! : '',
  }
}

/** How a signer is named in messages and the result file. */
export function describeSigner(id: SignerIdentity): string {
  const gh = githubPublisher(id)
  if (gh) return describeExpected(gh)
  return `${printable(id.subjectAlternativeName) || 'an unnamed identity'} (issuer ${printable(id.issuer, 100) || 'unknown'})`
}

/** GitHub owner and repository names are case-insensitive; workflow file names are not. */
export function publisherMatches(expected: ExpectedPublisher, id: SignerIdentity): boolean {
  const gh = githubPublisher(id)
  if (!gh || gh.repository.toLowerCase() !== expected.repository.toLowerCase()) return false
  return !expected.workflow || gh.workflow === expected.workflow
}

/**
 * Whether to recommend `expected-publisher`: a dev or pre build from TestPyPI, where anyone can
 * register a project name the upstream never claimed there.
 */
export function shouldRecommendPublisher(channel: string, indexUrl: string): boolean {
  if (channel !== 'dev' && channel !== 'pre') return false
  try {
    return new URL(indexUrl).hostname.toLowerCase() === 'test.pypi.org'
  } catch {
    return false
  }
}

/** The run's status from each file's: any mismatch wins, then any absence. */
export function combineStatus(statuses: ProvenanceStatus[]): ProvenanceStatus {
  if (statuses.includes('mismatch')) return 'mismatch'
  if (statuses.includes('absent')) return 'absent'
  return statuses.length ? 'verified' : ''
}
