// The leg's memory in the Actions cache: restored after the inputs, saved after the result is
// published. Neither ever fails the run or holds it up: a cache that is absent, slow, or holds
// something unreadable means "no history", said in the log, and the run counts as a first run.
import * as core from '@actions/core'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import type { Inputs } from '../inputs'
import { bounded, cacheClient, restore, save } from '../io/actions-cache'
import { eventName, runAttemptId, runInfo, sentinelTemp } from '../io/runner'
import { redactUrl } from '../io/secrets'
import {
  HISTORY_FILE_LIMIT,
  computeHistory,
  historyKeyPrefix,
  newBuildOfSameVersion,
  parseHistory,
  serializeHistory,
  type HistoryEntry,
  type HistoryIdentity,
  type NotifyOn,
  type ProbeEntry,
  type ProbeResult,
} from '../core/history'
import { currentPlatform } from '../core/platform'
import type { RunState } from '../core/result-file'
import { normalizeName } from '../core/names'
import { defaultIndex, type Resolution } from './resolve'
import { installableFiles } from './wheels'

export interface Memory {
  identity: HistoryIdentity
  /** Cache key prefix of this leg, ending in `-`. */
  prefix: string
  file: string
  /** Past runs, oldest first. */
  past: HistoryEntry[]
  /** Past bisection probes, oldest first; this run's are added when it is saved. */
  probes: ProbeEntry[]
  /** False on pull-request events: their cache scope is the pull request's own. */
  save: boolean
}

const READ_ONLY_EVENTS = new Set(['pull_request', 'pull_request_target'])

/** The file under test: for a nightly that reuses one version, its sha256 and upload time tell builds apart. */
export function testedBuild(resolution: Resolution): RunState['build'] {
  const files = installableFiles(resolution.release.files, resolution.release.version, currentPlatform())
  const main = [...files].sort((a, b) => a.filename.localeCompare(b.filename))[0]
  return { sha256: main?.sha256 ?? '', uploadTime: main?.uploadTime?.toISOString() ?? '' }
}

/** The leg's past runs from the cache; null when `history: false`. Never throws. */
export async function restoreHistory(inputs: Inputs): Promise<Memory | null> {
  if (!inputs.history) {
    core.info("History is off ('history: false'): nothing is read or saved, and every run counts as a first run.")
    return null
  }
  const identity = { package: normalizeName(inputs.package), leg: inputs.leg }
  // Credentials in the index URL rotate; the leg's story does not.
  const prefix = historyKeyPrefix(identity.package, identity.leg, redactUrl(defaultIndex(inputs)))
  const memory: Memory = { identity, prefix, file: path.join(sentinelTemp(), 'history', 'history.json'), past: [], probes: [], save: !READ_ONLY_EVENTS.has(eventName()) }
  core.info(`Leg: ${identity.leg}`)
  core.debug(`History cache key prefix: ${prefix}`)
  try {
    // A file left by an earlier job on this machine is not this leg's history.
    await fs.rm(memory.file, { force: true })
    if (!(await cacheClient())) {
      core.info('No history to restore without the Actions cache; this run counts as the first.')
      return memory
    }
    const key = await bounded('Restoring the history', restore('history', [memory.file], prefix, [prefix]))
    if (!key) {
      core.info(`No history of leg ${identity.leg} in the Actions cache (a first run, or unused for 7 days and evicted). This run counts as the first.`)
      return memory
    }
    Object.assign(memory, await readHistoryFile(memory.file, identity))
    core.info(`History of leg ${identity.leg}: ${memory.past.length} earlier run(s), restored from ${key}`)
  } catch (e) {
    core.warning(`The history could not be restored (${(e as Error).message}); this run counts as the first.`)
  }
  return memory
}

async function readHistoryFile(file: string, identity: HistoryIdentity): Promise<Pick<Memory, 'past' | 'probes'>> {
  const ignored = (why: string) => {
    core.warning(`The stored history of leg ${identity.leg} was ignored: ${why}. This run counts as the first; its save starts a new history.`)
    return { past: [], probes: [] }
  }
  const stat = await fs.stat(file).catch(() => null)
  if (!stat?.isFile()) return ignored('the cache entry holds no history file')
  if (stat.size > HISTORY_FILE_LIMIT) return ignored(`it is ${stat.size} bytes, more than the ${HISTORY_FILE_LIMIT} a history may take`)
  const parsed = parseHistory(await fs.readFile(file, 'utf8'), identity)
  if (!parsed.ok) return ignored(parsed.problem)
  if (parsed.dropped) core.warning(`${parsed.dropped} stored run(s) of leg ${identity.leg} were malformed and were ignored.`)
  return { past: parsed.entries, probes: parsed.probes }
}

/** This run as the history keeps it. */
function entryOf(state: RunState): HistoryEntry {
  return { version: state.version, outcome: state.outcome, date: state.startedAt.toISOString(), runUrl: runInfo().url, sha256: state.build.sha256, uploadTime: state.build.uploadTime }
}

/** This run's bisection probes as the history keeps them. */
function probesOf(state: RunState): ProbeEntry[] {
  const date = new Date().toISOString()
  return (state.bisect?.probes ?? []).map((p) => ({ version: p.version, result: p.result as ProbeResult, date, sha256: p.sha256, uploadTime: p.uploadTime }))
}

/** Fills `state.history` from the past runs (none when history is off or missed) and this run. */
export function rememberRun(state: RunState, memory: Memory | null, notifyOn: NotifyOn): void {
  const current = entryOf(state)
  const past = memory?.past ?? []
  state.history = computeHistory(past, current, notifyOn)
  if (newBuildOfSameVersion(past.at(-1), current))
    core.info(`${state.version} is a new build (uploaded ${current.uploadTime || 'at an unknown time'}); the previous run tested another build of the same version.`)
  core.debug(`History: previous ${state.history.previousOutcome || 'unknown'}, changed ${state.history.statusChanged}, notify ${state.history.notify}`)
}

/** Saves the past runs plus this one under a key of its own. Never throws. */
export async function saveHistory(memory: Memory, state: RunState): Promise<void> {
  if (!memory.save) {
    core.info(`History is read but not saved on ${eventName()} runs: their cache belongs to the pull request.`)
    return
  }
  try {
    await fs.mkdir(path.dirname(memory.file), { recursive: true })
    await fs.writeFile(memory.file, serializeHistory(memory.identity, memory.past, entryOf(state), [...memory.probes, ...probesOf(state)]))
    const key = `${memory.prefix}${runAttemptId()}`
    if (await bounded('Saving the history', save('history', [memory.file], key))) core.info(`History of leg ${memory.identity.leg} saved as ${key}`)
  } catch (e) {
    core.warning(`The history could not be saved (${(e as Error).message}); the next run will not know this one.`)
  }
}
