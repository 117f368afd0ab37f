// Tracking issues, decided without touching GitHub: from one leg's result and the issue already
// filed for that leg (if any), what to do (open, rewrite, comment, close, reopen) and the exact
// title, body and comment. The `issue` entry only carries the decision out.
//
// The issue remembers what it last said in a hidden state marker, so a comment is added only
// when the outcome or the tested version really changed, even when the run history is off.
import type { FixtureChange, Outcome, PhaseReport, ResultFile } from './vocabulary'
import { EMOJI, cell, escapeHtml, foldedPre } from './markdown'
import { decisiveLine } from './log-lines'

/** What the issue shows about one leg (a result file of either schema, as the reader returns it). */
export interface LegFacts {
  leg: string
  package: string
  channel: string
  outcome: Outcome
  version: string
  pinnedVersion: string
  reason: string
  /** The install-command phase, null when there was none. */
  install: PhaseReport | null
  replay: PhaseReport
  record: PhaseReport
  fixturesChanged: FixtureChange[]
  failingSince: { date: string; version: string; runs: number } | null
  lastGoodVersion: string
  firstBadVersion: string
  compareUrl: string
  runUrl: string
  /** When the run finished (ISO); the date a failure starts when the history does not know. */
  finishedAt: string
}

export function legFacts(r: ResultFile): LegFacts {
  // An @1 file, or a run with `history: false`, has no memory: its fields are defaults then.
  const h = r.history.available ? r.history : undefined
  return {
    leg: r.leg,
    package: r.package,
    channel: r.channel,
    outcome: r.outcome,
    version: r.version,
    pinnedVersion: r.pinnedVersion,
    reason: r.reason,
    install: r.install.result !== 'skipped' ? r.install : null,
    replay: r.replay,
    record: r.record,
    fixturesChanged: r.fixturesChanged,
    failingSince: h?.failingSince ?? null,
    // A bisection names the exact builds; the history only the runs it saw.
    lastGoodVersion: r.bisect?.lastGoodVersion || h?.lastGoodVersion || '',
    firstBadVersion: r.bisect?.firstBadVersion || h?.firstBadVersion || '',
    compareUrl: r.bisect?.compareUrl ?? '',
    runUrl: r.run.url,
    finishedAt: r.finishedAt || r.startedAt,
  }
}

// ---------------------------------------------------------------------------------------------
// Markers: how an issue is found again (never by search, which lags and makes duplicates).

const MARKER_PREFIX = '<!-- compat-sentinel:'
/** A leg name cannot end the HTML comment early or break the line. */
const safeLeg = (leg: string) => leg.replace(/[<>\r\n%]/g, (c) => encodeURIComponent(c))

export function legMarker(leg: string): string {
  return `${MARKER_PREFIX}leg=${safeLeg(leg)} -->`
}

/** What the issue said last time, kept in the body for the next run. */
export interface IssueState {
  outcome: string
  version: string
  /** Failing since: date (YYYY-MM-DD) and version; empty while not failing. */
  since: string
  sinceVersion: string
}

function stateMarker(s: IssueState): string {
  // JSON with < and > escaped cannot close the comment.
  return `${MARKER_PREFIX}state ${JSON.stringify(s).replace(/</g, '\\u003c').replace(/>/g, '\\u003e')} -->`
}

export function readState(body: string): IssueState | null {
  const m = /<!-- compat-sentinel:state (\{.*\}) -->/.exec(body)
  if (!m) return null
  try {
    const s = JSON.parse(m[1]!) as Partial<IssueState>
    return { outcome: String(s.outcome ?? ''), version: String(s.version ?? ''), since: String(s.since ?? ''), sinceVersion: String(s.sinceVersion ?? '') }
  } catch {
    return null
  }
}

export interface ExistingIssue {
  number: number
  title: string
  body: string
  state: 'open' | 'closed'
  closedAt: string | null
}

/** The issue of this leg among those carrying the label: an open one first, else the last closed. */
export function findLegIssue<T extends ExistingIssue>(issues: T[], leg: string): T | undefined {
  const marker = legMarker(leg)
  const mine = issues.filter((i) => i.body.split('\n').some((line) => line.trim() === marker))
  const open = mine.filter((i) => i.state === 'open').sort((a, b) => a.number - b.number)
  if (open.length) return open[0]
  return mine.sort((a, b) => Date.parse(b.closedAt ?? '') - Date.parse(a.closedAt ?? '') || b.number - a.number)[0]
}

// ---------------------------------------------------------------------------------------------
// Titles.

export const TITLE_PLACEHOLDERS = ['leg', 'package', 'channel', 'outcome', 'version', 'failing_since', 'last_good', 'first_bad'] as const
export const DEFAULT_TITLE_TEMPLATE = '{package} {channel}: {outcome} since {failing_since}'
/** GitHub refuses longer titles. */
const TITLE_LIMIT = 256

