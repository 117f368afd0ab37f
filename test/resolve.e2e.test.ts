// Resolution end to end: the bundled action against the fixture index (JSON and HTML) and a
// real pypiserver, for every channel, and the index faults that must end in a clear error.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { World } from './harness/world'
import { ForwardProxy } from './harness/forward-proxy'
import { wheel, sdist } from './harness/dists'
import { PypiServer } from './harness/pypiserver'
import { tempDir } from './harness/action'
import { assertErrorRun, closedPort } from './harness/assertions'

const PKG = 'demo-upstream'
const STABLE = ['0.7.2', '0.9.0', '0.10.0']
const DEV = ['0.7.2.dev9', '0.10.0.dev1']
const days = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString()

let world: World
before(async () => {
  world = await new World().start()
  for (const v of [...STABLE, ...DEV, '0.12.0rc1']) world.server.add(PKG, { ...wheel(PKG, v), uploadTime: days(1) })
  world.server.add(PKG, { ...wheel(PKG, '0.11.0'), yanked: 'broken build' }, { ...wheel(PKG, '0.11.0.dev3'), yanked: true })
  world.server.add(PKG, { ...wheel(PKG, '0.10.1+local') })
  world.server.add('demo-upstream-api', wheel('demo-upstream-api', '0.10.0'), wheel('demo-upstream-api', '0.9.5'))
})
after(() => world.close())

/** A replay command that writes what it received, to check the environment. */
const recorder = (file: string) => `printf '%s|%s|%s|%s|%s' "$UPSTREAM_VERSION" "$COMPAT_SENTINEL_PACKAGE" "$COMPAT_SENTINEL_VERSION" "$COMPAT_SENTINEL_CHANNEL" "$COMPAT_SENTINEL_PHASE" > ${file}`

for (const mode of ['json', 'html'] as const) {
  describe(`fixture index in ${mode} mode`, () => {
    before(() => (world.server.mode = mode))
    const expected = { stable: '0.10.0', dev: '0.10.0.dev1', pre: '0.12.0rc1' }
    for (const [channel, version] of Object.entries(expected)) {
      test(`${channel} resolves ${version}`, async () => {
        const out = path.join(tempDir(), 'env.txt')
        const r = await world.run({ package: PKG, channel, 'replay-command': recorder(out) })
        assert.equal(r.outputs.outcome, 'compatible', r.stdout)
        assert.equal(r.outputs.version, version)
        assert.equal(r.outputs.channel, channel)
        assert.equal(fs.readFileSync(out, 'utf8'), `${version}|${PKG}|${version}|${channel}|replay`)
        assert.match(r.stdout, new RegExp(`Chosen: ${version.replace(/\./g, '\\.')}`))
        assert.match(r.stdout, /skipped \(yanked\)/)
        const asked = world.server.requests.filter((q) => q.path === `/simple/${PKG}/`).at(-1)!
        assert.match(asked.accept, /application\/vnd\.pypi\.simple\.v1\+json/)
      })
    }
  })
}

