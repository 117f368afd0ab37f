// Replay, then record, end to end with real processes: every row of the contract's outcome
// table, the commands' environment, process-tree timeouts, bounded output, secret masking,
// fixture changes and fail-on.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { World } from './harness/world'
import { wheel } from './harness/dists'
import { ROOT, tempDir } from './harness/action'
import { running, shownText, peakMemorySampler } from './harness/assertions'

const PKG = 'demo-upstream'
const VERSION = '1.4.0'
const CONSUMER = path.join(ROOT, 'test/fixtures/consumer')
const phase = (replay: string, record: string) => `${CONSUMER}/phase.sh ${replay} ${record}`
// Short timeouts and grace so hanging rows take about a second.
const FAST = { 'replay-timeout-minutes': '0.01', 'record-timeout-minutes': '0.01' }
const GRACE = { COMPAT_SENTINEL_KILL_GRACE_MS: '500' }

let world: World
before(async () => {
  world = await new World().start()
  world.server.add(PKG, wheel(PKG, VERSION))
})
after(() => world.close())

describe('the outcome table, row by row', () => {
  const table: { replay: string; record: string | null; outcome: string; replayResult: string; recordResult: string; reason: RegExp }[] = [
    { replay: 'pass', record: 'pass', outcome: 'compatible', replayResult: 'success', recordResult: 'skipped', reason: /^replay passed$/ },
    {
      replay: 'fail',
      record: 'pass',
      outcome: 'needs-recording',
      replayResult: 'failure',
      recordResult: 'success',
      reason: /^replay failed \(exit 2\): FAILED test_chat_completion: response has no 'choices'; record succeeded; 0 fixtures changed$/,
    },
    { replay: 'hang', record: 'pass', outcome: 'needs-recording', replayResult: 'timeout', recordResult: 'success', reason: /^replay timed out after 0\.01 min; record succeeded/ },
    {
      replay: 'fail',
      record: 'fail',
      outcome: 'incompatible',
      replayResult: 'failure',
      recordResult: 'failure',
      reason: /^replay failed \(exit 2\): FAILED test_chat_completion: response has no 'choices'; record failed \(exit 2\): FAILED test_chat_completion: response has no 'choices'$/,
    },
    {
      replay: 'fail',
      record: 'hang',
      outcome: 'incompatible',
      replayResult: 'failure',
      recordResult: 'timeout',
      reason: /^replay failed \(exit 2\): FAILED test_chat_completion: response has no 'choices'; record timed out after 0\.01 min$/,
    },
    { replay: 'hang', record: 'hang', outcome: 'incompatible', replayResult: 'timeout', recordResult: 'timeout', reason: /^replay timed out .*; record timed out/ },
    {
      replay: 'fail',
      record: null,
      outcome: 'incompatible',
      replayResult: 'failure',
      recordResult: 'skipped',
      reason: /^replay failed \(exit 2\): FAILED test_chat_completion: response has no 'choices'; no record-command to try$/,
    },
    {
      replay: 'signal',
      record: 'signal',
      outcome: 'incompatible',
      replayResult: 'failure',
      recordResult: 'failure',
      reason: /^replay failed \(exit 137: killed by SIGKILL\); record failed \(exit 137: killed by SIGKILL\)$/,
    },
  ]
  for (const row of table) {
    test(`replay ${row.replay}, record ${row.record ?? '(none)'} → ${row.outcome}`, async () => {
      const log = path.join(tempDir(), 'phases.log')
      const r = await world.run(
        { package: PKG, version: VERSION, 'replay-command': phase(row.replay, row.record ?? 'pass'), 'record-command': row.record ? phase(row.replay, row.record) : '', ...FAST },
        { env: { PHASE_LOG: log, ...GRACE } },
      )
      assert.equal(r.outputs.outcome, row.outcome, r.stdout)
      assert.equal(r.outputs['replay-result'], row.replayResult)
      assert.equal(r.outputs['record-result'], row.recordResult)
      assert.match(r.result.reason, row.reason)
      const ran = fs.readFileSync(log, 'utf8').trim().split('\n')
      assert.deepEqual(ran, row.recordResult === 'skipped' ? ['replay'] : ['replay', 'record'], 'record runs only after a failed replay')
      assert.equal(r.exitCode, row.outcome === 'incompatible' ? 1 : 0, 'default fail-on: incompatible,error')
      // Each phase streams into its own group of the log.
      assert.match(r.stdout, new RegExp(`::group::Replay: .*phase\\.sh[\\s\\S]*replay of ${PKG} ${VERSION}: ${row.replay}[\\s\\S]*::endgroup::`))
      if (row.recordResult !== 'skipped') assert.match(r.stdout, /::group::Record: .*phase\.sh[\s\S]*record of demo-upstream/)
    })
  }
})

