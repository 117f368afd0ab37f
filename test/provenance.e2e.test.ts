// PEP 740 provenance end to end: dist/index.js against a loopback PEP 691 index that links each
// file's provenance object, with real attestations signed by a test-only Sigstore (CA with CT
// log, transparency log) whose trust root the action is handed through the test hook. A build
// that is not attested by the expected publisher never gets installed or run.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import * as http from 'node:http'
import * as path from 'node:path'
import { World } from './harness/world'
import { IndexServer } from './harness/index-server'
import { TestSigstore, type Identity } from './harness/attest'
import { sha256, wheel, type Dist } from './harness/dists'
import { MAIN_OUTPUTS, tempDir } from './harness/action'
import { assertErrorRun } from './harness/assertions'

const UPSTREAM: Identity = { repository: 'org/upstream', workflow: 'publish.yml' }
const EXPECTED = 'github:org/upstream'
const DEV = '0.11.0.dev3'
const MARKER = 'commands-ran.txt'

let world: World
let sigstore: TestSigstore
let trustedRoot: string

before(async () => {
  world = await new World().start()
  sigstore = await TestSigstore.create()
  trustedRoot = sigstore.writeTrustedRoot(tempDir('cs-trust-'))
})
after(() => world.close())

/** A wheel of `project` at DEV, attested as `attest` says (nothing when `attest` is null). */
async function hosted(project: string, attest: { who: Identity; sha256?: string; name?: string; by?: TestSigstore } | null): Promise<Dist & { provenance?: object }> {
  const w = wheel(project, DEV)
  if (!attest) return w
  const signer = attest.by ?? sigstore
  return { ...w, provenance: await signer.provenance({ name: attest.name ?? w.filename, sha256: attest.sha256 ?? sha256(w.content) }, attest.who) }
}

function run(project: string, extra: Record<string, string> = {}, env: Record<string, string> = {}) {
  return world.run(
    { package: project, channel: 'dev', 'expected-publisher': EXPECTED, 'replay-command': `touch ${MARKER}`, ...extra },
    { env: { COMPAT_SENTINEL_TEST_TRUSTED_ROOT: trustedRoot, ...env } },
  )
}

/** The run stopped before uv, the wheels folder or any command saw the files. */
function assertNothingRan(r: Awaited<ReturnType<typeof run>>): void {
  assert.equal(fs.existsSync(path.join(r.workspace, MARKER)), false, 'the replay command did not run')
  assert.equal(r.outputs['wheels-dir'], '', 'nothing prefetched')
  assert.equal(r.exportedEnv.UV_FIND_LINKS, undefined, 'no wheels folder handed to later steps')
  assert.equal(r.result.replay.result, 'skipped')
}

