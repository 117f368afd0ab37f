// The one adapter to the Actions cache, shared by every stage that keeps something across runs.
import * as core from '@actions/core'

type CacheModule = typeof import('@actions/cache')

let noticeShown = false
/**
 * The Actions cache client, or null where the service is not there (outside GitHub). It is
 * loaded only when a runner offers the service: it is most of the bundle's size, and most runs
 * never need it.
 */
export async function cacheClient(): Promise<CacheModule | null> {
  const offered = Boolean(process.env.ACTIONS_CACHE_URL || process.env.ACTIONS_RESULTS_URL)
  const cache = offered ? await import('@actions/cache') : null
  if (cache?.isFeatureAvailable()) return cache
  if (!noticeShown) core.info('The Actions cache service is not available here (not on a GitHub runner); nothing is kept across runs.')
  noticeShown = true
  return null
}

/** How long a cache call may take before the run goes on without it (a tunable for tests). */
const timeoutMs = () => Number(process.env.COMPAT_SENTINEL_HISTORY_TIMEOUT_MS) || 60_000

let pending = false
/** True when a cache call was given up on: its socket may hold the process open, so the run exits when done. */
export const cacheCallPending = () => pending

/**
 * `work`, or undefined (with a warning) when it takes longer than the bound: the cache client
 * waits for ever on a service that never answers, and the cache must never hold a run up.
 */
export async function bounded<T>(what: string, work: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs())))
  const outcome = await Promise.race([work, timeout])
  clearTimeout(timer)
  if (outcome !== 'timeout') return outcome
  pending = true
  core.warning(`${what} took longer than ${Math.round(timeoutMs() / 1000)} s; going on without it.`)
  return undefined
}

/** Restores `paths` under `key` (or a `restoreKeys` prefix); the key that matched, or undefined. Failures are warnings. */
export async function restore(what: string, paths: string[], key: string, restoreKeys: string[] = []): Promise<string | undefined> {
  const cache = await cacheClient()
  if (!cache) return undefined
  try {
    core.debug(`Cache restore for ${what}: key ${key}, restore keys ${restoreKeys.join(', ') || 'none'}`)
    // The lookup is bounded (the download after it has the client's own segment timeout, and
    // may take long on its own).
    const found = await bounded(`Looking up ${what} in the Actions cache`, cache.restoreCache(paths.slice(), key, restoreKeys, { lookupOnly: true }))
    if (!found) return undefined
    return await cache.restoreCache(paths, key, restoreKeys)
  } catch (e) {
    core.warning(`Restoring ${what} from the Actions cache failed (${(e as Error).message}); going on without it.`)
    return undefined
  }
}

/** Saves `paths` under `key`; a failure is a warning, never the run's verdict. */
export async function save(what: string, paths: string[], key: string): Promise<boolean> {
  const cache = await cacheClient()
  if (!cache) return false
  try {
    core.debug(`Cache save for ${what}: key ${key}`)
    // The client reports its own failures as warnings and returns -1.
    return (await cache.saveCache(paths, key)) !== -1
  } catch (e) {
    core.warning(`Saving ${what} to the Actions cache failed (${(e as Error).message}); the next run starts without it.`)
    return false
  }
}
