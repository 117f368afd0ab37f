// Version selection: pure functions from index files to the version a channel means.
// Every comparison is PEP 440 (@renovatebot/pep440), never string order.
import { clean, compare, eq, explain } from '@renovatebot/pep440'
import type { Channel } from './vocabulary'
import type { IndexFile } from './simple-api'

export interface Release {
  /** The spelling used in the filenames (first seen). */
  version: string
  files: IndexFile[]
}

export interface Skipped {
  version: string
  reason: string
}

export interface Selection {
  chosen: Release | null
  skipped: Skipped[]
  /** How many distinct versions the index listed (valid or not). */
  total: number
}

/**
 * The grouping key of a version's spelling: its PEP 440 normal form, or the spelling itself marked
 * invalid. Pages list a release's files together, so the last spelling is remembered: pages of
 * 100,000 files are not parsed 100,000 times, and no map of every spelling is built.
 */
function versionKeys(): (spelling: string) => string {
  let last: string | undefined
  let key = ''
  return (spelling) => {
    if (spelling !== last) {
      last = spelling
      const normal = clean(spelling)
      // The same text, but the spelling's own string: a map keyed by it holds no second copy.
      key = normal === null ? `invalid:${spelling}` : normal === spelling ? spelling : normal
    }
    return key
  }
}

/** Groups files by version; files with no readable version are left out. */
export function releases(files: IndexFile[]): Release[] {
  const keyOf = versionKeys()
  const byKey = new Map<string, Release>()
  for (const f of files) {
    if (f.version === null) continue
    const key = keyOf(f.version)
    const r = byKey.get(key)
    if (r) r.files.push(f)
    else byKey.set(key, { version: f.version, files: [f] })
  }
  return [...byKey.values()]
}

export const isYanked = (r: Release) => r.files.every((f) => f.yanked !== false)

/** Why `channel` does not take `version`, or null when it does. */
function channelRejects(channel: Channel, version: string): string | null {
  const v = explain(version)
  if (!v) return 'not a valid PEP 440 version'
  if (v.local !== null) return 'local version'
  switch (channel) {
    case 'stable':
      return v.is_prerelease ? 'pre-release' : null
    case 'dev':
      return v.is_devrelease ? null : 'not a dev release'
    default:
      return null
  }
}

/**
 * The highest non-yanked release the channel admits ('pinned' is resolved elsewhere). A page can
 * list 100,000 versions: each is summed up in a few bytes (first spelling, any file not yanked),
 * and only the chosen one is gathered into a Release.
 */
export function selectForChannel(files: IndexFile[], channel: Exclude<Channel, 'pinned'>): Selection {
  const keyOf = versionKeys()
  // Per version, one number and no object: the index of its first file (whose spelling names the
  // release) times two, plus one when any of its files is not yanked.
  const byKey = new Map<string, number>()
  files.forEach((f, i) => {
    if (f.version === null) return
    const key = keyOf(f.version)
    const seen = byKey.get(key)
    if (seen === undefined) byKey.set(key, i * 2 + (f.yanked === false ? 1 : 0))
    else if (f.yanked === false && seen % 2 === 0) byKey.set(key, seen + 1)
  })
  const skipped: Skipped[] = []
  let chosen: { key: string; version: string } | null = null
  for (const [key, v] of byKey) {
    const version = files[Math.floor(v / 2)]!.version!
    const why = channelRejects(channel, version) ?? (v % 2 === 1 ? null : 'yanked')
    if (why) {
      skipped.push({ version, reason: why })
      continue
    }
    if (!chosen || compare(version, chosen.version) > 0) chosen = { key, version }
  }
  const release = chosen && { version: chosen.version, files: files.filter((f) => f.version !== null && keyOf(f.version) === chosen.key) }
  return { chosen: release, skipped, total: byKey.size }
}

/**
 * The non-yanked releases the channel admits strictly between `low` and `high` (PEP 440), oldest
 * first: the builds a bisection can probe.
 */
export function releasesBetween(files: IndexFile[], channel: Exclude<Channel, 'pinned'>, low: string, high: string): Release[] {
  return releases(files)
    .filter((r) => !channelRejects(channel, r.version) && !isYanked(r) && compare(r.version, low) > 0 && compare(r.version, high) < 0)
    .sort((a, b) => compare(a.version, b.version))
}

/** The release equal (PEP 440) to `version`, yanked or not. */
export function findRelease(files: IndexFile[], version: string): Release | null {
  return releases(files).find((r) => explain(r.version) && eq(r.version, version)) ?? null
}

/** Up to `count` valid versions closest in order to `version`, for "did you mean" messages. */
export function nearestVersions(files: IndexFile[], version: string, count = 5): string[] {
  const valid = releases(files)
    .map((r) => r.version)
    .filter((v) => explain(v))
    .sort(compare)
  if (!explain(version)) return valid.slice(-count)
  const at = valid.findIndex((v) => compare(v, version) > 0)
  const pivot = at < 0 ? valid.length : at
  const start = Math.max(0, Math.min(pivot - Math.ceil(count / 2), valid.length - count))
  return valid.slice(start, start + count)
}

/** PEP 440 equality; false when either side is not a version. */
export function sameVersion(a: string, b: string): boolean {
  return Boolean(a && b && explain(a) && explain(b) && eq(a, b))
}

/** The newest upload time among a release's files, if the index told. */
export function newestUpload(r: Release): Date | undefined {
  let newest: Date | undefined
  for (const f of r.files) if (f.uploadTime && (!newest || f.uploadTime > newest)) newest = f.uploadTime
  return newest
}
