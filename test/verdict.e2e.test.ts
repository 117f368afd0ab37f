// A verdict you can trust, end to end through dist/index.js with real processes and the real uv:
// "could not install" is not "incompatible", flakes and forks never pay for record, a record that
// records nothing is an error, a stale upstream is said in the summary, a missing leg is no pass.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { World } from './harness/world'
import { IndexServer } from './harness/index-server'
import { wheel } from './harness/dists'
import { MAIN_OUTPUTS, REPORT, runAction, tempDir } from './harness/action'
import { resultOf, writeLegs } from './harness/results'

const PKG = 'demo-upstream'
const VERSION = '1.4.0'
// Written by the record command: its absence proves record never ran.
const RECORD = 'echo recorded > record-ran.marker'
const recordRan = (workspace: string) => fs.existsSync(path.join(workspace, 'record-ran.marker'))
const FAST = { 'prefetch-wheels': 'false' }

let world: World
// An index that has the project but not the version under test: what uv sees when a dev build is
// missing from the index it installs from.
const bare = new IndexServer()

before(async () => {
  world = await new World().start()
  world.server.add(PKG, wheel(PKG, VERSION), wheel(PKG, '1.0.0'))
  await bare.start()
  bare.add(PKG, wheel(PKG, '1.0.0'))
})
after(async () => {
  await world.close()
  await bare.close()
})

function assertEveryOutput(r: { outputs: Record<string, string> }): void {
  for (const name of MAIN_OUTPUTS) assert.ok(name in r.outputs, `output ${name} set`)
}

