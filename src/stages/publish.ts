// The last stage, run on every exit: result file, outputs, job summary, and the step's status.
import * as core from '@actions/core'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import type { Outcome } from '../core/vocabulary'
import { outputsOf, summaryLine, toResultFile, type RunState } from '../core/result-file'
import { jobSummary } from '../core/summary'
import { mask } from '../io/secrets'
import { runInfo, sentinelTemp } from '../io/runner'

const safe = (s: string) => s.replace(/[^a-z0-9._-]/gi, '_') || 'unknown'

/** `compat-sentinel-result-<leg>.json`: with the default leg, `<package>-<channel>` as the contract names it. */
export function resultFilePath(state: Pick<RunState, 'leg'>): string {
  return path.join(sentinelTemp(), `compat-sentinel-result-${safe(state.leg)}.json`)
}

/** Next to the result file, so one artifact upload can carry both. */
export function fixturesPatchPath(state: Pick<RunState, 'leg'>): string {
  return path.join(sentinelTemp(), `compat-sentinel-fixtures-${safe(state.leg)}.patch`)
}

export async function publish(state: RunState, failOn: ReadonlySet<Outcome>): Promise<void> {
  const result = toResultFile(state, runInfo(), mask)
  const summary = mask(summaryLine(state))
  const file = resultFilePath(state)
  try {
    await fs.mkdir(path.dirname(file), { recursive: true })
    await fs.writeFile(file, JSON.stringify(result, null, 2) + '\n')
  } catch (e) {
    core.warning(`Could not write the result file ${file}: ${(e as Error).message}`)
  }
  for (const [name, value] of Object.entries(outputsOf(result, file, summary))) core.setOutput(name, value)
  if (process.env.GITHUB_STEP_SUMMARY) {
    await fs.appendFile(process.env.GITHUB_STEP_SUMMARY, jobSummary(result, summary, state.notes.map(mask))).catch((e: Error) => core.warning(`Could not write the job summary: ${e.message}`))
  }
  if (failOn.has(result.outcome)) core.setFailed(summary)
  else if (result.outcome === 'error') core.warning(summary)
  else core.info(summary)
}
