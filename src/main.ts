// compat-sentinel, read top to bottom:
// inputs → resolve → install uv → prefetch → replay (→ record) → classify → report.
import * as core from '@actions/core'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import { failOnOrDefault, loadInputs, partialIdentity, runnerTemp, type Inputs } from './inputs'
import { effectiveChannel, isPinned, readPinned, resolveVersion } from './resolve'
import { installUv } from './uv'
import { prefetchWheels, shouldPrefetch } from './wheels'
import { runPhase, stopCurrentPhase } from './phases'
import { diffSnapshots, snapshot } from './fixtures'
import { classify } from './classify'
import { newRecord, type RunRecord } from './run-record'
import { writeReport } from './report'
import { NetworkError } from './http'
import { mask, registerSecrets } from './secrets'
import { UserError } from './types'
import { mapStack } from './io/source-map'

/** One log group per stage, closed with how long it took (what `npm run bench` reads, too). */
async function stage<T>(title: string, fn: () => Promise<T>): Promise<T> {
  core.startGroup(title)
  const started = performance.now()
  try {
    return await fn()
  } finally {
    core.info(`stage took ${Math.round(performance.now() - started)} ms`)
    core.endGroup()
  }
}

/** The one message a user reads when the run could not test. */
export function explain(e: unknown): string {
  if (e instanceof UserError) return e.message
  if (e instanceof NetworkError) return `${e.message}. Check the URL, the network, or try again later.`
  const err = e instanceof Error ? e : new Error(String(e))
  return `unexpected internal error: ${err.message}. Please report it with this log.`
}

/** explain(e), and for a bug its stack in the log (with src/ file names, from the source maps). */
function explainAndLog(e: unknown): string {
  if (!(e instanceof UserError) && !(e instanceof NetworkError)) core.error(e instanceof Error && e.stack ? mapStack(e.stack) : String(e), { title: 'compat-sentinel: unexpected internal error' })
  return explain(e)
}

async function checkWorkingDirectory(dir: string): Promise<void> {
  const stat = await fs.stat(dir).catch(() => null)
  if (!stat?.isDirectory()) throw new UserError(`'working-directory' ${dir} does not exist or is not a folder: check the path, which is relative to the workspace.`)
}

function commandEnv(inputs: Inputs, rec: RunRecord, phase: 'replay' | 'record'): NodeJS.ProcessEnv {
  return {
    ...process.env,
    [inputs.versionEnv]: rec.version,
    COMPAT_SENTINEL_PACKAGE: rec.package,
    COMPAT_SENTINEL_VERSION: rec.version,
    COMPAT_SENTINEL_CHANNEL: rec.channel,
    COMPAT_SENTINEL_PHASE: phase,
  }
}

async function pipeline(rec: RunRecord): Promise<void> {
  registerSecrets()
  const inputs = await stage('Inputs', async () => loadInputs())
  rec.companions = inputs.companions
  rec.channel = effectiveChannel(inputs)
  if (inputs.version) rec.version = inputs.version
  await checkWorkingDirectory(inputs.workingDirectory)

  const resolution = await stage('Resolve the upstream version', async () => {
    rec.pinnedVersion = await readPinned(inputs)
    if (rec.pinnedVersion) core.info(`Pinned in ${inputs.pinnedFile}: ${rec.pinnedVersion}`)
    if (rec.channel === 'pinned') rec.version = rec.pinnedVersion
    return resolveVersion(inputs, rec.pinnedVersion)
  })
  rec.version = resolution.version
  rec.isPinned = isPinned(rec.version, rec.pinnedVersion)

  rec.uv = await stage('Install uv', () => installUv(inputs))

  if (shouldPrefetch(inputs.prefetchWheels, resolution.indexUrl)) {
    rec.wheels = await stage('Prefetch wheels', () => prefetchWheels(inputs, resolution))
  }

  const tempDir = path.join(runnerTemp(), 'compat-sentinel')
  rec.replay = await stage(`Replay: ${mask(inputs.replayCommand)}`, () =>
    runPhase({ name: 'replay', command: inputs.replayCommand, cwd: inputs.workingDirectory, env: commandEnv(inputs, rec, 'replay'), timeoutMs: inputs.replayTimeoutMs, tempDir }),
  )
  if (rec.replay.result !== 'success' && inputs.recordCommand) {
    const fixtures = inputs.fixturesPath ? path.resolve(inputs.workingDirectory, inputs.fixturesPath) : ''
    const before = fixtures ? await snapshot(fixtures) : new Map()
    rec.record = await stage(`Record: ${mask(inputs.recordCommand)}`, () =>
      runPhase({ name: 'record', command: inputs.recordCommand, cwd: inputs.workingDirectory, env: commandEnv(inputs, rec, 'record'), timeoutMs: inputs.recordTimeoutMs, tempDir }),
    )
    if (fixtures) rec.fixturesChanged = diffSnapshots(before, await snapshot(fixtures), inputs.fixturesPath)
  }

  const verdict = classify(rec.replay, rec.record, rec.fixturesChanged.length, {
    replay: inputs.replayTimeoutMs / 60_000,
    record: inputs.recordTimeoutMs / 60_000,
  })
  rec.outcome = verdict.outcome
  rec.reason = verdict.reason
}

export async function run(): Promise<void> {
  const rec = newRecord(partialIdentity())
  const failOn = failOnOrDefault()
  let finished: Promise<void> | undefined
  const finish = () => (finished ??= writeReport(rec, failOn))
  const fail = (reason: string) => {
    rec.outcome = 'error'
    rec.reason = reason
  }

  // The runner cancels a step with SIGINT, then SIGTERM: stop the commands, still report.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      fail(`cancelled (${sig}) before the run finished`)
      void stopCurrentPhase()
        .then(finish)
        .finally(() => process.exit(1))
    })
  }
  // Whatever escapes still ends in a report, never in a bare stack trace.
  const crash = (e: unknown) => {
    fail(explainAndLog(e))
    void stopCurrentPhase()
      .then(finish)
      .finally(() => process.exit(1))
  }
  process.on('uncaughtException', crash)
  process.on('unhandledRejection', crash)

  try {
    await pipeline(rec)
  } catch (e) {
    fail(explainAndLog(e))
  }
  await finish()
}

