// Where features meet, end to end through dist/index.js: a cancellation and the history, a
// cancellation and the phases still to come, bisection probes and the step's command files.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { World } from './harness/world'
import { CacheServer } from './harness/cache-server'
import { wheel } from './harness/dists'
import { MAIN_OUTPUTS, tempDir, type RunOptions, type RunResult } from './harness/action'

const PKG = 'review-upstream'
let world: World
let cache: CacheServer
let runId = 900

before(async () => {
  world = await new World().start()
  cache = await new CacheServer().start()
  for (const n of [1, 2, 3, 4, 5]) world.server.add(PKG, wheel(PKG, `1.0.0.dev${n}`))
})
after(async () => {
  await world.close()
  await cache.close()
})

function machine() {
  const dir = tempDir('cs-review-')
  const m = { workspace: path.join(dir, 'workspace'), runnerTemp: path.join(dir, 'temp') }
  fs.mkdirSync(m.workspace, { recursive: true })
  return m
}

async function nightly(m: ReturnType<typeof machine>, inputs: Record<string, string>, opts: RunOptions = {}): Promise<RunResult> {
  runId++
  const r = await world.run(
    { package: PKG, channel: 'dev', 'cache-wheels': 'false', 'cache-uv': 'false', ...inputs },
    { ...m, ...opts, env: { ...cache.env(), GITHUB_RUN_ID: String(runId), GITHUB_RUN_ATTEMPT: '1', GITHUB_EVENT_NAME: 'schedule', COMPAT_SENTINEL_KILL_GRACE_MS: '300', ...opts.env } },
  )
  for (const o of MAIN_OUTPUTS) assert.ok(o in r.outputs, `output ${o} is set`)
  return r
}

/** Sends `signal` to the action once `file` in the workspace has content. */
function signalWhen(workspace: string, file: string, signal: NodeJS.Signals = 'SIGTERM'): (pid: number) => void {
  return (pid) => {
    const poll = setInterval(() => {
      const f = path.join(workspace, file)
      if (fs.existsSync(f) && fs.readFileSync(f, 'utf8').trim()) {
        clearInterval(poll)
        process.kill(pid, signal)
      }
    }, 20)
  }
}

describe('a cancelled run', () => {
  test('cancelled during record: an error result, and the history is left as it was (a cancellation is no verdict)', async () => {
    const m = machine()
    const first = await nightly(m, { leg: 'cancel-record', 'replay-command': 'exit 0' })
    assert.equal(first.outputs.outcome, 'compatible', first.stdout)
    fs.mkdirSync(path.join(m.workspace, 'fixtures'))
    fs.writeFileSync(path.join(m.workspace, 'fixtures', 'a.json'), '{}')
    const r = await nightly(
      m,
      { leg: 'cancel-record', 'replay-command': 'exit 1', 'record-command': 'echo started > record.started; sleep 300', 'fixtures-path': 'fixtures' },
      { onStart: signalWhen(m.workspace, 'record.started') },
    )
    assert.equal(r.outputs.outcome, 'error', r.stdout)
    assert.match(r.outputs.summary!, /cancelled \(SIGTERM\)/)
    assert.match(r.stdout, /This run was cancelled: the history is left as it was/)
    const next = await nightly(m, { leg: 'cancel-record', 'replay-command': 'exit 0' })
    assert.equal(next.outputs['previous-outcome'], 'compatible', 'the cancelled run is not remembered')
    assert.equal(next.outputs['status-changed'], 'false', 'so no "recovered" alert follows a cancellation')
  })

  test('cancelled during the replay: record never starts afterwards (it would spend money for a cancelled run)', async () => {
    const m = machine()
    const r = await nightly(
      m,
      { leg: 'cancel-replay', 'replay-command': 'echo started > replay.started; sleep 300', 'record-command': 'echo ran > record.ran' },
      { onStart: signalWhen(m.workspace, 'replay.started') },
    )
    assert.equal(r.outputs.outcome, 'error', r.stdout)
    assert.match(r.outputs.summary!, /cancelled \(SIGTERM\) before the run finished/)
    // The action exits once published; give a record that did start time to show itself.
    await new Promise((resolve) => setTimeout(resolve, 1000))
    assert.ok(!fs.existsSync(path.join(m.workspace, 'record.ran')), 'record ran after the cancellation')
  })
})

