// The `report` sub-action's logic: the result files of the matrix legs in, one verdict out.
import { OUTCOMES, RESULT_SCHEMA, UserError, type Outcome, type ResultFile } from './vocabulary'
import { summaryLine } from './result-file'
import { EMOJI, cell } from './markdown'

// Readers accept the v2 result files and their extra outcome too (schema v2, see the batch brief).
const READABLE_SCHEMAS: string[] = [RESULT_SCHEMA, 'compat-sentinel/result@2']
const READABLE_OUTCOMES: string[] = [...OUTCOMES, 'not-installable']

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
      : !READABLE_SCHEMAS.includes(r.schema as string)
        ? `its schema is ${JSON.stringify(r.schema)}, not ${READABLE_SCHEMAS.map((s) => `"${s}"`).join(' or ')}`
        : !READABLE_OUTCOMES.includes(r.outcome as string)
          ? `its outcome ${JSON.stringify(r.outcome)} is not one of ${READABLE_OUTCOMES.join(', ')}`
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

export function combine(legs: ResultFile[], run: ResultFile['run']): Combined {
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
