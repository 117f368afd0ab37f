// The `report` sub-action's logic: the result files of the matrix legs in, one verdict out.
import { OUTCOMES, RESULT_SCHEMA, UserError, type Outcome, type ResultFile } from './vocabulary'
import { summaryLine } from './result-file'
import { EMOJI, OWN_SUMMARY_LIMIT, cell, slackSafe } from './markdown'

/**
 * Worst first: a break outranks "could not test", which outranks "could not install the
 * version" (nothing was tested, but the run itself worked), which outranks "needs recording".
 */
export const SEVERITY: Outcome[] = ['incompatible', 'error', 'not-installable', 'needs-recording', 'compatible']

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
            : !isPhase(r.replay) || !isPhase(r.record)
              ? 'replay or record is missing or has no result'
              : (['reason', 'pinnedVersion'] as const).find((k) => typeof r[k] !== 'string')
                ? `its ${(['reason', 'pinnedVersion'] as const).find((k) => typeof r[k] !== 'string')} is not a string`
                : null
  if (problem) throw new UserError(`Result file ${file} is not a compat-sentinel result: ${problem}. Pass only files written by compat-sentinel in 'results'.`)
  return r as ResultFile
}

const isPhase = (p: unknown): boolean => typeof p === 'object' && p !== null && typeof (p as { result?: unknown }).result === 'string'

const keyPart = (s: string) => (s || 'unknown').replace(/[^A-Za-z0-9]/g, '_')

/** `<channel>_summary` per leg, or `<package>_<channel>_summary` when two legs share a channel. */
export function legKeys(legs: Pick<ResultFile, 'package' | 'channel'>[]): string[] {
  const channels = legs.map((l) => l.channel)
  const shared = new Set(channels).size !== channels.length
  const keys = legs.map((l) => (shared ? `${keyPart(l.package)}_${keyPart(l.channel)}_summary` : `${keyPart(l.channel)}_summary`))
  // Two legs of the same package and channel: number them rather than lose one.
  return keys.map((k, i) => (keys.indexOf(k) === i ? k : `${k.replace(/_summary$/, '')}_${i + 1}_summary`))
}

/** `expected-legs`: how many result files, or which legs (leg names or channels) must report. */
export type ExpectedLegs = { count: number } | { names: string[] }

/** What a leg answers to in `expected-legs`: its `leg` name (result@2), its channel, `<package>-<channel>`. */
function legNames(l: Pick<ResultFile, 'package' | 'channel'> & { leg?: string }): string[] {
  return [l.leg, l.channel, `${l.package}-${l.channel}`].filter((n): n is string => Boolean(n)).map((n) => n.toLowerCase())
}

/**
 * What is missing against `expected-legs`, as a sentence; '' when every expected leg reported.
 * A leg that died before uploading its result file is otherwise silently absent.
 */
export function missingLegs(expected: ExpectedLegs | null, legs: (Pick<ResultFile, 'package' | 'channel'> & { leg?: string })[]): string {
  if (!expected) return ''
  const found = legs.map((l) => l.leg || `${l.package}-${l.channel}`)
  const foundText = found.length ? `found ${found.join(', ')}` : 'found none'
  if ('count' in expected) {
    if (legs.length >= expected.count) return ''
    const n = expected.count - legs.length
    return `expected ${expected.count} result files (expected-legs) but ${foundText}: ${n} leg${n === 1 ? '' : 's'} never reported; check the matrix jobs that failed before uploading their result`
  }
  const missing = expected.names.filter((want) => !legs.some((l) => legNames(l).includes(want.toLowerCase())))
  if (!missing.length) return ''
  return `no result for ${missing.join(', ')} (expected-legs), ${foundText}: check that leg's job, which failed before uploading its result`
}

export interface Combined {
  overall: Outcome
  lines: string[]
  slack: Record<string, string>
  table: string
  /** From missingLegs(): set means the overall status is `error`. */
  missing: string
}

export function combine(legs: ResultFile[], run: ResultFile['run'], expected: ExpectedLegs | null = null): Combined {
  const missing = missingLegs(expected, legs)
  const overall = overallStatus([...legs.map((l) => l.outcome), ...(missing ? ['error' as const] : [])])
  const lines = legs.map((l) => `${EMOJI[l.outcome]} ${summaryLine(l)}`)
  if (missing) lines.push(`${EMOJI.error} ${missing}`)
  const slack: Record<string, string> = { overall_status: overall, overall_emoji: EMOJI[overall] }
  legKeys(legs).forEach((k, i) => (slack[k] = lines[i]!))
  Object.assign(slack, { details: lines.join('\n'), workflow_run_url: run.url, repository: run.repository })
  let table = legTable(legs)
  if (missing) table += `\n${EMOJI.error} **Missing:** ${cell(missing)}\n`
  return { overall, lines, slack: slackSafe(slack), table, missing }
}

/** One row per leg, worst first when they do not all fit: the table stays well under GitHub's 1 MiB. */
function legTable(legs: ResultFile[]): string {
  const head = '| | Package | Channel | Version | Pinned | Replay | Record | Reason |\n|---|---|---|---|---|---|---|---|\n'
  const rows = legs.map((l) => `| ${EMOJI[l.outcome]} | ${[l.package, l.channel, l.version || '—', l.pinnedVersion || '—', l.replay.result, l.record.result].map((c) => cell(c, 200)).join(' | ')} | ${cell(l.reason, 500)} |\n`)
  const budget = OWN_SUMMARY_LIMIT / 2
  const all = head + rows.join('')
  if (Buffer.byteLength(all) <= budget) return all
  let table = head
  let shown = 0
  const order = [...legs.keys()].sort((a, b) => SEVERITY.indexOf(legs[a]!.outcome) - SEVERITY.indexOf(legs[b]!.outcome))
  for (const i of order) {
    if (Buffer.byteLength(table) + Buffer.byteLength(rows[i]!) > budget) break
    table += rows[i]
    shown++
  }
  return `${table}| | … and ${legs.length - shown} more legs, not shown to keep this summary under 1 MiB (their result files have everything) | | | | | | |\n`
}
