// Memory across runs, end to end: runs of dist/index.js one after another against a loopback index
// that changes between them and the loopback Actions cache service, the way nightly runs of one
// repository share a runner's folders (same workspace and temp path) and the repository's cache.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { World } from './harness/world'
import { CacheServer } from './harness/cache-server'
import { wheel } from './harness/dists'
import { MAIN_OUTPUTS, REPORT, runAction, tempDir, type RunResult } from './harness/action'
import { ROOT } from './harness/action'

const PKG = 'memo-upstream'
let world: World
let cache: CacheServer
let runId = 100

before(async () => {
  world = await new World().start()
  cache = await new CacheServer().start()
})
after(async () => {
  await world.close()
  await cache.close()
})

/** One runner machine: the folders every run of the repository gets again. */
function machine() {
  const dir = tempDir('cs-machine-')
  return { workspace: path.join(dir, 'workspace'), runnerTemp: path.join(dir, 'temp') }
}

/** A replay that fails for the versions named in the file `bad-versions` of the workspace. */
const REPLAY = 'if grep -qxF "$UPSTREAM_VERSION" bad-versions 2>/dev/null; then echo "broken by $UPSTREAM_VERSION"; exit 1; fi'

async function nightly(m: ReturnType<typeof machine>, inputs: Record<string, string>, env: Record<string, string> = {}): Promise<RunResult> {
  runId++
  const r = await world.run(
    { package: PKG, 'replay-command': REPLAY, 'cache-wheels': 'false', ...inputs },
    { ...m, env: { ...cache.env(), GITHUB_RUN_ID: String(runId), GITHUB_RUN_ATTEMPT: '1', GITHUB_EVENT_NAME: 'schedule', ...env } },
  )
  for (const o of MAIN_OUTPUTS) assert.ok(o in r.outputs, `output ${o} is set`)
  return r
}

const historyKeys = () => cache.entries.filter((e) => e.archive && e.key.startsWith('compat-sentinel-history-v1-')).map((e) => e.key)
const slackOf = (r: RunResult) => JSON.parse(r.outputs['slack-payload']!) as Record<string, string>
const day = (r: RunResult) => String(r.result.startedAt).slice(0, 10)

