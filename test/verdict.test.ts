// A verdict you can trust, as pure functions: the decisive line, installer failure signatures,
// not-installable and the other new rows of the verdict, forks, expected legs, staleness.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { DECISIVE_MAX, decisiveLine, installerFailure } from '../src/core/log-lines'
import { classify, notInstallableReason } from '../src/core/classify'
import { missingLegs, overallStatus } from '../src/core/combine'
import { summaryLine } from '../src/core/result-file'
import { isForkPullRequest } from '../src/io/event'
import { staleWarning } from '../src/stages/resolve'
import type { PhaseReport } from '../src/core/vocabulary'

const phase = (result: PhaseReport['result'], exitCode: number | null = result === 'success' ? 0 : null, logTail = ''): PhaseReport => ({ result, exitCode, durationMs: 1, logTail })
const skipped = phase('skipped')

describe('decisiveLine: the last line that looks like an error', () => {
  const box = '│ /app/server.py:12 in handle                                       │'
  const table: [string, string, string][] = [
    [
      'a Python traceback ends with the exception',
      'Traceback (most recent call last):\n  File "x.py", line 1\nRuntimeError: Recording not found for request hash 5f3a',
      'RuntimeError: Recording not found for request hash 5f3a',
    ],
    [
      'pytest short summary beats earlier errors',
      'E   KeyError: choices\nFAILED tests/test_chat.py::test_chat - KeyError: choices\n==== 1 failed in 2.1s ====',
      'FAILED tests/test_chat.py::test_chat - KeyError: choices',
    ],
    ['box-drawn rich traceback: the exception line, not the frame', `╭── Traceback ──╮\n${box}\n╰───────────────╯\nValueError: bad model id\n`, 'ValueError: bad model id'],
    ['`error:` in any case (make, uv, pip)', 'building...\nmake: *** [test] Error 2\nERROR: could not connect', 'ERROR: could not connect'],
    ['ANSI colours stripped', 'ok\n\x1b[31mAssertionError\x1b[0m: expected 1', 'AssertionError: expected 1'],
    ['nothing error-like: empty', 'collected 3 items\n3 passed, 0 errors? no: 3 passed', ''],
    ['lower-case "failed" or "errors" alone do not count', 'Retrying failed request\n0 errors', ''],
    ['Exception names count', 'java.lang.IllegalStateException thrown\nsome trailing line', 'java.lang.IllegalStateException thrown'],
  ]
  for (const [name, output, want] of table) test(name, () => assert.equal(decisiveLine(output), want))

  test(`at most ${DECISIVE_MAX} characters, ending in an ellipsis`, () => {
    const line = decisiveLine(`RuntimeError: ${'x'.repeat(1000)}`)
    assert.equal(line.length, DECISIVE_MAX)
    assert.ok(line.startsWith('RuntimeError: xxx') && line.endsWith('…'))
  })

  test('masked with the given mask', () => {
    assert.equal(
      decisiveLine('AuthError: key sk-live-123456 rejected', (s) => s.replace('sk-live-123456', '***')),
      'AuthError: key *** rejected',
    )
  })
})

describe('installerFailure: uv and pip could not install', () => {
  const table: [string, boolean][] = [
    ['  × No solution found when resolving `--with` dependencies:', true],
    ['error: Failed to download `demo-upstream==1.4.0`', true],
    ['  × Failed to build `demo @ file:///x`', true],
    ['error: Failed to fetch: `http://127.0.0.1:9/simple/demo/`', true],
    ['ERROR: ResolutionImpossible: for help visit https://pip.pypa.io', true],
    ['ERROR: No matching distribution found for demo-upstream==9.9', true],
    ['\x1b[31merror\x1b[0m: \x1b[1mFailed to download\x1b[0m', true],
    ['FAILED tests/test_chat.py::test_chat - KeyError', false],
    ['no solution found when resolving (lower case: not the tool)', false],
  ]
  for (const [line, want] of table) test(`${want ? 'yes' : 'no '}: ${JSON.stringify(line).slice(0, 60)}`, () => assert.equal(installerFailure(line), want))
})

