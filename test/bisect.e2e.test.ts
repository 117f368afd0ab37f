// First bad build, end to end: a loopback index with 12 dev builds of a tiny real wheel, a
// consumer whose replay breaks from the 8th build on, and a history (in the loopback Actions
// cache) that knows the 3rd was good. Runs of dist/index.js, as nightlies of one repository.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { World } from './harness/world'
import { IndexServer } from './harness/index-server'
import { CacheServer } from './harness/cache-server'
import { wheel } from './harness/dists'
import { MAIN_OUTPUTS, tempDir, type RunResult } from './harness/action'

const PKG = 'bisect-upstream'
const build = (n: number) => `1.0.0.dev${n}`
// One build a day, the 12th yesterday.
const uploaded = (n: number) => `${new Date(Date.now() - (13 - n) * 86_400_000).toISOString().slice(0, 10)}T06:00:00Z`
// Breaks from the 8th build on; each replay (probes included) leaves its version in replays.log,
// and record leaves its version in record.log: record must run only for the tested build.
const REPLAY = 'echo "$UPSTREAM_VERSION" >> replays.log; n=${UPSTREAM_VERSION##*dev}; if [ "$n" -ge 8 ]; then echo "RuntimeError: broken by $UPSTREAM_VERSION"; exit 1; fi'
const RECORD = 'echo "$UPSTREAM_VERSION" >> record.log; exit 1'

let world: World
let cache: CacheServer
let runId = 500

before(async () => {
  world = await new World().start()
  cache = await new CacheServer().start()
})
after(async () => {
  await world.close()
  await cache.close()
})

/** Publishes builds from..to on the dev index (the 9th, when `missingWheel9`, only for another platform). */
function publish(index: IndexServer, from: number, to: number, opts: { missingWheel9?: boolean } = {}): void {
  for (let i = from; i <= to; i++) {
    const file = i === 9 && opts.missingWheel9 ? wheel(PKG, build(i), { platform: 'win_arm64' }) : wheel(PKG, build(i))
    index.add(PKG, { ...file, uploadTime: uploaded(i) })
  }
}

/** A dev index (the history is per index URL, so one index serves a repository's nights). */
async function devIndex(builds: number, opts: { missingWheel9?: boolean } = {}): Promise<IndexServer> {
  const index = await new IndexServer().start()
  publish(index, 1, builds, opts)
  return index
}

/** One repository's nightlies: the same runner folders, one leg's history in the cache. */
function repository() {
  const dir = tempDir('cs-bisect-')
  const m = { workspace: path.join(dir, 'workspace'), runnerTemp: path.join(dir, 'temp') }
  fs.mkdirSync(m.workspace, { recursive: true })
  const lines = (f: string) => (fs.existsSync(path.join(m.workspace, f)) ? fs.readFileSync(path.join(m.workspace, f), 'utf8').trim().split('\n').filter(Boolean) : [])
  return {
    m,
    /** The lines a command appended to this file of the workspace ([] when none). */
    lines,
    replays: () => lines('replays.log'),
    records: () => lines('record.log'),
    clear: () => {
      for (const f of ['replays.log', 'record.log']) fs.rmSync(path.join(m.workspace, f), { force: true })
    },
    async nightly(index: IndexServer, inputs: Record<string, string> = {}): Promise<RunResult> {
      runId++
      const r = await world.run(
        { package: PKG, channel: 'dev', 'index-url': index.indexUrl, 'replay-command': REPLAY, 'record-command': RECORD, 'cache-wheels': 'false', 'cache-uv': 'false', bisect: 'true', ...inputs },
        { ...m, env: { ...cache.env(), GITHUB_RUN_ID: String(runId), GITHUB_RUN_ATTEMPT: '1', GITHUB_EVENT_NAME: 'schedule' } },
      )
      for (const o of MAIN_OUTPUTS) assert.ok(o in r.outputs, `output ${o} is set`)
      return r
    },
  }
}

