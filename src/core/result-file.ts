// The run's state (everything one run has learnt so far) and what is derived from it: the result
// file, the outputs, the summary line and the Slack payload. Each stage fills in its part of the
// state; whatever stage the run ends in, the result is published from it, so every output is set
// on every exit.
import { RESULT_SCHEMA, skippedPhase, type PhaseReport, type ResultFile } from './vocabulary'
import { EMOJI, OUTCOME_WORDS } from './markdown'

/** The result file's facts, filled in stage by stage; the run's own fields are added at the end. */
export type RunState = Omit<ResultFile, 'schema' | 'run' | 'startedAt' | 'finishedAt'> & { startedAt: Date }

export function newRunState(identity: { package: string; channel: string }): RunState {
  return {
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
    uvCache: { hit: false, dir: '', key: '', restoredKey: '', restoredBytes: 0, savedBytes: 0 },
    startedAt: new Date(),
  }
}

/** `llama-stack 0.7.2.dev20260423 (dev): needs recording`; an error names its reason. */
export function summaryLine(state: Pick<RunState, 'package' | 'version' | 'channel' | 'outcome' | 'reason'>): string {
  const what = [state.package || 'unknown package', state.version].filter(Boolean).join(' ')
  const channel = state.channel ? ` (${state.channel})` : ''
  const verdict = state.outcome === 'error' ? `error: ${state.reason}` : OUTCOME_WORDS[state.outcome]
  return `${what}${channel}: ${verdict}`
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
    fixturesChanged: state.fixturesChanged,
    uv: state.uv,
    wheels: state.wheels,
    uvCache: state.uvCache,
    run,
    startedAt: iso(state.startedAt),
    finishedAt: iso(finishedAt),
  }
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
    'uv-version': r.uv.version,
    'uv-path': r.uv.path,
    'wheels-dir': r.wheels.dir,
    'wheels-cache-hit': String(r.wheels.cacheHit),
    'uv-cache-hit': String(r.uvCache.hit),
    'result-file': resultFile,
    'slack-payload': JSON.stringify(slackPayload(r, summary)),
    summary,
  }
}
