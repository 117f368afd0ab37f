// The verdict, as a pure function of what the phases did: exactly the contract's outcome table.
import { constants } from 'node:os'
import type { Outcome, PhaseReport } from './vocabulary'
import { decisiveLine, quotable } from './log-lines'

/** A shell reports a child killed by signal N as exit 128+N: say which signal it was. */
function exitWords(code: number | null): string {
  const signal = code !== null && code > 128 ? Object.entries(constants.signals).find(([, n]) => n === code - 128)?.[0] : undefined
  return signal ? `exit ${code}: killed by ${signal}` : `exit ${code}`
}

export interface Verdict {
  outcome: Outcome
  reason: string
}

function describePhase(name: string, p: PhaseReport, timeoutMinutes?: number): string {
  switch (p.result) {
    case 'success':
      return `${name} ${name === 'record' ? 'succeeded' : 'passed'}`
    case 'timeout':
      return `${name} timed out${timeoutMinutes ? ` after ${timeoutMinutes} min` : ''}`
    case 'skipped':
      return `${name} skipped`
    case 'failure':
      return `${name} failed (${p.signal ? `killed by ${p.signal}` : exitWords(p.exitCode)})`
  }
}

/** `replay failed (exit 2): RuntimeError: ...`: a failure with the decisive line of its output. */
function describeFailure(name: string, p: PhaseReport, timeoutMinutes?: number): string {
  const line = p.result === 'failure' ? decisiveLine(p.logTail) : ''
  return describePhase(name, p, timeoutMinutes) + (line ? `: ${line}` : '')
}

/**
 * Why the version under test could not be installed, or '' when nothing says so: the
 * install-command failed or timed out, the replay printed an installer's failure (`installerLine`),
 * or the replay exited with the could-not-test exit code. Shared with other testers (bisect).
 */
export function notInstallableReason(install: PhaseReport, replay: PhaseReport, opts: { installerLine?: string; couldNotTestExitCode?: number | null; installTimeoutMinutes?: number } = {}): string {
  if (install.result === 'failure' || install.result === 'timeout') return `${describeFailure('install', install, opts.installTimeoutMinutes)}; replay not run`
  if (replay.result !== 'failure') return ''
  if (opts.installerLine) return `${describePhase('replay', replay)}: could not install: ${quotable(opts.installerLine)}`
  if (opts.couldNotTestExitCode != null && replay.exitCode === opts.couldNotTestExitCode) {
    return `replay exited with ${replay.exitCode}, the could-not-test-exit-code: nothing was tested`
  }
  return ''
}

/** What else decides the verdict besides the two phases. */
export interface Circumstances {
  /** From notInstallableReason(); set means nothing was tested. */
  notInstallable?: string
  /** Replay attempts made; more than 1 with a passing replay is a flaky pass. */
  attempts?: number
  /** Why a configured record-command was not run (a fork's pull request). */
  recordSkipped?: string
  /** `fixtures-path` as given; with it, a record that changed nothing there is an error. */
  fixturesPath?: string
}

export function classify(replay: PhaseReport, record: PhaseReport, fixturesChanged = 0, timeouts: { replay?: number; record?: number } = {}, more: Circumstances = {}): Verdict {
  if (more.notInstallable) return { outcome: 'not-installable', reason: `${more.notInstallable}; record not run` }
  const attempts = more.attempts ?? 1
  if (replay.result === 'success') {
    return { outcome: 'compatible', reason: attempts > 1 ? `replay passed on attempt ${attempts} after failing (flaky)` : describePhase('replay', replay) }
  }
  const first = describeFailure('replay', replay, timeouts.replay) + (attempts > 1 ? ` (all ${attempts} attempts)` : '')
  if (record.result === 'skipped') return { outcome: 'incompatible', reason: `${first}; ${more.recordSkipped || 'no record-command to try'}` }
  const second = describeFailure('record', record, timeouts.record)
  if (record.result === 'success') {
    if (more.fixturesPath && fixturesChanged === 0) {
      return { outcome: 'error', reason: `${first}; record succeeded but changed nothing under ${more.fixturesPath}: replay will fail again; check that record mode writes there` }
    }
    const n = fixturesChanged === 1 ? '1 fixture changed' : `${fixturesChanged} fixtures changed`
    return { outcome: 'needs-recording', reason: `${first}; ${second}; ${n}` }
  }
  return { outcome: 'incompatible', reason: `${first}; ${second}` }
}
