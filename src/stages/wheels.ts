// The upstream's own files at the tested version, verified, cached, and handed to uv
// as find-links, so `uv run --with pkg==<dev>` finds a dev build that lives on another index.
import * as core from '@actions/core'
import { createHash, randomBytes } from 'node:crypto'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import type { Inputs } from '../inputs'
import { sentinelTemp, workspace } from '../io/runner'
import { restore, save } from '../io/actions-cache'
import { sha256File } from '../io/hash'
import { cause, ChecksumError, downloadFile, HttpStatusError, TlsError, TooLargeError, WriteError } from '../io/http'
import { formatBytes } from '../core/bytes'
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

function wheelsDirOf(inputs: Pick<Inputs, 'wheelsDir'>): string {
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
    throw new UserError(
      `'wheels-dir' ${dir} is not a writable folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): point 'wheels-dir' at a folder the runner can write, or leave it empty.`,
    )
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

export type PrefetchInputs = Pick<Inputs, 'package' | 'companions' | 'wheelsDir' | 'cacheWheels' | 'maxDownloadBytes'>

export async function prefetchWheels(inputs: PrefetchInputs, res: Pick<Resolution, 'version' | 'pages' | 'indexUrl'>): Promise<Prefetched> {
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
  if (useCache && (await restoreVerified(key, todo, dir))) {
    todo = await missing(dir, wanted)
    cacheHit = todo.length === 0
    core.info(cacheHit ? `Restored ${wanted.length} files from the Actions cache (${key})` : `Cache entry ${key} was incomplete; downloading the rest`)
  }

  await runLimited(todo, CONCURRENCY, (f) => download(f, dir, inputs.maxDownloadBytes, res.indexUrl))
  if (todo.length === 0 && !cacheHit) core.info(`All ${wanted.length} files were already in ${dir}`)

  if (useCache && !cacheHit && todo.length > 0) await saveWanted(key, wanted, dir)

  appendFindLinks(dir)
  return { dir, files: wanted.map((f) => f.filename).sort(), cacheHit }
}

/** One file into `dir`, verified; every failure in words that say what to do. */
async function download(f: IndexFile, dir: string, maxBytes: number, indexUrl: string): Promise<void> {
  try {
    // The index's credentials go along only to files on the index's own origin.
    const { bytes } = await downloadFile(f.url, path.join(dir, f.filename), { sha256: f.sha256, size: f.size, maxBytes, credentialsFrom: indexUrl })
    core.info(`Downloaded and verified ${f.filename} (${formatBytes(bytes)})`)
  } catch (e) {
    const message = downloadFailure(e, f, dir, maxBytes)
    if (message === null) throw e // not a download failure: a bug, reported as one
    throw new UserError(message, { cause: e })
  }
}

function downloadFailure(e: unknown, f: IndexFile, dir: string, maxBytes: number): string | null {
  if (e instanceof ChecksumError) return `${e.message}. Nothing was kept; the server or a proxy altered the file, or the checksum is wrong.`
  if (e instanceof TooLargeError && e.declared) {
    return `Downloading ${f.filename} failed: ${e.url} sent more than the ${formatBytes(e.limitBytes)} the index declared for it. Nothing was kept; the server or a proxy serves another file than the index lists.`
  }
  if (e instanceof TooLargeError) {
    return `Downloading ${f.filename} failed: it is larger than 'max-download-mb' (${Math.round(maxBytes / 2 ** 20)} MB) and the index declares no size. Nothing was kept; raise 'max-download-mb' if the file is really that large.`
  }
  if (e instanceof WriteError) {
    return `Writing ${f.filename} into ${dir} failed: ${e.detail}${e.code && !e.detail.includes(e.code) ? ` (${e.code})` : ''}. Nothing was kept; free disk space on the runner, or point 'wheels-dir' at a disk with room.`
  }
  if (e instanceof HttpStatusError && (e.status === 401 || e.status === 403)) {
    return `Downloading ${f.filename} failed: HTTP ${e.status} for ${e.url}. The file server wants credentials: files on the index's own host get those of 'index-url'; files on another host never do.`
  }
  if (e instanceof HttpStatusError) return `Downloading ${f.filename} failed: HTTP ${e.status} for ${e.url}.`
  // Not the network, and not worth trying again: the certificate has to change, or be trusted.
  if (e instanceof TlsError) return `Downloading ${f.filename} failed: ${e.url}: ${e.message}. Give its server a certificate the runner trusts (a private CA goes in NODE_EXTRA_CA_CERTS).`
  const why = cause(e)
  if (why === null) return null
  return `Downloading ${f.filename} failed: could not reach ${redactUrl(f.url)}: ${why}. Check the network or try again later.`
}

// The cache entry's own folder: restored into empty, read only for the files this run verifies.
// Its path is part of the entry's identity, so it is the same on every run.
const cacheStaging = () => path.join(sentinelTemp(), 'wheels-cache')

/**
 * Restores the entry under `key` into an empty private folder, then moves into `dir` only the
 * wanted files whose sha256 matches the index's; anything else in the entry is thrown away.
 * Whether the entry was found.
 */
async function restoreVerified(key: string, todo: IndexFile[], dir: string): Promise<boolean> {
  const staging = cacheStaging()
  await fs.rm(staging, { recursive: true, force: true })
  await fs.mkdir(staging, { recursive: true })
  try {
    if (!(await restore('wheels', [staging], key))) return false
    for (const f of todo) {
      const from = path.join(staging, f.filename)
      if ((await sha256File(from).catch(() => null)) !== f.sha256) {
        core.debug(`Cache entry ${key}: ${f.filename} is missing or does not match the index's sha256; not used`)
        continue
      }
      await moveInto(from, path.join(dir, f.filename))
    }
    return true
  } finally {
    await fs.rm(staging, { recursive: true, force: true })
  }
}

/** A rename, or a copy through a temp name when the folders are on different disks. */
async function moveInto(from: string, to: string): Promise<void> {
  try {
    await fs.rename(from, to)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e
    const tmp = path.join(path.dirname(to), `.part-${randomBytes(6).toString('hex')}`)
    try {
      await fs.copyFile(from, tmp)
      await fs.rename(tmp, to)
    } finally {
      await fs.rm(tmp, { force: true })
    }
  }
}

/** Saves exactly the wanted, verified files, from the same private folder a restore uses. */
async function saveWanted(key: string, wanted: IndexFile[], dir: string): Promise<void> {
  const staging = cacheStaging()
  await fs.rm(staging, { recursive: true, force: true })
  await fs.mkdir(staging, { recursive: true })
  try {
    for (const f of wanted) {
      const from = path.join(dir, f.filename)
      const to = path.join(staging, f.filename)
      await fs.link(from, to).catch(() => fs.copyFile(from, to))
    }
    await save('wheels', [staging], key)
  } finally {
    await fs.rm(staging, { recursive: true, force: true })
  }
}

export function cacheKey(platform: Platform, project: string, version: string, files: IndexFile[]): string {
  const list = createHash('sha256')
    .update(
      files
        .map((f) => `${f.filename}:${f.sha256}`)
        .sort()
        .join('\n'),
    )
    .digest('hex')
    .slice(0, 16)
  return `compat-sentinel-wheels-${platform.os}-${platform.arch}-${project.toLowerCase()}-${version}-${list}`
}

/**
 * Adds the folder to UV_FIND_LINKS (comma-separated, as uv reads it) and PIP_FIND_LINKS
 * (space-separated, as pip reads it) for the commands and later steps.
 */
function appendFindLinks(dir: string): void {
  for (const [name, sep] of [
    ['UV_FIND_LINKS', ','],
    ['PIP_FIND_LINKS', ' '],
  ] as const) {
    const existing = (process.env[name] ?? '')
      .split(sep === ',' ? ',' : /\s+/)
      .map((s) => s.trim())
      .filter(Boolean)
    // The default folder lives under RUNNER_TEMP, which a self-hosted runner may put on a path with spaces.
    if (sep === ' ' && /\s/.test(dir)) {
      core.warning(`PIP_FIND_LINKS is not set: the wheels folder ${dir} has a space in its path, and pip splits that variable on spaces. uv (UV_FIND_LINKS) is not affected.`)
      continue
    }
    if (!existing.includes(dir)) existing.push(dir)
    core.exportVariable(name, existing.join(sep))
  }
}
