// compat-sentinel, read top to bottom:
// inputs → restore history → resolve → verify provenance → install uv → restore uv's cache →
// prefetch, install, replay (→ record) → classify → first bad build → save uv's cache →
// publish → save history.
import * as core from '@actions/core'
import * as fs from 'node:fs/promises'
import { loadInputs, type Inputs } from './inputs'
import { effectiveChannel, isPinned, readPinned, resolveVersion } from './stages/resolve'
import { installUv } from './stages/uv'
import { restoreUvCache, saveUvCache } from './stages/uv-cache'
import { stopCurrentPhase } from './stages/phases'
import { record } from './stages/record'
import { patchNoteForReason } from './core/recordings/types'
import { testVersion } from './stages/test-version'
import { publish } from './stages/publish'
import { rememberRun, restoreHistory, saveHistory, testedBuild, type Memory } from './stages/history'
import { cacheCallPending } from './io/actions-cache'
import { bisect, lastGoodOf, whyNotBisect } from './stages/bisect'
import { currentStage, stage } from './stages/stage'
import { requirePublisher } from './stages/provenance'
import { classify } from './core/classify'
import { newRunState, type RunState } from './core/result-file'
import { normalizeName } from './core/names'
import { UserError } from './core/vocabulary'
import { RequestError } from './io/http'
import { maskNamedVariables, registerSecrets } from './io/secrets'
import { checkRunnerFolders } from './io/runner'
import { runIsForkPullRequest } from './io/event'
import { mapStack } from './io/source-map'

/** The one message a user reads when the run could not test. */
function userMessage(e: unknown): string {
  if (e instanceof UserError) return e.message
  if (e instanceof RequestError) return `${e.url}: ${e.message}. Check the URL, the network, or try again later.`
  const err = e instanceof Error ? e : new Error(String(e))
  return `unexpected internal error: ${err.message}. Please report it with this log.`
}

/** userMessage(e), and for a bug its stack in the log, with src/ file names (io/source-map.ts). */
function failureMessage(e: unknown): string {
  if (!(e instanceof UserError) && !(e instanceof RequestError)) core.error(e instanceof Error && e.stack ? mapStack(e.stack) : String(e), { title: 'compat-sentinel: unexpected internal error' })
  return userMessage(e)
}

async function checkWorkingDirectory(dir: string): Promise<void> {
  const stat = await fs.stat(dir).catch(() => null)
  if (!stat?.isDirectory()) throw new UserError(`'working-directory' ${dir} does not exist or is not a folder: check the path, which is relative to the workspace.`)
}

async function pipeline(inputs: Inputs, state: RunState, memory: Memory | null): Promise<void> {
  checkRunnerFolders()
  state.companions = inputs.companions
  if (inputs.version) state.version = inputs.version
  await checkWorkingDirectory(inputs.workingDirectory)

  const resolution = await stage('Resolve the upstream version', async () => {
    state.pinnedVersion = await readPinned(inputs)
    if (state.pinnedVersion) core.info(`Pinned in ${inputs.pinnedFile}: ${state.pinnedVersion}`)
    if (state.channel === 'pinned') state.version = state.pinnedVersion
    return resolveVersion(inputs, state.pinnedVersion)
  })
  state.version = resolution.version
  state.build = testedBuild(resolution)
  state.isPinned = isPinned(state.version, state.pinnedVersion)
  state.notes.push(...resolution.warnings)

  // Before uv, the wheels folder (exported to later steps) or any command sees the files.
  await stage('Verify provenance', () => requirePublisher(inputs, resolution, state))

  state.uv = await stage('Install uv', () => installUv(inputs))
  state.uvCache = await stage("Restore uv's cache", () => restoreUvCache(inputs, state.leg, state.version))

  const tested = await testVersion(inputs, resolution, state, (wheels) => (state.wheels = wheels))
  state.install = tested.install
  state.replay = tested.replay
  state.flaky = tested.flaky

  // Record costs money (real provider calls): never for a version that could not be installed,
  // nor where a fork's pull request has no secrets to record with.
  const wantsRecord = state.replay.result !== 'success' && !tested.notInstallable && Boolean(inputs.recordCommand)
  const fork = wantsRecord && !inputs.recordOnFork && runIsForkPullRequest()
  if (wantsRecord) core.debug(`record wanted; event ${process.env.GITHUB_EVENT_NAME || '(none)'}, from a fork: ${fork}, record-on-fork: ${inputs.recordOnFork}`)
  const recordSkipped = fork ? 'record skipped: pull request from a fork has no secrets' : ''
  if (recordSkipped) core.info(`${recordSkipped} (set record-on-fork: true to record anyway)`)
  if (wantsRecord && !recordSkipped) await record(inputs, state)

  const verdict = classify(
    state.replay,
    state.record,
    state.fixturesChanged.length,
    { replay: inputs.replayTimeoutMs / 60_000, record: inputs.recordTimeoutMs / 60_000 },
    { notInstallable: tested.notInstallable, attempts: tested.attempts, recordSkipped, fixturesPath: inputs.fixturesPath },
  )
  state.outcome = verdict.outcome
  state.reason = verdict.reason + patchNoteForReason(state.fixtureDiff)

  const lastGood = lastGoodOf(memory)
  const noBisect = whyNotBisect(inputs, state, lastGood)
  if (noBisect) state.notes.push(noBisect)
  if (noBisect === '') state.bisect = await stage('First bad build', () => bisect(inputs, resolution, state, lastGood, memory))

  // After the phases and probes, whatever their result: what they downloaded is what saves time next run.
  state.uvCache = await stage("Save uv's cache", () => saveUvCache(inputs, state.uv.path, state.uvCache))
}

