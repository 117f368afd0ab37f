// "Test one version": its files prefetched (when wanted) and the replay phase run against it.
// The main pipeline tests the resolved version with it; other callers (bisect probes) test
// other versions of the same channel the same way, so there is one copy of this sequence.
import type { Inputs } from '../inputs'
import * as core from '@actions/core'
import { skippedPhase, type PhaseReport } from '../core/vocabulary'
import { notInstallableReason } from '../core/classify'
import { installerFailure } from '../core/log-lines'
import { redactUrl } from '../io/secrets'
import { mask } from '../io/secrets'
import { sentinelTemp } from '../io/runner'
import type { Resolution } from './resolve'
import { prefetchWheels, shouldPrefetch, type Prefetched } from './wheels'
import { runPhase } from './phases'
import { stage } from './stage'

export type PhaseName = 'install' | 'replay' | 'record'

/** What the commands see of the version under test, besides the runner's own environment. */
function commandEnv(inputs: Pick<Inputs, 'versionEnv'>, what: { package: string; version: string; channel: string }, phase: PhaseName): NodeJS.ProcessEnv {
  return {
    ...process.env,
    [inputs.versionEnv]: what.version,
    COMPAT_SENTINEL_PACKAGE: what.package,
    COMPAT_SENTINEL_VERSION: what.version,
    COMPAT_SENTINEL_CHANNEL: what.channel,
    COMPAT_SENTINEL_PHASE: phase,
  }
}

const TITLES: Record<PhaseName, string> = { install: 'Install', replay: 'Replay', record: 'Record' }

/** Less time than this left before a deadline, and a phase is not started (nor a probe, in bisect.ts). */
export const MIN_PHASE_MS = 1000

const phaseTimeoutMs = (inputs: Inputs, phase: PhaseName) => ({ install: inputs.installTimeoutMs, replay: inputs.replayTimeoutMs, record: inputs.recordTimeoutMs })[phase]

/** Runs one phase's command for the version under test; `onLine` sees its output as it streams. */
export function runCommand(
  inputs: Inputs,
  what: { package: string; version: string; channel: string; probe?: boolean },
  phase: PhaseName,
  onLine?: (line: string) => void,
  title = TITLES[phase],
  timeoutMs = phaseTimeoutMs(inputs, phase),
): Promise<PhaseReport> {
  const command = { install: inputs.installCommand, replay: inputs.replayCommand, record: inputs.recordCommand }[phase]
  return stage(`${title}: ${mask(command)}`, () =>
    runPhase({ name: phase, command, cwd: inputs.workingDirectory, env: commandEnv(inputs, what, phase), timeoutMs, tempDir: sentinelTemp(), onLine, passOn: !what.probe }),
  )
}

export interface Tested {
  wheels?: Prefetched
  /** The install-command phase (`skipped` when there is none). */
  install: PhaseReport
  /** The last replay attempt (`skipped` when install failed). */
  replay: PhaseReport
  /** Replay attempts made. */
  attempts: number
  /** A later attempt passed after an earlier one failed. */
  flaky: boolean
  /** Why the version could not be installed, so nothing was tested; '' when it was tested. */
  notInstallable: string
  /** The deadline stopped a phase or an attempt: the result says nothing about the version. */
  cutShort: boolean
}

/**
 * Prefetch (when the index needs it), install (when an install-command is set), then replay,
 * up to `replay-attempts` times while it fails. Record is the caller's decision.
 */