describe('expected-publisher set', () => {
  test('a private index: its credentials go to the provenance objects on its own origin too', async () => {
    const secret = 'ci:provenance-needs-auth'
    const index = await new IndexServer({ basicAuth: secret }).start()
    try {
      index.add('prov-private', await hosted('prov-private', { who: UPSTREAM }))
      const u = new URL(index.indexUrl)
      const r = await world.run(
        { package: 'prov-private', channel: 'dev', 'index-url': `${u.protocol}//${secret}@${u.host}${u.pathname}`, 'expected-publisher': EXPECTED, 'replay-command': `touch ${MARKER}` },
        { env: { COMPAT_SENTINEL_TEST_TRUSTED_ROOT: trustedRoot } },
      )
      assert.equal(r.outputs.provenance, 'verified', r.stdout)
      assert.equal(r.outputs.outcome, 'compatible')
      assert.equal(index.count(/^\/provenance\//), 1)
      assert.ok(
        index.requests.filter((q) => q.path.startsWith('/provenance/')).every((q) => q.authorization?.startsWith('Basic ')),
        'sent with the index credentials',
      )
    } finally {
      await index.close()
    }
  })

  test('attested by the expected publisher: verified, then the commands run', async () => {
    world.server.add('prov-ok', await hosted('prov-ok', { who: UPSTREAM }))
    world.server.add('prov-ok-api', await hosted('prov-ok-api', { who: UPSTREAM }))
    const r = await run('prov-ok', { 'companion-packages': 'prov-ok-api' })
    assert.equal(r.outputs.outcome, 'compatible', r.stdout)
    assert.equal(r.outputs.provenance, 'verified')
    assert.ok(fs.existsSync(path.join(r.workspace, MARKER)), 'the replay command ran')
    assert.deepEqual(r.result.provenance, {
      status: 'verified',
      publisher: 'github:org/upstream/.github/workflows/publish.yml',
      detail: '2 file(s) verified: published by github:org/upstream/.github/workflows/publish.yml',
    })
    assert.match(r.summary, /\| Provenance \| 🔏 verified, published by github:org\/upstream\/\.github\/workflows\/publish\.yml \|/)
    assert.match(r.stdout, /::group::Verify provenance/)
    assert.match(r.stdout, /prov_ok_api-0\.11\.0\.dev3-py3-none-any\.whl: verified, published by github:org\/upstream/)
    assert.equal(world.server.count(/^\/provenance\//), 2, 'one provenance object per installed file')
    for (const o of MAIN_OUTPUTS) assert.ok(o in r.outputs, `output ${o} is set`)
  })

  test('the workflow form of expected-publisher: the same workflow verifies, another is a mismatch', async () => {
    world.server.add('prov-wf', await hosted('prov-wf', { who: UPSTREAM }))
    const same = await run('prov-wf', { 'expected-publisher': 'github:Org/Upstream/.github/workflows/publish.yml' })
    assert.equal(same.outputs.provenance, 'verified', 'owner and repository compare case-insensitively')
    const other = await run('prov-wf', { 'expected-publisher': 'github:org/upstream/.github/workflows/nightly.yml' })
    assertErrorRun(
      other,
      /prov_wf-0\.11\.0\.dev3-py3-none-any\.whl was published by github:org\/upstream\/\.github\/workflows\/publish\.yml, not github:org\/upstream\/\.github\/workflows\/nightly\.yml/,
    )
    assert.equal(other.outputs.provenance, 'mismatch')
    assertNothingRan(other)
  })

  test('a PEP 503 HTML index: data-provenance links are followed too', async () => {
    const server = await new IndexServer().start()
    try {
      server.mode = 'html'
      server.add('prov-html', await hosted('prov-html', { who: UPSTREAM }))
      const r = await run('prov-html', { 'index-url': server.indexUrl })
      assert.equal(r.outputs.provenance, 'verified', r.stdout)
      assert.equal(r.outputs.outcome, 'compatible')
    } finally {
      await server.close()
    }
  })

  test('attested by another repository: mismatch, error, nothing runs', async () => {
    world.server.add('prov-other', await hosted('prov-other', { who: { repository: 'someone/else' } }))
    const r = await run('prov-other')
    assertErrorRun(r, /prov_other-0\.11\.0\.dev3-py3-none-any\.whl was published by github:someone\/else\/\.github\/workflows\/publish\.yml, not github:org\/upstream/)
    assert.equal(r.outputs.provenance, 'mismatch')
    assert.equal(r.result.provenance.status, 'mismatch')
    assert.equal(r.result.provenance.publisher, 'github:someone/else/.github/workflows/publish.yml')
    assert.match(r.summary, /\| Provenance \| mismatch, published by github:someone\/else/)
    assert.match(r.outputs.summary!, /Nothing was installed or run/)
    assertNothingRan(r)
  })

  test("a subject digest that is not the file's: error, nothing runs", async () => {
    world.server.add('prov-digest', await hosted('prov-digest', { who: UPSTREAM, sha256: sha256(Buffer.from('another build')) }))
    const r = await run('prov-digest')
    assertErrorRun(r, /prov_digest-0\.11\.0\.dev3-py3-none-any\.whl: attestation subject digest does not match the file/)
    assert.equal(r.outputs.provenance, 'mismatch')
    assertNothingRan(r)
  })

  test('an attestation for another file name: error', async () => {
    world.server.add('prov-name', await hosted('prov-name', { who: UPSTREAM, name: 'prov_name-0.10.0-py3-none-any.whl' }))
    const r = await run('prov-name')
    assertErrorRun(r, /prov_name-0\.11\.0\.dev3-py3-none-any\.whl: the attestation is for another file \(prov_name-0\.10\.0-py3-none-any\.whl\)/)
    assertNothingRan(r)
  })

  test('signed by a CA the trust root does not hold: the signature check fails, error', async () => {
    const stranger = await TestSigstore.create()
    world.server.add('prov-ca', await hosted('prov-ca', { who: UPSTREAM, by: stranger }))
    const r = await run('prov-ca')
    assertErrorRun(r, /prov_ca-0\.11\.0\.dev3-py3-none-any\.whl: its attestation did not verify against Sigstore's trust root/)
    assert.equal(r.outputs.provenance, 'mismatch')
    assertNothingRan(r)
  })

  test('no provenance on the index: absent, error, nothing runs', async () => {
    world.server.add('prov-none', await hosted('prov-none', null))
    const r = await run('prov-none')
    assertErrorRun(r, /no provenance for prov_none-0\.11\.0\.dev3-py3-none-any\.whl: the index publishes none/)
    assert.equal(r.outputs.provenance, 'absent')
    assert.deepEqual({ status: r.result.provenance.status, publisher: r.result.provenance.publisher }, { status: 'absent', publisher: '' })
    assert.match(r.outputs.summary!, /Trusted Publishing/)
    assertNothingRan(r)
  })

  test('a companion without provenance fails the run even when the package has one', async () => {
    world.server.add('prov-half', await hosted('prov-half', { who: UPSTREAM }))
    world.server.add('prov-half-api', await hosted('prov-half-api', null))
    const r = await run('prov-half', { 'companion-packages': 'prov-half-api' })
    assertErrorRun(r, /no provenance for prov_half_api-0\.11\.0\.dev3-py3-none-any\.whl/)
    assert.equal(r.outputs.provenance, 'absent')
    assertNothingRan(r)
  })

  test('a provenance link the index does not serve: absent, after the usual retries for 5xx', async () => {
    world.server.add('prov-broken', await hosted('prov-broken', { who: UPSTREAM }))
    world.server.inject(/^\/provenance\/prov_broken/, { status: 503 })
    try {
      const r = await run('prov-broken')
      assertErrorRun(r, /no provenance for prov_broken-0\.11\.0\.dev3-py3-none-any\.whl: the index links .* but answers HTTP 503/)
      assert.equal(r.outputs.provenance, 'absent')
      assert.ok(world.server.count(/^\/provenance\/prov_broken/) >= 3, 'retried like every index request')
    } finally {
      world.server.clearFaults()
    }
  })

  test("without the test hook, Sigstore's trust root is asked of its TUF mirror, and only that", async () => {
    // A proxy that records which hosts the action tunnels to and refuses them all: the run must
    // try tuf-repo-cdn.sigstore.dev (and nothing else), then stop with an error that says so.
    world.server.add('prov-tuf', await hosted('prov-tuf', { who: UPSTREAM }))
    const tunnels: string[] = []
    const proxy = http.createServer((_req, res) => res.writeHead(403).end())
    proxy.on('connect', (req, socket) => {
      tunnels.push(String(req.url))
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n')
    })
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r))
    try {
      const proxyUrl = `http://127.0.0.1:${(proxy.address() as import('node:net').AddressInfo).port}`
      const home = tempDir('cs-home-')
      const r = await run(
        'prov-tuf',
        {},
        { COMPAT_SENTINEL_TEST_TRUSTED_ROOT: '', HTTPS_PROXY: proxyUrl, https_proxy: proxyUrl, NO_PROXY: '127.0.0.1', no_proxy: '127.0.0.1', HOME: home, XDG_DATA_HOME: path.join(home, 'data') },
      )
      assertErrorRun(r, /Sigstore's trust root could not be loaded from https:\/\/tuf-repo-cdn\.sigstore\.dev/)
      assert.equal(r.outputs.provenance, 'absent')
      assertNothingRan(r)
      assert.ok(tunnels.length > 0, `the TUF client went through the proxy: ${r.result.reason}`)
      assert.deepEqual([...new Set(tunnels)], ['tuf-repo-cdn.sigstore.dev:443'])
    } finally {
      proxy.close()
    }
  })

  test('an invalid expected-publisher is an input error that says what is accepted', async () => {
    const r = await run('prov-ok', { 'expected-publisher': 'org/upstream' })
    assertErrorRun(r, /Input 'expected-publisher' has the value 'org\/upstream'.*github:owner\/repo/)
    assert.equal(r.outputs.provenance, '')
  })
})

describe('expected-publisher empty', () => {
  test('no provenance is fetched and the output is empty', async () => {
    world.server.add('prov-off', await hosted('prov-off', { who: { repository: 'someone/else' } }))
    const r = await run('prov-off', { 'expected-publisher': '' })
    assert.equal(world.server.count(/^\/provenance\/prov_off/), 0, 'the check is off: nothing fetched')
    assert.equal(r.outputs.outcome, 'compatible', r.stdout)
    assert.equal(r.outputs.provenance, '')
    assert.deepEqual(r.result.provenance, { status: '', publisher: '', detail: '' })
    assert.doesNotMatch(r.summary, /Provenance/)
    assert.doesNotMatch(r.stdout, /::notice::.*expected-publisher/, 'no notice for an index that is not TestPyPI')
  })

  test('a dev build from TestPyPI: one notice recommending expected-publisher', async () => {
    // test.pypi.org played by the loopback index behind a forward proxy (plain HTTP, so the proxy
    // can answer for the host itself); loopback traffic (the uv download) bypasses it.
    world.server.add('prov-testpypi', await hosted('prov-testpypi', null))
    const target = new URL(world.server.url)
    const proxy = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/')
      const upstream = http.request({ host: target.hostname, port: target.port, path: url.pathname + url.search, method: req.method, headers: { ...req.headers, host: target.host } }, (u) => {
        res.writeHead(u.statusCode ?? 502, u.headers)
        u.pipe(res)
      })
      req.pipe(upstream)
    })
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r))
    try {
      const port = (proxy.address() as import('node:net').AddressInfo).port
      const r = await run('prov-testpypi', { 'expected-publisher': '', 'index-url': 'http://test.pypi.org/simple/' }, { HTTP_PROXY: `http://127.0.0.1:${port}`, NO_PROXY: '127.0.0.1' })
      assert.equal(r.outputs.outcome, 'compatible', r.stdout)
      const notices = r.stdout.match(/::notice::.*TestPyPI.*expected-publisher.*/g) ?? []
      assert.equal(notices.length, 1, r.stdout)
      assert.equal(r.outputs.provenance, '')
    } finally {
      proxy.close()
    }
  })
})