describe('the verdict: new rows', () => {
  test('install failed → not-installable, with its decisive line; replay and record not run', () => {
    const why = notInstallableReason(phase('failure', 1, 'Resolved 3 packages\nerror: Failed to download `demo==1.4`'), skipped)
    assert.equal(why, 'install failed (exit 1): error: Failed to download `demo==1.4`; replay not run')
    assert.deepEqual(classify(skipped, skipped, 0, {}, { notInstallable: why }), { outcome: 'not-installable', reason: `${why}; record not run` })
  })

  test('install timed out → not-installable', () => {
    assert.equal(notInstallableReason(phase('timeout'), skipped, { installTimeoutMinutes: 15 }), 'install timed out after 15 min; replay not run')
  })

  test('an installer line in a failed replay → not-installable, the line quoted', () => {
    const why = notInstallableReason(skipped, phase('failure', 1), { installerLine: '  × No solution found when resolving `--with` dependencies:' })
    assert.equal(why, 'replay failed (exit 1): could not install: × No solution found when resolving `--with` dependencies:')
  })

  test('the could-not-test exit code → not-installable; another code is a real failure', () => {
    assert.equal(notInstallableReason(skipped, phase('failure', 3), { couldNotTestExitCode: 3 }), 'replay exited with 3, the could-not-test-exit-code: nothing was tested')
    assert.equal(notInstallableReason(skipped, phase('failure', 2), { couldNotTestExitCode: 3 }), '')
    assert.equal(notInstallableReason(skipped, phase('failure', 3), { couldNotTestExitCode: null }), '')
  })

  test('a passing replay is never not-installable, whatever it printed', () => {
    assert.equal(notInstallableReason(skipped, phase('success'), { installerLine: 'Failed to download x', couldNotTestExitCode: 0 }), '')
  })

  test('the decisive line of each failing phase is in the reason', () => {
    const v = classify(phase('failure', 2, 'x\nRuntimeError: Recording not found for request hash ab12'), phase('failure', 1, "KeyError: 'choices'"))
    assert.equal(v.reason, "replay failed (exit 2): RuntimeError: Recording not found for request hash ab12; record failed (exit 1): KeyError: 'choices'")
  })

  test('flaky: a later attempt passed → compatible, the reason says so', () => {
    assert.deepEqual(classify(phase('success'), skipped, 0, {}, { attempts: 2 }), { outcome: 'compatible', reason: 'replay passed on attempt 2 after failing (flaky)' })
  })

  test('every attempt failed: the reason counts them', () => {
    assert.equal(classify(phase('failure', 2), skipped, 0, {}, { attempts: 3 }).reason, 'replay failed (exit 2) (all 3 attempts); no record-command to try')
  })

  test('record skipped on a fork: incompatible, as with no record-command, and why', () => {
    assert.deepEqual(classify(phase('failure', 2), skipped, 0, {}, { recordSkipped: 'record skipped: pull request from a fork has no secrets' }), {
      outcome: 'incompatible',
      reason: 'replay failed (exit 2); record skipped: pull request from a fork has no secrets',
    })
  })

  test('record succeeded but changed nothing under fixtures-path → error', () => {
    assert.deepEqual(classify(phase('failure', 2), phase('success'), 0, {}, { fixturesPath: 'tests/recordings' }), {
      outcome: 'error',
      reason: 'replay failed (exit 2); record succeeded but changed nothing under tests/recordings: replay will fail again; check that record mode writes there',
    })
    assert.equal(classify(phase('failure', 2), phase('success'), 1, {}, { fixturesPath: 'tests/recordings' }).outcome, 'needs-recording')
    assert.equal(classify(phase('failure', 2), phase('success'), 0, {}, {}).outcome, 'needs-recording', 'without fixtures-path nothing can be checked')
  })
})

describe('summary line', () => {
  const base = { package: 'llama-stack', version: '0.7.2', channel: 'stable' }
  test('incompatible ends with the decisive line of the phase that failed last', () => {
    assert.equal(
      summaryLine({ ...base, outcome: 'incompatible', reason: 'r', replay: phase('failure', 2, 'RuntimeError: Recording not found'), record: phase('failure', 1, "KeyError: 'choices'") }),
      "llama-stack 0.7.2 (stable): incompatible: KeyError: 'choices'",
    )
    assert.equal(
      summaryLine({ ...base, outcome: 'incompatible', reason: 'r', replay: phase('failure', 2, 'RuntimeError: Recording not found'), record: skipped }),
      'llama-stack 0.7.2 (stable): incompatible: RuntimeError: Recording not found',
    )
  })
  test('not-installable names its reason; a flaky pass says so', () => {
    assert.equal(summaryLine({ ...base, outcome: 'not-installable', reason: 'install failed (exit 1)' }), 'llama-stack 0.7.2 (stable): not installable: install failed (exit 1)')
    assert.equal(summaryLine({ ...base, outcome: 'compatible', reason: 'r', flaky: true }), 'llama-stack 0.7.2 (stable): compatible (flaky: replay passed only on a later attempt)')
  })
})