describe('one leg over a week of nightlies', () => {
  const m = machine()
  const results: RunResult[] = []
  // Each night's result file, as its uploaded artifact keeps it (the next night overwrites the file).
  const uploaded: string[] = []
  // The index gains one dev build a night; nights 3 and 4 break the consumer.
  const nights: [string, 'compatible' | 'incompatible'][] = [
    ['1.0.0.dev1', 'compatible'],
    ['1.0.0.dev2', 'compatible'],
    ['1.0.0.dev3', 'incompatible'],
    ['1.0.0.dev4', 'incompatible'],
    ['1.0.0.dev5', 'compatible'],
  ]
  // What each night must say: previous outcome and version, changed, failing since (version, runs), last good, first bad, notify.
  const expected: [string, string, string, [string, number] | null, string, string, string][] = [
    ['', '', 'false', null, '1.0.0.dev1', '', 'true'],
    ['compatible', '1.0.0.dev1', 'false', null, '1.0.0.dev2', '', 'false'],
    ['compatible', '1.0.0.dev2', 'true', ['1.0.0.dev3', 1], '1.0.0.dev2', '1.0.0.dev3', 'true'],
    ['incompatible', '1.0.0.dev3', 'false', ['1.0.0.dev3', 2], '1.0.0.dev2', '1.0.0.dev3', 'false'],
    ['incompatible', '1.0.0.dev4', 'true', null, '1.0.0.dev5', '', 'true'],
  ]

  before(() => {
    fs.mkdirSync(m.workspace, { recursive: true })
    fs.writeFileSync(path.join(m.workspace, 'bad-versions'), '1.0.0.dev3\n1.0.0.dev4\n')
  })

  for (const [i, [version, outcome]] of nights.entries()) {
    test(`night ${i + 1}: ${version} is ${outcome}, and the run knows what came before`, async () => {
      world.server.add(PKG, wheel(PKG, version))
      const r = await nightly(m, { channel: 'dev' })
      results.push(r)
      uploaded.push(path.join(tempDir('cs-upload-'), path.basename(r.outputs['result-file']!)))
      fs.copyFileSync(r.outputs['result-file']!, uploaded.at(-1)!)
      const [prevOutcome, prevVersion, changed, failing, lastGood, firstBad, notify] = expected[i]!
      assert.equal(r.outputs.outcome, outcome, r.stdout)
      assert.equal(r.outputs.version, version)
      assert.equal(r.outputs['previous-outcome'], prevOutcome)
      assert.equal(r.outputs['previous-version'], prevVersion)
      assert.equal(r.outputs['status-changed'], changed)
      // The streak began on the night of its first version, which in this test is today.
      const since = failing ? `${day(results[results.length - failing[1]]!)} (${failing[0]})` : ''
      assert.equal(r.outputs['failing-since'], since)
      assert.equal(r.outputs['last-good-version'], lastGood)
      assert.equal(r.outputs['first-bad-version'], firstBad)
      assert.equal(r.outputs.notify, notify)

      // The same facts in the result file, the single-leg Slack payload and the summary.
      assert.equal(r.result.schema, 'compat-sentinel/result@2')
      assert.equal(r.result.leg, `${PKG}-dev`)
      assert.equal(path.basename(r.outputs['result-file']!), `compat-sentinel-result-${PKG}-dev.json`)
      const h = r.result.history
      assert.equal(h.available, i > 0)
      assert.equal(h.previousOutcome, prevOutcome)
      assert.equal(h.statusChanged, changed === 'true')
      assert.deepEqual(h.failingSince && [h.failingSince.version, h.failingSince.runs], failing)
      assert.deepEqual(
        h.recent.map((x: { version: string }) => x.version),
        nights.slice(0, i + 1).map(([v]) => v),
      )
      assert.match(r.result.build.sha256, /^[0-9a-f]{64}$/, 'the tested file is identified')
      const slack = slackOf(r)
      assert.deepEqual([slack.previous_status, slack.failing_since, slack.status_changed, slack.notify], [prevOutcome, since, changed, notify])
      assert.match(r.summary, /^### History$/m)
      assert.match(r.summary, /\| Leg \| memo-upstream-dev \|/)
      if (i === 0) assert.match(r.stdout, /No history of leg memo-upstream-dev in the Actions cache/)
      else assert.match(r.summary, new RegExp(`^${['✅', '✅', '❌', '❌', '✅'].slice(0, i + 1).join(' ')} \\(last ${i + 1} runs, oldest first\\)$`, 'm'))
      if (failing) assert.match(r.summary, new RegExp(`failing since \\d{4}-\\d\\d-\\d\\d \\(${failing[0].replace(/\./g, '\\.')}, ${failing[1]} runs?\\)`))
      assert.match(r.stdout, new RegExp(`History of leg memo-upstream-dev saved as compat-sentinel-history-v1-[0-9a-f]{16}-${runId}-1`))
    })
  }

  test('the failing night still failed the step: memory changes what is said, not the verdict', () => {
    assert.equal(results[2]!.exitCode, 1)
    assert.equal(results[3]!.exitCode, 1)
    assert.equal(results[4]!.exitCode, 0)
  })

  test('the report over the nightly and an @1 leg: notify, changed legs, per-leg keys', async () => {
    const artifacts = tempDir('cs-artifacts-')
    const put = (name: string, from: string) => {
      fs.mkdirSync(path.join(artifacts, name))
      fs.copyFileSync(from, path.join(artifacts, name, path.basename(from)))
    }
    put('night3', uploaded[2]!)
    const changed = await runAction({ results: '*/compat-sentinel-result-*.json' }, { entry: REPORT, workspace: artifacts })
    assert.equal(changed.outputs.notify, 'true')
    assert.equal(slackOf(changed).changed_legs, 'dev: compatible → incompatible')
    assert.equal(slackOf(changed).dev_previous_status, 'compatible')
    assert.match(slackOf(changed).dev_failing_since!, /^\d{4}-\d\d-\d\d \(1\.0\.0\.dev3\)$/)
    assert.match(changed.summary, /\| ❌ \| memo-upstream-dev \| memo-upstream \| dev \| 1\.0\.0\.dev3 \|.*\| was ✅ compatible; failing since .* \(1\.0\.0\.dev3\), 1 run \|/)

    fs.rmSync(path.join(artifacts, 'night3'), { recursive: true })
    put('night4', uploaded[3]!)
    const quiet = await runAction({ results: '*/compat-sentinel-result-*.json' }, { entry: REPORT, workspace: artifacts })
    assert.equal(quiet.outputs.notify, 'false', 'still failing, nothing new: no message')
    assert.equal(slackOf(quiet).changed_legs, '')

    // A leg written before the memory existed: read, and it counts as news.
    put('old', path.join(ROOT, 'test', 'fixtures', 'result-v1.json'))
    const mixed = await runAction({ results: '*/*.json' }, { entry: REPORT, workspace: artifacts })
    assert.equal(mixed.outputs.count, '2', mixed.stdout)
    assert.equal(mixed.outputs.notify, 'true')
    const slack = slackOf(mixed)
    // Both legs are on dev: keys by leg.
    assert.match(slack.memo_upstream_dev_summary!, /memo-upstream 1\.0\.0\.dev4 \(dev\): incompatible/)
    assert.match(slack.demo_upstream_dev_summary!, /demo-upstream 0\.11\.0\.dev3 \(dev\): needs recording/)
    assert.equal(slack.demo_upstream_dev_previous_status, '')
    assert.equal(slack.memo_upstream_dev_previous_status, 'incompatible')
  })
})

describe('when the memory is missing, foreign, broken or not to be written', () => {
  test('a cache miss mid-sequence: the run says so and behaves as a first run', async () => {
    const m = machine()
    world.server.add('gap-upstream', wheel('gap-upstream', '2.0.0'))
    const inputs = { package: 'gap-upstream', channel: 'stable' }
    await nightly(m, inputs)
    const second = await nightly(m, inputs)
    assert.equal(second.outputs['previous-outcome'], 'compatible')
    // Seven days unused: the service evicts every entry of the leg.
    for (const key of historyKeys()) cache.evicted.add(key)
    const third = await nightly(m, inputs)
    assert.match(third.stdout, /No history of leg gap-upstream-stable in the Actions cache \(a first run, or unused for 7 days and evicted\)/)
    assert.equal(third.outputs['previous-outcome'], '')
    assert.equal(third.outputs['status-changed'], 'false')
    assert.equal(third.outputs.notify, 'true', 'a first run is news under notify-on: change')
    assert.equal(third.result.history.available, false)
    assert.match(third.summary, /No earlier run of this leg is remembered/)
    const fourth = await nightly(m, inputs)
    assert.equal(fourth.outputs['previous-outcome'], 'compatible')
    assert.equal(fourth.result.history.recent.length, 2, 'the history started again after the miss')
  })

  test('two legs, stable and dev, never read each other', async () => {
    const m = machine()
    world.server.add('two-upstream', wheel('two-upstream', '3.0.0'), wheel('two-upstream', '3.1.0.dev1'))
    fs.mkdirSync(m.workspace, { recursive: true })
    fs.writeFileSync(path.join(m.workspace, 'bad-versions'), '3.1.0.dev1\n')
    const stable1 = await nightly(m, { package: 'two-upstream', channel: 'stable' })
    const dev1 = await nightly(m, { package: 'two-upstream', channel: 'dev' })
    assert.equal(stable1.outputs.outcome, 'compatible')
    assert.equal(dev1.outputs.outcome, 'incompatible')
    assert.equal(dev1.outputs['previous-outcome'], '', "the stable leg's run is not the dev leg's past")
    const stable2 = await nightly(m, { package: 'two-upstream', channel: 'stable' })
    const dev2 = await nightly(m, { package: 'two-upstream', channel: 'dev' })
    assert.deepEqual([stable2.outputs['previous-outcome'], stable2.outputs['previous-version']], ['compatible', '3.0.0'])
    assert.deepEqual([dev2.outputs['previous-outcome'], dev2.outputs['previous-version']], ['incompatible', '3.1.0.dev1'])
    assert.equal(stable2.result.history.recent.length, 2)
  })

  test('two legs, Linux and macOS runners of one channel: own leg names, own files, own history', async () => {
    const m = machine()
    world.server.add('os-upstream', wheel('os-upstream', '4.0.0'))
    const inputs = { package: 'os-upstream', channel: 'stable' }
    const linux1 = await nightly(m, inputs, { RUNNER_OS: 'Linux' })
    const mac1 = await nightly(m, inputs, { RUNNER_OS: 'macOS' })
    assert.equal(linux1.result.leg, 'os-upstream-stable')
    assert.equal(mac1.result.leg, 'os-upstream-stable-macos')
    assert.equal(path.basename(mac1.outputs['result-file']!), 'compat-sentinel-result-os-upstream-stable-macos.json')
    assert.equal(mac1.outputs['previous-outcome'], '', "the Linux leg's run is not the macOS leg's past")
    const mac2 = await nightly(m, inputs, { RUNNER_OS: 'macOS' })
    assert.equal(mac2.result.history.recent.length, 2)
    const custom = await nightly(m, { ...inputs, leg: 'stable-py312' }, { RUNNER_OS: 'macOS' })
    assert.equal(path.basename(custom.outputs['result-file']!), 'compat-sentinel-result-stable-py312.json', 'a custom leg names the file')
    assert.equal(custom.outputs['previous-outcome'], '')
  })

  test('a bad leg name is an error naming the input', async () => {
    const r = await nightly(machine(), { package: PKG, channel: 'dev', leg: 'dev/../../etc' })
    assert.equal(r.outputs.outcome, 'error')
    assert.match(r.outputs.summary!, /Input 'leg' has the value 'dev\/\.\.\/\.\.\/etc', which is not accepted: use letters, digits/)
    assert.equal(path.basename(r.outputs['result-file']!), `compat-sentinel-result-${PKG}-dev.json`, 'the default leg names the file')
  })

  test('a bad notify-on or history is an error naming the input', async () => {
    const notifyOn = await nightly(machine(), { package: PKG, channel: 'dev', 'notify-on': 'sometimes' })
    assert.equal(notifyOn.outputs.outcome, 'error')
    assert.match(notifyOn.outputs.summary!, /Input 'notify-on' has the value 'sometimes', which is not accepted: use one of 'change', 'failure', 'always'/)
    assert.equal(notifyOn.outputs.notify, 'true', 'a run that could not test is news')
    const history = await nightly(machine(), { package: PKG, channel: 'dev', history: 'maybe' })
    assert.match(history.outputs.summary!, /Input 'history' has the value 'maybe', which is not accepted: use 'true' or 'false'/)
  })

  /** Replaces the newest history entry of the leg with an archive of `content`, as a run with other code might have saved. */
  function plantHistory(m: ReturnType<typeof machine>, content: string | Buffer): void {
    const saved = cache.entries.filter((e) => e.archive && e.key.startsWith('compat-sentinel-history-v1-')).at(-1)!
    const file = path.join(m.runnerTemp, 'compat-sentinel', 'history', 'history.json')
    fs.writeFileSync(file, content)
    const archive = path.join(tempDir(), 'cache.tzst')
    // The archive as the cache client makes it: paths relative to the workspace, zstd.
    execFileSync('tar', ['--posix', '-cf', archive, '-P', '-C', m.workspace, '--use-compress-program', 'zstd -T0', path.relative(m.workspace, file)])
    cache.plant(saved.key.replace(/\d+-\d+$/, `${++runId}-1`), saved.version, fs.readFileSync(archive))
    fs.rmSync(file)
  }

  const broken: [string, (good: string) => string | Buffer, RegExp, number][] = [
    ['not JSON', () => '{"schema": "compat-sentinel/history@1", "runs": [', /The stored history of leg broken-upstream-stable was ignored: it is not JSON/, 0],
    ['larger than 1 MiB', () => Buffer.alloc(1024 * 1024 + 10, ' '), /The stored history of leg broken-upstream-stable was ignored: it is 1048586 bytes, more than the 1048576/, 0],
    ['of another leg', (good) => good.replace('"leg": "broken-upstream-stable"', '"leg": "broken-upstream-dev"'), /was ignored: it belongs to another leg/, 0],
    [
      'one malformed run among good ones',
      (good) => good.replace('"outcome": "compatible"', '"outcome": "<b>fine</b>"'),
      /::warning::1 stored run\(s\) of leg broken-upstream-stable were malformed and were ignored/,
      1,
    ],
  ]
  for (const [name, corrupt, warning, remembered] of broken) {
    test(`a stored history ${name}: ignored with a warning, the run goes on`, async () => {
      const m = machine()
      world.server.add('broken-upstream', wheel('broken-upstream', '5.0.0'))
      const inputs = { package: 'broken-upstream', channel: 'stable' }
      await nightly(m, inputs)
      await nightly(m, inputs)
      // The good file as the last run saved it, then corrupted.
      plantHistory(m, corrupt(fs.readFileSync(path.join(m.runnerTemp, 'compat-sentinel', 'history', 'history.json'), 'utf8')))
      const r = await nightly(m, inputs)
      assert.match(r.stdout, warning)
      assert.equal(r.outputs.outcome, 'compatible')
      assert.equal(r.exitCode, 0)
      assert.equal(r.result.history.recent.length, remembered + 1)
      assert.equal(r.outputs['previous-outcome'], remembered ? 'compatible' : '')
      const next = await nightly(m, inputs)
      assert.equal(next.result.history.recent.length, remembered + 2, 'the next save replaced the broken history')
    })
  }

  test('a pull_request run reads the history but does not save it', async () => {
    const m = machine()
    world.server.add('pr-upstream', wheel('pr-upstream', '6.0.0'))
    const inputs = { package: 'pr-upstream', channel: 'stable' }
    await nightly(m, inputs)
    const before = historyKeys().length
    const pr = await nightly(m, inputs, { GITHUB_EVENT_NAME: 'pull_request' })
    assert.equal(pr.outputs['previous-outcome'], 'compatible', 'read')
    assert.match(pr.stdout, /History is read but not saved on pull_request runs/)
    assert.equal(historyKeys().length, before, 'nothing saved')
    const target = await nightly(m, inputs, { GITHUB_EVENT_NAME: 'pull_request_target' })
    assert.equal(historyKeys().length, before, 'nor on pull_request_target')
    assert.equal(target.result.history.recent.length, 2, 'the pull requests are not in the history')
  })

  test('history: false reads and saves nothing; every run is a first run', async () => {
    const m = machine()
    world.server.add('off-upstream', wheel('off-upstream', '7.0.0'))
    const before = historyKeys().length
    const r1 = await nightly(m, { package: 'off-upstream', channel: 'stable', history: 'false' })
    const r2 = await nightly(m, { package: 'off-upstream', channel: 'stable', history: 'false' })
    assert.equal(historyKeys().length, before)
    assert.match(r2.stdout, /History is off/)
    assert.equal(r2.outputs['previous-outcome'], '')
    assert.equal(r1.outputs.notify, 'true')
    const failureOnly = await nightly(m, { package: 'off-upstream', channel: 'stable', history: 'false', 'notify-on': 'failure' })
    assert.equal(failureOnly.outputs.notify, 'false', 'notify-on: failure and a compatible run')
  })

  test('a cache service that never answers a save: the result is published and the run ends', async () => {
    const m = machine()
    world.server.add('hung-upstream', wheel('hung-upstream', '8.0.0'))
    cache.hang = /^POST \/_apis\/artifactcache\/caches$/
    try {
      const r = await nightly(m, { package: 'hung-upstream', channel: 'stable' }, { COMPAT_SENTINEL_HISTORY_TIMEOUT_MS: '1500' })
      assert.equal(r.signal, null, 'ended by itself, not killed by the harness')
      assert.equal(r.exitCode, 0)
      assert.equal(r.outputs.outcome, 'compatible')
      assert.ok(r.result, 'result file written')
      assert.match(r.stdout, /::warning::Saving the history took longer than 2 s; going on without it/)
    } finally {
      cache.hang = null
    }
  })
})