describe('not-installable', () => {
  test('uv cannot install the version: not-installable, record not run, uv quoted', async () => {
    const uvEnv = { UV_DEFAULT_INDEX: bare.indexUrl, UV_CACHE_DIR: tempDir('cs-uvcache-'), UV_PYTHON_DOWNLOADS: 'never', UV_NO_CONFIG: '1' }
    const r = await world.run(
      { package: PKG, version: VERSION, ...FAST, 'replay-command': `uv run --no-project --with "${PKG}==$UPSTREAM_VERSION" python -c pass`, 'record-command': RECORD },
      { env: uvEnv },
    )
    assert.equal(r.outputs.outcome, 'not-installable', r.stdout)
    assert.equal(recordRan(r.workspace), false, 'record never runs for a version that could not be installed')
    assert.equal(r.outputs['record-result'], 'skipped')
    assert.equal(r.outputs['replay-result'], 'failure')
    // uv's own line (`×` on a terminal, `error:` in a log), and its explanation.
    assert.match(
      r.result.reason,
      /^replay failed \(exit \d+\): could not install: (×|error:) No solution found when resolving `--with` dependencies: .*Because there is no version of demo-upstream==1\.4\.0/,
    )
    assert.match(r.result.reason, /; record not run$/)
    assert.match(r.outputs.summary!, /^demo-upstream 1\.4\.0 \(explicit\): not installable: replay failed .*No solution found/)
    assert.match(r.summary, /^## 🚧 demo-upstream 1\.4\.0/m)
    assert.equal(r.exitCode, 0, 'not-installable is not in the default fail-on')
    assertEveryOutput(r)
  })

  test('fail-on: not-installable fails the step', async () => {
    const r = await world.run({
      package: PKG,
      version: VERSION,
      ...FAST,
      'replay-command': 'echo "ERROR: No matching distribution found for demo-upstream==1.4.0" >&2; exit 1',
      'fail-on': 'not-installable',
    })
    assert.equal(r.outputs.outcome, 'not-installable')
    assert.match(r.result.reason, /could not install: ERROR: No matching distribution found for demo-upstream==1\.4\.0/)
    assert.equal(r.exitCode, 1)
  })

  test('an installer line far before the end of a long output is still found', async () => {
    // 500 lines after it: the bounded tail (200 lines) has dropped it, the streamed scan has not.
    const r = await world.run({
      package: PKG,
      version: VERSION,
      ...FAST,
      'replay-command': 'echo "  × Failed to build \\`demo @ file:///x\\`"; for i in $(seq 500); do echo "noise $i"; done; exit 1',
      'record-command': RECORD,
    })
    assert.equal(r.outputs.outcome, 'not-installable', r.result.reason)
    assert.doesNotMatch(r.result.replay.logTail, /Failed to build/)
    assert.match(r.result.reason, /could not install: × Failed to build `demo @ file:\/\/\/x`/)
    assert.equal(recordRan(r.workspace), false)
  })

  test('install-command fails: not-installable, replay and record not run, its tail in the result file', async () => {
    const r = await world.run({
      package: PKG,
      version: VERSION,
      ...FAST,
      'install-command': 'echo "installing $COMPAT_SENTINEL_PHASE $UPSTREAM_VERSION"; echo "error: Failed to fetch: demo-upstream" >&2; exit 3',
      'replay-command': 'echo replayed > replay-ran.marker',
      'record-command': RECORD,
    })
    assert.equal(r.outputs.outcome, 'not-installable', r.stdout)
    assert.equal(r.result.reason, 'install failed (exit 3): error: Failed to fetch: demo-upstream; replay not run; record not run')
    assert.equal(r.result.install.result, 'failure')
    assert.equal(r.result.install.exitCode, 3)
    assert.ok(r.result.install.durationMs > 0)
    assert.match(r.result.install.logTail, /installing install 1\.4\.0/)
    assert.equal(r.result.replay.result, 'skipped')
    assert.equal(fs.existsSync(path.join(r.workspace, 'replay-ran.marker')), false)
    assert.equal(recordRan(r.workspace), false)
    assert.match(r.stdout, /::group::Install: echo "installing/)
    assert.match(r.summary, /\| Install \| failure \(\d+\.\d s, exit 3\) \|/)
    assert.match(r.summary, /<summary>Install log \(tail\)<\/summary>/)
  })

  test('install-command times out: not-installable, its process tree stopped', async () => {
    const r = await world.run(
      { package: PKG, version: VERSION, ...FAST, 'install-command': 'echo resolving; sleep 300', 'install-timeout-minutes': '0.01', 'replay-command': 'true', 'record-command': RECORD },
      { env: { COMPAT_SENTINEL_KILL_GRACE_MS: '500' } },
    )
    assert.equal(r.outputs.outcome, 'not-installable')
    assert.equal(r.result.install.result, 'timeout')
    assert.equal(r.result.reason, 'install timed out after 0.01 min; replay not run; record not run')
    assert.equal(recordRan(r.workspace), false)
  })

  test('install-command passes: replay decides as usual', async () => {
    const r = await world.run({ package: PKG, version: VERSION, ...FAST, 'install-command': 'echo ok > installed.marker', 'replay-command': 'test -f installed.marker' })
    assert.equal(r.outputs.outcome, 'compatible', r.stdout)
    assert.equal(r.result.install.result, 'success')
    assert.equal(r.result.replay.result, 'success')
  })

  test('without install-command, install is skipped in the result file', async () => {
    const r = await world.run({ package: PKG, version: VERSION, ...FAST, 'replay-command': 'true' })
    assert.equal(r.result.install.result, 'skipped')
    assert.doesNotMatch(r.summary, /\| Install \|/)
  })

  test('the could-not-test exit code: not-installable; another code is a failure', async () => {
    const inputs = { package: PKG, version: VERSION, ...FAST, 'replay-command': 'exit "$CODE"', 'record-command': RECORD, 'could-not-test-exit-code': '75' }
    const r = await world.run(inputs, { env: { CODE: '75' } })
    assert.equal(r.outputs.outcome, 'not-installable')
    assert.equal(r.result.reason, 'replay exited with 75, the could-not-test-exit-code: nothing was tested; record not run')
    assert.equal(recordRan(r.workspace), false)
    const other = await world.run(inputs, { env: { CODE: '2' } })
    assert.equal(other.outputs.outcome, 'needs-recording')
    assert.equal(recordRan(other.workspace), true)
  })
})

describe('flaky replays', () => {
  // Fails on its first run, passes on the next: a counter file in the workspace.
  const FLAKY = 'n=$(cat count 2>/dev/null || echo 0); echo $((n+1)) > count; if [ "$n" = 0 ]; then echo "FAILED test_stream - TimeoutError: read timed out" >&2; exit 1; fi; echo passed'

  test('replay-attempts 2: fails once then passes → compatible, flaky, record not run', async () => {
    const r = await world.run({ package: PKG, version: VERSION, ...FAST, 'replay-command': FLAKY, 'record-command': RECORD, 'replay-attempts': '2' })
    assert.equal(r.outputs.outcome, 'compatible', r.stdout)
    assert.equal(r.outputs.flaky, 'true')
    assert.equal(r.result.flaky, true)
    assert.equal(fs.readFileSync(path.join(r.workspace, 'count'), 'utf8').trim(), '2')
    assert.equal(recordRan(r.workspace), false)
    assert.equal(r.result.reason, 'replay passed on attempt 2 after failing (flaky)')
    assert.match(r.summary, /a test is flaky/)
    assert.match(r.stdout, /::group::Replay \(attempt 2 of 2\)/)
    assertEveryOutput(r)
  })

  test('replay-attempts 1 (the default): the same replay pays for record', async () => {
    const r = await world.run({ package: PKG, version: VERSION, ...FAST, 'replay-command': FLAKY, 'record-command': RECORD })
    assert.equal(r.outputs.outcome, 'needs-recording')
    assert.equal(r.outputs.flaky, 'false')
    assert.equal(recordRan(r.workspace), true)
    assert.match(r.result.reason, /^replay failed \(exit 1\): FAILED test_stream - TimeoutError: read timed out; record succeeded/)
  })

  test('every attempt fails: record runs once', async () => {
    const r = await world.run({
      package: PKG,
      version: VERSION,
      ...FAST,
      'replay-command': 'echo replay >> attempts; exit 2',
      'record-command': 'echo record >> attempts; exit 1',
      'replay-attempts': '3',
    })
    assert.equal(r.outputs.outcome, 'incompatible')
    assert.equal(fs.readFileSync(path.join(r.workspace, 'attempts'), 'utf8'), 'replay\nreplay\nreplay\nrecord\n')
    assert.match(r.result.reason, /^replay failed \(exit 2\) \(all 3 attempts\); record failed \(exit 1\)$/)
  })
})

describe('pull requests from forks', () => {
  function event(head: string): string {
    const file = path.join(tempDir('cs-event-'), 'event.json')
    fs.writeFileSync(file, JSON.stringify({ pull_request: { number: 7, head: { repo: { full_name: head, fork: head !== 'org/repo' } }, base: { repo: { full_name: 'org/repo' } } } }))
    return file
  }
  const inputs = { package: PKG, version: VERSION, ...FAST, 'replay-command': 'exit 2', 'record-command': RECORD }

  test('a fork: record not run, the reason says why, outcome as with no record-command', async () => {
    const r = await world.run(inputs, { env: { GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: event('someone/repo') } })
    assert.equal(r.outputs.outcome, 'incompatible')
    assert.equal(r.result.reason, 'replay failed (exit 2); record skipped: pull request from a fork has no secrets')
    assert.equal(recordRan(r.workspace), false)
    assert.equal(r.outputs['record-result'], 'skipped')
  })

  test('the same repository: record runs', async () => {
    const r = await world.run(inputs, { env: { GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: event('org/repo') } })
    assert.equal(r.outputs.outcome, 'needs-recording')
    assert.equal(recordRan(r.workspace), true)
  })

  test('record-on-fork: true records on a fork too', async () => {
    const r = await world.run({ ...inputs, 'record-on-fork': 'true' }, { env: { GITHUB_EVENT_NAME: 'pull_request_target', GITHUB_EVENT_PATH: event('someone/repo') } })
    assert.equal(r.outputs.outcome, 'needs-recording')
    assert.equal(recordRan(r.workspace), true)
  })
})

test('record succeeded but changed nothing under fixtures-path: error, and why', async () => {
  const r = await world.run({
    package: PKG,
    version: VERSION,
    ...FAST,
    'replay-command': 'mkdir -p recordings; exit 1',
    'record-command': 'echo "recorded 0 interactions"',
    'fixtures-path': 'recordings',
  })
  assert.equal(r.outputs.outcome, 'error', r.stdout)
  assert.equal(r.result.reason, 'replay failed (exit 1); record succeeded but changed nothing under recordings: replay will fail again; check that record mode writes there')
  assert.equal(r.outputs['record-result'], 'success')
  assert.equal(r.exitCode, 1)
  assertEveryOutput(r)
})

describe('a stale upstream', () => {
  const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString()
  before(() => {
    world.server.add('old-stable', { ...wheel('old-stable', '2.0.0'), uploadTime: daysAgo(120) })
    world.server.add('old-dev', { ...wheel('old-dev', '2.1.0.dev1'), uploadTime: daysAgo(40) })
  })

  test('a stable release uploaded 120 days ago: no warning', async () => {
    const r = await world.run({ package: 'old-stable', ...FAST, 'replay-command': 'true' })
    assert.equal(r.outputs.version, '2.0.0', r.stdout)
    assert.doesNotMatch(r.stdout + r.summary, /stale-after-days/)
  })

  test('a dev release 40 days old: a warning in the log and the job summary', async () => {
    const r = await world.run({ package: 'old-dev', channel: 'dev', ...FAST, 'replay-command': 'true' })
    assert.equal(r.outputs.version, '2.1.0.dev1', r.stdout)
    const said = /old-dev 2\.1\.0\.dev1, the newest dev release on the index, was uploaded 40 days ago \(\d{4}-\d\d-\d\d\), more than stale-after-days \(30\).*A renamed project is a common cause/
    assert.match(r.stdout, new RegExp(`::warning::${said.source}`))
    assert.match(r.summary, new RegExp(`> \\[!WARNING\\]\\n> ${said.source}`))
  })

  test('stale-after-days: 0 turns it off', async () => {
    const r = await world.run({ package: 'old-dev', channel: 'dev', ...FAST, 'replay-command': 'true', 'stale-after-days': '0' })
    assert.doesNotMatch(r.stdout + r.summary, /stale-after-days/)
  })
})

test('prefetched wheels reach pip too: PIP_FIND_LINKS, space-separated', async () => {
  const mine = tempDir('cs-piplinks-')
  const r = await world.run({ package: PKG, version: VERSION, 'prefetch-wheels': 'true', 'replay-command': 'printf %s "$PIP_FIND_LINKS" > links.txt' }, { env: { PIP_FIND_LINKS: mine } })
  assert.equal(r.outputs.outcome, 'compatible', r.stdout)
  const expected = `${mine} ${r.outputs['wheels-dir']}`
  assert.equal(r.exportedEnv.PIP_FIND_LINKS, expected)
  assert.equal(fs.readFileSync(path.join(r.workspace, 'links.txt'), 'utf8'), expected)
})

test('a default wheels folder with a space in its path (a self-hosted runner): uv gets it, pip is not given a broken list', async () => {
  const runnerTemp = path.join(tempDir('cs-rt-'), 'runner temp')
  const r = await world.run({ package: PKG, version: VERSION, 'prefetch-wheels': 'true', 'replay-command': 'true' }, { runnerTemp })
  assert.equal(r.outputs.outcome, 'compatible', r.stdout)
  assert.equal(r.exportedEnv.UV_FIND_LINKS, path.join(runnerTemp, 'compat-sentinel', 'wheels'))
  assert.equal(r.exportedEnv.PIP_FIND_LINKS, undefined)
  assert.match(r.stdout, /::warning::PIP_FIND_LINKS is not set: the wheels folder .* has a space in its path/)
})

test('grammar: 1 version on the index', async () => {
  world.server.add('lonely', wheel('lonely', '0.1.0'))
  const r = await world.run({ package: 'lonely', ...FAST, 'replay-command': 'true' })
  assert.match(r.stdout, /lonely: 1 version on the index, 0 skipped/)
})

describe('the report sub-action: expected-legs', () => {
  async function report(legs: ReturnType<typeof resultOf>[], expected: string) {
    const root = tempDir('cs-report-')
    writeLegs(root, legs)
    return runAction({ results: '**/compat-sentinel-result-*.json', 'expected-legs': expected }, { entry: REPORT, workspace: root })
  }
  const stable = resultOf('compatible', { channel: 'stable', version: '0.7.1' })

  test('2 expected, 1 result file: error, naming what is missing', async () => {
    const r = await report([stable], '2')
    assert.equal(r.outputs['overall-status'], 'error')
    assert.equal(r.outputs.count, '1')
    assert.equal(r.exitCode, 1)
    assert.match(r.outputs.summary!, /⚠️ expected 2 result files \(expected-legs\) but found llama-stack-stable: 1 leg never reported/)
    assert.match(r.summary, /\*\*Missing:\*\* expected 2 result files/)
    assert.match(JSON.parse(r.outputs['slack-payload']!).details, /1 leg never reported/)
  })

  test('a list of channels: the missing one named', async () => {
    const r = await report([stable], 'stable, dev')
    assert.equal(r.outputs['overall-status'], 'error')
    assert.match(r.outputs.summary!, /no result for dev \(expected-legs\)/)
  })

  test('all expected legs reported: their verdict stands', async () => {
    const r = await report([stable, resultOf('compatible')], 'stable\ndev')
    assert.equal(r.outputs['overall-status'], 'compatible')
    assert.equal(r.exitCode, 0)
  })

  test('a not-installable leg: 🚧, ranked below error', async () => {
    const r = await report([stable, resultOf('not-installable')], '2')
    assert.equal(r.outputs['overall-status'], 'not-installable')
    assert.match(r.outputs.summary!, /🚧 llama-stack 0\.7\.2\.dev20260423 \(dev\): not installable: replay failed/)
    assert.equal(r.exitCode, 0)
  })
})
