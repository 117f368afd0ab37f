// The `report` sub-action's logic: the result files of the matrix legs in, one verdict out.
import { UserError, type Outcome, type ResultFile } from './vocabulary'
import { parseResultFile, summaryLine } from './result-file'
import { formatFailingSince } from './history'
import { EMOJI, OWN_SUMMARY_LIMIT, cell, slackSafe } from './markdown'

/**
 * Worst first: a break outranks "could not test", which outranks "could not install the
 * version" (nothing was tested, but the run itself worked), which outranks "needs recording".
 */
const SEVERITY: Outcome[] = ['incompatible', 'error', 'not-installable', 'needs-recording', 'compatible']

export function overallStatus(outcomes: Outcome[]): Outcome {
  if (!outcomes.length) return 'error'
  return SEVERITY.find((s) => outcomes.includes(s))!
}

/** Checks the fields the report relies on (either schema, @2 fields defaulted); the message names what is wrong. */
export function validateResult(data: unknown, file: string): ResultFile {
  const parsed = parseResultFile(data)
  if (!parsed.ok) throw new UserError(`Result file ${file} is not a compat-sentinel result: ${parsed.problem}. Pass only files written by compat-sentinel in 'results'.`)
  return parsed.result
}

const keyPart = (s: string) => (s || 'unknown').replace(/[^A-Za-z0-9]/g, '_')

/**
 * What names a leg in Slack keys: its channel when every leg has its own channel, else its leg
 * name (non-alphanumerics as `_`). The same leg name twice (a copied matrix entry) is told
 * apart by a count rather than lost.
 */
function legNames(legs: Pick<ResultFile, 'channel' | 'leg'>[]): string[] {
  const channels = legs.map((l) => l.channel)
  const shared = new Set(channels).size !== channels.length
  const names = legs.map((l) => keyPart(shared ? l.leg : l.channel))
  const seen = new Map<string, number>()
  return names.map((n) => {
    const count = (seen.get(n) ?? 0) + 1
    seen.set(n, count)
    return count === 1 ? n : `${n}_${count}`
  })
}

/** `<channel>_summary` per leg, or `<leg>_summary` when two legs share a channel. */
export function legKeys(legs: Pick<ResultFile, 'channel' | 'leg'>[]): string[] {
  return legNames(legs).map((n) => `${n}_summary`)
}

/** `expected-legs`: how many result files, or which legs (leg names or channels) must report. */
export type ExpectedLegs = { count: number } | { names: string[] }

/** What a leg answers to in `expected-legs`: its `leg` name (result@2), its channel, `<package>-<channel>`. */
function answersTo(l: Pick<ResultFile, 'package' | 'channel'> & { leg?: string }): string[] {
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
  const missing = expected.names.filter((want) => !legs.some((l) => answersTo(l).includes(want.toLowerCase())))
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
  /** True when any leg says the team should hear about its run. */
  notify: boolean
}

/** The History cell of the report's table: what changed, or since when the leg fails. */
function historyCell(l: ResultFile): string {
  const h = l.history
  if (!h.available) return '—'
  const parts = [h.statusChanged ? `was ${EMOJI[h.previousOutcome as Outcome]} ${h.previousOutcome}` : `unchanged`]
  if (h.failingSince) parts.push(`failing since ${formatFailingSince(h.failingSince)}, ${h.failingSince.runs} run${h.failingSince.runs === 1 ? '' : 's'}`)
  return parts.join('; ')
}

export function combine(legs: ResultFile[], run: ResultFile['run'], expected: ExpectedLegs | null = null): Combined {
  const missing = missingLegs(expected, legs)
  const overall = overallStatus([...legs.map((l) => l.outcome), ...(missing ? ['error' as const] : [])])
  const lines = legs.map((l) => `${EMOJI[l.outcome]} ${summaryLine(l)}`)
  if (missing) lines.push(`${EMOJI.error} ${missing}`)
  const slack: Record<string, string> = { overall_status: overall, overall_emoji: EMOJI[overall] }
  const names = legNames(legs)
  names.forEach((n, i) => {
    slack[`${n}_summary`] = lines[i]!
  })
  Object.assign(slack, { details: lines.join('\n'), workflow_run_url: run.url, repository: run.repository })
  // Named as people read it: the channel, or the leg where legs share a channel.
  const sharedChannel = new Set(legs.map((l) => l.channel)).size !== legs.length
  const changed = legs.flatMap((l) => (l.history.statusChanged ? [`${sharedChannel ? l.leg : l.channel}: ${l.history.previousOutcome} → ${l.outcome}`] : []))
  slack.changed_legs = changed.join('\n')
  names.forEach((n, i) => {
    slack[`${n}_previous_status`] = legs[i]!.history.previousOutcome
    slack[`${n}_failing_since`] = formatFailingSince(legs[i]!.history.failingSince)
  })
  let table = legTable(legs)
  if (missing) table += `\n${EMOJI.error} **Missing:** ${cell(missing)}\n`
  // A leg that never reported is news too.
  return { overall, lines, slack: slackSafe(slack), table, missing, notify: Boolean(missing) || legs.some((l) => l.history.notify) }
}

/** One row per leg, worst first when they do not all fit: the table stays well under GitHub's 1 MiB. */
function legTable(legs: ResultFile[]): string {
  const head = '| | Leg | Package | Channel | Version | Pinned | Replay | Record | Reason | History |\n|---|---|---|---|---|---|---|---|---|---|\n'
  const rows = legs.map(
    (l) =>
      `| ${EMOJI[l.outcome]} | ${[l.leg, l.package, l.channel, l.version || '—', l.pinnedVersion || '—', l.replay.result, l.record.result].map((c) => cell(c, 200)).join(' | ')} | ${cell(l.reason, 500)} | ${cell(historyCell(l), 300)} |\n`,
  )
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
  return `${table}| | … and ${legs.length - shown} more legs, not shown to keep this summary under 1 MiB (their result files have everything) | | | | | | | | |\n`
}