test('report order: incompatible > error > not-installable > needs-recording > compatible', () => {
  const table: [string[], string][] = [
    [['compatible', 'not-installable'], 'not-installable'],
    [['needs-recording', 'not-installable'], 'not-installable'],
    [['not-installable', 'error'], 'error'],
    [['not-installable', 'incompatible'], 'incompatible'],
  ]
  for (const [outcomes, want] of table) assert.equal(overallStatus(outcomes as any), want, outcomes.join(','))
})

describe('isForkPullRequest', () => {
  const pr = (head: string | null, base = 'org/repo', fork?: boolean) => ({
    pull_request: { head: { repo: head === null ? null : { full_name: head, ...(fork !== undefined ? { fork } : {}) } }, base: { repo: { full_name: base } } },
  })
  const table: [string, string, unknown, boolean][] = [
    ['fork PR', 'pull_request', pr('someone/repo'), true],
    ['fork PR (target)', 'pull_request_target', pr('someone/repo'), true],
    ['same-repo PR', 'pull_request', pr('org/repo'), false],
    ['same repo, other case', 'pull_request', pr('Org/Repo'), false],
    ['deleted fork (head.repo null)', 'pull_request', pr(null), true],
    ['only head.repo.fork known', 'pull_request', { pull_request: { head: { repo: { fork: true } } } }, true],
    ['a push is never a fork PR', 'push', pr('someone/repo'), false],
    ['a schedule', 'schedule', {}, false],
    ['no pull_request in the payload', 'pull_request', {}, false],
  ]
  for (const [name, event, payload, want] of table) test(name, () => assert.equal(isForkPullRequest(event, payload), want))
})

describe('missingLegs (expected-legs)', () => {
  const legs = [{ package: 'llama-stack', channel: 'stable' }]
  test('a count: fewer result files than expected names what was found', () => {
    assert.match(missingLegs({ count: 2 }, legs), /^expected 2 result files \(expected-legs\) but found llama-stack-stable: 1 leg never reported/)
    assert.equal(missingLegs({ count: 1 }, legs), '')
  })
  test('names: legs or channels, any case', () => {
    assert.match(missingLegs({ names: ['stable', 'dev'] }, legs), /^no result for dev \(expected-legs\), found llama-stack-stable/)
    assert.equal(missingLegs({ names: ['Stable', 'llama-stack-stable'] }, legs), '')
    assert.equal(missingLegs({ names: ['nightly'] }, [{ package: 'x', channel: 'dev', leg: 'nightly' }]), '', 'a result@2 leg name')
  })
  test('not set: nothing checked', () => assert.equal(missingLegs(null, []), ''))
})

describe('staleWarning', () => {
  const now = Date.parse('2026-12-05T00:00:00Z')
  const release = (daysAgo: number) =>
    ({ version: '1.0.0', files: [{ filename: 'x-1.0.0-py3-none-any.whl', url: '', sha256: '', yanked: false as const, uploadTime: new Date(now - daysAgo * 86_400_000) }] }) as any
  test('older than the limit: how old, and a renamed project as a common cause', () => {
    const w = staleWarning('llama-stack', release(40), 'dev', 30, now)
    assert.match(w, /^llama-stack 1\.0\.0, the newest dev release on the index, was uploaded 40 days ago \(2026-10-26\), more than stale-after-days \(30\)/)
    assert.match(w, /A renamed project is a common cause/)
  })
  test('within the limit, or off: nothing', () => {
    assert.equal(staleWarning('p', release(120), 'stable', 180, now), '')
    assert.equal(staleWarning('p', release(4000), 'stable', 0, now), '')
  })
})
