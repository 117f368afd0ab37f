// The upstream's own files at the tested version, verified, cached, and handed to uv
// as find-links, so `uv run --with pkg==<dev>` finds a dev build that lives on another index.
import * as core from '@actions/core'
import { createHash } from 'node:crypto'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import type { Inputs } from '../inputs'
import { sentinelTemp, workspace } from '../io/runner'
import { restore, save } from '../io/actions-cache'
import { sha256File } from '../io/hash'
import { HttpStatusError, NetworkError, downloadFile } from '../io/http'
import { PYPI, sameIndex } from '../io/index-client'
import { currentPlatform, wheelFits, type Platform } from '../core/platform'
import type { Resolution } from './resolve'
import type { IndexFile } from '../core/simple-api'
import { findRelease } from '../core/versions'
import { UserError } from '../core/vocabulary'
import { redactUrl } from '../io/secrets'

export interface Prefetched {
  dir: string
  files: string[]
  cacheHit: boolean
}

const CONCURRENCY = 8

export function shouldPrefetch(mode: Inputs['prefetchWheels'], indexUrl: string): boolean {
  return mode === 'true' || (mode === 'auto' && !sameIndex(indexUrl, PYPI))
}

export function wheelsDirOf(inputs: Pick<Inputs, 'wheelsDir'>): string {
  return inputs.wheelsDir ? path.resolve(workspace(), inputs.wheelsDir) : path.join(sentinelTemp(), 'wheels')
}

/** The files of one project at `version` that can install here: fitting wheels, else sdists. */
export function installableFiles(files: IndexFile[], version: string, platform: Platform): IndexFile[] {
  const release = findRelease(files, version)
  if (!release) return []
  // A yanked release is only tested when asked for by name; then its files are what there is.
  const live = release.files.filter((f) => f.yanked === false)
  const pool = live.length ? live : release.files
  const wheels = pool.filter((f) => wheelFits(f.filename, platform))
  return wheels.length ? wheels : pool.filter((f) => !f.filename.endsWith('.whl'))
}

/** Files in the folder already with the right content are kept as they are (hashed in parallel). */
async function missing(dir: string, files: IndexFile[]): Promise<IndexFile[]> {
  const hashes = new Map<IndexFile, string | null>()
  await runLimited(files, CONCURRENCY, async (f) => void hashes.set(f, await sha256File(path.join(dir, f.filename)).catch(() => null)))
  return files.filter((f) => hashes.get(f) !== f.sha256)
}

async function ensureWritable(dir: string): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true })
    await fs.access(dir, fs.constants.W_OK)
    const probe = path.join(dir, `.write-test-${process.pid}`)
    await fs.writeFile(probe, '')
    await fs.rm(probe)
  } catch (e) {
    throw new UserError(`'wheels-dir' ${dir} is not a writable folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): point 'wheels-dir' at a folder the runner can write, or leave it empty.`)
  }
}

async function runLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items]
  const errors: unknown[] = []
  await Promise.all(
    Array.from({ length: Math.min(limit, queue.length) }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
        // Stop taking new work after a failure; files already verified stay.
        if (errors.length) return
        await work(item).catch((e) => errors.push(e))
      }
    }),
  )
  if (errors.length) throw errors[0]
}

export async function prefetchWheels(inputs: Pick<Inputs, 'package' | 'companions' | 'wheelsDir' | 'cacheWheels'>, res: Pick<Resolution, 'version' | 'pages'>): Promise<Prefetched> {
  const platform = currentPlatform()
  const wanted: IndexFile[] = []
  for (const project of [inputs.package, ...inputs.companions]) {
    const page = res.pages.get(project)
    const files = page ? installableFiles(page.files, res.version, platform) : []
    if (!files.length) throw new UserError(`${project} ${res.version} has no wheel for this runner (${platform.os}/${platform.arch}) and no sdist on the index, so uv could not install it here.`)
    for (const f of files) {
      if (!f.sha256) throw new UserError(`The index lists no sha256 for ${f.filename}; files are never kept unverified. Use an index that publishes hashes (PEP 503 #sha256= or PEP 691 "hashes").`)
    }
    wanted.push(...files)
  }
  const dir = wheelsDirOf(inputs)
  await ensureWritable(dir)

  let todo = await missing(dir, wanted)
  let cacheHit = false
  const useCache = inputs.cacheWheels && todo.length > 0
  const key = cacheKey(platform, inputs.package, res.version, wanted)
  const paths = wanted.map((f) => path.join(dir, f.filename))
  if (useCache && (await restore('wheels', paths, key))) {
    todo = await missing(dir, wanted)
    cacheHit = todo.length === 0
    core.info(cacheHit ? `Restored ${wanted.length} files from the Actions cache (${key})` : `Cache entry ${key} was incomplete; downloading the rest`)
  }

  await runLimited(todo, CONCURRENCY, async (f) => {
    try {
      const { bytes } = await downloadFile(f.url, path.join(dir, f.filename), f.sha256)
      core.info(`Downloaded and verified ${f.filename} (${(bytes / 2 ** 20).toFixed(1)} MiB)`)
    } catch (e) {
      if (e instanceof HttpStatusError) throw new UserError(`Downloading ${f.filename} failed: HTTP ${e.status} for ${redactUrl(e.url)}.`)
      if (e instanceof NetworkError) throw new UserError(`Downloading ${f.filename} failed: ${e.message}.`)
      throw e
    }
  })
  if (todo.length === 0 && !cacheHit) core.info(`All ${wanted.length} files were already in ${dir}`)

  if (useCache && !cacheHit && todo.length > 0) await save('wheels', paths, key)

  appendFindLinks(dir)
  return { dir, files: wanted.map((f) => f.filename).sort(), cacheHit }
}

export function cacheKey(platform: Platform, project: string, version: string, files: IndexFile[]): string {
  const list = createHash('sha256')
    .update(files.map((f) => `${f.filename}:${f.sha256}`).sort().join('\n'))
    .digest('hex')
    .slice(0, 16)
  return `compat-sentinel-wheels-${platform.os}-${platform.arch}-${project.toLowerCase()}-${version}-${list}`
}

/**
 * Adds the folder to UV_FIND_LINKS (comma-separated, as uv reads it) and PIP_FIND_LINKS
 * (space-separated, as pip reads it) for the commands and later steps.
 */
export function appendFindLinks(dir: string): void {
  for (const [name, sep] of [['UV_FIND_LINKS', ','], ['PIP_FIND_LINKS', ' ']] as const) {
    const existing = (process.env[name] ?? '').split(sep === ',' ? ',' : /\s+/).map((s) => s.trim()).filter(Boolean)
    if (!existing.includes(dir)) existing.push(dir)
    core.exportVariable(name, existing.join(sep))
  }
}
