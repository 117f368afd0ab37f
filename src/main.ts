// compat-sentinel, read top to bottom:
// inputs → resolve → install uv → prefetch → replay (→ record) → classify → publish.
import * as core from '@actions/core'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import { loadInputs, type Inputs } from './inputs'
import { effectiveChannel, isPinned, readPinned, resolveVersion } from './stages/resolve'
import { installUv } from './stages/uv'
import { stopCurrentPhase } from './stages/phases'
import { diffSnapshots, snapshot } from './stages/fixtures'
import { runCommand, testVersion } from './stages/test-version'
import { publish } from './stages/publish'
import { currentStage, stage } from './stages/stage'
import { classify } from './core/classify'
import { newRunState, type RunState } from './core/result-file'
import { normalizeName } from './core/names'
import { UserError } from './core/vocabulary'
import { RequestError } from './io/http'
import { registerSecrets } from './io/secrets'

/** The one message a user reads when the run could not test. */
export function userMessage(e: unknown): string {
  if (e instanceof UserError) return e.message
  if (e instanceof RequestError) return `${e.url}: ${e.message}. Check the URL, the network, or try again later.`
  const err = e instanceof Error ? e : new Error(String(e))
  return `unexpected internal error: ${err.message}. Please report it with this log.`
}

async function checkWorkingDirectory(dir: string): Promise<void> {
  const stat = await fs.stat(dir).catch(() => null)
  if (!stat?.isDirectory()) throw new UserError(`'working-directory' ${dir} does not exist or is not a folder: check the path, which is relative to the workspace.`)
}

async function pipeline(inputs: Inputs, state: RunState): Promise<void> {
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
  state.isPinned = isPinned(state.version, state.pinnedVersion)

  state.uv = await stage('Install uv', () => installUv(inputs))

  const tested = await testVersion(inputs, resolution, state, (wheels) => (state.wheels = wheels))
  state.replay = tested.replay

  if (state.replay.result !== 'success' && inputs.recordCommand) {
    const fixtures = inputs.fixturesPath ? path.resolve(inputs.workingDirectory, inputs.fixturesPath) : ''
    const before = fixtures ? await snapshot(fixtures) : new Map()
    state.record = await runCommand(inputs, state, 'record')
    if (fixtures) state.fixturesChanged = diffSnapshots(before, await snapshot(fixtures), inputs.fixturesPath)
  }

  const verdict = classify(state.replay, state.record, state.fixturesChanged.length, {
    replay: inputs.replayTimeoutMs / 60_000,
    record: inputs.recordTimeoutMs / 60_000,
  })
  state.outcome = verdict.outcome
  state.reason = verdict.reason
}

export async function run(): Promise<void> {
  registerSecrets()
  const loaded = await stage('Inputs', async () => loadInputs())
  const state = newRunState(loaded.ok ? { package: normalizeName(loaded.inputs.package), channel: effectiveChannel(loaded.inputs) } : loaded.partial)
  const failOn = loaded.ok ? loaded.inputs.failOn : loaded.partial.failOn
  let finished: Promise<void> | undefined
  let published = false
  const finish = () => (finished ??= publish(state, failOn).then(() => void (published = true)))
  const fail = (reason: string) => {
    state.outcome = 'error'
    state.reason = reason
  }
  // One way out for a cancelled or crashed run: stop the commands, still publish, exit non-zero.
  const abort = (reason: string) => {
    fail(reason)
    void stopCurrentPhase()
      .then(finish)
      .finally(() => process.exit(1))
  }

  // The runner cancels a step with SIGINT, then SIGTERM.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => abort(`cancelled (${sig}) before the run finished`))
  // Whatever escapes still ends in a report, never in a bare stack trace.
  process.on('uncaughtException', (e) => abort(userMessage(e)))
  process.on('unhandledRejection', (e) => abort(userMessage(e)))
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
    await pipeline(loaded.inputs, state)
  } catch (e) {
    fail(userMessage(e))
  }
  await finish()
}
