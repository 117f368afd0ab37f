// Prefetching end to end with the real uv: the dev release lives only on a second ("dev")
// index, its dependencies' index (the default one) has only stable releases, and the action's
// wheels-dir in UV_FIND_LINKS is what lets `uv run --with pkg==<dev>` find it.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { World } from './harness/world'
import { IndexServer } from './harness/index-server'
import { CacheServer } from './harness/cache-server'
import { sdist, wheel } from './harness/dists'
import { tempDir } from './harness/action'
import { assertErrorRun, closedPort } from './harness/assertions'
import { shouldPrefetch } from '../src/stages/wheels'
import { currentPlatform, wheelFits } from '../src/core/platform'

const PKG = 'demo-upstream'
const API = 'demo-upstream-api'
const DEV = '0.11.0.dev3'

let world: World
const devIndex = new IndexServer()

before(async () => {
  world = await new World().start()
  // The default index (PyPI's stand-in): stable releases only.
  world.server.add(PKG, wheel(PKG, '0.10.0')).add(API, wheel(API, '0.10.0'))
  // The dev index (TestPyPI's stand-in): the dev builds.
  await devIndex.start()
  devIndex.add(PKG, wheel(PKG, DEV, { requires: [`${API}==${DEV}`] }), wheel(PKG, '0.10.0'))
  devIndex.add(API, wheel(API, DEV))
})
after(async () => {
  await world.close()
  await devIndex.close()
})

/** uv isolated from the machine: offline but for the loopback default index, its own cache. */
function uvEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { UV_DEFAULT_INDEX: world.server.indexUrl, UV_CACHE_DIR: tempDir('cs-uvcache-'), UV_PYTHON_DOWNLOADS: 'never', UV_NO_CONFIG: '1', ...extra }
}

const importAndPrint = (file: string) =>
  `uv run --no-project --with "${PKG}==$UPSTREAM_VERSION" python -c "import demo_upstream, demo_upstream_api; print(demo_upstream.__version__, demo_upstream_api.__version__)" > ${file}`

