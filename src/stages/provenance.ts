// Stage "Verify provenance": before anything is downloaded into wheels-dir or run, every file the
// run would install (the package and its companions, as the prefetch stage chooses them) must
// carry a PEP 740 attestation that Sigstore verifies, that names this file and its sha256 from
// the index, and whose certificate names `expected-publisher`. The pure checks are in
// src/core/provenance.ts; this file fetches (through the index client's HTTP, with its retries,
// credentials and limits) and runs @sigstore/verify.
import * as core from '@actions/core'
import * as fs from 'node:fs/promises'
import type { Verifier } from '@sigstore/verify'
import type { Inputs } from '../inputs'
import type { Resolution } from './resolve'
import type { RunState } from '../core/result-file'
import type { IndexFile } from '../core/simple-api'
import { HttpStatusError, cause, getText, shareProxySettingsWithGlobalFetch } from '../io/http'
import { currentPlatform } from '../core/platform'
import { installableFiles } from './wheels'
import { redactUrl } from '../io/secrets'
import { UserError } from '../core/vocabulary'
import {
  ProvenanceFormatError,
  combineStatus,
  describeExpected,
  describeSigner,
  parseProvenance,
  printable,
  publisherMatches,
  shouldRecommendPublisher,
  signerIdentity,
  statementProblem,
  toSigstoreBundleJson,
  type Attestation,
  type ExpectedPublisher,
  type ProvenanceReport,
  type ProvenanceStatus,
} from '../core/provenance'

const SIGSTORE_TUF_MIRROR = 'https://tuf-repo-cdn.sigstore.dev'
const INTEGRITY_ACCEPT = 'application/vnd.pypi.integrity.v1+json, application/json;q=0.9'
const MAX_PROVENANCE_BYTES = 4 * 2 ** 20

interface FileVerdict {
  status: Exclude<ProvenanceStatus, ''>
  publisher: string
  /** Why it is not verified; '' when it is. */
  problem: string
}

type VerifierSource = () => Promise<Verifier>

/** Sigstore's trust root, loaded once and only when there is an attestation to check. */
function verifierSource(testTrustedRoot: string): VerifierSource {
  let loaded: Promise<Verifier> | undefined
  return () => (loaded ??= loadVerifier(testTrustedRoot))
}

async function loadVerifier(testTrustedRoot: string): Promise<Verifier> {
  // Loaded on demand: runs without `expected-publisher` never pay for the Sigstore libraries.
  const [{ Verifier, toTrustMaterial }, { TrustedRoot }] = await Promise.all([import('@sigstore/verify'), import('@sigstore/protobuf-specs')])
  if (testTrustedRoot) {
    core.warning(`Provenance is checked against the test trust root ${testTrustedRoot} (COMPAT_SENTINEL_TEST_TRUSTED_ROOT), not Sigstore's: this is for the action's own tests only.`)
    const json = JSON.parse(await fs.readFile(testTrustedRoot, 'utf8'))
    return new Verifier(toTrustMaterial(TrustedRoot.fromJSON(json)))
  }
  const { getTrustedRoot } = await import('@sigstore/tuf')
  await shareProxySettingsWithGlobalFetch()
  try {
    // The TUF client checks the trust root against the root of trust embedded in @sigstore/tuf.
    return new Verifier(toTrustMaterial(await getTrustedRoot()))
  } catch (e) {
    throw new UserError(
      `Sigstore's trust root could not be loaded from ${SIGSTORE_TUF_MIRROR} (${(e as Error).message}), so no attestation could be checked: allow the runner to reach that host, or leave 'expected-publisher' empty.`,
    )
  }
}

/** One attestation: Sigstore signature and chain, then statement, then publisher. */
async function checkAttestation(a: Attestation, file: IndexFile & { sha256: string }, expected: ExpectedPublisher, verifier: VerifierSource): Promise<FileVerdict> {
  const mismatch = (problem: string, publisher = ''): FileVerdict => ({
    status: 'mismatch',
    publisher,
    problem,
  })
  const [{ bundleFromJSON }, { toSignedEntity }] = await Promise.all([import('@sigstore/bundle'), import('@sigstore/verify')])
  let entity: ReturnType<typeof toSignedEntity>
  try {
    entity = toSignedEntity(bundleFromJSON(toSigstoreBundleJson(a)))
  } catch (e) {
    return mismatch(`${file.filename}: its attestation is not a valid Sigstore bundle (${printable((e as Error).message)})`)
  }
  const v = await verifier()
  let signer: ReturnType<Verifier['verify']>
  try {
    signer = v.verify(entity)
  } catch (e) {
    return mismatch(`${file.filename}: its attestation did not verify against Sigstore's trust root (${printable((e as Error).message)})`)
  }
  const identity = signerIdentity(signer.identity?.subjectAlternativeName, signer.identity?.oids as { oid?: { id: number[] }; value: Uint8Array }[] | undefined)
  const publisher = describeSigner(identity)
  core.debug(`${file.filename}: signature verified; signer ${publisher} (SAN ${printable(identity.subjectAlternativeName)})`)
  const problem = statementProblem(Buffer.from(a.statement, 'base64').toString('utf8'), file)
  if (problem) return mismatch(`${file.filename}: ${problem}`, publisher)
  if (!publisherMatches(expected, identity)) return mismatch(`${file.filename} was published by ${publisher}, not ${describeExpected(expected)}`, publisher)
  return { status: 'verified', publisher, problem: '' }
}

