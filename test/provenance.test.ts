// Table tests for the pure half of the PEP 740 check (src/core/provenance.ts) and for the
// provenance links the simple-API parsers keep.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import {
  canonicalFilename,
  combineStatus,
  githubPublisher,
  parseExpectedPublisher,
  parseProvenance,
  publisherMatches,
  shouldRecommendPublisher,
  signerIdentity,
  statementProblem,
  toSigstoreBundleJson,
  type SignerIdentity,
} from '../src/core/provenance'
import { parseHtmlPage, parseJsonPage } from '../src/core/simple-api'

describe('expected-publisher', () => {
  const cases: [string, ReturnType<typeof parseExpectedPublisher>][] = [
    ['github:llamastack/llama-stack', { repository: 'llamastack/llama-stack', workflow: '' }],
    ['github:org/repo/.github/workflows/publish.yml', { repository: 'org/repo', workflow: 'publish.yml' }],
    ['github:org/repo.py/.github/workflows/release.yaml', { repository: 'org/repo.py', workflow: 'release.yaml' }],
    ['  github:org/repo  ', { repository: 'org/repo', workflow: '' }],
    ['org/repo', null],
    ['github:org', null],
    ['github:org/repo/publish.yml', null],
    ['github:org/repo/.github/workflows/publish', null],
    ['github:org/repo/.github/workflows/../x.yml', null],
    ['github:org/..', null],
    ['gitlab:org/repo', null],
    ['https://github.com/org/repo', null],
    ['github:org/repo;rm -rf /', null],
  ]
  for (const [value, expected] of cases) {
    test(JSON.stringify(value), () => assert.deepEqual(parseExpectedPublisher(value), expected))
  }
})

describe('statement checks', () => {
  const file = { filename: 'llama_stack-0.7.2.dev3-py3-none-any.whl', sha256: 'ab'.repeat(32) }
  const statement = (over: Record<string, unknown> = {}, subject: Record<string, unknown> = {}) =>
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: file.filename, digest: { sha256: file.sha256 }, ...subject }],
      predicateType: 'https://docs.pypi.org/attestations/publish/v1',
      predicate: null,
      ...over,
    })
  const cases: [string, string, string | null][] = [
    ['the file, its digest', statement(), null],
    ['the digest in upper case', statement({}, { digest: { sha256: file.sha256.toUpperCase() } }), null],
    ['the name spelled another way', statement({}, { name: 'Llama.Stack-0.7.2.dev3-py3-none-any.whl' }), null],
    ['SLSA provenance', statement({ predicateType: 'https://slsa.dev/provenance/v1' }), null],
    ['another digest', statement({}, { digest: { sha256: 'cd'.repeat(32) } }), 'attestation subject digest does not match the file'],
    ['no sha256', statement({}, { digest: { sha512: 'ab' } }), 'attestation subject digest does not match the file'],
    ['another version', statement({}, { name: 'llama_stack-0.7.1-py3-none-any.whl' }), 'the attestation is for another file (llama_stack-0.7.1-py3-none-any.whl)'],
    ['another project', statement({}, { name: 'evil-0.7.2.dev3-py3-none-any.whl' }), 'the attestation is for another file (evil-0.7.2.dev3-py3-none-any.whl)'],
    ['two subjects', statement({ subject: [{}, {}] }), 'the attestation statement must name exactly one subject'],
    ['unknown type', statement({ predicateType: 'https://example.com/x' }), 'the attestation is of an unknown type (https://example.com/x)'],
    ['not in-toto', statement({ _type: 'x' }), 'the attestation statement is not an in-toto statement'],
    ['not JSON', 'nope', 'the attestation statement is not JSON'],
  ]
  for (const [name, payload, problem] of cases) test(name, () => assert.equal(statementProblem(payload, file), problem))

  const names: [string, string][] = [
    ['Foo.Bar-1.0-py2.py3-none-any.whl', 'foo_bar-1.0-py2.py3-none-any.whl'],
    ['foo_bar-1.0-py3.py2-none-any.whl', 'foo_bar-1.0-py2.py3-none-any.whl'],
    ['foo-1.0-1-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl', 'foo-1.0-1-cp312-cp312-manylinux2014_x86_64.manylinux_2_17_x86_64.whl'],
    ['Foo-Bar-1.0.tar.gz', 'foo_bar-1.0.tar.gz'],
  ]
  for (const [given, canonical] of names) test(`canonical ${given}`, () => assert.equal(canonicalFilename(given), canonical))
})

