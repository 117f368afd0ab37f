// Which upstream version to test, and which version the repo pins.
import * as core from '@actions/core'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import { valid as validPep440 } from '@renovatebot/pep440'
import type { Inputs } from '../inputs'
import { PYPI, TEST_PYPI, fetchProject } from '../io/index-client'
import type { ProjectPage } from '../core/simple-api'
import { UserError, type EffectiveChannel } from '../core/vocabulary'
import { findRelease, isYanked, nearestVersions, newestUpload, releases, sameVersion, selectForChannel, type Release } from '../core/versions'
import { redactUrl } from '../io/secrets'
import { execWithDeadline, REGEX_DEADLINE_MS, RegexTimeout } from '../io/regex'

export interface Resolution {
  version: string
  indexUrl: string
  /** Project pages by name, reused by the prefetch stage. */
  pages: Map<string, ProjectPage>
  release: Release
  /** Warnings for the job summary too (a stale upstream), already logged. */
  warnings: string[]
}

/** `stale-after-days` defaults: dev builds come daily, stable releases every month or two. */
export function staleAfterDays(inputs: Pick<Inputs, 'staleAfterDays'>, channel: EffectiveChannel): number {
  if (inputs.staleAfterDays !== null) return inputs.staleAfterDays
  return channel === 'dev' || channel === 'pre' ? 30 : 180
}

const versions = (n: number) => `${n} version${n === 1 ? '' : 's'}`

export function defaultIndex(inputs: Pick<Inputs, 'indexUrl' | 'channel' | 'version'>): string {
  if (inputs.indexUrl) return inputs.indexUrl
  return !inputs.version && (inputs.channel === 'dev' || inputs.channel === 'pre') ? TEST_PYPI : PYPI
}

export function effectiveChannel(inputs: Pick<Inputs, 'channel' | 'version'>): EffectiveChannel {
  return inputs.version ? 'explicit' : inputs.channel
}

/** Reads the pinned version, or '' when no pinned-file is set. Unreadable or unmatched is an error. */
export async function readPinned(inputs: Pick<Inputs, 'pinnedFile' | 'pinnedPattern' | 'workingDirectory'>): Promise<string> {
  if (!inputs.pinnedFile || !inputs.pinnedPattern) return ''
  const file = path.resolve(inputs.workingDirectory, inputs.pinnedFile)
  let text: string
  try {
    text = await fs.readFile(file, 'utf8')
  } catch (e) {
    throw new UserError(
      `'pinned-file' ${inputs.pinnedFile} could not be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; looked at ${file}): check the path, which is relative to 'working-directory'.`,
    )
  }
  const m = await execWithDeadline(inputs.pinnedPattern, text).catch((e) => {
    if (!(e instanceof RegexTimeout)) throw e
    throw new UserError(
      `'pinned-pattern' ${inputs.pinnedPattern!.source} did not finish within ${REGEX_DEADLINE_MS / 1000} s on ${inputs.pinnedFile} (${text.length} characters): the pattern backtracks catastrophically (nested repetition such as (a+)+ or (.*)*); simplify it, e.g. anchor it to the line and use \\S+ for the version.`,
    )
  })
  const found = m?.[1]?.trim()
  if (!found) {
    throw new UserError(`'pinned-pattern' ${inputs.pinnedPattern.source} matches nothing (or an empty group) in ${inputs.pinnedFile}: fix the pattern so its first capture group is the version.`)
  }
  if (!validPep440(found)) {
    throw new UserError(`The pinned version '${found.slice(0, 80)}' read from ${inputs.pinnedFile} is not a PEP 440 version: fix 'pinned-pattern' so it captures only the version.`)
  }
  return found
}

function notFound(project: string, version: string, indexUrl: string, page: ProjectPage, what: string): UserError {
  const near = nearestVersions(page.files, version)
  const hint = near.length ? `the nearest versions it has are ${near.join(', ')}` : 'it lists no versions at all'
  return new UserError(`${what} ${project} ${version} is not on ${redactUrl(indexUrl)}; ${hint}. Check '${what === 'Companion' ? 'companion-packages' : 'version'}' and 'index-url'.`)
}

