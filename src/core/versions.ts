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

/** Groups files by version; files with no readable version are left out. */
export function releases(files: IndexFile[]): Release[] {
  const byKey = new Map<string, Release>()
  // A release has many files spelling the same version: parse each spelling once.
  const keys = new Map<string, string>()
  for (const f of files) {
    if (f.version === null) continue
    let key = keys.get(f.version)
    if (key === undefined) {
      key = clean(f.version) ?? `invalid:${f.version}`
      keys.set(f.version, key)
    }
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

/** The highest non-yanked release the channel admits ('pinned' is resolved elsewhere). */
export function selectForChannel(files: IndexFile[], channel: Exclude<Channel, 'pinned'>): Selection {
  const all = releases(files)
  const skipped: Skipped[] = []
  let chosen: Release | null = null
  for (const r of all) {
    const why = channelRejects(channel, r.version) ?? (isYanked(r) ? 'yanked' : null)
    if (why) {
      skipped.push({ version: r.version, reason: why })
      continue
    }
    if (!chosen || compare(r.version, chosen.version) > 0) chosen = r
  }
  return { chosen, skipped, total: all.length }
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