test('the phase shell itself killed by a signal', async () => {
  const r = await world.run({ package: PKG, 'replay-command': 'echo about to go\nkill -TERM $$' })
  assert.equal(r.outputs['replay-result'], 'failure')
  assert.match(r.result.reason, /^replay failed \(killed by SIGTERM\); no record-command to try$/)
  assert.equal(r.result.replay.signal, 'SIGTERM')
})

test('an unexpected failure still ends in a report, not a stack trace', async () => {
  // RUNNER_TEMP is a file, so the phase's script cannot be written: no stage expects that.
  const notADir = path.join(tempDir(), 'temp-is-a-file')
  fs.writeFileSync(notADir, '')
  const r = await world.run(
    { package: PKG, 'prefetch-wheels': 'false', 'uv-version': 'system', 'replay-command': 'true' },
    { env: { RUNNER_TEMP: notADir, PATH: `${path.dirname(world.uv.binary)}:${process.env.PATH}` } },
  )
  assert.equal(r.outputs.outcome, 'error', r.stdout + r.stderr)
  assert.match(r.outputs.summary!, /^demo-upstream 1\.4\.0 \(stable\): error: unexpected internal error: .*Please report it with this log\.$/)
  assert.match(r.stdout, /::warning::Could not write the result file/)
  assert.match(r.summary, /^## ⚠️ demo-upstream 1\.4\.0/m)
  assert.equal(r.exitCode, 1)
  assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at .*\.js:\d+/, 'no stack trace')
})

describe('what the commands see', () => {
  test('version in version-env, the COMPAT_SENTINEL_* variables, the phase, uv on PATH', async () => {
    const out = path.join(tempDir(), 'env')
    const show = (p: string) =>
      `printf '%s|%s|%s|%s|%s|%s\\n' "$LLAMA_VERSION" "$COMPAT_SENTINEL_PACKAGE" "$COMPAT_SENTINEL_VERSION" "$COMPAT_SENTINEL_CHANNEL" "$COMPAT_SENTINEL_PHASE" "$(command -v uv)" >> ${out}${p}`
    const r = await world.run({ package: 'Demo_Upstream', 'version-env': 'LLAMA_VERSION', 'replay-command': `${show('')}; exit 3`, 'record-command': show('') })
    assert.equal(r.outputs.outcome, 'needs-recording', r.stdout)
    const lines = fs.readFileSync(out, 'utf8').trim().split('\n')
    const uv = r.outputs['uv-path']
    assert.deepEqual(lines, [`${VERSION}|${PKG}|${VERSION}|stable|replay|${uv}`, `${VERSION}|${PKG}|${VERSION}|stable|record|${uv}`])
  })

  test('the working directory is where the commands run', async () => {
    const ws = tempDir('cs-ws-')
    fs.mkdirSync(path.join(ws, 'sub/dir'), { recursive: true })
    const r = await world.run({ package: PKG, 'working-directory': 'sub/dir', 'replay-command': 'pwd > here.txt' }, { workspace: ws })
    assert.equal(r.outputs.outcome, 'compatible', r.stdout)
    assert.equal(fs.readFileSync(path.join(ws, 'sub/dir/here.txt'), 'utf8').trim(), fs.realpathSync(path.join(ws, 'sub/dir')))
  })

  test('pipefail: a failing command in a pipeline fails the phase, as in a run: step', async () => {
    const r = await world.run({ package: PKG, 'replay-command': 'false | cat\necho "not reached"' })
    assert.equal(r.outputs['replay-result'], 'failure')
    assert.doesNotMatch(r.result.replay.logTail, /not reached/)
  })
})