/** Placeholders in `template` that are not known, for the input check. */
export function unknownPlaceholders(template: string): string[] {
  const names = [...template.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1]!)
  return names.filter((n) => !(TITLE_PLACEHOLDERS as readonly string[]).includes(n))
}

export function renderTitle(template: string, leg: LegFacts, since: { date: string }): string {
  const values: Record<(typeof TITLE_PLACEHOLDERS)[number], string> = {
    leg: leg.leg,
    package: leg.package,
    channel: leg.channel,
    outcome: leg.outcome,
    version: leg.version || 'unknown version',
    failing_since: since.date || 'unknown',
    last_good: leg.lastGoodVersion || 'unknown',
    first_bad: leg.firstBadVersion || 'unknown',
  }
  const title = template
    .replace(/\{([a-z_]+)\}/g, (all, name: string) => values[name as keyof typeof values] ?? all)
    .replace(/\s+/g, ' ')
    .trim()
  return [...title].length > TITLE_LIMIT ? `${[...title].slice(0, TITLE_LIMIT - 1).join('')}…` : title
}

// ---------------------------------------------------------------------------------------------
// Bodies.

/** Our own cap; GitHub refuses bodies over 65,536 characters. */
export const BODY_LIMIT = 60_000

const emoji = (outcome: string) => EMOJI[outcome as Outcome] ?? '❔'
const day = (iso: string) => /^\d{4}-\d{2}-\d{2}/.exec(iso)?.[0] ?? ''
const orDash = (s: string) => s || '—'

function phaseText(p: PhaseReport): string {
  if (p.result === 'skipped') return 'skipped'
  const exit = p.signal ? `, ${p.signal}` : p.exitCode !== null && p.result === 'failure' ? `, exit ${p.exitCode}` : ''
  return `${p.result}${exit}`
}

/** The decisive line of the phase that failed last (record, else replay, else install); '' when none. */
export function failingLine(leg: LegFacts): string {
  const failed = [leg.record, leg.replay, leg.install].find((p) => p && (p.result === 'failure' || p.result === 'timeout') && p.logTail)
  return failed ? decisiveLine(failed.logTail) : ''
}

interface BodyParts {
  tails: { install: string; replay: string; record: string }
  fixtures: FixtureChange[]
  reason: string
  note: string
}

/** What the body says besides the leg's own facts. */
export interface BodyView {
  /** Failing since (date, version); empty date when not failing. */
  since: { date: string; version: string }
  /** After a recovery: when it failed, e.g. `2026-04-21 until 2026-04-25`. */
  wasFailing?: string
  /** The closed issue this one follows. */
  previous?: number
}

function renderContent(leg: LegFacts, view: BodyView, p: BodyParts): string {
  const head = `${leg.package}${leg.version ? ` ${leg.version}` : ''} (${leg.channel})`
  let md = `## ${emoji(leg.outcome)} ${escapeHtml(head)}: ${leg.outcome}\n\n`
  const since = view.since
  const failingSince = since.date
    ? `${since.date}${since.version ? ` (${since.version}${leg.failingSince?.runs ? `, ${leg.failingSince.runs} runs` : ''})` : ''}`
    : view.wasFailing
      ? `— (was failing from ${view.wasFailing})`
      : ''
  const rows: [string, string][] = [
    ['Leg', leg.leg],
    ['Verdict', leg.outcome],
    ['Tested version', orDash(leg.version)],
    ['Pinned version', orDash(leg.pinnedVersion)],
    ['Last good version', orDash(leg.lastGoodVersion)],
    ['First bad version', orDash(leg.firstBadVersion)],
    ['Failing since', orDash(failingSince)],
    ...(leg.install ? [['Install', phaseText(leg.install)] as [string, string]] : []),
    ['Replay', phaseText(leg.replay)],
    ['Record', phaseText(leg.record)],
    ['Reason', p.reason],
  ]
  md += `| | |\n|---|---|\n${rows.map(([k, v]) => `| ${k} | ${cell(v)} |`).join('\n')}\n\n`
  if (leg.compareUrl) md += `[Changes between the last good and the first bad version](${encodeURI(leg.compareUrl)})\n\n`
  // The reason often quotes it already (classify puts it there); then once is enough.
  const decisive = failingLine(leg)
  if (decisive && !leg.reason.includes(decisive)) md += `**Decisive line**\n\n<pre>${escapeHtml(decisive)}</pre>\n\n`
  if (p.tails.install) md += `${foldedPre('Install log (tail)', p.tails.install)}\n`
  if (p.tails.replay) md += `${foldedPre('Replay log (tail)', p.tails.replay)}\n`
  if (p.tails.record) md += `${foldedPre('Record log (tail)', p.tails.record)}\n`
  if (leg.fixturesChanged.length) {
    const more = leg.fixturesChanged.length - p.fixtures.length
    const list = p.fixtures.map((c) => `${c.change.padEnd(8)} ${c.path}`).join('\n') + (more ? `\n… and ${more} more` : '')
    md += `${foldedPre(`Fixtures changed (${leg.fixturesChanged.length})`, list)}\n`
  }
  if (p.note) md += `_${escapeHtml(p.note)}_\n\n`
  if (leg.runUrl) md += `[Workflow run](${encodeURI(leg.runUrl)})\n\n`
  if (view.previous) md += `Previous issue: #${view.previous}\n\n`
  md += '<sub>Kept up to date by compat-sentinel: this text is rewritten on every run; a comment is added when the outcome or the tested version changes.</sub>\n'
  return md
}

