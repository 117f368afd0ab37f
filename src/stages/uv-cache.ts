// uv's package cache across runs. A consumer's `uv run --with <server>` pays tens of seconds to
// download and build its dependencies with a cold cache and about two with a kept one, and every
// scheduled run starts on a fresh runner: so the cache is restored before the phases and saved
// after them, through the one Actions-cache adapter.
import * as core from '@actions/core'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import type { Inputs } from '../inputs'
import { currentPlatform } from '../core/platform'
import type { ResultFile } from '../core/vocabulary'
import { formatBytes } from '../core/bytes'
import { cacheClient, restore, save } from '../io/actions-cache'
import { sentinelTemp } from '../io/runner'

/** Where uv's cache lives and what the Actions cache did with it (the result file's `uvCache`). */
export type UvCache = ResultFile['uvCache']

/** The folder uv uses: the user's UV_CACHE_DIR if set, else one under RUNNER_TEMP, exported to the commands. */
function cacheDir(): string {
  const dir = process.env.UV_CACHE_DIR || path.join(sentinelTemp(), 'uv-cache')
  if (!process.env.UV_CACHE_DIR) core.exportVariable('UV_CACHE_DIR', dir)
  return dir
}

/** Total size of the files under `dir` (0 when missing). */
async function sizeOf(dir: string): Promise<number> {
  let total = 0
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])
  for (const e of entries) if (e.isFile()) total += (await fs.stat(path.join(e.parentPath, e.name)).catch(() => ({ size: 0 }))).size
  return total
}

/** A hash of the consumer's dependency files, so a change to them starts a new entry. */
async function dependencyHash(patterns: string[], cwd: string): Promise<string> {
  if (!patterns.length) return 'none'
  const lines = patterns.map((p) => (p.startsWith('!') ? `!${path.join(cwd, p.slice(1))}` : path.join(cwd, p)))
  // Virtual environments and node_modules hold thousands of pyproject.toml files that are not the consumer's.
  lines.push(`!${path.join(cwd, '**/node_modules/**')}`, `!${path.join(cwd, '**/.venv/**')}`)
  const glob = await import('@actions/glob')
  const hash = await glob.hashFiles(lines.join('\n'), cwd)
  return hash ? hash.slice(0, 16) : 'none'
}

/** Keys: exact = platform, leg, dependencies, version; fallbacks drop the version, then the leg. */
function uvCacheKeys(os: string, arch: string, leg: string, deps: string, version: string): { key: string; restoreKeys: string[] } {
  const base = `compat-sentinel-uv-v1-${os}-${arch}-`
  const safeLeg = leg.replace(/[^A-Za-z0-9._-]/g, '_')
  return { key: `${base}${safeLeg}-${deps}-${version}`, restoreKeys: [`${base}${safeLeg}-${deps}-`, `${base}${safeLeg}-`, base] }
}

export async function restoreUvCache(inputs: Pick<Inputs, 'cacheUv' | 'cacheDependencyGlob' | 'workingDirectory'>, leg: string, version: string): Promise<UvCache> {
  const none: UvCache = { hit: false, dir: '', key: '', restoredKey: '', restoredBytes: 0, savedBytes: 0 }
  if (!inputs.cacheUv) {
    core.info("uv's cache is not kept across runs ('cache-uv' is false).")
    return none
  }
  // Without the service there is nothing to restore or save: leave uv's cache where the user has it.
  if (!(await cacheClient())) return none
  const dir = cacheDir()
  const platform = currentPlatform()
  const { key, restoreKeys } = uvCacheKeys(platform.os, platform.arch, leg, await dependencyHash(inputs.cacheDependencyGlob, inputs.workingDirectory), version)
  const restoredKey = (await restore("uv's cache", [dir], key, restoreKeys)) ?? ''
  const restoredBytes = restoredKey ? await sizeOf(dir) : 0
  if (restoredKey) core.info(`Restored uv's cache (${formatBytes(restoredBytes)}) from ${restoredKey}${restoredKey === key ? '' : ' (a fallback: a new version or new dependencies)'}`)
  else core.info(`No uv cache for ${key} yet: this run fills ${dir} and saves it.`)
  return { hit: Boolean(restoredKey), key, restoredKey, restoredBytes, savedBytes: 0, dir }
}

/** Saves the cache when the exact key missed; `uv cache prune --ci` first only when asked (it drops the built wheels that save the time). */
export async function saveUvCache(inputs: Pick<Inputs, 'cacheUv' | 'pruneUvCache'>, uvPath: string, cache: UvCache): Promise<UvCache> {
  if (!inputs.cacheUv || !cache.key) return cache
  if (cache.restoredKey === cache.key) {
    core.info(`uv's cache came from the exact key ${cache.key}; not saved again.`)
    return cache
  }
  if (inputs.pruneUvCache && uvPath) {
    const exec = await import('@actions/exec')
    const pruned = await exec.exec(uvPath, ['cache', 'prune', '--ci'], { ignoreReturnCode: true, env: { ...process.env, UV_CACHE_DIR: cache.dir } as Record<string, string> })
    if (pruned !== 0) core.warning(`'uv cache prune --ci' exited with ${pruned}; saving the cache as it is.`)
  }
  const savedBytes = await sizeOf(cache.dir)
  if (savedBytes === 0) {
    core.info("uv's cache is empty (the commands did not use uv): nothing to save.")
    return cache
  }
  const saved = await save("uv's cache", [cache.dir], cache.key)
  if (saved) core.info(`Saved uv's cache (${formatBytes(savedBytes)}) as ${cache.key}`)
  return { ...cache, savedBytes: saved ? savedBytes : 0 }
}