async function checkFile(file: IndexFile, expected: ExpectedPublisher, verifier: VerifierSource, indexUrl: string): Promise<FileVerdict> {
  const absent = (problem: string): FileVerdict => ({ status: 'absent', publisher: '', problem })
  if (!file.provenanceUrl) return absent(`no provenance for ${file.filename}: the index publishes none`)
  if (!file.sha256) return absent(`no provenance can be matched to ${file.filename}: the index lists no sha256 for it`)
  let body: string
  try {
    // A private index's credentials go along to its own origin, as for its pages and files.
    body = (await getText(file.provenanceUrl, { accept: INTEGRITY_ACCEPT, maxBytes: MAX_PROVENANCE_BYTES, credentialsFrom: indexUrl })).text
  } catch (e) {
    if (e instanceof HttpStatusError) return absent(`no provenance for ${file.filename}: the index links ${redactUrl(file.provenanceUrl)} but answers HTTP ${e.status}`)
    const why = cause(e)
    if (why !== null) return absent(`the provenance of ${file.filename} could not be fetched from ${redactUrl(file.provenanceUrl)}: ${why}`)
    if (e instanceof UserError) return absent(`the provenance of ${file.filename} could not be fetched: ${e.message}`)
    throw e
  }
  let bundles: ReturnType<typeof parseProvenance>
  try {
    bundles = parseProvenance(body)
  } catch (e) {
    if (e instanceof ProvenanceFormatError) return { status: 'mismatch', publisher: '', problem: `${file.filename}: its provenance could not be read: ${e.message}` }
    throw e
  }
  const attestations = bundles.flatMap((b) => b.attestations)
  if (!attestations.length) return absent(`no provenance for ${file.filename}: its provenance object holds no attestation`)
  let first: FileVerdict | undefined
  for (const a of attestations) {
    const verdict = await checkAttestation(a, { ...file, sha256: file.sha256 }, expected, verifier)
    if (verdict.status === 'verified') return verdict
    first ??= verdict
  }
  return first!
}

const FIX = {
  absent:
    "Nothing was installed or run. Ask the upstream to publish with Trusted Publishing (PyPI then attaches attestations), or leave 'expected-publisher' empty to test builds whose publisher is not checked.",
  mismatch: "Nothing was installed or run: this build is not one the expected publisher attested. If the upstream moved its publishing repository or workflow, update 'expected-publisher'.",
}

/**
 * Checks every file the run would install. Returns the report; throws nothing for a file that
 * fails (the caller turns a report that is not `verified` into the run's error).
 */
export async function verifyProvenance(
  inputs: Pick<Inputs, 'package' | 'companions' | 'expectedPublisher' | 'testTrustedRoot'>,
  res: Pick<Resolution, 'version' | 'pages' | 'indexUrl'>,
): Promise<ProvenanceReport> {
  const expected = inputs.expectedPublisher
  if (!expected) return { status: '', publisher: '', detail: '' }
  const platform = currentPlatform()
  const verifier = verifierSource(inputs.testTrustedRoot)
  const verdicts: FileVerdict[] = []
  for (const project of [inputs.package, ...inputs.companions]) {
    const page = res.pages.get(project)
    const files = page ? installableFiles(page.files, res.version, platform) : []
    if (!files.length) verdicts.push({ status: 'absent', publisher: '', problem: `no file of ${project} ${res.version} installs here, so none could be verified` })
    for (const file of files) {
      const verdict = await checkFile(file, expected, verifier, res.indexUrl)
      core.info(verdict.status === 'verified' ? `${file.filename}: verified, published by ${verdict.publisher}` : `${file.filename}: ${verdict.status}: ${verdict.problem}`)
      verdicts.push(verdict)
    }
  }
  const status = combineStatus(verdicts.map((v) => v.status))
  const failed = verdicts.find((v) => v.status === status && v.problem)
  const publishers = [...new Set(verdicts.map((v) => v.publisher).filter(Boolean))]
  if (status === 'verified') {
    return { status, publisher: publishers.join(', '), detail: `${verdicts.length} file(s) verified: published by ${publishers.join(', ')}` }
  }
  return {
    status,
    publisher: failed?.publisher || publishers.join(', '),
    detail: `${failed?.problem ?? 'provenance not verified'}. ${status === 'absent' ? FIX.absent : FIX.mismatch}`,
  }
}

/**
 * The publisher check, before uv, the wheels folder (exported to later steps) or any command sees
 * the files: fills `state.provenance`; anything but `verified` ends the run as an error. Off
 * (no `expected-publisher`), a dev/pre build from TestPyPI gets a notice recommending it.
 */
export async function requirePublisher(
  inputs: Pick<Inputs, 'package' | 'companions' | 'expectedPublisher' | 'testTrustedRoot'>,
  res: Pick<Resolution, 'version' | 'pages' | 'indexUrl'>,
  state: Pick<RunState, 'provenance' | 'channel'>,
): Promise<void> {
  if (!inputs.expectedPublisher) {
    core.info("Provenance is not checked ('expected-publisher' is empty).")
    if (shouldRecommendPublisher(state.channel, res.indexUrl)) {
      core.notice(
        "This dev/pre build comes from TestPyPI, where anyone can register a project name its maintainers never claimed. Set 'expected-publisher' (e.g. github:owner/repo) so only builds attested by the upstream's own workflow are tested.",
      )
    }
    return
  }
  try {
    state.provenance = await verifyProvenance(inputs, res)
  } catch (e) {
    // Could not check at all (e.g. Sigstore's trust root unreachable): nothing verified.
    state.provenance = { status: 'absent', publisher: '', detail: e instanceof Error ? e.message : String(e) }
    throw e
  }
  if (state.provenance.status !== 'verified') throw new UserError(state.provenance.detail)
}