describe('bisection probes', () => {
  test("a probe's GITHUB_OUTPUT and GITHUB_ENV do not overwrite what the tested build's replay passed on", async () => {
    const m = machine()
    // Writes the version it tested for later steps; breaks from dev4 on.
    const replay = 'echo "tested=$UPSTREAM_VERSION" >> "$GITHUB_OUTPUT"; echo "TESTED=$UPSTREAM_VERSION" >> "$GITHUB_ENV"; n=${UPSTREAM_VERSION##*dev}; [ "$n" -lt 4 ]'
    const good = await nightly(m, { leg: 'probe-files', 'replay-command': replay, version: '1.0.0.dev1', channel: 'dev' })
    assert.equal(good.outputs.outcome, 'compatible', good.stdout)
    const r = await nightly(m, { leg: 'probe-files', 'replay-command': replay, bisect: 'true' })
    assert.equal(r.outputs.outcome, 'incompatible', r.stdout)
    assert.ok(Number(r.outputs['bisect-probes']) >= 1, r.stdout)
    assert.equal(r.outputs.version, '1.0.0.dev5')
    assert.equal(r.outputs.tested, '1.0.0.dev5', 'later steps read the tested build, not the last probe')
    assert.equal(r.exportedEnv.TESTED, '1.0.0.dev5')
  })
})

describe('bisection and the history', () => {
  test('a last good version newer than the tested one (it was yanked): no bisection claims an exact first bad build older than the last good', async () => {
    const { IndexServer } = await import('./harness/index-server')
    const index = await new IndexServer().start()
    try {
      for (const n of [1, 2, 3, 4]) index.add(PKG, wheel(PKG, `1.0.0.dev${n}`))
      const m = machine()
      const replay = 'n=${UPSTREAM_VERSION##*dev}; [ "$n" -ge 4 ]'
      const good = await nightly(m, { leg: 'yanked-good', 'index-url': index.indexUrl, 'replay-command': replay, bisect: 'true' })
      assert.equal(good.outputs.outcome, 'compatible', good.stdout)
      assert.equal(good.outputs.version, '1.0.0.dev4')
      for (const f of index.projects.get(PKG)!) if (f.filename.includes('dev4')) f.yanked = 'broken build'
      const r = await nightly(m, { leg: 'yanked-good', 'index-url': index.indexUrl, 'replay-command': replay, bisect: 'true' })
      assert.equal(r.outputs.outcome, 'incompatible', r.stdout)
      assert.equal(r.outputs.version, '1.0.0.dev3')
      assert.equal(r.outputs['bisect-exact'], 'false', 'nothing was searched: no exact answer')
      assert.equal(r.outputs['bisect-probes'], '0')
      assert.doesNotMatch(r.summary, /first bad build: 1\.0\.0\.dev3/)
      assert.match(r.summary, /no bisection: the last good version 1\.0\.0\.dev4 is not older than the tested 1\.0\.0\.dev3/)
    } finally {
      await index.close()
    }
  })
})

describe('the issue sub-action and result files it did not expect', () => {
  test('a result file with a malformed bisect object (or no run): the issue is still written, not an internal error', async () => {
    const { GitHubServer } = await import('./harness/github-server')
    const { resultOf } = await import('./harness/results')
    const { ISSUE, runAction } = await import('./harness/action')
    const gh = await new GitHubServer().start()
    try {
      const run = { repository: 'org/repo', ref: 'refs/heads/main', sha: 'abc', url: 'https://github.com/org/repo/actions/runs/1' }
      const legs: Record<string, unknown>[] = [
        { ...resultOf('incompatible', { run, leg: 'odd-bisect' }), bisect: { firstBadVersion: 7, probes: 'none' } },
        (({ run: _run, ...rest }) => rest)(resultOf('incompatible', { run, leg: 'no-run', channel: 'stable' })),
      ]
      const workspace = tempDir('cs-issue-')
      legs.forEach((leg, i) => {
        fs.mkdirSync(path.join(workspace, `leg-${i}`), { recursive: true })
        fs.writeFileSync(path.join(workspace, `leg-${i}/compat-sentinel-result-${i}.json`), JSON.stringify(leg))
      })
      const r = await runAction({ 'github-token': gh.token }, { entry: ISSUE, workspace, env: { GITHUB_API_URL: gh.url } })
      assert.doesNotMatch(r.stdout + r.summary, /unexpected internal error/)
      assert.equal(r.exitCode, 0, r.stdout)
      assert.equal(gh.issues.length, 2)
    } finally {
      await gh.close()
    }
  })
})