describe('timeouts take the whole process tree down', () => {
  test('a background server and a TERM-ignoring grandchild are gone after the timeout', async () => {
    const pidFile = path.join(tempDir(), 'pids')
    const r = await world.run({ package: PKG, 'replay-command': `${CONSUMER}/serve-and-hang.sh`, 'replay-timeout-minutes': '0.02' }, { env: { PID_FILE: pidFile, ...GRACE } })
    assert.equal(r.outputs['replay-result'], 'timeout')
    assert.equal(r.outputs.outcome, 'incompatible')
    assert.match(r.result.replay.logTail, /server started/)
    const pids = fs.readFileSync(pidFile, 'utf8').trim().split('\n').map(Number)
    assert.equal(pids.length, 3)
    for (const pid of pids) assert.equal(running(pid), false, `process ${pid} of the phase's tree survived`)
  })

  test('a background child left by a phase that exits is stopped too', async () => {
    const pidFile = path.join(tempDir(), 'pid')
    const r = await world.run({ package: PKG, 'replay-command': `sleep 300 &\necho $! > ${pidFile}` })
    assert.equal(r.outputs['replay-result'], 'success')
    assert.equal(running(Number(fs.readFileSync(pidFile, 'utf8'))), false)
  })
})

describe('output', () => {
  test('100 MB of output: bounded memory, and the tail is the true tail', async () => {
    // 100 MB of numbered lines, then a last line; the action's peak RSS is sampled meanwhile.
    const cmd = `python3 -c 'import sys
line = "x" * 90
w = sys.stdout.write
for i in range(1_000_000): w(f"{i:08d} {line}\\n")
w("THE-LAST-LINE\\n")'`
    const memory = peakMemorySampler()
    const r = await world.run({ package: PKG, 'replay-command': cmd }, { onStart: memory.onStart })
    const peakKb = memory.stop()
    assert.equal(r.outputs.outcome, 'compatible', r.stderr)
    const tail = r.result.replay.logTail.split('\n')
    assert.equal(tail.at(-1), 'THE-LAST-LINE')
    assert.equal(tail.at(-2), `00999999 ${'x'.repeat(90)}`)
    assert.ok(tail.length <= 200, `${tail.length} lines kept`)
    assert.ok(Buffer.byteLength(r.result.replay.logTail) <= 64 * 1024)
    assert.ok(peakKb > 0, 'memory was sampled')
    assert.ok(peakKb < 200 * 1024, `peak RSS ${Math.round(peakKb / 1024)} MB while the command printed 100 MB`)
  })

  test('ANSI colours are stripped from the tail', async () => {
    const r = await world.run({ package: PKG, 'replay-command': `printf '\\033[31mFAILED\\033[0m test_x\\n'; exit 1` })
    assert.match(r.result.replay.logTail, /^FAILED test_x$/m)
    assert.doesNotMatch(r.result.replay.logTail + r.summary, /\x1b/)
  })

  test('every escape sequence is stripped from the tail, not only colours', async () => {
    // A window title (OSC), a hyperlink (OSC 8), a device control string, a charset switch,
    // cursor save/restore, an 8-bit CSI, and a lone ESC.
    const seqs = ['\\033]0;title\\007', '\\033]8;;http://x.example\\033\\\\link\\033]8;;\\033\\\\', '\\033Pq#0\\033\\\\', '\\033(B', '\\0337', '\\0338', '\\302\\2332J', '\\033']
    const r = await world.run({ package: PKG, 'replay-command': `printf 'A${seqs.join('B')}\\n'; exit 1` })
    assert.match(r.result.replay.logTail, /^ABlinkBBBBBB$/m)
    assert.doesNotMatch(r.result.replay.logTail + r.summary + JSON.stringify(r.outputs), /[\x1b\x9b]/)
  })

  test('secret values never reach the summary, result file or outputs', async () => {
    const secret = 'sk-live-9f8e7d6c5b4a'
    const r = await world.run(
      { package: PKG, 'replay-command': 'echo "calling provider with $OPENAI_API_KEY"; echo "token=$GH_TOKEN" >&2; exit 1', 'record-command': 'echo "key is $OPENAI_API_KEY"' },
      { env: { OPENAI_API_KEY: secret, GH_TOKEN: 'ghp_abcdef123456', SHORT_KEY: 'abc' } },
    )
    assert.equal(r.outputs.outcome, 'needs-recording')
    const written = [r.summary, JSON.stringify(r.result), JSON.stringify(r.outputs)].join('\n')
    for (const s of [secret, 'ghp_abcdef123456']) {
      assert.ok(!written.includes(s), `${s} leaked`)
      // Registered with the runner (which masks its own log), and masked in what we print.
      assert.match(r.stdout, new RegExp(`::add-mask::${s}`))
      assert.ok(!r.stdout.replace(/::add-mask::.*\n/g, '').includes(s), `${s} printed`)
    }
    assert.match(r.result.replay.logTail, /calling provider with \*\*\*/)
    assert.match(r.result.record.logTail, /key is \*\*\*/)
  })
})

