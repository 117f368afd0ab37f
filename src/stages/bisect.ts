// First bad build: when a leg fails, binary-search the builds between its last good version and
// the tested one. Each probe is "test one version" (prefetch, install, replay: never record, so
// no money is spent); a build that cannot be installed is skipped. What the leg already knows
// (past runs, past probes) is not probed again, and this run's probes join the history.
import * as core from '@actions/core'
import { compare, explain } from '@renovatebot/pep440'
import type { Inputs } from '../inputs'
import { bisectOutcome, compareUrl, nextProbe, recordProbe, startBisection, type ProbeVerdict } from '../core/bisect'
import { knownResults, type ProbeResult } from '../core/history'
import { currentPlatform } from '../core/platform'
import { newestUpload, releasesBetween, type Release } from '../core/versions'
import type { Bisect, Outcome } from '../core/vocabulary'
import type { Resolution } from './resolve'
import type { Memory } from './history'
import { MIN_PHASE_MS, runCommand, testVersion } from './test-version'
import { runStopping } from './phases'
import { verifyProvenance } from './provenance'
import { installableFiles } from './wheels'

export interface Failing {
  package: string
  channel: string
  version: string
  outcome: Outcome
}

const VERDICT: Record<ProbeResult, ProbeVerdict> = { good: 'good', bad: 'bad', 'not-installable': 'skip' }

/** Why this run does not bisect, or '' when it should; null when bisecting is off (nothing to say). */
export function whyNotBisect(inputs: Pick<Inputs, 'bisect' | 'bisectOn'>, run: Failing, lastGood: string): string | null {
  if (!inputs.bisect) return null
  if (run.outcome === 'compatible') return null
  if (!inputs.bisectOn.has(run.outcome)) return `no bisection: the outcome ${run.outcome} is not in 'bisect-on'`
  if (run.channel === 'explicit' || run.channel === 'pinned') return `no bisection: a ${run.channel} version has no channel of builds to search`
  if (!lastGood) return 'no bisection: the history of this leg has no compatible run yet, so there is no last good build to start from'
  // A last good version yanked since, or a nightly that reuses one version: no build lies between.
  if (explain(lastGood) && explain(run.version) && compare(lastGood, run.version) >= 0)
    return `no bisection: the last good version ${lastGood} is not older than the tested ${run.version}, so there are no builds between them to search`
  return ''
}

/** The sha256 of the file a build would be tested with here ('' when unknown). */
function buildSha(release: Release): string {
  const files = installableFiles(release.files, release.version, currentPlatform())
  return [...files].sort((a, b) => a.filename.localeCompare(b.filename))[0]?.sha256 ?? ''
}