describe('bisection budget', () => {
  test('a probe cut short by the bisection budget is not a bad build: not reported, not remembered', async () => {
    const m = machine()
    const good = await nightly(m, { leg: 'budget-cut', 'replay-command': 'exit 0', version: '1.0.0.dev1' })
    assert.equal(good.outputs.outcome, 'compatible', good.stdout)
    // Only dev5 breaks; a good build takes 6 s, longer than the 3 s budget.
    const replay = 'n=${UPSTREAM_VERSION##*dev}; if [ "$n" -ge 5 ]; then exit 1; fi; sleep 6'
    const r = await nightly(m, { leg: 'budget-cut', 'replay-command': replay, bisect: 'true', 'bisect-timeout-minutes': '0.05' })
    assert.equal(r.outputs.outcome, 'incompatible', r.stdout)
    assert.deepEqual(
      r.result.bisect.probes.filter((p: { result: string }) => p.result === 'bad').map((p: { version: string }) => p.version),
      [],
      'a build the budget cut short was called bad',
    )
    assert.equal(r.outputs['first-bad-version'], '1.0.0.dev5')
    assert.equal(r.outputs['bisect-exact'], 'false')
    assert.match(r.summary, /time ran out/)
    // The next night, with time enough: the break is found where it is.
    const next = await nightly(m, { leg: 'budget-cut', 'replay-command': replay.replace('sleep 6', 'true'), bisect: 'true' })
    assert.equal(next.outputs['first-bad-version'], '1.0.0.dev5')
    assert.equal(next.outputs['last-good-version'], '1.0.0.dev4')
  })
})

describe('a run cancelled during a bisection probe', () => {
  test('the result is error with every output, the killed probe is not remembered as bad, and the next run bisects right', async () => {
    const m = machine()
    const good = await nightly(m, { leg: 'cancel-probe', 'replay-command': 'exit 0', version: '1.0.0.dev1' })
    assert.equal(good.outputs.outcome, 'compatible', good.stdout)
    // Only dev5 breaks; the probe of dev3 hangs until the runner cancels the step.
    const replay = 'n=${UPSTREAM_VERSION##*dev}; if [ "$n" -ge 5 ]; then exit 1; fi; if [ "$n" = 3 ]; then echo started > probe.started; sleep 300; fi'
    const r = await nightly(m, { leg: 'cancel-probe', 'replay-command': replay, bisect: 'true' }, { onStart: signalWhen(m.workspace, 'probe.started') })
    assert.equal(r.outputs.outcome, 'error', r.stdout)
    assert.match(r.outputs.summary!, /cancelled \(SIGTERM\) before the run finished/)
    assert.equal(r.exitCode, 1)
    fs.rmSync(path.join(m.workspace, 'probe.started'))
    const next = await nightly(m, { leg: 'cancel-probe', 'replay-command': replay.replace('sleep 300', 'true'), bisect: 'true' })
    assert.equal(next.outputs['first-bad-version'], '1.0.0.dev5', next.stdout)
    assert.equal(next.outputs['last-good-version'], '1.0.0.dev4')
    assert.equal(next.outputs['bisect-exact'], 'true')
  })
})

describe('a run cancelled while its history is restored', () => {
  test('SIGTERM during a slow history restore: still an error result with every output, not a bare kill', async () => {
    const slow = await new CacheServer().start()
    try {
      slow.hang = /^GET \/_apis\/artifactcache\/cache$/
      const m = machine()
      runId++
      const r = await world.run(
        { package: PKG, channel: 'dev', 'replay-command': 'exit 0', 'cache-wheels': 'false', 'cache-uv': 'false', leg: 'cancel-restore' },
        {
          ...m,
          env: { ...slow.env(), GITHUB_RUN_ID: String(runId), GITHUB_RUN_ATTEMPT: '1', GITHUB_EVENT_NAME: 'schedule' },
          onStart: (pid) => {
            const poll = setInterval(() => {
              if (slow.log.some((l) => l.startsWith('GET '))) {
                clearInterval(poll)
                process.kill(pid, 'SIGTERM')
              }
            }, 20)
          },
        },
      )
      for (const o of MAIN_OUTPUTS) assert.ok(o in r.outputs, `output ${o} is set\n${r.stdout}`)
      assert.equal(r.outputs.outcome, 'error')
      assert.match(r.outputs.summary!, /cancelled \(SIGTERM\) before the run finished/)
      assert.ok(r.result, 'the result file is written')
      assert.match(r.summary, /cancelled/)
    } finally {
      await slow.close()
    }
  })
})