describe('what the action writes, when the runner gets in the way', () => {
  test('an unwritable GITHUB_OUTPUT: the summary is still written and says why, the step fails', async () => {
    const notAFile = tempDir('cs-output-is-a-folder-')
    const r = await world.run({ package: PKG, 'replay-command': 'true', 'fail-on': 'none' }, { env: { GITHUB_OUTPUT: notAFile } })
    assert.match(r.summary, /^## ✅ demo-upstream 1\.4\.0 \(stable\): compatible$/m)
    assert.match(shownText(r.summary), /The step outputs could not be written to GITHUB_OUTPUT \(.*cs-output-is-a-folder-\w+\): .*Later steps will not see this result/)
    assert.match(r.stdout, /::error::The step outputs could not be written to GITHUB_OUTPUT/)
    assert.equal(r.exitCode, 1, 'a result nobody can read is not a pass, whatever fail-on says')
  })

  test('no result file written: the result-file output is empty', async () => {
    const notADir = path.join(tempDir(), 'temp-is-a-file')
    fs.writeFileSync(notADir, '')
    const r = await world.run({ package: PKG, 'replay-command': 'true' }, { env: { RUNNER_TEMP: notADir } })
    assert.equal(r.outputs.outcome, 'error')
    assert.equal(r.outputs['result-file'], '')
  })

  test("the commands' job summary and a huge fixture list keep the whole summary under 1 MiB", async () => {
    const ws = tempDir('cs-ws-')
    fs.mkdirSync(path.join(ws, 'recordings'))
    const record = `python3 - <<'PY'
import os
for i in range(3000):
    open(f"recordings/r{i:05d}.json", "w").write("{}")
row = "x" * 40
with open(os.environ["GITHUB_STEP_SUMMARY"], "a") as f:
    for i in range(40000):
        f.write(f"| row {i} | {row} |\\n")
PY`
    const r = await world.run({ package: PKG, 'replay-command': 'exit 1', 'record-command': record, 'fixtures-path': 'recordings' }, { workspace: ws })
    assert.equal(r.outputs.outcome, 'needs-recording', r.stdout)
    assert.equal(r.outputs['fixtures-changed'], '3000')
    assert.ok(Buffer.byteLength(r.summary) < 1024 * 1024, `${Buffer.byteLength(r.summary)} bytes`)
    assert.match(r.summary, /^\| row 0 \|/m, "the commands' summary comes first")
    assert.match(r.summary, /the record command's job summary was cut at 192 KiB/)
    assert.match(r.summary, /added +recordings\/r00499\.json\n… and 2500 more/)
    assert.equal(r.result.fixturesChanged.length, 3000, 'the result file has them all')
    assert.match(r.summary, /## 🟡 demo-upstream/)
  })
})

describe('fixtures', () => {
  test('a fixture over 2 GiB (sparse) is hashed as a stream: the record still counts', async () => {
    const ws = tempDir('cs-ws-')
    fs.mkdirSync(path.join(ws, 'recordings'))
    const r = await world.run(
      { package: PKG, 'replay-command': 'exit 1', 'record-command': 'truncate -s 2100M recordings/big.bin', 'fixtures-path': 'recordings' },
      { workspace: ws, killAfterMs: 900_000 },
    )
    try {
      assert.equal(r.outputs.outcome, 'needs-recording', r.stdout)
      assert.deepEqual(r.result.fixturesChanged, [{ path: 'recordings/big.bin', change: 'added' }])
    } finally {
      fs.rmSync(ws, { recursive: true, force: true })
    }
  })

  test('a record run that modifies, adds and deletes recordings reports all three', async () => {
    const ws = tempDir('cs-ws-')
    const rec = path.join(ws, 'recordings')
    fs.mkdirSync(path.join(rec, 'nested'), { recursive: true })
    fs.writeFileSync(path.join(rec, 'ab12.json'), '{"v": 1}\n')
    fs.writeFileSync(path.join(rec, 'ef56.json'), '{}\n')
    fs.writeFileSync(path.join(rec, 'same.json'), '{"same": true}\n')
    const r = await world.run({ package: PKG, 'replay-command': `${CONSUMER}/record.sh`, 'record-command': `${CONSUMER}/record.sh`, 'fixtures-path': 'recordings' }, { workspace: ws })
    assert.equal(r.outputs.outcome, 'needs-recording', r.stdout)
    assert.equal(r.outputs['fixtures-changed'], '3')
    assert.deepEqual(r.result.fixturesChanged, [
      { path: 'recordings/ab12.json', change: 'modified' },
      { path: 'recordings/ef56.json', change: 'deleted' },
      { path: 'recordings/nested/cd34.json', change: 'added' },
    ])
    assert.match(r.result.reason, /3 fixtures changed/)
  })
})

describe('fail-on', () => {
  const cases: { name: string; cmd: { replay: string; record: string }; failOn: string; exit: number }[] = [
    { name: 'needs-recording fails when named', cmd: { replay: 'fail', record: 'pass' }, failOn: 'needs-recording', exit: 1 },
    { name: 'needs-recording passes by default', cmd: { replay: 'fail', record: 'pass' }, failOn: 'incompatible,error', exit: 0 },
    { name: 'incompatible passes when only error is named', cmd: { replay: 'fail', record: 'fail' }, failOn: 'error', exit: 0 },
    { name: 'incompatible fails by default', cmd: { replay: 'fail', record: 'fail' }, failOn: 'incompatible,error', exit: 1 },
    { name: 'compatible can be made to fail', cmd: { replay: 'pass', record: 'pass' }, failOn: 'compatible', exit: 1 },
    { name: "'none' never fails", cmd: { replay: 'fail', record: 'fail' }, failOn: 'none', exit: 0 },
  ]
  for (const c of cases) {
    test(`${c.name}; outputs do not depend on fail-on`, async () => {
      // Same workspace and runner temp, so even the paths in the outputs must be identical.
      const workspace = tempDir('cs-ws-')
      const runnerTemp = tempDir('cs-rt-')
      const inputs = { package: PKG, 'replay-command': phase(c.cmd.replay, c.cmd.record), 'record-command': phase(c.cmd.replay, c.cmd.record) }
      const a = await world.run({ ...inputs, 'fail-on': c.failOn }, { workspace, runnerTemp })
      const b = await world.run({ ...inputs, 'fail-on': c.failOn === 'compatible' ? 'error' : 'compatible' }, { workspace, runnerTemp })
      assert.equal(a.exitCode, c.exit, a.stdout)
      assert.deepEqual(a.outputs, b.outputs)
      if (c.exit) assert.match(a.stdout, /::error::/)
    })
  }
})