export async function testVersion(
  inputs: Inputs,
  resolution: Resolution,
  /**
   * `probe`: a bisection probe, whose command files are not passed on to later steps.
   * `deadline` (epoch ms): no command runs past it, whatever its own timeout and the attempts left.
   */
  what: { package: string; version: string; channel: string; probe?: boolean; deadline?: number },
  onPrefetched?: (p: Prefetched) => void,
): Promise<Tested> {
  const left = () => (what.deadline === undefined ? Infinity : what.deadline - Date.now())
  let cutShort = false
  /** A phase within what is left before the deadline; a timeout the deadline set cuts the test short. */
  const run = async (phase: PhaseName, onLine?: (line: string) => void, title = TITLES[phase]): Promise<PhaseReport> => {
    // With less left (a long prefetch, earlier attempts), a phase is not started.
    if (left() < MIN_PHASE_MS) {
      core.info(`No time left for ${title} of ${what.version} before the deadline (bisect-timeout-minutes): not counted`)
      cutShort = true
      return skippedPhase()
    }
    const own = phaseTimeoutMs(inputs, phase)
    const limit = Math.min(own, left())
    const report = await runCommand(inputs, what, phase, onLine, title, limit)
    if (report.result === 'timeout' && limit < own) {
      cutShort = true
      core.info(`${TITLES[phase]} of ${what.version} stopped when the time left ran out (bisect-timeout-minutes), not at its own timeout: not counted`)
    }
    return report
  }
  let wheels: Prefetched | undefined
  const prefetch = shouldPrefetch(inputs.prefetchWheels, resolution.indexUrl)
  core.debug(
    `prefetch-wheels ${inputs.prefetchWheels}: ${prefetch ? 'prefetching' : 'not prefetching'} (index ${redactUrl(resolution.indexUrl)}${inputs.prefetchWheels === 'auto' ? ', prefetched unless it is pypi.org' : ''})`,
  )
  if (prefetch) {
    wheels = await stage('Prefetch wheels', () => prefetchWheels(inputs, resolution))
    onPrefetched?.(wheels)
  }
  const install = inputs.installCommand ? await run('install') : skippedPhase()
  const minutes = (ms: number) => ms / 60_000
  if (install.result === 'failure' || install.result === 'timeout') {
    return {
      wheels,
      install,
      replay: skippedPhase(),
      attempts: 0,
      flaky: false,
      notInstallable: notInstallableReason(install, skippedPhase(), { installTimeoutMinutes: minutes(inputs.installTimeoutMs) }),
      cutShort,
    }
  }

  let replay = skippedPhase()
  let installerLine = ''
  let attempt = 0
  while (attempt < inputs.replayAttempts && !cutShort) {
    attempt++
    // The first installer failure line of this attempt: uv's and pip's own words, kept whole
    // even when the (bounded) tail has long dropped it.
    // uv explains on the next, indented line (`  ╰─▶ Because there is no version of ...`): keep it too.
    installerLine = ''
    let explain = false
    const scan = (line: string) => {
      if (explain) {
        explain = false
        if (/^\s/.test(line) && line.trim()) installerLine = `${installerLine.replace(/:\s*$/, '')}: ${line.trim().replace(/^╰─▶\s*/, '')}`
      } else if (!installerLine && installerFailure(line)) {
        installerLine = line
        explain = true
      }
    }
    const title = inputs.replayAttempts > 1 ? `Replay (attempt ${attempt} of ${inputs.replayAttempts})` : 'Replay'
    replay = await run('replay', scan, title)
    if (replay.result === 'success' || cutShort) break
    if (attempt < inputs.replayAttempts)
      core.info(`Replay attempt ${attempt} ${replay.result === 'timeout' ? 'timed out' : 'failed'}; running it again (replay-attempts: ${inputs.replayAttempts}) before deciding`)
  }
  const flaky = replay.result === 'success' && attempt > 1
  if (flaky) core.warning(`Replay passed on attempt ${attempt} after failing: counted as compatible, but a test is flaky.`)
  const notInstallable = notInstallableReason(install, replay, { installerLine, couldNotTestExitCode: inputs.couldNotTestExitCode })
  if (notInstallable) core.debug(`not-installable: ${notInstallable}`)
  return { wheels, install, replay, attempts: attempt, flaky, notInstallable, cutShort }
}
