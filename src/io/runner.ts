// The runner's folders and the run's identity, read from the environment a runner sets. Outside
// Actions (local runs, tests) sane defaults apply.
import * as os from 'node:os'
import * as path from 'node:path'
import { UserError, type ResultFile } from '../core/vocabulary'

export function workspace(): string {
  return process.env.GITHUB_WORKSPACE || process.cwd()
}

export function runnerTemp(): string {
  // Absolute, so the result-file output still points at the file from another directory.
  return path.resolve(process.env.RUNNER_TEMP || path.join(os.tmpdir(), 'compat-sentinel-runner-temp'))
}

/** Where the action keeps what it writes for this run (result file, wheels by default). */
export function sentinelTemp(): string {
  return path.join(runnerTemp(), 'compat-sentinel')
}

/**
 * RUNNER_TEMP and RUNNER_TOOL_CACHE, which every runner sets: outside Actions (local runs) they
 * default to folders under the system temp folder; inside Actions a missing one is a broken
 * runner or container setup, said so instead of failing later inside a library.
 */
export function checkRunnerFolders(env: NodeJS.ProcessEnv = process.env): void {
  for (const name of ['RUNNER_TEMP', 'RUNNER_TOOL_CACHE'] as const) {
    if (env[name]) continue
    if (env.GITHUB_ACTIONS === 'true') {
      throw new UserError(
        `${name} is not set, but every GitHub Actions runner sets it: the runner or the job's container removed it. Set it in the job's env to a writable folder, e.g. ${name}: /tmp/${name === 'RUNNER_TEMP' ? 'runner-temp' : 'tool-cache'}.`,
      )
    }
    env[name] = name === 'RUNNER_TEMP' ? runnerTemp() : path.join(os.tmpdir(), 'compat-sentinel-tool-cache')
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

/** The event that started the run (`schedule`, `pull_request`, …), '' outside Actions. */
export function eventName(env: NodeJS.ProcessEnv = process.env): string {
  return env.GITHUB_EVENT_NAME ?? ''
}

/** This run attempt's unique part of a cache key; a timestamp outside Actions. */
export function runAttemptId(env: NodeJS.ProcessEnv = process.env): string {
  return env.GITHUB_RUN_ID ? `${env.GITHUB_RUN_ID}-${env.GITHUB_RUN_ATTEMPT || '1'}` : `local-${Date.now()}`
}