export async function resolveVersion(inputs: Inputs, pinnedVersion: string): Promise<Resolution> {
  const channel = effectiveChannel(inputs)
  const indexUrl = defaultIndex(inputs)
  core.info(`Index: ${redactUrl(indexUrl)}`)
  core.debug(`channel ${channel}${inputs.version ? ' (an explicit version overrides the channel)' : ''}; index ${inputs.indexUrl ? "from 'index-url'" : `the default for ${channel}`}`)
  const page = await fetchProject(indexUrl, inputs.package)
  const pages = new Map([[inputs.package, page]])

  let release: Release | null
  if (channel === 'explicit' || channel === 'pinned') {
    const wanted = channel === 'explicit' ? inputs.version : pinnedVersion
    release = findRelease(page.files, wanted)
    if (!release) throw notFound(inputs.package, wanted, indexUrl, page, channel === 'explicit' ? 'Version' : 'Pinned version')
    if (isYanked(release)) core.warning(`${inputs.package} ${wanted} is yanked on the index; testing it because it was asked for by name.`)
    core.info(`${inputs.package}: ${versions(releases(page.files).length)} on the index; testing ${channel} ${wanted}`)
    release = { ...release, version: wanted } // keep the spelling that was asked for
  } else {
    const sel = selectForChannel(page.files, channel)
    core.info(`${inputs.package}: ${versions(sel.total)} on the index, ${sel.skipped.length} skipped for '${channel}'`)
    logSkipped(sel.skipped)
    if (!sel.chosen) {
      throw new UserError(
        `No ${channel} release of ${inputs.package} on ${redactUrl(indexUrl)} (${versions(sel.total)} listed, none a non-yanked ${channel} release): check 'channel' and 'index-url'.`,
      )
    }
    release = sel.chosen
    core.info(`Chosen: ${release.version}`)
  }
  const stale = staleWarning(inputs.package, release, channel, staleAfterDays(inputs, channel))
  if (stale) core.warning(stale)

  // Companion pages are independent of each other: fetch them together.
  const companionPages = await Promise.all(inputs.companions.map((companion) => fetchProject(indexUrl, companion)))
  inputs.companions.forEach((companion, i) => {
    const cpage = companionPages[i]!
    pages.set(companion, cpage)
    if (!findRelease(cpage.files, release.version)) throw notFound(companion, release.version, indexUrl, cpage, 'Companion')
    core.info(`Companion ${companion} ${release.version}: present`)
  })
  return { version: release.version, indexUrl, pages, release, warnings: stale ? [stale] : [] }
}

function logSkipped(skipped: { version: string; reason: string }[]): void {
  const byReason = new Map<string, string[]>()
  for (const s of skipped) {
    const list = byReason.get(s.reason)
    if (list) list.push(s.version)
    else byReason.set(s.reason, [s.version])
  }
  for (const [reason, versions] of byReason) {
    // Versions come from the index: print them only when they are versions.
    const shown = versions.filter((v) => validPep440(v)).slice(-10)
    const more = versions.length - shown.length
    core.info(`  skipped (${reason}): ${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`)
  }
}

/**
 * A warning when the tested release is older than `limit` days (0: never). An upstream that
 * stops publishing under a name is the case that matters: Llama Stack's last `llama-stack` was
 * 0.7.3 (July 2026), it publishes as `ogx` since, and a sentinel watching the old name tests a
 * dead line every night.
 */
export function staleWarning(project: string, release: Release, channel: EffectiveChannel, limit: number, now = Date.now()): string {
  const newest = newestUpload(release)
  if (!newest || limit <= 0) return ''
  const days = Math.floor((now - newest.getTime()) / 86_400_000)
  if (days <= limit) return ''
  const which = channel === 'explicit' || channel === 'pinned' ? 'the tested release' : `the newest ${channel} release on the index`
  return (
    `${project} ${release.version}, ${which}, was uploaded ${days} days ago (${newest.toISOString().slice(0, 10)}), ` +
    `more than stale-after-days (${limit}): has the upstream stopped publishing here? A renamed project is a common cause ` +
    `(llama-stack now publishes as ogx); check the project's page, or set stale-after-days to 0 to turn this warning off.`
  )
}

export function isPinned(version: string, pinnedVersion: string): boolean {
  return sameVersion(version, pinnedVersion)
}