export async function bisect(inputs: Inputs, resolution: Resolution, run: Failing, lastGood: string, memory: Memory | null): Promise<Bisect> {
  const page = resolution.pages.get(inputs.package)!
  const channel = run.channel === 'stable' || run.channel === 'dev' ? run.channel : 'pre'
  const candidates = releasesBetween(page.files, channel, lastGood, run.version)
  const byVersion = new Map(candidates.map((r) => [r.version, r]))
  const search = startBisection(candidates.map((r) => r.version))
  core.info(`${candidates.length} ${channel} build(s) between the last good ${lastGood} and ${run.version}`)

  // What this leg already knows, from its runs and earlier probes, narrows the range first.
  const known = knownResults(memory?.past ?? [], memory?.probes ?? [], (v) => (byVersion.has(v) ? buildSha(byVersion.get(v)!) : ''))
  for (let i = 0; i < candidates.length; i++) {
    const result = known.get(candidates[i]!.version)
    if (result && i > search.lo && i < search.hi) {
      recordProbe(search, i, VERDICT[result])
      core.debug(`known from the history: ${candidates[i]!.version} is ${result}`)
    }
  }

  const probes: Bisect['probes'] = []
  const deadline = Date.now() + inputs.bisectTimeoutMs
  let stopped = ''
  let started = 0
  for (let i = nextProbe(search); i !== null; i = nextProbe(search)) {
    if (probes.length >= inputs.bisectMaxProbes) {
      stopped = `stopped after ${probes.length} probe(s) (bisect-max-probes)`
      break
    }
    if (deadline - Date.now() < MIN_PHASE_MS) {
      stopped = `stopped when its time ran out (bisect-timeout-minutes: ${inputs.bisectTimeoutMs / 60_000})`
      break
    }
    const release = candidates[i]!
    const startedAt = Date.now()
    started++
    const result = await probe(inputs, resolution, run, release.version, deadline)
    if (result === null) {
      stopped = runStopping()
        ? `stopped: the run was cancelled during the probe of ${release.version}`
        : `stopped when its time ran out (bisect-timeout-minutes: ${inputs.bisectTimeoutMs / 60_000}); the probe of ${release.version} was cut short`
      break
    }
    recordProbe(search, i, VERDICT[result])
    probes.push({ version: release.version, uploadTime: newestUpload(release)?.toISOString() ?? '', sha256: buildSha(release), result, durationMs: Date.now() - startedAt })
    core.info(`Probe ${release.version}: ${result}`)
  }

  if (started && inputs.installCommand && !runStopping()) await reinstallTested(inputs, run)

  const out = bisectOutcome(search, lastGood, run.version)
  const upload = (v: string) => (byVersion.get(v) ? newestUpload(byVersion.get(v)!)?.toISOString().slice(0, 10) : undefined)
  const notes = [
    out.exact ? '' : stopped || '',
    out.untestable.length ? `could not install ${out.untestable.join(', ')} (the break may be there)` : '',
    !out.exact && out.untested.length ? `${out.untested.length} build(s) between not probed: ${out.untested.slice(0, 10).join(', ')}${out.untested.length > 10 ? ', …' : ''}` : '',
  ].filter(Boolean)
  const bad = upload(out.firstBadVersion)
  core.info(`First bad build: ${out.firstBadVersion}${bad ? ` (uploaded ${bad})` : ''}; last good: ${out.lastGoodVersion}${out.exact ? '' : ` (a range: ${notes.join('; ')})`}`)
  return {
    exact: out.exact,
    firstBadVersion: out.firstBadVersion,
    lastGoodVersion: out.lastGoodVersion,
    compareUrl: compareUrl(inputs.compareUrlTemplate, out.lastGoodVersion, out.firstBadVersion),
    note: notes.join('; '),
    probes,
  }
}

/** The probes installed other builds: later steps must find the tested one, as before the search. */
async function reinstallTested(inputs: Inputs, run: Failing): Promise<void> {
  const again = await runCommand(inputs, run, 'install', undefined, `Install ${run.version} again (the probes installed other builds)`)
  if (again.result !== 'success')
    core.warning(`install-command ${again.result === 'timeout' ? 'timed out' : 'failed'} for ${run.version} after the probes: later steps may find a probed build installed.`)
}

/**
 * One build, replay only: good, bad, or not installable (which says nothing about the code);
 * null when the budget or a cancellation cut it short, which says nothing either and is not kept.
 */
async function probe(inputs: Inputs, resolution: Resolution, run: Failing, version: string, deadline: number): Promise<ProbeResult | null> {
  // The probe's own stages open their log groups; this line says which build they belong to.
  core.info(`Probe ${version}: prefetch, install and replay (never record)`)
  try {
    // A build from an unverified publisher never runs, here as in the run itself.
    if (inputs.expectedPublisher) {
      const provenance = await verifyProvenance(inputs, { version, pages: resolution.pages, indexUrl: resolution.indexUrl })
      if (provenance.status !== 'verified') {
        core.info(`${version} was not tested: ${provenance.detail}`)
        return 'not-installable'
      }
    }
    // As many attempts as the run itself gets (a flaky suite must not make a good build bad), all
    // within what is left of the budget; the record command is never run.
    // No Actions-cache entry per probed build: they would crowd out the leg's history and wheels.
    const tested = await testVersion({ ...inputs, cacheWheels: false }, { ...resolution, version }, { package: run.package, version, channel: run.channel, probe: true, deadline })
    if (runStopping() || tested.cutShort) return null
    if (tested.notInstallable) {
      core.info(`${version} could not be installed (${tested.notInstallable}): skipped`)
      return 'not-installable'
    }
    return tested.replay.result === 'success' ? 'good' : 'bad'
  } catch (e) {
    if (runStopping()) return null
    // A build whose files are missing or unverifiable cannot be tested: skipped, not bad.
    core.info(`${version} could not be tested (${(e as Error).message}): skipped`)
    return 'not-installable'
  }
}

/** The newest version this leg's past runs found compatible ('' when none). */
export function lastGoodOf(memory: Memory | null): string {
  return memory?.past.findLast((e) => e.outcome === 'compatible')?.version ?? ''
}