describe('provenance objects', () => {
  const attestation = { version: 1, verification_material: { certificate: 'Y2VydA==', transparency_entries: [{ logIndex: '1' }] }, envelope: { statement: 'e30=', signature: 'c2ln' } }
  test('a PyPI provenance object', () => {
    const bundles = parseProvenance(
      JSON.stringify({ version: 1, attestation_bundles: [{ publisher: { kind: 'GitHub', repository: 'org/repo', workflow: 'publish.yml', environment: null }, attestations: [attestation] }] }),
    )
    assert.deepEqual(bundles, [
      {
        publisher: { kind: 'GitHub', repository: 'org/repo', workflow: 'publish.yml' },
        attestations: [{ certificate: 'Y2VydA==', transparencyEntries: [{ logIndex: '1' }], statement: 'e30=', signature: 'c2ln' }],
      },
    ])
  })
  const broken: [string, string, RegExp][] = [
    ['not JSON', '<html>', /not JSON/],
    ['version 2', JSON.stringify({ version: 2, attestation_bundles: [] }), /not a version 1 provenance object/],
    ['a bundle without attestations', JSON.stringify({ version: 1, attestation_bundles: [{ publisher: {} }] }), /bundle 1 has no "attestations"/],
    [
      'no log entry',
      JSON.stringify({ version: 1, attestation_bundles: [{ attestations: [{ ...attestation, verification_material: { certificate: 'Y2VydA==', transparency_entries: [] } }] }] }),
      /no transparency log entry/,
    ],
    [
      'a signature that is not base64',
      JSON.stringify({ version: 1, attestation_bundles: [{ attestations: [{ ...attestation, envelope: { statement: 'e30=', signature: 'not base64!' } }] }] }),
      /signature is not base64/,
    ],
  ]
  for (const [name, body, message] of broken) test(name, () => assert.throws(() => parseProvenance(body), { name: 'ProvenanceFormatError', message }))

  test('the Sigstore bundle it stands for: v0.3, certificate, first log entry, in-toto DSSE', () => {
    const [b] = parseProvenance(JSON.stringify({ version: 1, attestation_bundles: [{ attestations: [attestation] }] }))
    assert.deepEqual(toSigstoreBundleJson(b!.attestations[0]!), {
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: { certificate: { rawBytes: 'Y2VydA==' }, tlogEntries: [{ logIndex: '1' }], timestampVerificationData: { rfc3161Timestamps: [] } },
      dsseEnvelope: { payload: 'e30=', payloadType: 'application/vnd.in-toto+json', signatures: [{ sig: 'c2ln', keyid: '' }] },
    })
  })
})

describe('publisher from the certificate', () => {
  // Extension values as @sigstore/verify hands them over: DER UTF8Strings from .8 on.
  const utf8 = (s: string) => Buffer.concat([Buffer.from([0x0c, Buffer.byteLength(s)]), Buffer.from(s)])
  const oid = (id: string, value: Buffer) => ({ oid: { id: id.split('.').map(Number) }, value })
  const cert = (o: { san?: string; issuer?: string; repo?: string; config?: string }): SignerIdentity =>
    signerIdentity(o.san, [
      ...(o.issuer === undefined ? [] : [oid('1.3.6.1.4.1.57264.1.8', utf8(o.issuer))]),
      ...(o.repo === undefined ? [] : [oid('1.3.6.1.4.1.57264.1.12', utf8(o.repo))]),
      ...(o.config === undefined ? [] : [oid('1.3.6.1.4.1.57264.1.18', utf8(o.config))]),
    ])
  const GH = 'https://token.actions.githubusercontent.com'
  const publish = 'https://github.com/org/repo/.github/workflows/publish.yml@refs/tags/v1'
  const full = cert({ san: publish, issuer: GH, repo: 'https://github.com/org/repo', config: publish })

  test('decodes the extensions', () => {
    assert.deepEqual(full, { subjectAlternativeName: publish, issuer: GH, sourceRepositoryUri: 'https://github.com/org/repo', buildConfigUri: publish })
    assert.deepEqual(githubPublisher(full), { repository: 'org/repo', workflow: 'publish.yml' })
  })
  test('the legacy issuer extension (raw bytes) still counts', () => {
    const legacy = signerIdentity(publish, [oid('1.3.6.1.4.1.57264.1.1', Buffer.from(GH))])
    assert.deepEqual(githubPublisher(legacy), { repository: 'org/repo', workflow: 'publish.yml' })
  })

  const expected = (repository: string, workflow = '') => ({ repository, workflow })
  const cases: [string, SignerIdentity, ReturnType<typeof expected>, boolean][] = [
    ['same repository', full, expected('org/repo'), true],
    ['same repository, other case', full, expected('Org/Repo'), true],
    ['same workflow', full, expected('org/repo', 'publish.yml'), true],
    ['another workflow', full, expected('org/repo', 'nightly.yml'), false],
    ['workflow names are case-sensitive', full, expected('org/repo', 'Publish.yml'), false],
    ['another repository', full, expected('org/other'), false],
    ['a repository whose name starts the same', cert({ san: publish.replace('org/repo', 'org/repo-fork'), issuer: GH, repo: 'https://github.com/org/repo-fork' }), expected('org/repo'), false],
    ['not GitHub Actions', cert({ san: publish, issuer: 'https://accounts.google.com', repo: 'https://github.com/org/repo' }), expected('org/repo'), false],
    ['no issuer', cert({ san: publish, repo: 'https://github.com/org/repo' }), expected('org/repo'), false],
    [
      'a reusable workflow: the caller repository and its workflow count, not the SAN',
      cert({ san: 'https://github.com/shared/tools/.github/workflows/pypi.yml@refs/heads/main', issuer: GH, repo: 'https://github.com/org/repo', config: publish }),
      expected('org/repo', 'publish.yml'),
      true,
    ],
    ['only a SAN (older certificates)', cert({ san: publish, issuer: GH }), expected('org/repo', 'publish.yml'), true],
  ]
  for (const [name, id, want, matches] of cases) test(name, () => assert.equal(publisherMatches(want, id), matches))
})