describe('the proof: a dev build from another index installs through UV_FIND_LINKS', () => {
  test('with prefetching, uv run --with pkg==<dev> imports the dev build', async () => {
    const out = path.join(tempDir(), 'out.txt')
    const r = await world.run({ package: PKG, channel: 'dev', 'companion-packages': API, 'index-url': devIndex.indexUrl, 'replay-command': importAndPrint(out) }, { env: uvEnv() })
    assert.equal(r.outputs.outcome, 'compatible', r.stdout + r.result?.replay?.logTail)
    assert.equal(fs.readFileSync(out, 'utf8').trim(), `${DEV} ${DEV}`)
    const dir = r.outputs['wheels-dir']!
    assert.equal(dir, path.join(r.runnerTemp, 'compat-sentinel', 'wheels'))
    assert.deepEqual(fs.readdirSync(dir).sort(), [`demo_upstream-${DEV}-py3-none-any.whl`, `demo_upstream_api-${DEV}-py3-none-any.whl`])
    assert.deepEqual(r.result.wheels.files, fs.readdirSync(dir).sort())
    assert.equal(r.outputs['wheels-cache-hit'], 'false')
    assert.equal(r.exportedEnv.UV_FIND_LINKS, dir, 'exported to later steps')
    assert.equal((r.stdout.match(/Actions cache service is not available/g) ?? []).length, 1, 'said once')
  })

  test('without prefetching the same command cannot install: uv cannot see the dev index', async () => {
    const out = path.join(tempDir(), 'out.txt')
    const r = await world.run(
      { package: PKG, channel: 'dev', 'companion-packages': API, 'index-url': devIndex.indexUrl, 'prefetch-wheels': 'false', 'replay-command': importAndPrint(out) },
      { env: uvEnv() },
    )
    assert.equal(r.outputs.outcome, 'not-installable')
    assert.match(r.result.reason, /No solution found when resolving/)
    assert.equal(r.outputs['wheels-dir'], '')
    assert.equal(r.exportedEnv.UV_FIND_LINKS, undefined)
    assert.match(r.result.replay.logTail, new RegExp(`${PKG}==${DEV.replace(/\./g, '\\.')}`))
    assert.equal(fs.readFileSync(out, 'utf8'), '')
  })

  test('an existing UV_FIND_LINKS is kept, the folder appended', async () => {
    const mine = tempDir('cs-mylinks-')
    const wheelsDir = 'my-wheels'
    const r = await world.run(
      { package: PKG, channel: 'dev', 'index-url': devIndex.indexUrl, 'wheels-dir': wheelsDir, 'replay-command': 'printf %s "$UV_FIND_LINKS" > links.txt' },
      { env: { ...uvEnv(), UV_FIND_LINKS: mine } },
    )
    const expected = `${mine},${path.join(r.workspace, wheelsDir)}`
    assert.equal(r.outputs['wheels-dir'], path.join(r.workspace, wheelsDir), 'relative to GITHUB_WORKSPACE')
    assert.equal(r.exportedEnv.UV_FIND_LINKS, expected)
    assert.equal(fs.readFileSync(path.join(r.workspace, 'links.txt'), 'utf8'), expected, 'the command sees both')
  })

  test('a cache service that fails: a warning, then the wheels are downloaded anyway', async () => {
    const port = await closedPort()
    const r = await world.run(
      { package: PKG, channel: 'dev', 'index-url': devIndex.indexUrl, 'replay-command': 'true' },
      { env: { ACTIONS_CACHE_URL: `http://127.0.0.1:${port}/`, ACTIONS_RUNTIME_TOKEN: 'token-for-tests' } },
    )
    assert.equal(r.outputs.outcome, 'compatible', r.stdout)
    // The cache client (loaded on demand from its own chunk of the bundle) warns and gives up.
    assert.match(r.stdout, /::warning::Failed to restore: .*ECONNREFUSED/)
    assert.match(r.stdout, /::warning::Failed to save: .*ECONNREFUSED/)
    assert.deepEqual(fs.readdirSync(r.outputs['wheels-dir']!), [`demo_upstream-${DEV}-py3-none-any.whl`])
    assert.equal(r.outputs['wheels-cache-hit'], 'false')
  })

  test('the Actions cache: saved on a miss, restored on the next run without touching the index', async () => {
    const cacheService = await new CacheServer().start()
    try {
      // GitHub gives every run of a repository the same workspace and RUNNER_TEMP paths; the
      // wheels-dir is emptied between the runs, as on a fresh machine.
      const workspace = tempDir('cs-ws-')
      const runnerTemp = tempDir('cs-temp-')
      const inputs = { package: PKG, channel: 'dev', 'companion-packages': API, 'index-url': devIndex.indexUrl, 'wheels-dir': 'wheels', 'replay-command': 'true' }
      const first = await world.run(inputs, { workspace, runnerTemp, env: cacheService.env() })
      assert.equal(first.outputs['wheels-cache-hit'], 'false', first.stdout)
      assert.ok(
        cacheService.entries.some((e) => e.archive && /^compat-sentinel-wheels-.*-demo-upstream-0\.11\.0\.dev3-[0-9a-f]{16}$/.test(e.key)),
        `saved: ${JSON.stringify(cacheService.log)}`,
      )

      fs.rmSync(path.join(workspace, 'wheels'), { recursive: true })
      const downloads = devIndex.count(/^\/files\//)
      const second = await world.run(inputs, { workspace, runnerTemp, env: cacheService.env() })
      assert.equal(second.outputs.outcome, 'compatible', second.stdout)
      assert.equal(second.outputs['wheels-cache-hit'], 'true')
      assert.equal(second.result.wheels.cacheHit, true)
      assert.equal(devIndex.count(/^\/files\//), downloads, 'nothing downloaded from the index')
      assert.deepEqual(fs.readdirSync(path.join(workspace, 'wheels')).sort(), [`demo_upstream-${DEV}-py3-none-any.whl`, `demo_upstream_api-${DEV}-py3-none-any.whl`])
      assert.match(second.stdout, /Restored 2 files from the Actions cache/)
    } finally {
      await cacheService.close()
    }
  })

  test('files already verified in wheels-dir are not downloaded again', async () => {
    const ws = tempDir('cs-ws-')
    const inputs = { package: PKG, channel: 'dev', 'index-url': devIndex.indexUrl, 'wheels-dir': 'w', 'replay-command': 'true' }
    await world.run(inputs, { workspace: ws })
    const before = devIndex.count(/^\/files\//)
    const r = await world.run(inputs, { workspace: ws })
    assert.equal(r.outputs.outcome, 'compatible')
    assert.equal(devIndex.count(/^\/files\//), before)
    assert.match(r.stdout, /All 1 files were already in/)
  })
})

describe('which files are fetched', () => {
  const here = currentPlatform()
  const platforms = ['manylinux_2_17_x86_64', 'manylinux_2_17_aarch64', 'musllinux_1_1_x86_64', 'macosx_11_0_arm64', 'macosx_10_9_x86_64', 'win_amd64', 'win_arm64']
  const server = new IndexServer()
  before(async () => {
    await server.start()
    server.add('native', ...platforms.map((p) => wheel('native', '2.0.0.dev1', { platform: p })), sdist('native', '2.0.0.dev1'))
    server.add('sdist-only', sdist('sdist-only', '1.0.0.dev1'))
    server.add('foreign', wheel('foreign', '1.0.0.dev1', { platform: 'win_arm64' }))
    server.add('big', wheel('big', '1.0.0.dev1', { padding: 4_000_000 }), wheel('big', '1.0.0.dev1', { platform: 'manylinux_2_17_x86_64', padding: 10 }))
  })
  after(() => server.close())

  test('platform filtering picks only the wheels for this OS and CPU', async () => {
    const r = await world.run({ package: 'native', channel: 'dev', 'index-url': server.indexUrl, 'replay-command': 'true' })
    const fitting = platforms.filter((p) => wheelFits(`native-2.0.0.dev1-py3-none-${p}.whl`, here)).map((p) => `native-2.0.0.dev1-py3-none-${p}.whl`)
    assert.ok(fitting.length >= 1, 'this runner is one of the mapped platforms')
    assert.deepEqual(r.result.wheels.files, fitting)
    assert.deepEqual(fs.readdirSync(r.outputs['wheels-dir']!), fitting)
    assert.equal(server.count(/^\/files\/native-/), fitting.length, 'no other file downloaded')
  })

  test('an sdist-only release fetches the sdist, as stored where its server declares it gzip-encoded', async () => {
    // Apache's AddEncoding: the .tar.gz is sent as it is, with `Content-Encoding: gzip`. Decoding
    // it would leave a .tar whose sha256 is not the index's.
    server.inject(/^\/files\/sdist_only-.*\.tar\.gz$/, { headers: { 'content-encoding': 'gzip' } })
    const r = await world.run({ package: 'sdist-only', channel: 'dev', 'index-url': server.indexUrl, 'replay-command': 'true' })
    server.clearFaults()
    assert.equal(r.outputs.outcome, 'compatible', r.stdout)
    assert.deepEqual(fs.readdirSync(r.outputs['wheels-dir']!), ['sdist_only-1.0.0.dev1.tar.gz'])
    const file = fs.readFileSync(path.join(r.outputs['wheels-dir']!, 'sdist_only-1.0.0.dev1.tar.gz'))
    assert.deepEqual([file[0], file[1]], [0x1f, 0x8b], 'still gzip on disk')
    assert.deepEqual(
      server.requests.filter((q) => q.path.startsWith('/files/sdist_only-')).map((q) => q.acceptEncoding),
      ['identity'],
    )
  })

  test('a file answered with no body (204) or a status outside 200-599: an error naming the status, nothing kept', async () => {
    // Downloads read the answer as undici's request() gives it: a 204's dropped body and a status
    // a Response cannot hold (999) were each an "unexpected internal error".
    for (const status of [204, 999]) {
      server.inject(/^\/files\/sdist_only-/, { status })
      const r = await world.run({ package: 'sdist-only', channel: 'dev', 'index-url': server.indexUrl, 'replay-command': 'true' }, { env: { COMPAT_SENTINEL_HTTP_BACKOFF_MS: '10' } })
      server.clearFaults()
      assertErrorRun(r, new RegExp(`Downloading sdist_only-1\\.0\\.0\\.dev1\\.tar\\.gz failed: HTTP ${status} for http://127\\.0\\.0\\.1:\\d+/files/sdist_only-1\\.0\\.0\\.dev1\\.tar\\.gz`))
      assert.doesNotMatch(r.stdout, /internal error/)
      assert.deepEqual(fs.readdirSync(path.join(r.runnerTemp, 'compat-sentinel', 'wheels')), [], 'nothing left in wheels-dir')
    }
  })

  test('no wheel for this runner and no sdist is an error', async () => {
    const r = await world.run({ package: 'foreign', channel: 'dev', 'index-url': server.indexUrl, 'replay-command': 'true' })
    assertErrorRun(r, new RegExp(`foreign 1\\.0\\.0\\.dev1 has no wheel for this runner \\(${here.os}/${here.arch}\\) and no sdist`))
  })

  test('a wrong hash from the index: error, and the folder holds nothing', async () => {
    server.inject(/^\/simple\/big\/$/, { wrongHash: true }, 1)
    const r = await world.run({ package: 'big', channel: 'dev', 'index-url': server.indexUrl, 'replay-command': 'true' })
    // Both wheels fit and both hashes are wrong: whichever finishes first is reported.
    assertErrorRun(r, /sha256 mismatch for http:\/\/127\.0\.0\.1:\d+\/files\/big-1\.0\.0\.dev1-py3-none-\S+\.whl: expected [0-9a-f]{64}, got/)
    assert.deepEqual(fs.readdirSync(path.join(r.runnerTemp, 'compat-sentinel', 'wheels')), [], 'no unverified or partial file')
    assert.equal(r.outputs['replay-result'], 'skipped')
  })

  test('the server dies mid-download: error naming the file, no partial file', async () => {
    const dying = new IndexServer()
    await dying.start()
    dying.add('big', wheel('big', '1.0.0.dev1', { padding: 4_000_000 }))
    // The first download is cut after 100 kB, then the server is gone for the retries.
    dying.inject(/^\/files\//, { truncateAt: 100_000 }, 1)
    const watcher = setInterval(() => {
      if (dying.count(/^\/files\//) > 0) {
        clearInterval(watcher)
        void dying.close()
      }
    }, 5)
    const r = await world.run({ package: 'big', channel: 'dev', 'index-url': dying.indexUrl, 'replay-command': 'true' })
    clearInterval(watcher)
    assertErrorRun(r, /Downloading big-1\.0\.0\.dev1-py3-none-any\.whl failed: could not reach http:\/\/127\.0\.0\.1:\d+\/files\/big-1\.0\.0\.dev1-py3-none-any\.whl/)
    assert.deepEqual(fs.readdirSync(path.join(r.runnerTemp, 'compat-sentinel', 'wheels')), [], 'nothing left in wheels-dir')
  })

  test('a wheels-dir that cannot be written is an error naming it', async () => {
    const ws = tempDir('cs-ws-')
    fs.writeFileSync(path.join(ws, 'a-file'), '')
    const r = await world.run({ package: 'sdist-only', channel: 'dev', 'index-url': server.indexUrl, 'wheels-dir': 'a-file/wheels', 'replay-command': 'true' }, { workspace: ws })
    assertErrorRun(r, /'wheels-dir' .*a-file\/wheels is not a writable folder/)
  })
})

describe('prefetch-wheels auto (pure)', () => {
  const cases: [string, string, boolean][] = [
    ['auto', 'https://pypi.org/simple/', false],
    ['auto', 'https://pypi.org/simple', false],
    ['auto', 'https://test.pypi.org/simple/', true],
    ['auto', 'http://127.0.0.1:8080/simple/', true],
    ['true', 'https://pypi.org/simple/', true],
    ['false', 'https://test.pypi.org/simple/', false],
  ]
  for (const [mode, url, expected] of cases) {
    test(`${mode} with ${url} → ${expected}`, () => assert.equal(shouldPrefetch(mode as 'auto', url), expected))
  }
})
