// A leg's memory across runs: the stored file of its past runs (untrusted when read back), and
// what those runs say about this one (previous verdict, since when it fails, whether to notify).
import { createHash } from 'node:crypto'
import { OUTCOMES, type History, type Outcome, type RecentRun } from './vocabulary'

export const HISTORY_SCHEMA = 'compat-sentinel/history@1'
/** Runs kept per leg: a nightly's three months. */
export const MAX_ENTRIES = 100
/** Runs shown in the result file and the summary strip. */
const RECENT_RUNS = 14
/** A history file larger than this is not read: 100 runs take about 30 kB. */
export const HISTORY_FILE_LIMIT = 1024 * 1024

export const NOTIFY_ON = ['change', 'failure', 'always'] as const
export type NotifyOn = (typeof NOTIFY_ON)[number]

/** One run as the store keeps it: what `history.recent` shows, plus the tested file's sha256. */
export interface HistoryEntry extends RecentRun {
  sha256: string
}

export interface HistoryIdentity {
  package: string
  leg: string
}

/**
 * The cache key prefix of a leg: a schema word, then a short hash of what makes the leg's story
 * one story. It ends in `-`, so one leg's prefix is never the start of another's.
 */
export function historyKeyPrefix(pkg: string, leg: string, indexUrl: string): string {
  const hash = createHash('sha256')
    .update(JSON.stringify([pkg, leg, indexUrl]))
    .digest('hex')
    .slice(0, 16)
  return `compat-sentinel-history-v1-${hash}-`
}

/** Nothing remembered: a first run. Without memory a run cannot say "nothing changed", so `change` notifies. */
export function noHistory(notify = true): History {
  return { available: false, previousOutcome: '', previousVersion: '', statusChanged: false, failingSince: null, lastGoodVersion: '', firstBadVersion: '', notify, recent: [] }
}