describe('run status and the TestPyPI notice', () => {
  const statuses: [Parameters<typeof combineStatus>[0], ReturnType<typeof combineStatus>][] = [
    [[], ''],
    [['verified', 'verified'], 'verified'],
    [['verified', 'absent'], 'absent'],
    [['absent', 'mismatch', 'verified'], 'mismatch'],
  ]
  for (const [given, want] of statuses) test(`${JSON.stringify(given)} → ${want || 'off'}`, () => assert.equal(combineStatus(given), want))

  const notice: [string, string, boolean][] = [
    ['dev', 'https://test.pypi.org/simple/', true],
    ['pre', 'https://test.pypi.org/simple', true],
    ['dev', 'https://TEST.pypi.org/simple/', true],
    ['stable', 'https://test.pypi.org/simple/', false],
    ['explicit', 'https://test.pypi.org/simple/', false],
    ['dev', 'https://pypi.org/simple/', false],
    ['dev', 'https://test.pypi.org.evil.example/simple/', false],
    ['dev', 'not a url', false],
  ]
  for (const [channel, index, want] of notice) test(`${channel} from ${index}: ${want ? 'notice' : 'none'}`, () => assert.equal(shouldRecommendPublisher(channel, index), want))
})

describe('the simple API keeps each file’s provenance link', () => {
  const page = 'https://index.example/simple/demo/'
  test('PEP 691 JSON: a relative link resolved, null and non-http links dropped', () => {
    const body = JSON.stringify({
      files: [
        { filename: 'demo-1.0-py3-none-any.whl', url: '../../f/a.whl', hashes: {}, provenance: '../../integrity/demo/1.0/demo-1.0-py3-none-any.whl/provenance' },
        { filename: 'demo-1.0.tar.gz', url: '../../f/b.tar.gz', hashes: {}, provenance: null },
        { filename: 'demo-0.9.tar.gz', url: '../../f/c.tar.gz', hashes: {}, provenance: 'javascript:alert(1)' },
      ],
    })
    assert.deepEqual(
      parseJsonPage(body, page, 'demo').files.map((f) => f.provenanceUrl),
      ['https://index.example/integrity/demo/1.0/demo-1.0-py3-none-any.whl/provenance', undefined, undefined],
    )
  })
  test('PEP 503 HTML: data-provenance', () => {
    const html = '<html><body><a href="../../f/a.whl" data-provenance="https://index.example/p/a">demo-1.0-py3-none-any.whl</a><a href="../../f/b.whl">demo-0.9-py3-none-any.whl</a></body></html>'
    assert.deepEqual(
      parseHtmlPage(html, page, 'demo').files.map((f) => f.provenanceUrl),
      ['https://index.example/p/a', undefined],
    )
  })
})
