// uv's package cache across runs, end to end: the real uv fills it in one run, the loopback
// Actions cache service keeps it, and the next run on a "fresh runner" (new RUNNER_TEMP and
// workspace) installs the upstream without downloading it again.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { World } from './harness/world'
import { CacheServer } from './harness/cache-server'
import { wheel } from './harness/dists'
import { tempDir } from './harness/action'
import { assertErrorRun } from './harness/assertions'
import { currentPlatform } from '../src/core/platform'

const PKG = 'demo-upstream'
let world: World
let cache: CacheServer
/** Entries of uv's cache (each run also saves its history, which is not what these tests count). */
const uvEntries = () => cache.entries.filter((e) => !e.key.startsWith('compat-sentinel-history-')).length

before(async () => {
  world = await new World().start()
  world.server.add(PKG, wheel(PKG, '1.0.0'), wheel(PKG, '1.1.0'))
  cache = await new CacheServer().start()
})
after(async () => {
  await world.close()
  await cache.close()
})

/** uv offline but for the loopback index; no UV_CACHE_DIR, so the action chooses it. */
const uvEnv = () => ({ UV_DEFAULT_INDEX: world.server.indexUrl, UV_PYTHON_DOWNLOADS: 'never', UV_NO_CONFIG: '1', UV_CACHE_DIR: undefined, ...cache.env() })
const replay = `uv run --no-project --with "${PKG}==$UPSTREAM_VERSION" python -c "import demo_upstream"`
const wheelDownloads = () => world.server.count(/\.whl$/)
const { os, arch } = currentPlatform()
// A runner's RUNNER_TEMP has the same path every run (the cache entry's version hashes the paths),
// but starts empty: so one path, emptied before each run.
const runnerTemp = path.join(tempDir('cs-rt-'), '_temp')
const freshRunner = () => {
  fs.rmSync(runnerTemp, { recursive: true, force: true })
  return { env: uvEnv(), runnerTemp, workspace: tempDir('cs-ws-') }
}

describe("uv's cache across runs", () => {
  test('first run: cold, uv fills the cache in RUNNER_TEMP, saved under the leg and version', async () => {
    const before = wheelDownloads()
    const r = await world.run({ package: PKG, 'prefetch-wheels': 'false', 'replay-command': replay }, freshRunner())
    assert.equal(r.outputs.outcome, 'compatible', r.stdout + r.result?.replay?.logTail)
    assert.equal(r.outputs['uv-cache-hit'], 'false')
    assert.ok(wheelDownloads() > before, 'uv downloaded the wheel')
    assert.equal(r.exportedEnv.UV_CACHE_DIR, path.join(r.runnerTemp, 'compat-sentinel', 'uv-cache'), 'the commands and later steps see it')
    const key = `compat-sentinel-uv-v1-${os}-${arch}-${PKG}-stable-none-1.1.0`
    assert.ok(
      cache.entries.some((e) => e.key === key && e.archive),
      `saved as ${key}: ${cache.entries.map((e) => e.key).join(', ')}`,
    )
    assert.equal(r.result.uvCache.hit, false)
    assert.ok(r.result.uvCache.savedBytes > 0)
    assert.match(r.summary, /uv cache \| cold \(no entry yet\); saved \d/)
  })

  test('second run on a fresh runner: restored, uv downloads nothing, not saved again', async () => {
    const before = wheelDownloads()
    const entries = uvEntries()
    const r = await world.run({ package: PKG, 'prefetch-wheels': 'false', 'replay-command': replay }, freshRunner())
    assert.equal(r.outputs.outcome, 'compatible', r.stdout + r.result?.replay?.logTail)
    assert.equal(r.outputs['uv-cache-hit'], 'true')
    assert.equal(wheelDownloads() - before, 0, 'the wheel came from the restored cache')
    assert.equal(uvEntries(), entries, 'an exact hit is not saved again')
    assert.ok(r.result.uvCache.restoredBytes > 0)
    assert.match(r.stdout, /Restored uv's cache \(.+\) from compat-sentinel-uv-v1-/)
  })

  test('a dependency file of the consumer changes the key', async () => {
    const workspace = tempDir('cs-ws-')
    fs.writeFileSync(path.join(workspace, 'requirements-dev.txt'), 'pytest\n')
    const r = await world.run({ package: PKG, 'prefetch-wheels': 'false', 'replay-command': 'true' }, { env: uvEnv(), workspace })
    assert.equal(r.outputs.outcome, 'compatible', r.stdout)
    assert.match(r.result.uvCache.key, new RegExp(`-${PKG}-stable-[0-9a-f]{16}-1\\.1\\.0$`))
  })

  test("cache-uv false: uv's cache is left alone", async () => {
    const entries = uvEntries()
    const r = await world.run({ package: PKG, 'prefetch-wheels': 'false', 'cache-uv': 'false', 'replay-command': replay }, { env: uvEnv() })
    assert.equal(r.outputs.outcome, 'compatible', r.stdout)
    assert.equal(r.outputs['uv-cache-hit'], 'false')
    assert.equal(r.exportedEnv.UV_CACHE_DIR, undefined)
    assert.equal(uvEntries(), entries)
    assert.match(r.summary, /uv cache \| not kept across runs/)
  })

  test('a pattern that climbs out of working-directory is refused', async () => {
    const r = await world.run({ package: PKG, 'cache-dependency-glob': '../../etc/**', 'replay-command': 'true' }, { env: uvEnv() })
    assertErrorRun(r, /cache-dependency-glob.*relative to 'working-directory'/)
  })
})
