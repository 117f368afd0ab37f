// A test-only Sigstore: a CA (Fulcio stand-in, with a CT log), a transparency log (Rekor
// stand-in) from @sigstore/mock, and a trusted_root.json naming them. It signs real PEP 740
// attestations: an in-toto statement in a DSSE envelope, signed with a fresh key whose
// certificate carries a GitHub Actions workflow identity, logged with a signed entry timestamp
// and an inclusion proof. Nothing here is trusted by the action unless a test hands it the
// trust root through COMPAT_SENTINEL_TEST_TRUSTED_ROOT.
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { initializeCA, initializeCTLog, initializeTLog } from '@sigstore/mock'

type KeyPair = { publicKey: KeyObject; privateKey: KeyObject }
const keyPair = (): KeyPair => generateKeyPairSync('ec', { namedCurve: 'P-256' })
const spki = (k: KeyObject) => k.export({ format: 'der', type: 'spki' })
const b64 = (b: Buffer | Uint8Array) => Buffer.from(b).toString('base64')
const sha256hex = (b: Buffer | string) => createHash('sha256').update(b).digest('hex')

export const PUBLISH_V1 = 'https://docs.pypi.org/attestations/publish/v1'
const REKOR_URL = 'https://rekor.test-only.invalid'

export interface Identity {
  /** owner/repo */
  repository: string
  workflow?: string
  ref?: string
  issuer?: string
}

export interface StatementOptions {
  name: string
  sha256: string
  predicateType?: string
}

interface RekorV1Entry {
  body: string
  integratedTime: number
  logID: string
  logIndex: number
  verification?: {
    signedEntryTimestamp?: string
    inclusionProof?: {
      logIndex: number
      rootHash: string
      treeSize: number
      hashes: string[]
      checkpoint: string
    }
  }
}

type CA = Awaited<ReturnType<typeof initializeCA>>
type TLog = Awaited<ReturnType<typeof initializeTLog>>

export class TestSigstore {
  private constructor(
    private readonly ca: CA,
    private readonly tlog: TLog,
    private readonly tlogKey: Buffer,
    private readonly ctlogKey: Buffer,
    private readonly ctlogId: Buffer,
    private readonly started: Date,
  ) {}

  static async create(): Promise<TestSigstore> {
    const started = new Date(Date.now() - 60_000)
    const ctKeys = keyPair()
    const ctlog = await initializeCTLog(ctKeys)
    const ca = await initializeCA(keyPair(), ctlog)
    const tlogKeys = keyPair()
    const tlog = await initializeTLog(REKOR_URL, tlogKeys)
    return new TestSigstore(ca, tlog, spki(tlogKeys.publicKey), Buffer.from(ctlog.publicKey), Buffer.from(ctlog.logID.buffer as ArrayBuffer), started)
  }

  /** trusted_root.json (protobuf JSON form) naming this CA, CT log and transparency log. */
  trustedRoot(): object {
    const start = this.started.toISOString()
    const key = (raw: Buffer) => ({
      rawBytes: b64(raw),
      keyDetails: 'PKIX_ECDSA_P256_SHA_256',
      validFor: { start },
    })
    return {
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs: [
        {
          baseUrl: REKOR_URL,
          hashAlgorithm: 'SHA2_256',
          publicKey: key(this.tlogKey),
          logId: {
            keyId: b64(createHash('sha256').update(this.tlogKey).digest()),
          },
        },
      ],
      certificateAuthorities: [
        {
          subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
          uri: 'https://fulcio.test-only.invalid',
          certChain: {
            certificates: [{ rawBytes: b64(Buffer.from(this.ca.rootCertificate.buffer)) }],
          },
          validFor: { start },
        },
      ],
      ctlogs: [
        {
          baseUrl: 'https://ctfe.test-only.invalid',
          hashAlgorithm: 'SHA2_256',
          publicKey: key(this.ctlogKey),
          logId: { keyId: b64(this.ctlogId) },
        },
      ],
      timestampAuthorities: [],
    }
  }

  writeTrustedRoot(dir: string): string {
    const file = path.join(dir, 'test-only-trusted-root.json')
    fs.writeFileSync(file, JSON.stringify(this.trustedRoot()))
    return file
  }

