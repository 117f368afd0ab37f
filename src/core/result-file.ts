// The run's state (everything one run has learnt so far) and what is derived from it: the result
// file, the outputs, the summary line and the Slack payload. Each stage fills in its part of the
// state; whatever stage the run ends in, the result is published from it, so every output is set
// on every exit.
import { OUTCOMES, RESULT_SCHEMA, RESULT_SCHEMA_V1, skippedPhase, type History, type Outcome, type PhaseReport, type ResultFile } from './vocabulary'
import { EMOJI, OUTCOME_WORDS, slackSafe } from './markdown'
import { decisiveLine } from './log-lines'
import { formatFailingSince, noHistory } from './history'
import { defaultLeg } from './names'

/**
 * The result file's facts, filled in stage by stage; the run's own fields are added at the end.
 * `notes` are warnings a reader must see in the job summary (not in the result file).
 */
export type RunState = Omit<ResultFile, 'schema' | 'run' | 'startedAt' | 'finishedAt'> & { startedAt: Date; notes: string[] }

export function newRunState(identity: { package: string; channel: string; leg?: string }): RunState {
  return {
    ...V2_DEFAULTS(),
    leg: identity.leg || defaultLeg(identity.package, identity.channel),
    package: identity.package,
    companions: [],
    channel: identity.channel,
    version: '',
    pinnedVersion: '',
    isPinned: false,
    outcome: 'error',
    reason: 'the action stopped before it finished',
    replay: skippedPhase(),
    record: skippedPhase(),
    fixturesChanged: [],
    uv: { version: '', path: '' },
    wheels: { dir: '', files: [], cacheHit: false },
    startedAt: new Date(),
    notes: [],
  }
}

/**
 * `llama-stack 0.7.2.dev20260423 (dev): needs recording`. An error and a not-installable name
 * their reason; an incompatible its decisive line (`incompatible: RuntimeError: ...`); a flaky
 * pass says so.
 */
export function summaryLine(state: Pick<RunState, 'package' | 'version' | 'channel' | 'outcome' | 'reason'> & Partial<Pick<RunState, 'replay' | 'record' | 'flaky'>>): string {
  const what = [state.package || 'unknown package', state.version].filter(Boolean).join(' ')
  const channel = state.channel ? ` (${state.channel})` : ''
  return `${what}${channel}: ${verdictWords(state)}`
}

function verdictWords(state: Parameters<typeof summaryLine>[0]): string {
  const words = OUTCOME_WORDS[state.outcome]
  switch (state.outcome) {
    case 'error':
    case 'not-installable':
      return `${words}: ${state.reason}`
    case 'incompatible': {
      // The phase that failed last holds the line that decided.
      const phase = state.record?.result === 'failure' ? state.record : state.replay
      const line = phase?.result === 'failure' ? decisiveLine(phase.logTail) : ''
      return line ? `${words}: ${line}` : words
    }
    case 'compatible':
      return state.flaky ? `${words} (flaky: replay passed only on a later attempt)` : words
    default:
      return words
  }
}

/** The result file; `mask` hides secrets in the free text the commands produced. */
export function toResultFile(state: RunState, run: ResultFile['run'], mask: (text: string) => string, finishedAt = new Date()): ResultFile {
  const maskPhase = (p: PhaseReport): PhaseReport => ({ ...p, logTail: mask(p.logTail) })
  return {
    schema: RESULT_SCHEMA,
    package: state.package,
    companions: state.companions,
    channel: state.channel,
    version: state.version,
    pinnedVersion: state.pinnedVersion,
    isPinned: state.isPinned,
    outcome: state.outcome,
    reason: mask(state.reason),
    replay: maskPhase(state.replay),
    record: maskPhase(state.record),
    install: maskPhase(state.install),
    flaky: state.flaky,
    fixturesChanged: state.fixturesChanged,
    fixtureDiff: state.fixtureDiff,
    fixturesPatch: state.fixturesPatch,
    uv: state.uv,
    wheels: state.wheels,
    uvCache: state.uvCache,
    run,
    startedAt: iso(state.startedAt),
    finishedAt: iso(finishedAt),
    leg: state.leg,
    build: state.build,
    history: state.history,
    bisect: state.bisect,
    provenance: { ...state.provenance, detail: mask(state.provenance.detail) },
  }
}

