// "Test one version": its files prefetched (when wanted) and the replay phase run against it.
// The main pipeline tests the resolved version with it; other callers (bisect probes) test
// other versions of the same channel the same way, so there is one copy of this sequence.
import * as path from 'node:path'
import type { Inputs } from '../inputs'
import type { PhaseReport } from '../core/vocabulary'
import { mask } from '../io/secrets'
import { sentinelTemp } from '../io/runner'
import type { Resolution } from './resolve'
import { prefetchWheels, shouldPrefetch, type Prefetched } from './wheels'
import { runPhase } from './phases'
import { stage } from './stage'

export type PhaseName = 'replay' | 'record'

/** What the commands see of the version under test, besides the runner's own environment. */
export function commandEnv(inputs: Pick<Inputs, 'versionEnv'>, what: { package: string; version: string; channel: string }, phase: PhaseName): NodeJS.ProcessEnv {
  return {
    ...process.env,
    [inputs.versionEnv]: what.version,
    COMPAT_SENTINEL_PACKAGE: what.package,
    COMPAT_SENTINEL_VERSION: what.version,
    COMPAT_SENTINEL_CHANNEL: what.channel,
    COMPAT_SENTINEL_PHASE: phase,
  }
}

/** Runs one phase's command for the version under test. */
export function runCommand(inputs: Inputs, what: { package: string; version: string; channel: string }, phase: PhaseName): Promise<PhaseReport> {
  const command = phase === 'replay' ? inputs.replayCommand : inputs.recordCommand
  const timeoutMs = phase === 'replay' ? inputs.replayTimeoutMs : inputs.recordTimeoutMs
  const title = `${phase === 'replay' ? 'Replay' : 'Record'}: ${mask(command)}`
  return stage(title, () => runPhase({ name: phase, command, cwd: inputs.workingDirectory, env: commandEnv(inputs, what, phase), timeoutMs, tempDir: sentinelTemp() }))
}

export interface Tested {
  wheels?: Prefetched
  replay: PhaseReport
}

/** Prefetch (when the index needs it), then replay. Record is the caller's decision. */
export async function testVersion(inputs: Inputs, resolution: Resolution, what: { package: string; version: string; channel: string }, onPrefetched?: (p: Prefetched) => void): Promise<Tested> {
  let wheels: Prefetched | undefined
  if (shouldPrefetch(inputs.prefetchWheels, resolution.indexUrl)) {
    wheels = await stage('Prefetch wheels', () => prefetchWheels(inputs, resolution))
    onPrefetched?.(wheels)
  }
  const replay = await runCommand(inputs, what, 'replay')
  return { wheels, replay }
}