describe('a cache service that never answers', () => {
  test('the wheels and uv caches do not hold the run up for ever: the run ends with its verdict', async () => {
    const hung = await new CacheServer().start()
    try {
      hung.hang = /^GET \/_apis\/artifactcache\/cache$/
      const m = machine()
      runId++
      const r = await world.run(
        { package: PKG, channel: 'dev', 'replay-command': 'exit 0', history: 'false', leg: 'hung-cache' },
        { ...m, killAfterMs: 100_000, env: { ...hung.env(), GITHUB_RUN_ID: String(runId), GITHUB_RUN_ATTEMPT: '1', GITHUB_EVENT_NAME: 'schedule', COMPAT_SENTINEL_HISTORY_TIMEOUT_MS: '1500' } },
      )
      assert.equal(r.signal, null, `ended by itself, not killed by the harness\n${r.stdout}`)
      assert.equal(r.outputs.outcome, 'compatible', r.stdout)
    } finally {
      await hung.close()
    }
  })
})

describe('bisection of a flaky suite', () => {
  test('replay-attempts applies to the probes too: a flaky first attempt does not make a good build bad', async () => {
    const m = machine()
    const good = await nightly(m, { leg: 'flaky-probe', 'replay-command': 'exit 0', version: '1.0.0.dev1' })
    assert.equal(good.outputs.outcome, 'compatible', good.stdout)
    // Each build's first replay fails (a flaky test); dev5 really breaks.
    const replay = 'n=${UPSTREAM_VERSION##*dev}; if [ "$n" -ge 5 ]; then exit 1; fi; if [ ! -e "tried-$n" ]; then touch "tried-$n"; echo "flaky failure"; exit 1; fi'
    const r = await nightly(m, { leg: 'flaky-probe', 'replay-command': replay, 'replay-attempts': '2', bisect: 'true' })
    assert.equal(r.outputs.outcome, 'incompatible', r.stdout)
    assert.equal(r.outputs['first-bad-version'], '1.0.0.dev5', r.stdout)
    assert.equal(r.outputs['last-good-version'], '1.0.0.dev4')
  })
})

describe('a probe that meets a network failure', () => {
  test('a build whose download failed for a moment is not remembered as not installable: the next night probes it', async () => {
    const { IndexServer } = await import('./harness/index-server')
    const index = await new IndexServer().start()
    try {
      for (const n of [1, 2, 3, 4, 5]) index.add(PKG, wheel(PKG, `1.0.0.dev${n}`))
      const m = machine()
      const replay = 'n=${UPSTREAM_VERSION##*dev}; [ "$n" -lt 3 ]'
      const good = await nightly(m, { leg: 'net-probe', 'index-url': index.indexUrl, 'replay-command': 'exit 0', version: '1.0.0.dev1' })
      assert.equal(good.outputs.outcome, 'compatible', good.stdout)
      // Tonight dev3's file cannot be downloaded (the file server answers 503 to every try).
      index.inject(/dev3.*\.whl$/, { status: 503 })
      const r = await nightly(m, { leg: 'net-probe', 'index-url': index.indexUrl, 'replay-command': replay, bisect: 'true' })
      assert.equal(r.outputs.outcome, 'incompatible', r.stdout)
      index.clearFaults()
      const next = await nightly(m, { leg: 'net-probe', 'index-url': index.indexUrl, 'replay-command': replay, bisect: 'true' })
      assert.equal(next.outputs['first-bad-version'], '1.0.0.dev3', next.stdout)
      assert.equal(next.outputs['last-good-version'], '1.0.0.dev2')
      assert.equal(next.outputs['bisect-exact'], 'true')
    } finally {
      await index.close()
    }
  })
})
