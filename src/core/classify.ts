// The verdict, as a pure function of what the phases did: exactly the contract's outcome table.
import { constants } from 'node:os'
import type { Outcome, PhaseReport } from './vocabulary'

/** A shell reports a child killed by signal N as exit 128+N: say which signal it was. */
function exitWords(code: number | null): string {
  const signal = code !== null && code > 128 ? Object.entries(constants.signals).find(([, n]) => n === code - 128)?.[0] : undefined
  return signal ? `exit ${code}: killed by ${signal}` : `exit ${code}`
}

export interface Verdict {
  outcome: Exclude<Outcome, 'error'>
  reason: string
}

export function describePhase(name: string, p: PhaseReport, timeoutMinutes?: number): string {
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

export function classify(
  replay: PhaseReport,
  record: PhaseReport,
  fixturesChanged = 0,
  timeouts: { replay?: number; record?: number } = {},
): Verdict {
  if (replay.result === 'success') return { outcome: 'compatible', reason: describePhase('replay', replay) }
  const first = describePhase('replay', replay, timeouts.replay)
  if (record.result === 'skipped') return { outcome: 'incompatible', reason: `${first}; no record-command to try` }
  const second = describePhase('record', record, timeouts.record)
  if (record.result === 'success') {
    const n = fixturesChanged === 1 ? '1 fixture changed' : `${fixturesChanged} fixtures changed`
    return { outcome: 'needs-recording', reason: `${first}; ${second}; ${n}` }
  }
  return { outcome: 'incompatible', reason: `${first}; ${second}` }
}