describe('first bad build', () => {
  test('12 builds, 3rd good: the 8th is found exactly in at most 4 probes; record never runs for a probe; the next run does not probe again', async () => {
    const repo = repository()
    const index = await devIndex(3)
    try {
      const good = await repo.nightly(index, { leg: 'dev-a' })
      assert.equal(good.outputs.outcome, 'compatible', good.stdout)
      repo.clear()
      publish(index, 4, 12)
      const r = await repo.nightly(index, {
        leg: 'dev-a',
        'cache-wheels': 'true',
        'compare-url-template': 'https://github.com/org/upstream/compare/v{good}...v{bad}',
        'install-command': 'echo "$UPSTREAM_VERSION" >> installs.log',
      })
      assert.equal(r.outputs.outcome, 'incompatible', r.stdout)
      // Each probe installs its build; then the tested build is installed again, for later steps.
      const installs = repo.lines('installs.log')
      assert.equal(installs.at(-1), build(12), `installed last: ${installs.join(', ')}`)
      assert.equal(installs.length, Number(r.outputs['bisect-probes']) + 2, 'the run, each probe, and the tested build again')
      assert.equal(r.outputs.version, build(12))
      assert.equal(r.outputs['first-bad-version'], build(8))
      assert.equal(r.outputs['last-good-version'], build(7))
      assert.equal(r.outputs['bisect-exact'], 'true')
      const probes = Number(r.outputs['bisect-probes'])
      assert.ok(probes >= 1 && probes <= Math.ceil(Math.log2(9)), `probes: ${probes}`)
      assert.deepEqual(repo.records(), [build(12)], 'record ran once, for the tested build only')
      const wheelEntries = cache.entries.filter((e) => e.key.startsWith('compat-sentinel-wheels-')).map((e) => e.key)
      assert.ok(wheelEntries.length === 1 && wheelEntries[0]!.includes(build(12)), `only the tested build's wheels are cached, no entry per probe: ${wheelEntries.join(', ')}`)
      assert.equal(repo.replays().length, 1 + probes, 'one replay per probe, plus the run itself')
      assert.equal(r.result.bisect.probes.length, probes)
      for (const p of r.result.bisect.probes) {
        assert.match(p.version, /^1\.0\.0\.dev([4-9]|1[01])$/, 'only builds strictly between last good and tested')
        assert.equal(p.result, Number(p.version.split('dev')[1]) >= 8 ? 'bad' : 'good')
        assert.equal(p.uploadTime.slice(0, 10), uploaded(Number(p.version.split('dev')[1])).slice(0, 10))
        assert.ok(p.durationMs >= 0)
      }
      assert.match(r.summary, new RegExp(`first bad build: 1\\.0\\.0\\.dev8 \\(uploaded ${uploaded(8).slice(0, 10)}\\); last good: 1\\.0\\.0\\.dev7`))
      assert.match(r.summary, /\[Compare 1\.0\.0\.dev7\.\.\.1\.0\.0\.dev8\]\(https:\/\/github\.com\/org\/upstream\/compare\/v1\.0\.0\.dev7\.\.\.v1\.0\.0\.dev8\)/)
      const slack = JSON.parse(r.outputs['slack-payload']!)
      assert.equal(slack.first_bad_version, build(8))
      assert.equal(slack.compare_url, 'https://github.com/org/upstream/compare/v1.0.0.dev7...v1.0.0.dev8')

      // The next night, nothing new: the history holds the probes, so nothing is probed again.
      repo.clear()
      const again = await repo.nightly(index, { leg: 'dev-a' })
      assert.equal(again.outputs['first-bad-version'], build(8))
      assert.equal(again.outputs['bisect-exact'], 'true')
      assert.equal(again.outputs['bisect-probes'], '0')
      assert.deepEqual(repo.replays(), [build(12)], 'only the run itself replayed')
      assert.match(again.summary, /No probe was needed/)
    } finally {
      await index.close()
    }
  })

  test('a build whose wheel is missing is skipped, and the search goes on with its neighbours', async () => {
    const repo = repository()
    const index = await devIndex(3)
    try {
      await repo.nightly(index, { leg: 'dev-b' })
      publish(index, 4, 12, { missingWheel9: true })
      const r = await repo.nightly(index, { leg: 'dev-b', 'bisect-max-probes': '10' })
      assert.equal(r.outputs.outcome, 'incompatible', r.stdout)
      const results = Object.fromEntries(r.result.bisect.probes.map((p: { version: string; result: string }) => [p.version, p.result]))
      // The search reaches the 9th (the middle of 7..12) and, unable to install it, takes its neighbour.
      assert.equal(results[build(9)], 'not-installable')
      assert.equal(r.outputs['first-bad-version'], build(8))
      assert.equal(r.outputs['last-good-version'], build(7))
      assert.ok(!repo.replays().includes(build(9)), 'the missing build never reached the replay')
    } finally {
      await index.close()
    }
  })

  test('a budget that runs out gives the narrowed range, not exact', async () => {
    const repo = repository()
    const index = await devIndex(3)
    try {
      await repo.nightly(index, { leg: 'dev-c' })
      publish(index, 4, 12)
      // Each replay takes over a second; the budget fits one probe.
      const r = await repo.nightly(index, { leg: 'dev-c', 'replay-command': `sleep 1.2; ${REPLAY}`, 'bisect-timeout-minutes': '0.04' })
      assert.equal(r.outputs.outcome, 'incompatible', r.stdout)
      assert.equal(r.outputs['bisect-exact'], 'false')
      assert.ok(Number(r.outputs['bisect-probes']) < 3, r.outputs['bisect-probes'])
      const first = Number(r.outputs['first-bad-version']!.split('dev')[1])
      const last = Number(r.outputs['last-good-version']!.split('dev')[1])
      assert.ok(last < 8 && first >= 8 && first - last > 1, `range ${last}..${first}`)
      assert.match(r.summary, /A range, not exact: .*time ran out/)
    } finally {
      await index.close()
    }
  })

  test('replay attempts of a probe share the budget: no attempt runs past it', async () => {
    const repo = repository()
    // The 7th was good: every build probed (8 to 11) is bad.
    const index = await devIndex(7)
    try {
      await repo.nightly(index, { leg: 'dev-e' })
      publish(index, 8, 12)
      repo.clear()
      // Each attempt takes 2 s and a bad build fails all 3; the budget is 3 s. Each attempt once
      // got what was left at the probe's start, so the first probe ran three times as long.
      const r = await repo.nightly(index, { leg: 'dev-e', 'replay-attempts': '3', 'replay-command': `echo "$UPSTREAM_VERSION" >> started.log; sleep 2; ${REPLAY}`, 'bisect-timeout-minutes': '0.05' })
      assert.equal(r.outputs.outcome, 'incompatible', r.stdout)
      const started = repo.lines('started.log')
      const probeAttempts = started.filter((v) => v !== build(12))
      assert.equal(started.length - probeAttempts.length, 3, 'the run itself made its 3 attempts')
      assert.ok(probeAttempts.length <= 2, `attempts started within a 3 s budget: ${probeAttempts.join(', ')}`)
      const bisected = Number(/::group::First bad build\n[\s\S]*?stage took (\d+) ms/.exec(r.stdout)![1])
      assert.ok(bisected < 3000 + 2000, `bisection took ${bisected} ms for a 3 s budget`)
      assert.equal(r.outputs['bisect-exact'], 'false')
      assert.match(r.summary, /A range, not exact: .*time ran out/)
    } finally {
      await index.close()
    }
  })

  test('an install the budget cuts short in a probe: said so in seconds, not counted; the tested build installed again', async () => {
    const repo = repository()
    // The 7th was good; the builds after it install slowly but for the tested (12th) one.
    const index = await devIndex(7)
    try {
      await repo.nightly(index, { leg: 'dev-f' })
      publish(index, 8, 12)
      repo.clear()
      const install = `echo "$UPSTREAM_VERSION" >> installs.log; if [ "$UPSTREAM_VERSION" != "${build(12)}" ]; then sleep 30; fi`
      const r = await repo.nightly(index, { leg: 'dev-f', 'install-command': install, 'bisect-timeout-minutes': '0.1' })
      assert.equal(r.outputs.outcome, 'incompatible', r.stdout)
      assert.equal(r.outputs['bisect-probes'], '0', 'the probe cut short is not kept')
      assert.match(r.summary, /A range, not exact: .*time ran out/)
      // The install got what was left of a 6 s budget, and the log says that, not "0.0998833 min".
      assert.match(r.stdout, /compat-sentinel: install exceeded \d(\.\d)? s; stopping all its processes/)
      assert.doesNotMatch(r.stdout, /exceeded \d+\.\d{3,}/)
      assert.match(r.stdout, /Install of 1\.0\.0\.dev\d+ stopped when the time left ran out \(bisect-timeout-minutes\), not at its own timeout: not counted/)
      const installs = repo.lines('installs.log')
      assert.equal(installs[0], build(12), 'the run itself')
      assert.ok(installs.length <= 3, `the run, at most one probe, the run again: ${installs.join(', ')}`)
      assert.equal(installs.at(-1), build(12), 'later steps find the tested build installed')
    } finally {
      await index.close()
    }
  })

  test('a probe whose prefetch used up the budget starts no command', async () => {
    const repo = repository()
    const index = await devIndex(7)
    try {
      await repo.nightly(index, { leg: 'dev-g' })
      publish(index, 8, 12)
      repo.clear()
      // The probed builds' wheels answer after 4 s; the budget is 3 s.
      index.inject(/^\/files\/bisect_upstream-1\.0\.0\.dev(8|9|10|11)-/, { delayMs: 4000 })
      const r = await repo.nightly(index, { leg: 'dev-g', 'install-command': 'echo "$UPSTREAM_VERSION" >> installs.log', 'bisect-timeout-minutes': '0.05' })
      assert.equal(r.outputs.outcome, 'incompatible', r.stdout)
      assert.equal(r.outputs['bisect-probes'], '0', 'the probe cut short is not kept')
      assert.deepEqual(repo.replays(), [build(12)], 'no replay started for the probe')
      const installs = repo.lines('installs.log')
      assert.deepEqual(installs, [build(12), build(12)], 'the run installed, then installed again after the probe; the probe installed nothing')
      assert.match(r.stdout, /No time left for Install of 1\.0\.0\.dev\d+ before the deadline \(bisect-timeout-minutes\): not counted/)
      assert.match(r.summary, /A range, not exact: .*time ran out/)
    } finally {
      await index.close()
    }
  })

  test('no history: no bisection, and the summary says why', async () => {
    const repo = repository()
    const index = await devIndex(12)
    try {
      const r = await repo.nightly(index, { leg: 'dev-d', history: 'false' })
      assert.equal(r.outputs.outcome, 'incompatible', r.stdout)
      assert.equal(r.outputs['bisect-probes'], '0')
      assert.equal(r.outputs['bisect-exact'], 'false')
      assert.deepEqual(repo.replays(), [build(12)])
      assert.match(r.summary, /no bisection: the history of this leg has no compatible run yet/)
    } finally {
      await index.close()
    }
  })
})
