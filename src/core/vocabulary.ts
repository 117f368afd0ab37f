// Shared vocabulary of the pipeline: the contract's words as types.
import type { FixtureDiff } from './recordings/types'

export const OUTCOMES = ['compatible', 'needs-recording', 'not-installable', 'incompatible', 'error'] as const
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
  /** Processes the phase left running (or, on a timeout, its children), stopped when it ended. */
  stopped?: { pid: number; command: string }[]
}

export const skippedPhase = (): PhaseReport => ({ result: 'skipped', exitCode: null, durationMs: 0, logTail: '' })

export interface FixtureChange {
  path: string
  change: 'added' | 'modified' | 'deleted'
}

export const RESULT_SCHEMA = 'compat-sentinel/result@2'
/** The schema before leg, history and the v1.1 additions; readers still accept it. */
export const RESULT_SCHEMA_V1 = 'compat-sentinel/result@1'

/** One past run of a leg, as the history store and the result file's `history.recent` keep it. */
export interface RecentRun {
  version: string
  outcome: Outcome
  /** When the run started, ISO 8601. */
  date: string
  runUrl: string
  /** Upload time of the tested file, ISO 8601, '' when the index did not say. */
  uploadTime: string
}

/** What the leg's memory says about this run (CONTRACT additions, "Memory across runs"). */
export interface History {
  /** False on a first run, after a cache miss, or with `history: false`. */
  available: boolean
  previousOutcome: Outcome | ''
  previousVersion: string
  statusChanged: boolean
  failingSince: { date: string; version: string; runs: number } | null
  lastGoodVersion: string
  firstBadVersion: string
  notify: boolean
  /** Newest last, at most 14, this run included. */
  recent: RecentRun[]
}

export interface Bisect {
  exact: boolean
  firstBadVersion: string
  lastGoodVersion: string
  compareUrl: string
  note: string
  /** Each probe: `good` (replay passed), `bad` (replay failed) or `not-installable` (skipped). */
  probes: { version: string; uploadTime: string; sha256: string; result: 'good' | 'bad' | 'not-installable'; durationMs: number }[]
}

export interface Provenance {
  status: 'verified' | 'absent' | 'mismatch' | ''
  publisher: string
  detail: string
}

/** The result file: `CONTRACT.md`'s @1 fields, then the @2 additions. */
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
  /** The install-command phase; `skipped` when there is none. */
  install: PhaseReport
  /** Replay failed, then passed on a later attempt (`replay-attempts`). */
  flaky: boolean
  fixturesChanged: FixtureChange[]
  /** What changed in the recordings, interaction by interaction; null when not recorded or no `fixtures-path`. */
  fixtureDiff: FixtureDiff | null
  /** Path of the patch of `fixtures-path` (before vs after record), '' when none. */
  fixturesPatch: string
  uv: { version: string; path: string }
  wheels: { dir: string; files: string[]; cacheHit: boolean }
  /** uv's package cache across runs: hit when restored (exact key or fallback), sizes in bytes. */
  uvCache: { hit: boolean; dir: string; key: string; restoredKey: string; restoredBytes: number; savedBytes: number }
  run: { repository: string; ref: string; sha: string; url: string }
  startedAt: string
  finishedAt: string
  // @2 additions.
  /** Input `leg`: the matrix leg's stable name. */
  leg: string
  /** Identity of the tested file (sha256, upload time), '' when unknown. */
  build: { sha256: string; uploadTime: string }
  history: History
  bisect: Bisect | null
  provenance: Provenance
}

/**
 * An error whose message is meant for the user as it is: what was wrong and how to fix it.
 * Anything else that escapes a stage is reported as an unexpected internal error.
 */
export class UserError extends Error {
  override name = 'UserError'
}