export async function run(): Promise<void> {
  registerSecrets()
  const loaded = await stage('Inputs', async () => loadInputs())
  if (loaded.ok) maskNamedVariables(loaded.inputs.maskEnv)
  const state = newRunState(loaded.ok ? { package: normalizeName(loaded.inputs.package), channel: effectiveChannel(loaded.inputs), leg: loaded.inputs.leg } : loaded.partial)
  const failOn = loaded.ok ? loaded.inputs.failOn : loaded.partial.failOn
  // Restored once the handlers below are in place: a cancellation while the cache is slow still publishes.
  let memory: Memory | null = null
  let finished: Promise<void> | undefined
  let published = false
  // Once the run is cancelled or has crashed, that is its verdict: a phase the cancellation killed
  // must not be classified afterwards as `incompatible`.
  let aborted = ''
  let cancelled = false
  // The result is published first: saving the history must never stand in its way.
  const finish = () =>
    (finished ??= (async () => {
      if (aborted) fail(aborted)
      rememberRun(state, memory, loaded.ok ? loaded.inputs.notifyOn : 'change')
      try {
        await publish(state, failOn)
      } catch (e) {
        // A bug in publishing itself: still say so where the runner looks, and fail the step.
        const message = `unexpected internal error while writing the result: ${(e as Error).message}. Please report it with this log.`
        core.setOutput('outcome', 'error')
        core.setOutput('summary', message)
        core.setFailed(message)
      }
      published = true
      const saving = memory
      // The pipeline may still classify a phase the cancellation killed while this publishes.
      if (aborted) fail(aborted)
      // A cancelled run says nothing about the upstream: remembering it would turn the next
      // night's run into a "status changed" alert and start a false "failing since".
      if (saving && cancelled) core.info('This run was cancelled: the history is left as it was.')
      else if (saving) await stage('Save history', () => saveHistory(saving, state))
    })())
  const fail = (reason: string) => {
    state.outcome = 'error'
    state.reason = reason
  }
  // One way out for a cancelled or crashed run: stop the commands, still publish, exit non-zero.
  const abort = (reason: string) => {
    aborted ||= reason
    fail(aborted)
    void stopCurrentPhase()
      .then(finish)
      .finally(() => process.exit(1))
  }

  // The runner cancels a step with SIGINT, then SIGTERM.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      cancelled = true
      abort(`cancelled (${sig}) before the run finished`)
    })
  }
  // Whatever escapes still ends in a report, never in a bare stack trace.
  process.on('uncaughtException', (e) => abort(failureMessage(e)))
  process.on('unhandledRejection', (e) => abort(failureMessage(e)))
  // Work left waiting on an event that already fired (or any forgotten promise) drains the event
  // loop, and Node would exit 0 with nothing written: publish an error instead, and fail.
  process.once('beforeExit', () => {
    if (published) return
    const where = currentStage() ? `'${currentStage()}' was` : 'the action was'
    abort(`the run ended before it finished: ${where} left waiting for something that can no longer happen. Please report it with this log.`)
  })
  process.on('exit', () => {
    if (!published) process.exitCode = 1
  })

  try {
    if (!loaded.ok) throw loaded.error
    // Without valid inputs the leg's identity is not known for sure: its history is left alone.
    memory = await stage('Restore history', () => restoreHistory(loaded.inputs))
    await pipeline(loaded.inputs, state, memory)
  } catch (e) {
    fail(failureMessage(e))
  }
  await finish()
  // A cache call given up on may still hold a socket open; the run is over, so do not wait for it.
  if (cacheCallPending()) process.exit()
}