/**
 * Cuts markdown to `limit` characters and closes what the cut left open (a ``` fence, <pre>,
 * <details>), so the rest of the page still renders. Never splits an HTML entity, a tag or a
 * surrogate pair.
 */
export function capMarkdown(md: string, limit: number): string {
  if (md.length <= limit) return md
  const notice = "\n\n_…cut to stay under GitHub's size limit._\n"
  let cut = md.slice(0, Math.max(limit - notice.length - 64, 0))
  cut = cut
    .replace(/[\uD800-\uDBFF]$/, '')
    .replace(/&[#\w]*$/, '')
    .replace(/<[^<>]*$/, '')
  const open: string[] = []
  let fence = false
  for (const m of cut.matchAll(/^ {0,3}(```|~~~)|<(\/?)(pre|details)\b[^>]*>/gm)) {
    if (m[1]) {
      if (!open.includes('<pre>')) fence = !fence
    } else if (!fence) {
      const tag = `<${m[3]}>`
      if (m[2]) {
        const i = open.lastIndexOf(tag)
        if (i >= 0) open.splice(i, 1)
      } else open.push(tag)
    }
  }
  let closing = fence ? '\n```\n' : ''
  for (const tag of open.reverse()) closing += tag === '<pre>' ? '</pre>\n' : '\n</details>\n'
  return cut + closing + notice
}

const MAX_FIXTURES_LISTED = 200
const MAX_REASON = 2000

/** Title and body for the leg, the body capped at BODY_LIMIT by cutting the log tails first. */
export function renderBody(leg: LegFacts, view: BodyView, state: IssueState, limit = BODY_LIMIT): string {
  const markers = `${legMarker(leg.leg)}\n${stateMarker(state)}\n`
  const room = limit - markers.length
  const parts: BodyParts = {
    tails: { install: leg.install?.logTail ?? '', replay: leg.replay.logTail, record: leg.record.logTail },
    // Nobody reads more than this in an issue; the tails matter more than a long list.
    fixtures: leg.fixturesChanged.slice(0, MAX_FIXTURES_LISTED),
    reason: leg.reason.length > MAX_REASON ? `${leg.reason.slice(0, MAX_REASON)}…` : leg.reason,
    note: '',
  }
  let md = renderContent(leg, view, parts)
  // Keep the ends of the tails: that is where the failure is.
  const keepEnd = (s: string) => (s.length < 64 ? '' : s.slice(Math.floor(s.length / 2)))
  while (md.length > room && (parts.tails.install || parts.tails.replay || parts.tails.record)) {
    parts.tails = { install: keepEnd(parts.tails.install), replay: keepEnd(parts.tails.replay), record: keepEnd(parts.tails.record) }
    parts.note = 'Log tails were shortened to fit the issue; the full output is in the workflow run.'
    md = renderContent(leg, view, parts)
  }
  return `${capMarkdown(md, room)}\n${markers}`
}

// ---------------------------------------------------------------------------------------------
// The decision.

export interface IssueOptions {
  openOn: ReadonlySet<string>
  closeOnRecovery: boolean
  titleTemplate: string
  now: Date
  /** A closed issue is reopened when the leg fails again within this many days. */
  reopenWithinDays?: number
}

export type IssueAction =
  | { kind: 'none'; why: string }
  | { kind: 'open'; title: string; body: string }
  /** Rewrite in place; `comment` only when the outcome or the tested version changed. */
  | { kind: 'update'; number: number; title: string; body: string; comment: string }
  /** Recovered but kept open (close-on-recovery false): rewrite, and say so once. */
  | { kind: 'recovered'; number: number; body: string; comment: string }
  | { kind: 'close'; number: number; body: string; comment: string }
  | { kind: 'reopen'; number: number; title: string; body: string; comment: string }
  /** A closed issue that was closed by hand while failing learns that the leg passes now (no comment). */
  | { kind: 'settle'; number: number; body: string }

const REOPEN_DAYS = 7
const DAY_MS = 86_400_000

/** Outcomes that mean "it works" when they are not in open-on; error and not-installable do not. */
const RECOVERED = new Set(['compatible', 'needs-recording'])

function runRef(leg: LegFacts): string {
  return leg.runUrl ? `[this run](${encodeURI(leg.runUrl)})` : `the run of ${day(leg.finishedAt) || 'today'}`
}

export function decide(leg: LegFacts, existing: ExistingIssue | undefined, opts: IssueOptions): IssueAction {
  const failing = opts.openOn.has(leg.outcome)
  const prev = existing ? readState(existing.body) : null
  const version = leg.version || 'an unknown version'
  const what = (o: string) => `${emoji(o)} **${o}**`

  if (failing) {
    // Failing since: the run history knows best; else what the open issue remembered; else now.
    const carried = existing?.state === 'open' && prev?.since ? { date: prev.since, version: prev.sinceVersion } : null
    const since = leg.failingSince
      ? { date: day(leg.failingSince.date), version: leg.failingSince.version }
      : (carried ?? { date: day(leg.finishedAt) || day(opts.now.toISOString()), version: leg.version })
    const state: IssueState = { outcome: leg.outcome, version: leg.version, since: since.date, sinceVersion: since.version }
    const title = renderTitle(opts.titleTemplate, leg, since)
    const body = renderBody(leg, { since }, state)
    if (!existing) return { kind: 'open', title, body }
    if (existing.state === 'closed') {
      // We close only on recovery, so a closed issue that still says "failing" was closed by a
      // person: reopening it every morning would fight them. It stays closed until a pass.
      if (prev && opts.openOn.has(prev.outcome)) return { kind: 'none', why: `issue #${existing.number} was closed while failing; it stays closed until the leg passes again` }
      const closedMs = opts.now.getTime() - Date.parse(existing.closedAt ?? '')
      const window = (opts.reopenWithinDays ?? REOPEN_DAYS) * DAY_MS
      if (!(closedMs < window)) return { kind: 'open', title, body: renderBody(leg, { since, previous: existing.number }, state) }
      const days = Math.max(Math.floor(closedMs / DAY_MS), 0)
      return {
        kind: 'reopen',
        number: existing.number,
        title,
        body,
        comment: `${what(leg.outcome)} again with ${version} in ${runRef(leg)}; reopened (closed ${days === 0 ? 'today' : days === 1 ? '1 day ago' : `${days} days ago`}).`,
      }
    }
    let comment = ''
    if (prev && prev.outcome !== leg.outcome) comment = `${what(leg.outcome)} now (was ${prev.outcome}) with ${version} in ${runRef(leg)}.`
    else if (prev && prev.version !== leg.version) comment = `Still ${what(leg.outcome)}, now with ${version} (was ${prev.version || 'unknown'}) in ${runRef(leg)}.`
    if (comment) comment += `\n\nReason: ${cell(leg.reason)}`
    if (!comment && existing.title === title && existing.body === body) return { kind: 'none', why: `issue #${existing.number} already says this` }
    return { kind: 'update', number: existing.number, title, body, comment }
  }

  if (!RECOVERED.has(leg.outcome)) {
    return { kind: 'none', why: existing?.state === 'open' ? `this run could not test (${leg.outcome}); issue #${existing.number} stays as it is` : `${leg.outcome} is not in open-on` }
  }
  if (!existing) return { kind: 'none', why: `${leg.outcome}: nothing to report` }
  const state: IssueState = { outcome: leg.outcome, version: leg.version, since: '', sinceVersion: '' }
  const until = day(leg.finishedAt) || day(opts.now.toISOString())
  const body = renderBody(leg, { since: { date: '', version: '' }, wasFailing: prev?.since ? `${prev.since} until ${until}` : undefined }, state)
  if (existing.state === 'closed') {
    // Closed by hand while failing: record the pass, so the next failure counts as "failing again".
    return prev && opts.openOn.has(prev.outcome) ? { kind: 'settle', number: existing.number, body } : { kind: 'none', why: `${leg.outcome}: nothing to report` }
  }
  // Recovered, with an open issue.
  const words =
    leg.outcome === 'compatible' ? `Passing again with ${version} since ${runRef(leg)}.` : `No longer failing: ${what(leg.outcome)} with ${version} since ${runRef(leg)} (re-record the fixtures).`
  if (opts.closeOnRecovery) return { kind: 'close', number: existing.number, body, comment: `${emoji(leg.outcome)} ${words} Closing.` }
  if (prev && !opts.openOn.has(prev.outcome) && RECOVERED.has(prev.outcome)) {
    // Already said it recovered: only keep the body current.
    return existing.body === body ? { kind: 'none', why: `issue #${existing.number} already says this` } : { kind: 'recovered', number: existing.number, body, comment: '' }
  }
  return { kind: 'recovered', number: existing.number, body, comment: `${emoji(leg.outcome)} ${words}` }
}