// What an entry's strings may look like: they reach the summary, links included.
const VERSION = /^([A-Za-z0-9][A-Za-z0-9.+!_-]{0,99})?$/
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/
const URL_TEXT = /^(https?:\/\/[^\s<>()[\]|`"'\\]{1,500})?$/
const SHA256 = /^([0-9a-f]{64})?$/

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** The entry when every field is of the expected form, else null. */
function validEntry(v: unknown): HistoryEntry | null {
  if (!isObject(v)) return null
  const { version, outcome, date, runUrl, sha256, uploadTime } = v
  const ok =
    typeof version === 'string' &&
    VERSION.test(version) &&
    (OUTCOMES as readonly string[]).includes(outcome as string) &&
    typeof date === 'string' &&
    ISO_DATE.test(date) &&
    typeof runUrl === 'string' &&
    URL_TEXT.test(runUrl) &&
    typeof sha256 === 'string' &&
    SHA256.test(sha256) &&
    typeof uploadTime === 'string' &&
    (uploadTime === '' || ISO_DATE.test(uploadTime))
  return ok ? { version, outcome: outcome as Outcome, date, runUrl, sha256, uploadTime } : null
}

/**
 * A bisection probe's verdict on one build, kept so the next run does not probe it again:
 * `good` (replay passed), `bad` (replay failed), `not-installable` (says nothing about the code).
 */
const PROBE_RESULTS = ['good', 'bad', 'not-installable'] as const
export type ProbeResult = (typeof PROBE_RESULTS)[number]

export interface ProbeEntry {
  version: string
  result: ProbeResult
  date: string
  sha256: string
  uploadTime: string
}

/** Probes kept per leg. */
const MAX_PROBES = 200

/** The probe when every field is of the expected form, else null. */
function validProbe(v: unknown): ProbeEntry | null {
  if (!isObject(v)) return null
  const { version, result, date, sha256, uploadTime } = v
  const ok =
    typeof version === 'string' &&
    version !== '' &&
    VERSION.test(version) &&
    (PROBE_RESULTS as readonly string[]).includes(result as string) &&
    typeof date === 'string' &&
    ISO_DATE.test(date) &&
    typeof sha256 === 'string' &&
    SHA256.test(sha256) &&
    typeof uploadTime === 'string' &&
    (uploadTime === '' || ISO_DATE.test(uploadTime))
  return ok ? { version, result: result as ProbeResult, date, sha256, uploadTime } : null
}

export type ParsedHistory = { ok: true; entries: HistoryEntry[]; probes: ProbeEntry[]; dropped: number } | { ok: false; problem: string }

/** Reads a stored history file. It comes from a cache anyone with a workflow could write: check everything. */
export function parseHistory(text: string, expect: HistoryIdentity): ParsedHistory {
  if (Buffer.byteLength(text) > HISTORY_FILE_LIMIT) return { ok: false, problem: `it is larger than ${HISTORY_FILE_LIMIT} bytes` }
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (e) {
    return { ok: false, problem: `it is not JSON (${(e as Error).message})` }
  }
  if (!isObject(data)) return { ok: false, problem: 'it is not a JSON object' }
  if (data.schema !== HISTORY_SCHEMA) return { ok: false, problem: `its schema is ${JSON.stringify(data.schema)?.slice(0, 80)}, not "${HISTORY_SCHEMA}"` }
  if (data.package !== expect.package || data.leg !== expect.leg) return { ok: false, problem: 'it belongs to another leg' }
  if (!Array.isArray(data.runs)) return { ok: false, problem: 'it has no list of runs' }
  const entries = data.runs.map(validEntry).filter((e): e is HistoryEntry => e !== null)
  // Probes came later: a history without them has none.
  const rawProbes = Array.isArray(data.probes) ? data.probes : []
  const probes = rawProbes.map(validProbe).filter((p): p is ProbeEntry => p !== null)
  return { ok: true, entries: entries.slice(-MAX_ENTRIES), probes: probes.slice(-MAX_PROBES), dropped: data.runs.length - entries.length + rawProbes.length - probes.length }
}

/** The file to store: the past runs plus this one, the newest MAX_ENTRIES, and the newest MAX_PROBES probes. */
export function serializeHistory(identity: HistoryIdentity, past: HistoryEntry[], current: HistoryEntry, probes: ProbeEntry[] = []): string {
  return `${JSON.stringify({ schema: HISTORY_SCHEMA, package: identity.package, leg: identity.leg, runs: [...past, current].slice(-MAX_ENTRIES), probes: probes.slice(-MAX_PROBES) }, null, 1)}\n`
}

/**
 * What this leg already knows about builds, for a bisection: a past run's outcome (replay passed:
 * good; replay failed: bad) or a past probe's result, newest first wins; never "not installable". A build whose sha256 is
 * known and differs from today's file is another build of that version: nothing is known of it.
 */
export function knownResults(past: HistoryEntry[], probes: ProbeEntry[], sha256Of: (version: string) => string): Map<string, ProbeResult> {
  const known = new Map<string, ProbeResult>()
  const fromRun = (o: Outcome): ProbeResult | null => (o === 'compatible' ? 'good' : o === 'incompatible' || o === 'needs-recording' ? 'bad' : o === 'not-installable' ? 'not-installable' : null)
  const sameBuild = (version: string, sha256: string) => !sha256 || !sha256Of(version) || sha256 === sha256Of(version)
  const all: { version: string; result: ProbeResult | null; date: string; sha256: string }[] = [
    ...past.map((e) => ({ version: e.version, result: fromRun(e.outcome), date: e.date, sha256: e.sha256 })),
    ...probes.map((p) => ({ ...p })),
  ].sort((a, b) => a.date.localeCompare(b.date))
  // "Could not install" is not kept from one run to the next: it may have been a network failure of
  // the moment, or a wheel for this platform uploaded since; either way it says nothing about the code.
  for (const e of all) if (e.version && e.result && e.result !== 'not-installable' && sameBuild(e.version, e.sha256)) known.set(e.version, e.result)
  return known
}

/** `2026-04-10 (0.7.2.dev20260410)`; empty when the leg is not failing. */
export function formatFailingSince(f: History['failingSince']): string {
  if (!f) return ''
  return `${f.date.slice(0, 10)}${f.version ? ` (${f.version})` : ''}`
}

/** What the past runs (oldest first) say about the current run. */
export function computeHistory(past: HistoryEntry[], current: HistoryEntry, notifyOn: NotifyOn): History {
  const all = [...past, current]
  const previous = past.at(-1)
  const statusChanged = previous !== undefined && previous.outcome !== current.outcome

  let streakStart = all.length
  while (streakStart > 0 && all[streakStart - 1]!.outcome !== 'compatible') streakStart--
  const streak = all.slice(streakStart)
  const first = streak[0]
  const failingSince = first ? { date: first.date, version: first.version, runs: streak.length } : null
  const lastGood = all.findLast((e) => e.outcome === 'compatible')

  const notify = notifyOn === 'always' ? true : notifyOn === 'failure' ? current.outcome !== 'compatible' : statusChanged || previous === undefined
  return {
    available: previous !== undefined,
    previousOutcome: previous?.outcome ?? '',
    previousVersion: previous?.version ?? '',
    statusChanged,
    failingSince,
    lastGoodVersion: lastGood?.version ?? '',
    firstBadVersion: first?.version ?? '',
    notify,
    recent: all.slice(-RECENT_RUNS).map(({ version, outcome, date, runUrl, uploadTime }) => ({ version, outcome, date, runUrl, uploadTime })),
  }
}

/** The previous run tested the same version as a different build (a nightly that reuses its version). */
export function newBuildOfSameVersion(previous: HistoryEntry | undefined, current: HistoryEntry): boolean {
  if (!previous || !current.version || previous.version !== current.version) return false
  if (previous.sha256 && current.sha256) return previous.sha256 !== current.sha256
  return Boolean(previous.uploadTime && current.uploadTime && previous.uploadTime !== current.uploadTime)
}
