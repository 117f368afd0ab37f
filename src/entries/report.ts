// Entry of the `report` sub-action (report/action.yml): result files of the legs in, one verdict out.
import * as core from '@actions/core'
import * as fs from 'node:fs/promises'
import { loadReportInputs } from '../inputs'
import { combine } from '../core/combine'
import { EMOJI, clip, inline, slackSafe } from '../core/markdown'
import { UserError, type Outcome } from '../core/vocabulary'
import { readResultFiles } from '../io/result-files'
import { runInfo } from '../io/runner'
import { mapStack } from '../io/source-map'

async function runReport(): Promise<void> {
  const loaded = loadReportInputs()
  const failOn = loaded.failOn
  let count = 0
  try {
    if (!loaded.ok) throw loaded.error
    const legs = await readResultFiles(loaded.inputs.results)
    count = legs.length
    const c = combine(legs, runInfo(), loaded.inputs.expectedLegs)
    if (c.missing) core.error(c.missing)
    await publish(c.overall, c.lines.join('\n'), c.slack, count, `## ${EMOJI[c.overall]} compat-sentinel: ${c.overall}\n\n${c.table}`, c.notify)
    if (failOn.has(c.overall)) core.setFailed(`compat-sentinel overall status: ${c.overall}\n${c.lines.join('\n')}`)
  } catch (e) {
    const message = e instanceof UserError ? e.message : `unexpected internal error: ${(e as Error).message}`
    if (!(e instanceof UserError)) core.error(mapStack((e as Error).stack ?? message), { title: 'compat-sentinel report: unexpected internal error' })
    const run = runInfo()
    const slack = slackSafe({ overall_status: 'error', overall_emoji: EMOJI.error, details: message, workflow_run_url: run.url, repository: run.repository })
    // A report that could not read its legs is news: nobody would hear of it otherwise.
    await publish('error', `${EMOJI.error} ${message}`, slack, count, `## ${EMOJI.error} compat-sentinel report: error\n\n${inline(clip(message, 4000))}\n`, true)
    if (failOn.has('error')) core.setFailed(message)
    else core.warning(message)
  }
}

async function publish(overall: Outcome, summary: string, slack: Record<string, string>, count: number, markdown: string, notify: boolean): Promise<void> {
  core.setOutput('overall-status', overall)
  core.setOutput('notify', String(notify))
  core.setOutput('summary', summary)
  core.setOutput('slack-payload', JSON.stringify(slack))
  core.setOutput('count', String(count))
  core.info(summary)
  if (process.env.GITHUB_STEP_SUMMARY) await fs.appendFile(process.env.GITHUB_STEP_SUMMARY, markdown).catch((e: Error) => core.warning(`Could not write the job summary: ${e.message}`))
}

void runReport()
