// The last stage, run on every exit: result file, outputs, job summary, and the step's status.
import * as core from '@actions/core'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import type { Outcome } from '../core/vocabulary'
import { outputsOf, summaryLine, toResultFile, type RunState } from '../core/result-file'
import { jobSummary } from '../core/summary'
import { inline } from '../core/markdown'
import { mask } from '../io/secrets'
import { runInfo, sentinelTemp } from '../io/runner'

const safe = (s: string) => s.replace(/[^a-z0-9._-]/gi, '_') || 'unknown'

/** `compat-sentinel-result-<leg>.json`: with the default leg, `<package>-<channel>` as the contract names it. */
function resultFilePath(state: Pick<RunState, 'leg'>): string {
  return path.join(sentinelTemp(), `compat-sentinel-result-${safe(state.leg)}.json`)
}

/** Next to the result file, so one artifact upload can carry both. */
export function fixturesPatchPath(state: Pick<RunState, 'leg'>): string {
  return path.join(sentinelTemp(), `compat-sentinel-fixtures-${safe(state.leg)}.patch`)
}

/** The `summary` output and the summary's first line: one line, whatever a reason holds. */
const oneLine = (s: string) => s.replace(/\s*[\r\n]+\s*/g, ' ').trim()

export async function publish(state: RunState, failOn: ReadonlySet<Outcome>): Promise<void> {
  const result = toResultFile(state, runInfo(), mask)
  const summary = oneLine(mask(summaryLine(state)))
  const file = resultFilePath(state)
  let written = false
  try {
    await fs.mkdir(path.dirname(file), { recursive: true })
    await fs.writeFile(file, `${JSON.stringify(result, null, 2)}\n`)
    written = true
  } catch (e) {
    core.warning(`Could not write the result file ${file}: ${(e as Error).message}`)
  }
  // An output that cannot be written must not stop the summary, nor pass in silence: later
  // steps would read an empty outcome.
  let outputsFailed = ''
  for (const [name, value] of Object.entries(outputsOf(result, written ? file : '', summary))) {
    try {
      core.setOutput(name, value)
    } catch (e) {
      outputsFailed = `The step outputs could not be written to GITHUB_OUTPUT (${process.env.GITHUB_OUTPUT ?? 'not set'}): ${(e as Error).message}. Later steps will not see this result; check the runner's disk and the job's container.`
      break
    }
  }
  if (outputsFailed) core.error(outputsFailed)
  if (process.env.GITHUB_STEP_SUMMARY) {
    const md = jobSummary(result, summary, state.notes.map(mask)) + (outputsFailed ? `\n> [!WARNING]\n> ${inline(outputsFailed)}\n` : '')
    await fs.appendFile(process.env.GITHUB_STEP_SUMMARY, md).catch((e: Error) => core.warning(`Could not write the job summary: ${e.message}`))
  }
  if (failOn.has(result.outcome) || outputsFailed) core.setFailed(summary)
  else if (result.outcome === 'error') core.warning(summary)
  else core.info(summary)
}