describe('explicit and pinned versions', () => {
  before(() => (world.server.mode = 'auto'))

  test('explicit version: channel output is explicit, spelling kept', async () => {
    const r = await world.run({ package: PKG, channel: 'dev', version: '0.9', 'version-env': 'LLAMA_VERSION', 'replay-command': 'test "$LLAMA_VERSION" = 0.9' })
    assert.equal(r.outputs.outcome, 'compatible', r.stdout)
    assert.equal(r.outputs.channel, 'explicit')
    assert.equal(r.outputs.version, '0.9')
  })

  test('explicit yanked version is tested, with a warning', async () => {
    const r = await world.run({ package: PKG, version: '0.11.0', 'replay-command': 'true' })
    assert.equal(r.outputs.outcome, 'compatible', r.stdout)
    assert.match(r.stdout, /::warning::.*0\.11\.0 is yanked/)
  })

  test('explicit version the index lacks: error naming the nearest versions, version kept', async () => {
    const r = await world.run({ package: PKG, version: '0.10.5', 'replay-command': 'true' })
    assertErrorRun(r, /Version demo-upstream 0\.10\.5 is not on .*nearest versions it has are .*0\.10\.0.*0\.11\.0/)
    assert.equal(r.outputs.version, '0.10.5')
    assert.equal(r.outputs['replay-result'], 'skipped')
  })

  test('pinned channel reads the Makefile; is-pinned by PEP 440 equality', async () => {
    const ws = tempDir()
    fs.writeFileSync(path.join(ws, 'Makefile'), 'OTHER ?= 1\nTEST_LLAMA_STACK_VERSION ?= 0.9\n')
    const r = await world.run({ package: PKG, channel: 'pinned', 'pinned-file': 'Makefile', 'pinned-pattern': 'TEST_LLAMA_STACK_VERSION \\?= (\\S+)', 'replay-command': 'true' }, { workspace: ws })
    assert.equal(r.outputs.outcome, 'compatible', r.stdout)
    assert.equal(r.outputs.channel, 'pinned')
    assert.equal(r.outputs['pinned-version'], '0.9')
    assert.equal(r.outputs.version, '0.9')
    assert.equal(r.outputs['is-pinned'], 'true')
  })

  test('stable run reports the pinned version and that it differs', async () => {
    const ws = tempDir()
    fs.writeFileSync(path.join(ws, 'Makefile'), 'TEST_LLAMA_STACK_VERSION ?= 0.9.0\n')
    const r = await world.run({ package: PKG, 'pinned-file': 'Makefile', 'pinned-pattern': 'VERSION \\?= (\\S+)', 'replay-command': 'true' }, { workspace: ws })
    assert.equal(r.outputs.version, '0.10.0')
    assert.equal(r.outputs['pinned-version'], '0.9.0')
    assert.equal(r.outputs['is-pinned'], 'false')
    assert.match(r.summary, /0\.9\.0 \(differs from tested\)/)
  })

  test('a pinned-file that cannot be read is an error whatever the channel', async () => {
    const r = await world.run({ package: PKG, channel: 'stable', 'pinned-file': 'Missing.mk', 'pinned-pattern': 'V=(\\S+)', 'replay-command': 'true' })
    assertErrorRun(r, /'pinned-file' Missing\.mk could not be read \(ENOENT/)
  })

  test('a pinned-pattern that matches nothing is an error', async () => {
    const ws = tempDir()
    fs.writeFileSync(path.join(ws, 'Makefile'), 'NOTHING = here\n')
    const r = await world.run({ package: PKG, channel: 'pinned', 'pinned-file': 'Makefile', 'pinned-pattern': 'VERSION=(\\S+)', 'replay-command': 'true' }, { workspace: ws })
    assertErrorRun(r, /matches nothing/)
  })

  test('companion present at the same version', async () => {
    const out = path.join(tempDir(), 'wheels')
    const r = await world.run({ package: PKG, 'companion-packages': 'demo-upstream-api', 'wheels-dir': out, 'replay-command': 'true' })
    assert.equal(r.outputs.outcome, 'compatible', r.stdout)
    assert.deepEqual(r.result.companions, ['demo-upstream-api'])
  })

  test('companion missing at the version: error naming it and its nearest versions', async () => {
    const r = await world.run({ package: PKG, version: '0.9.0', 'companion-packages': 'demo-upstream-api', 'replay-command': 'true' })
    assertErrorRun(r, /Companion demo-upstream-api 0\.9\.0 is not on .*nearest versions it has are 0\.9\.5, 0\.10\.0/)
  })

  test('a non-normalised package name follows the index redirect', async () => {
    const r = await world.run({ package: 'Demo_Upstream', 'replay-command': 'true' })
    assert.equal(r.outputs.outcome, 'compatible', r.stdout)
    assert.equal(r.outputs.version, '0.10.0')
  })

  test('a stale release gets a warning annotation', async () => {
    // Stable releases are stale after 180 days by default (stale-after-days); 45 is set here.
    world.server.add('stale-pkg', { ...wheel('stale-pkg', '1.0.0'), uploadTime: days(45) })
    const r = await world.run({ package: 'stale-pkg', 'replay-command': 'true', 'stale-after-days': '30' })
    assert.equal(r.outputs.outcome, 'compatible')
    assert.match(r.stdout, /::warning::stale-pkg 1\.0\.0, the newest stable release on the index, was uploaded 4[45] days ago/)
  })
})

describe('index faults', () => {
  before(() => world.server.clearFaults())

  test('unknown package: not found on the index', async () => {
    const r = await world.run({ package: 'no-such-package', 'replay-command': 'true' })
    assertErrorRun(r, /Package 'no-such-package' was not found on http:\/\/127\.0\.0\.1:\d+\/simple\/ \(HTTP 404/)
  })

  test('index down: connection refused after retries', async () => {
    const port = await closedPort()
    const r = await world.run({ package: PKG, 'index-url': `http://127.0.0.1:${port}/simple/`, 'replay-command': 'true' })
    assertErrorRun(r, new RegExp(`could not reach http://127\\.0\\.0\\.1:${port}/simple/demo-upstream/: connection refused \\(4 attempts\\)`))
  })

  test('500 then success is retried', async () => {
    world.server.inject(/^\/simple\/flaky\//, { status: 500 }, 2)
    world.server.add('flaky', wheel('flaky', '1.0'))
    const r = await world.run({ package: 'flaky', 'replay-command': 'true' })
    assert.equal(r.outputs.outcome, 'compatible', r.stdout)
    assert.equal(world.server.count(/^\/simple\/flaky\/$/), 3)
  })

  test('429 with Retry-After waits as told', async () => {
    world.server.add('limited', wheel('limited', '2.0'))
    world.server.inject(/^\/simple\/limited\//, { status: 429, headers: { 'retry-after': '1' } }, 1)
    const started = Date.now()
    const r = await world.run({ package: 'limited', 'replay-command': 'true' })
    assert.equal(r.outputs.outcome, 'compatible', r.stdout)
    assert.equal(r.outputs.version, '2.0')
    assert.ok(Date.now() - started >= 1000, 'the retry came after Retry-After')
  })

  test('persistent 503: error naming the status', async () => {
    world.server.add('down', wheel('down', '1.0'))
    world.server.inject(/^\/simple\/down\//, { status: 503 })
    const r = await world.run({ package: 'down', 'replay-command': 'true' })
    assertErrorRun(r, /answered HTTP 503 for 'down'/)
    assert.equal(world.server.count(/^\/simple\/down\/$/), 4)
  })

  test('malformed JSON', async () => {
    world.server.add('garbled', wheel('garbled', '1.0'))
    world.server.inject(/^\/simple\/garbled\//, { body: '{"files": [', contentType: 'application/vnd.pypi.simple.v1+json' })
    const r = await world.run({ package: 'garbled', 'replay-command': 'true' })
    assertErrorRun(r, /could not be read: the index answered with malformed JSON/)
  })

  test('HTML with no links: no release found', async () => {
    world.server.add('empty', wheel('empty', '1.0'))
    world.server.inject(/^\/simple\/empty\//, { body: '<!DOCTYPE html><html><body><h1>Links</h1></body></html>', contentType: 'text/html' })
    const r = await world.run({ package: 'empty', 'replay-command': 'true' })
    assertErrorRun(r, /No stable release of empty on .*\(0 versions listed/)
  })

  test('redirect loop', async () => {
    world.server.inject(/^\/simple\/loop\//, { redirectTo: '/simple/loop/' })
    const r = await world.run({ package: 'loop', 'replay-command': 'true' })
    assertErrorRun(r, /redirects in a loop/)
  })
})

describe('real pypiserver on loopback', () => {
  let pypi: PypiServer
  before(async () => {
    const dists = [...STABLE, ...DEV, '0.12.0rc1'].map((v) => wheel(PKG, v))
    dists.push(sdist(PKG, '0.10.0'))
    pypi = await new PypiServer(dists).start()
  })
  after(() => pypi.close())

  const expected: [Record<string, string>, string, string][] = [
    [{ channel: 'stable' }, '0.10.0', 'stable'],
    [{ channel: 'dev' }, '0.10.0.dev1', 'dev'],
    [{ channel: 'pre' }, '0.12.0rc1', 'pre'],
    [{ version: '0.7.2.dev9' }, '0.7.2.dev9', 'explicit'],
  ]
  for (const [inputs, version, channel] of expected) {
    test(`${channel} resolves ${version}`, async () => {
      const r = await world.run({ package: PKG, 'index-url': pypi.indexUrl, 'replay-command': `test "$UPSTREAM_VERSION" = ${version}`, ...inputs })
      assert.equal(r.outputs.outcome, 'compatible', r.stdout)
      assert.equal(r.outputs.version, version)
      assert.equal(r.outputs.channel, channel)
    })
  }

  test('pinned resolves from the Makefile', async () => {
    const ws = tempDir()
    fs.writeFileSync(path.join(ws, 'Makefile'), 'TEST_LLAMA_STACK_VERSION ?= 0.9.0\n')
    const r = await world.run(
      { package: PKG, 'index-url': pypi.indexUrl, channel: 'pinned', 'pinned-file': 'Makefile', 'pinned-pattern': 'VERSION \\?= (\\S+)', 'replay-command': 'true' },
      { workspace: ws },
    )
    assert.equal(r.outputs.outcome, 'compatible', r.stdout)
    assert.equal(r.outputs.version, '0.9.0')
    assert.equal(r.outputs['is-pinned'], 'true')
  })

  test('unknown package on pypiserver is an error, not a fallback to pypi.org', async () => {
    const r = await world.run({ package: 'not-on-this-server', 'index-url': pypi.indexUrl, 'replay-command': 'true' })
    assertErrorRun(r, /not-on-this-server/)
  })
})

describe('a JSON page over 8 MiB (parsed as it arrives)', () => {
  const BIG = 'big-page'
  // Tags no Linux runner installs: only the pure wheel is prefetched.
  const PLATFORMS = ['macosx_11_0_arm64', 'macosx_10_9_x86_64', 'macosx_14_0_universal2', 'win_amd64', 'win32', 'win_arm64', 'ios_13_0_arm64_iphoneos', 'android_21_arm64_v8a']
  before(() => {
    // 40,000 files in 5,000 releases: about 10 MB of JSON. The newest release is yanked.
    const files = []
    for (let i = 0; i < 5000; i++) for (const p of PLATFORMS) files.push({ filename: `big_page-1.${i}.0-py3-none-${p}.whl`, content: Buffer.from(`${i} ${p}`), yanked: i === 4999 })
    world.server.add(BIG, ...files, { ...wheel(BIG, '1.4998.0') }, { ...wheel(BIG, '1.4999.0'), yanked: 'broken' })
  })

  test('the newest non-yanked release is chosen and its wheel prefetched and verified', async () => {
    world.server.mode = 'json'
    const r = await world.run({ package: BIG, 'prefetch-wheels': 'true', 'replay-command': 'true' })
    assert.equal(r.outputs.outcome, 'compatible', r.stdout.slice(-3000))
    assert.equal(r.outputs.version, '1.4998.0')
    assert.match(r.stdout, /big-page: 5,?000 versions on the index, 1 skipped for 'stable'/)
    assert.deepEqual(fs.readdirSync(r.outputs['wheels-dir']!), ['big_page-1.4998.0-py3-none-any.whl'], 'only the wheel this runner can install')
    // The large-page path ran (split from the first byte, heap growth restrained), not the whole-body parse.
    assert.match(r.stdout, /::debug::Heap growth restrained from here on \(big-page's index page is over 8 MiB\)/)
  })
})

describe('proxies from the environment', () => {
  const proxy = new ForwardProxy()
  const seen = proxy.seen
  let proxyUrl = ''
  before(async () => {
    proxyUrl = (await proxy.start()).url
  })
  after(() => proxy.close())

  test('HTTP_PROXY carries the index requests', async () => {
    seen.length = 0
    const r = await world.run({ package: PKG, 'replay-command': 'true' }, { env: { HTTP_PROXY: proxyUrl, NO_PROXY: '' } })
    assert.equal(r.outputs.outcome, 'compatible', r.stdout)
    const port = new URL(world.server.url).port
    assert.ok(
      seen.some((s) => s.includes(`127.0.0.1:${port}`)),
      `the proxy saw the index: ${JSON.stringify(seen)}`,
    )
  })

  test('HTTP_PROXY carries the file downloads too (they take another client path: files are kept as stored)', async () => {
    seen.length = 0
    const r = await world.run({ package: PKG, 'prefetch-wheels': 'true', 'wheels-dir': path.join(tempDir(), 'wheels'), 'replay-command': 'true' }, { env: { HTTP_PROXY: proxyUrl, NO_PROXY: '' } })
    assert.equal(r.outputs.outcome, 'compatible', r.stdout)
    assert.ok(
      seen.some((s) => /\/files\/.*\.whl/.test(s)),
      `the proxy saw the wheel download: ${JSON.stringify(seen)}`,
    )
  })

  test('through the proxy, a page that stops mid-body is timed out and retried as without one', async () => {
    seen.length = 0
    world.server.inject(/^\/simple\//, { stallAfter: 10 }, 1)
    const r = await world.run({ package: PKG, 'replay-command': 'true' }, { env: { HTTP_PROXY: proxyUrl, NO_PROXY: '', COMPAT_SENTINEL_HTTP_TIMEOUT_MS: '300' } })
    assert.equal(r.outputs.outcome, 'compatible', r.stdout)
    assert.match(r.stdout, /timed out after 0\.3 s without data \(1 attempt\); retry 1 of 3/)
    assert.ok(seen.length > 0, 'the requests went through the proxy')
  })

  test('NO_PROXY bypasses it', async () => {
    seen.length = 0
    const r = await world.run({ package: PKG, 'replay-command': 'true' }, { env: { HTTP_PROXY: proxyUrl, NO_PROXY: '127.0.0.1' } })
    assert.equal(r.outputs.outcome, 'compatible', r.stdout)
    assert.deepEqual(seen, [])
  })
})
