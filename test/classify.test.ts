// The verdict as a pure function: the contract's outcome table, and reasons a person can read.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { classify } from '../src/core/classify'
import type { PhaseReport } from '../src/core/vocabulary'

const phase = (result: PhaseReport['result'], exitCode: number | null = result === 'success' ? 0 : null, signal?: string): PhaseReport => ({
  result,
  exitCode,
  durationMs: 1,
  logTail: '',
  ...(signal ? { signal } : {}),
})
const skipped = phase('skipped')

const table: [string, PhaseReport, PhaseReport, number, string, string][] = [
  ['replay passes', phase('success'), skipped, 0, 'compatible', 'replay passed'],
  ['replay passes (record never looked at)', phase('success'), phase('failure', 1), 0, 'compatible', 'replay passed'],
  ['replay fails, record succeeds', phase('failure', 2), phase('success'), 3, 'needs-recording', 'replay failed (exit 2); record succeeded; 3 fixtures changed'],
  ['one fixture, singular', phase('failure', 1), phase('success'), 1, 'needs-recording', 'replay failed (exit 1); record succeeded; 1 fixture changed'],
  ['replay times out, record succeeds', phase('timeout'), phase('success'), 0, 'needs-recording', 'replay timed out after 30 min; record succeeded; 0 fixtures changed'],
  ['both fail', phase('failure', 2), phase('failure', 1), 0, 'incompatible', 'replay failed (exit 2); record failed (exit 1)'],
  ['replay fails, record times out', phase('failure', 2), phase('timeout'), 0, 'incompatible', 'replay failed (exit 2); record timed out after 60 min'],
  ['both time out', phase('timeout'), phase('timeout'), 0, 'incompatible', 'replay timed out after 30 min; record timed out after 60 min'],
  ['no record-command', phase('failure', 2), skipped, 0, 'incompatible', 'replay failed (exit 2); no record-command to try'],
  ['killed by a signal', phase('failure', null, 'SIGTERM'), skipped, 0, 'incompatible', 'replay failed (killed by SIGTERM); no record-command to try'],
  ['a shell reporting a killed child', phase('failure', 137), phase('failure', 130), 0, 'incompatible', 'replay failed (exit 137: killed by SIGKILL); record failed (exit 130: killed by SIGINT)'],
]

for (const [name, replay, record, fixtures, outcome, reason] of table) {
  test(`classify: ${name} → ${outcome}`, () => {
    assert.deepEqual(classify(replay, record, fixtures, { replay: 30, record: 60 }), { outcome, reason })
  })
}