  /** A PEP 740 attestation of the statement, signed by `who` through this CA and logged here. */
  async attestation(statement: StatementOptions, who: Identity): Promise<object> {
    const workflow = who.workflow ?? 'publish.yml'
    const ref = who.ref ?? 'refs/heads/main'
    const repoUrl = `https://github.com/${who.repository}`
    const workflowUri = `${repoUrl}/.github/workflows/${workflow}@${ref}`
    const signer = keyPair()
    const issued = await this.ca.issueCertificate({
      publicKey: spki(signer.publicKey),
      subjectAltName: workflowUri,
      extensions: [
        {
          oid: '1.3.6.1.4.1.57264.1.8',
          value: who.issuer ?? 'https://token.actions.githubusercontent.com',
        },
        { oid: '1.3.6.1.4.1.57264.1.9', value: workflowUri },
        { oid: '1.3.6.1.4.1.57264.1.12', value: repoUrl },
        { oid: '1.3.6.1.4.1.57264.1.13', value: 'a'.repeat(40) },
        { oid: '1.3.6.1.4.1.57264.1.14', value: ref },
        { oid: '1.3.6.1.4.1.57264.1.18', value: workflowUri },
      ],
    })
    const cert = Buffer.from(issued.buffer, issued.byteOffset, issued.byteLength)
    const payload = Buffer.from(
      JSON.stringify({
        _type: 'https://in-toto.io/Statement/v1',
        subject: [{ name: statement.name, digest: { sha256: statement.sha256 } }],
        predicateType: statement.predicateType ?? PUBLISH_V1,
        predicate: null,
      }),
    )
    // DSSE pre-authentication encoding: what the signature covers.
    const type = 'application/vnd.in-toto+json'
    const pae = Buffer.concat([Buffer.from(`DSSEv1 ${type.length} ${type} ${payload.length} `), payload])
    const signature = sign('sha256', pae, signer.privateKey)
    const pem = `-----BEGIN CERTIFICATE-----\n${b64(cert).replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`
    const envelopeJson = JSON.stringify({
      payload: b64(payload),
      payloadType: type,
      signatures: [{ sig: b64(signature) }],
    })
    const logged = await this.tlog.log({
      apiVersion: '0.0.1',
      kind: 'dsse',
      spec: {
        envelopeHash: { algorithm: 'sha256', value: sha256hex(envelopeJson) },
        payloadHash: { algorithm: 'sha256', value: sha256hex(payload) },
        signatures: [{ signature: b64(signature), verifier: b64(Buffer.from(pem)) }],
      },
    })
    // The Rekor v1 API answer: { <uuid>: entry }.
    const e = Object.values(logged)[0] as RekorV1Entry
    const proof = e.verification!.inclusionProof!
    // The entry as PyPI stores it: the Sigstore bundle's JSON form of a log entry.
    const entry = {
      logIndex: String(e.logIndex),
      logId: { keyId: b64(Buffer.from(e.logID, 'hex')) },
      kindVersion: { kind: 'dsse', version: '0.0.1' },
      integratedTime: String(e.integratedTime),
      inclusionPromise: {
        signedEntryTimestamp: e.verification!.signedEntryTimestamp,
      },
      inclusionProof: {
        logIndex: String(proof.logIndex),
        rootHash: b64(Buffer.from(proof.rootHash, 'hex')),
        treeSize: String(proof.treeSize),
        hashes: proof.hashes.map((h: string) => b64(Buffer.from(h, 'hex'))),
        checkpoint: { envelope: proof.checkpoint },
      },
      canonicalizedBody: e.body,
    }
    return {
      version: 1,
      verification_material: {
        certificate: b64(cert),
        transparency_entries: [entry],
      },
      envelope: { statement: b64(payload), signature: b64(signature) },
    }
  }

  /** A whole provenance object (Integrity API shape) with one attestation bundle. */
  async provenance(statement: StatementOptions, who: Identity): Promise<object> {
    return {
      version: 1,
      attestation_bundles: [
        {
          publisher: {
            kind: 'GitHub',
            repository: who.repository,
            workflow: who.workflow ?? 'publish.yml',
            environment: null,
          },
          attestations: [await this.attestation(statement, who)],
        },
      ],
    }
  }
}