type V2Fields = 'leg' | 'flaky' | 'install' | 'build' | 'history' | 'bisect' | 'fixtureDiff' | 'fixturesPatch' | 'provenance' | 'uvCache'

/** The @2 fields as a run without them says them (the leg is derived from package and channel). */
const V2_DEFAULTS = (): Omit<Pick<ResultFile, V2Fields>, 'leg'> => ({
  flaky: false,
  install: skippedPhase(),
  build: { sha256: '', uploadTime: '' },
  history: noHistory(),
  bisect: null,
  fixtureDiff: null,
  fixturesPatch: '',
  provenance: { status: '', publisher: '', detail: '' },
  uvCache: { hit: false, dir: '', key: '', restoredKey: '', restoredBytes: 0, savedBytes: 0 },
})

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const isPhase = (v: unknown): v is PhaseReport => isObject(v) && typeof v.result === 'string' && typeof v.logTail === 'string'

function validHistory(v: unknown): v is History {
  if (!isObject(v)) return false
  const f = v.failingSince
  return (
    typeof v.available === 'boolean' &&
    (v.previousOutcome === '' || OUTCOMES.includes(v.previousOutcome as Outcome)) &&
    typeof v.previousVersion === 'string' &&
    typeof v.statusChanged === 'boolean' &&
    (f === null || (isObject(f) && typeof f.date === 'string' && typeof f.version === 'string' && typeof f.runs === 'number')) &&
    typeof v.lastGoodVersion === 'string' &&
    typeof v.firstBadVersion === 'string' &&
    typeof v.notify === 'boolean' &&
    Array.isArray(v.recent) &&
    v.recent.every(
      (r) => isObject(r) && typeof r.version === 'string' && OUTCOMES.includes(r.outcome as Outcome) && typeof r.date === 'string' && typeof r.runUrl === 'string' && typeof r.uploadTime === 'string',
    )
  )
}

function validBisect(v: unknown): v is NonNullable<ResultFile['bisect']> {
  if (!isObject(v)) return false
  const texts = [v.firstBadVersion, v.lastGoodVersion, v.compareUrl, v.note]
  return (
    typeof v.exact === 'boolean' &&
    texts.every((t) => typeof t === 'string') &&
    Array.isArray(v.probes) &&
    v.probes.every((p) => isObject(p) && typeof p.version === 'string' && typeof p.uploadTime === 'string' && typeof p.result === 'string' && typeof p.durationMs === 'number')
  )
}

const validRun = (v: unknown): v is ResultFile['run'] => isObject(v) && ['repository', 'ref', 'sha', 'url'].every((k) => typeof v[k] === 'string')

/**
 * Reads a result file of either schema: the @1 checks the report always made, then each @2 field
 * taken when it has the right shape and defaulted when absent (an @1 file) or malformed. The
 * problem, when the file is not a result at all, is a sentence fragment for the caller's message.
 */
/** Fields the report shows as text: anything else would stop it with an unexpected error. */
const TEXT_FIELDS = ['reason', 'pinnedVersion'] as const

