// Everything one run has learnt so far. Each stage fills in its part; whatever stage the run ends
// in, the report is written from this record, so every output is set on every exit.
import * as path from 'node:path'
import { RESULT_SCHEMA, type PhaseReport, type ResultFile } from './types'
import { skippedPhase } from './phases'
import { EMOJI, OUTCOME_WORDS } from './markdown'
import { mask } from './secrets'
import { runnerTemp } from './inputs'

/** The result file's facts, filled in stage by stage; the run's own fields are added at the end. */
export type RunRecord = Omit<ResultFile, 'schema' | 'run' | 'startedAt' | 'finishedAt'> & { startedAt: Date }

export function newRecord(identity: { package: string; channel: string }): RunRecord {
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
    provenance: { status: '', publisher: '', detail: '' },
    startedAt: new Date(),
  }
}

export function runInfo(env: NodeJS.ProcessEnv = process.env): ResultFile['run'] {
  const repository = env.GITHUB_REPOSITORY ?? ''
  const server = env.GITHUB_SERVER_URL || 'https://github.com'
  return {
    repository,
    ref: env.GITHUB_REF ?? '',
    sha: env.GITHUB_SHA ?? '',
    url: repository && env.GITHUB_RUN_ID ? `${server}/${repository}/actions/runs/${env.GITHUB_RUN_ID}` : '',
  }
}

export function resultFilePath(rec: Pick<RunRecord, 'package' | 'channel'>): string {
  const safe = (s: string) => s.replace(/[^a-z0-9._-]/gi, '_') || 'unknown'
  return path.join(runnerTemp(), 'compat-sentinel', `compat-sentinel-result-${safe(rec.package)}-${safe(rec.channel)}.json`)
}

/** `llama-stack 0.7.2.dev20260423 (dev): needs recording`; an error names its reason. */
export function summaryLine(rec: Pick<RunRecord, 'package' | 'version' | 'channel' | 'outcome' | 'reason'>): string {
  const what = [rec.package || 'unknown package', rec.version].filter(Boolean).join(' ')
  const channel = rec.channel ? ` (${rec.channel})` : ''
  const verdict = rec.outcome === 'error' ? `error: ${rec.reason}` : OUTCOME_WORDS[rec.outcome]
  return mask(`${what}${channel}: ${verdict}`)
}

export function toResultFile(rec: RunRecord, finishedAt = new Date()): ResultFile {
  const maskPhase = (p: PhaseReport): PhaseReport => ({ ...p, logTail: mask(p.logTail) })
  return {
    schema: RESULT_SCHEMA,
    package: rec.package,
    companions: rec.companions,
    channel: rec.channel,
    version: rec.version,
    pinnedVersion: rec.pinnedVersion,
    isPinned: rec.isPinned,
    outcome: rec.outcome,
    reason: mask(rec.reason),
    replay: maskPhase(rec.replay),
    record: maskPhase(rec.record),
    fixturesChanged: rec.fixturesChanged,
    uv: rec.uv,
    wheels: rec.wheels,
    provenance: { ...rec.provenance, detail: mask(rec.provenance.detail) },
    run: runInfo(),
    startedAt: iso(rec.startedAt),
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
    provenance: r.provenance.status,
    'result-file': resultFile,
    'slack-payload': JSON.stringify(slackPayload(r, summary)),
    summary,
  }
}
