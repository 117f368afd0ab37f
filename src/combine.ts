// The `report` sub-action: the result files of the matrix legs in, one verdict out.
import * as core from '@actions/core'
import * as glob from '@actions/glob'
import * as fs from 'node:fs/promises'
import { OUTCOMES, RESULT_SCHEMA, UserError, type Outcome, type ResultFile } from './types'
import { failOnOrDefault, loadReportInputs } from './inputs'
import { runInfo, summaryLine } from './run-record'
import { EMOJI, cell, escapeHtml } from './markdown'
import { mapStack } from './io/source-map'

/** Worst first: a break outranks "could not test", which outranks "needs recording". */
const SEVERITY: Outcome[] = ['incompatible', 'error', 'needs-recording', 'compatible']

export function overallStatus(outcomes: Outcome[]): Outcome {
  if (!outcomes.length) return 'error'
  return SEVERITY.find((s) => outcomes.includes(s))!
}

/** Checks the fields the report relies on; the message names what is wrong. */
export function validateResult(data: unknown, file: string): ResultFile {
  const r = data as Partial<ResultFile> | null
  const problem =
    typeof r !== 'object' || r === null
      ? 'it is not a JSON object'
      : r.schema !== RESULT_SCHEMA
        ? `its schema is ${JSON.stringify(r.schema)}, not "${RESULT_SCHEMA}"`
        : !OUTCOMES.includes(r.outcome as Outcome)
          ? `its outcome ${JSON.stringify(r.outcome)} is not one of ${OUTCOMES.join(', ')}`
          : typeof r.package !== 'string' || typeof r.channel !== 'string' || typeof r.version !== 'string'
            ? 'package, channel or version is missing'
            : !r.replay || !r.record
              ? 'replay or record is missing'
              : null
  if (problem) throw new UserError(`Result file ${file} is not a compat-sentinel result: ${problem}. Pass only files written by compat-sentinel in 'results'.`)
  return r as ResultFile
}

const keyPart = (s: string) => (s || 'unknown').replace(/[^A-Za-z0-9]/g, '_')

/** `<channel>_summary` per leg, or `<package>_<channel>_summary` when two legs share a channel. */
export function legKeys(legs: Pick<ResultFile, 'package' | 'channel'>[]): string[] {
  const channels = legs.map((l) => l.channel)
  const shared = new Set(channels).size !== channels.length
  const keys = legs.map((l) => (shared ? `${keyPart(l.package)}_${keyPart(l.channel)}_summary` : `${keyPart(l.channel)}_summary`))
  // Two legs of the same package and channel: number them rather than lose one.
  return keys.map((k, i) => (keys.indexOf(k) === i ? k : `${k.replace(/_summary$/, '')}_${i + 1}_summary`))
}

export interface Combined {
  overall: Outcome
  lines: string[]
  slack: Record<string, string>
  table: string
}

export function combine(legs: ResultFile[], run = runInfo()): Combined {
  const overall = overallStatus(legs.map((l) => l.outcome))
  const lines = legs.map((l) => `${EMOJI[l.outcome]} ${summaryLine(l)}`)
  const slack: Record<string, string> = { overall_status: overall, overall_emoji: EMOJI[overall] }
  legKeys(legs).forEach((k, i) => (slack[k] = lines[i]!))
  Object.assign(slack, { details: lines.join('\n'), workflow_run_url: run.url, repository: run.repository })
  let table = '| | Package | Channel | Version | Pinned | Replay | Record | Reason |\n|---|---|---|---|---|---|---|---|\n'
  for (const l of legs) {
    table += `| ${EMOJI[l.outcome]} | ${[l.package, l.channel, l.version || '—', l.pinnedVersion || '—', l.replay.result, l.record.result, l.reason].map(cell).join(' | ')} |\n`
  }
  return { overall, lines, slack, table }
}

async function readLegs(patterns: string): Promise<{ files: string[]; legs: ResultFile[] }> {
  const globber = await glob.create(patterns, { matchDirectories: false })
  const files = (await globber.glob()).sort()
  if (!files.length) throw new UserError(`No result files match ${JSON.stringify(patterns)}: download the legs' artifacts before this step, or fix 'results'.`)
  const legs: ResultFile[] = []
  for (const file of files) {
    let data: unknown
    try {
      data = JSON.parse(await fs.readFile(file, 'utf8'))
    } catch (e) {
      throw new UserError(`Result file ${file} could not be read as JSON (${(e as Error).message}).`)
    }
    legs.push(validateResult(data, file))
  }
  return { files, legs }
}

export async function runReport(): Promise<void> {
  // Read on its own first, so that an error in the other inputs still fails (or not) as asked.
  const failOn = failOnOrDefault()
  let count = 0
  try {
    const inputs = loadReportInputs()
    const { legs } = await readLegs(inputs.results)
    count = legs.length
    const c = combine(legs)
    await publish(c.overall, c.lines.join('\n'), c.slack, count, `## ${EMOJI[c.overall]} compat-sentinel: ${c.overall}\n\n${c.table}`)
    if (failOn.has(c.overall)) core.setFailed(`compat-sentinel overall status: ${c.overall}\n${c.lines.join('\n')}`)
  } catch (e) {
    const message = e instanceof UserError ? e.message : `unexpected internal error: ${(e as Error).message}`
    if (!(e instanceof UserError)) core.error(mapStack((e as Error).stack ?? message), { title: 'compat-sentinel report: unexpected internal error' })
    const run = runInfo()
    const slack = { overall_status: 'error', overall_emoji: EMOJI.error, details: message, workflow_run_url: run.url, repository: run.repository }
    await publish('error', `${EMOJI.error} ${message}`, slack, count, `## ${EMOJI.error} compat-sentinel report: error\n\n${escapeHtml(message)}\n`)
    if (failOn.has('error')) core.setFailed(message)
    else core.warning(message)
  }
}

async function publish(overall: Outcome, summary: string, slack: Record<string, string>, count: number, markdown: string): Promise<void> {
  core.setOutput('overall-status', overall)
  core.setOutput('summary', summary)
  core.setOutput('slack-payload', JSON.stringify(slack))
  core.setOutput('count', String(count))
  core.info(summary)
  if (process.env.GITHUB_STEP_SUMMARY) await fs.appendFile(process.env.GITHUB_STEP_SUMMARY, markdown).catch((e: Error) => core.warning(`Could not write the job summary: ${e.message}`))
}