export function parseResultFile(data: unknown): { ok: true; result: ResultFile } | { ok: false; problem: string } {
  const r = data as Partial<ResultFile> & Record<string, unknown>
  const schema = isObject(r) ? r.schema : undefined
  const problem = !isObject(r)
    ? 'it is not a JSON object'
    : schema !== RESULT_SCHEMA && schema !== RESULT_SCHEMA_V1
      ? `its schema is ${JSON.stringify(schema)}, not "${RESULT_SCHEMA}" or "${RESULT_SCHEMA_V1}"`
      : !OUTCOMES.includes(r.outcome as Outcome)
        ? `its outcome ${JSON.stringify(r.outcome)} is not one of ${OUTCOMES.join(', ')}`
        : typeof r.package !== 'string' || typeof r.channel !== 'string' || typeof r.version !== 'string'
          ? 'package, channel or version is missing'
          : !isPhase(r.replay) || !isPhase(r.record)
            ? 'replay or record is missing or has no result'
            : TEXT_FIELDS.find((k) => typeof r[k] !== 'string')
              ? `its ${TEXT_FIELDS.find((k) => typeof r[k] !== 'string')} is not a string`
              : null
  if (problem) return { ok: false, problem }
  const d = V2_DEFAULTS()
  const p = d.provenance
  const result: ResultFile = {
    ...(r as ResultFile),
    schema: RESULT_SCHEMA,
    leg: typeof r.leg === 'string' && r.leg ? r.leg : defaultLeg(r.package!, r.channel!),
    flaky: typeof r.flaky === 'boolean' ? r.flaky : d.flaky,
    install: isPhase(r.install) ? r.install : d.install,
    build: isObject(r.build) && typeof r.build.sha256 === 'string' && typeof r.build.uploadTime === 'string' ? r.build : d.build,
    history: validHistory(r.history) ? r.history : d.history,
    // Shown by the issue and the summary as text: a malformed one is dropped, not a crash later.
    bisect: validBisect(r.bisect) ? r.bisect : d.bisect,
    run: validRun(r.run) ? r.run : { repository: '', ref: '', sha: '', url: '' },
    fixturesChanged: Array.isArray(r.fixturesChanged) ? r.fixturesChanged.filter((c) => isObject(c) && typeof c.path === 'string' && typeof c.change === 'string') : [],
    fixtureDiff: isObject(r.fixtureDiff) ? r.fixtureDiff : d.fixtureDiff,
    fixturesPatch: typeof r.fixturesPatch === 'string' ? r.fixturesPatch : d.fixturesPatch,
    provenance: isObject(r.provenance) && typeof r.provenance.status === 'string' ? { ...p, ...r.provenance } : p,
    uvCache: isObject(r.uvCache) && typeof r.uvCache.hit === 'boolean' ? { ...d.uvCache, ...r.uvCache } : d.uvCache,
  }
  return { ok: true, result }
}

const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z')

/** Flat, every value a string: what a Slack Workflow Builder webhook accepts. */
export function slackPayload(r: ResultFile, summary: string): Record<string, string> {
  return {
    status: r.outcome,
    status_emoji: EMOJI[r.outcome],
    package: r.package,
    channel: r.channel,
    tested_version: r.version,
    pinned_version: r.pinnedVersion,
    recording_required: String(r.outcome === 'needs-recording'),
    replay_result: r.replay.result,
    record_result: r.record.result,
    summary,
    workflow_run_url: r.run.url,
    repository: r.run.repository,
    previous_status: r.history.previousOutcome,
    failing_since: formatFailingSince(r.history.failingSince),
    status_changed: String(r.history.statusChanged),
    notify: String(r.history.notify),
    first_bad_version: r.bisect?.firstBadVersion ?? '',
    last_good_version: r.bisect?.lastGoodVersion ?? '',
    compare_url: r.bisect?.compareUrl ?? '',
  }
}

/** Every output of action.yml, as strings. */
export function outputsOf(r: ResultFile, resultFile: string, summary: string): Record<string, string> {
  return {
    outcome: r.outcome,
    version: r.version,
    channel: r.channel,
    'pinned-version': r.pinnedVersion,
    'is-pinned': String(r.isPinned),
    'replay-result': r.replay.result,
    'record-result': r.record.result,
    'fixtures-changed': String(r.fixturesChanged.length),
    'fixtures-patch': r.fixturesPatch,
    flaky: String(r.flaky),
    'uv-version': r.uv.version,
    'uv-path': r.uv.path,
    'wheels-dir': r.wheels.dir,
    'wheels-cache-hit': String(r.wheels.cacheHit),
    'uv-cache-hit': String(r.uvCache.hit),
    provenance: r.provenance.status,
    'result-file': resultFile,
    'slack-payload': JSON.stringify(slackSafe(slackPayload(r, summary))),
    summary,
    'previous-outcome': r.history.previousOutcome,
    'previous-version': r.history.previousVersion,
    'status-changed': String(r.history.statusChanged),
    'failing-since': formatFailingSince(r.history.failingSince),
    // A bisection knows better than the history which builds bound the break.
    'last-good-version': r.bisect?.lastGoodVersion || r.history.lastGoodVersion,
    'first-bad-version': r.bisect?.firstBadVersion || r.history.firstBadVersion,
    'bisect-exact': String(r.bisect?.exact ?? false),
    'bisect-probes': String(r.bisect?.probes.length ?? 0),
    notify: String(r.history.notify),
  }
}
