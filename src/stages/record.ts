// The record phase and what it did to the recordings: the files it added, changed or deleted
// under `fixtures-path`, interaction by interaction, and a patch of them.
import * as path from 'node:path'
import type { Inputs } from '../inputs'
import type { RunState } from '../core/result-file'
import { diffSnapshots, snapshot } from './fixtures'
import { describeRecordings, keepRecordings } from './recordings'
import { fixturesPatchPath } from './publish'
import { runCommand } from './test-version'
import { stage } from './stage'

/** Runs record; fills `record`, `fixturesChanged`, `fixtureDiff` and `fixturesPatch` of the state. */
export async function record(inputs: Inputs, state: RunState): Promise<void> {
  const fixtures = inputs.fixturesPath ? path.resolve(inputs.workingDirectory, inputs.fixturesPath) : ''
  const before = fixtures ? await snapshot(fixtures) : new Map<string, string>()
  const kept = fixtures ? await keepRecordings(fixtures, inputs.workingDirectory) : null
  state.record = await runCommand(inputs, state, 'record')
  if (!fixtures) return
  const after = await snapshot(fixtures)
  state.fixturesChanged = diffSnapshots(before, after, inputs.fixturesPath)
  Object.assign(state, await stage('What changed in the recordings', () => describeRecordings(kept, before, after, inputs.fixturesPath, fixturesPatchPath(state))))
}
