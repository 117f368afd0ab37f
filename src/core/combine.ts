// The `report` sub-action's logic: the result files of the matrix legs in, one verdict out.
import { UserError, type Outcome, type ResultFile } from './vocabulary'
import { parseResultFile, summaryLine } from './result-file'
import { formatFailingSince } from './history'
import { EMOJI, cell } from './markdown'

/** Worst first: a break outranks "could not test", which outranks "needs recording". */
const SEVERITY: Outcome[] = ['incompatible', 'error', 'needs-recording', 'compatible']

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
export function legNames(legs: Pick<ResultFile, 'channel' | 'leg'>[]): string[] {
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

export interface Combined {
  overall: Outcome
  lines: string[]
  slack: Record<string, string>
  table: string
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

export function combine(legs: ResultFile[], run: ResultFile['run']): Combined {
  const overall = overallStatus(legs.map((l) => l.outcome))
  const lines = legs.map((l) => `${EMOJI[l.outcome]} ${summaryLine(l)}`)
  const slack: Record<string, string> = { overall_status: overall, overall_emoji: EMOJI[overall] }
  const names = legNames(legs)
  names.forEach((n, i) => (slack[`${n}_summary`] = lines[i]!))
  Object.assign(slack, { details: lines.join('\n'), workflow_run_url: run.url, repository: run.repository })
  // Named as people read it: the channel, or the leg where legs share a channel.
  const sharedChannel = new Set(legs.map((l) => l.channel)).size !== legs.length
  const changed = legs.flatMap((l) => (l.history.statusChanged ? [`${sharedChannel ? l.leg : l.channel}: ${l.history.previousOutcome} → ${l.outcome}`] : []))
  slack.changed_legs = changed.join('\n')
  names.forEach((n, i) => {
    slack[`${n}_previous_status`] = legs[i]!.history.previousOutcome
    slack[`${n}_failing_since`] = formatFailingSince(legs[i]!.history.failingSince)
  })
  let table = '| | Leg | Package | Channel | Version | Pinned | Replay | Record | Reason | History |\n|---|---|---|---|---|---|---|---|---|---|\n'
  for (const l of legs) {
    table += `| ${EMOJI[l.outcome]} | ${[l.leg, l.package, l.channel, l.version || '—', l.pinnedVersion || '—', l.replay.result, l.record.result, l.reason, historyCell(l)].map(cell).join(' | ')} |\n`
  }
  return { overall, lines, slack, table, notify: legs.some((l) => l.history.notify) }
}
