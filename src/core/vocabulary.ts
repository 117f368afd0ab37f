// Shared vocabulary of the pipeline: the contract's words as types.

export const OUTCOMES = ['compatible', 'needs-recording', 'incompatible', 'error'] as const
export type Outcome = (typeof OUTCOMES)[number]

export const CHANNELS = ['stable', 'dev', 'pre', 'pinned'] as const
export type Channel = (typeof CHANNELS)[number]
/** What the `channel` output can say: the requested channel, or `explicit` for `version`. */
export type EffectiveChannel = Channel | 'explicit'

export type PhaseResultKind = 'success' | 'failure' | 'timeout' | 'skipped'

export interface PhaseReport {
  result: PhaseResultKind
  exitCode: number | null
  /** Set when the command was ended by a signal it did not ask for (not our timeout). */
  signal?: string
  durationMs: number
  logTail: string
}

export const skippedPhase = (): PhaseReport => ({ result: 'skipped', exitCode: null, durationMs: 0, logTail: '' })

export interface FixtureChange {
  path: string
  change: 'added' | 'modified' | 'deleted'
}

export const RESULT_SCHEMA = 'compat-sentinel/result@1'

/** The result file, exactly as `CONTRACT.md` shows it. */
export interface ResultFile {
  schema: typeof RESULT_SCHEMA
  package: string
  companions: string[]
  channel: string
  version: string
  pinnedVersion: string
  isPinned: boolean
  outcome: Outcome
  reason: string
  replay: PhaseReport
  record: PhaseReport
  fixturesChanged: FixtureChange[]
  uv: { version: string; path: string }
  wheels: { dir: string; files: string[]; cacheHit: boolean }
  /** uv's package cache across runs: hit when restored (exact key or fallback), sizes in bytes. */
  uvCache: { hit: boolean; dir: string; key: string; restoredKey: string; restoredBytes: number; savedBytes: number }
  run: { repository: string; ref: string; sha: string; url: string }
  startedAt: string
  finishedAt: string
}

/**
 * An error whose message is meant for the user as it is: what was wrong and how to fix it.
 * Anything else that escapes a stage is reported as an unexpected internal error.
 */
export class UserError extends Error {
  override name = 'UserError'
}
