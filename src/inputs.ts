// Reads every input of action.yml once, validates it, and returns one typed object.
// Nothing else in the action calls core.getInput. Defaults are applied here too, because a
// runner is not the only caller (local runs and tests set INPUT_* themselves).
import * as core from '@actions/core'
import * as path from 'node:path'
import { valid as validPep440 } from '@renovatebot/pep440'
import { CHANNELS, OUTCOMES, UserError, type Channel, type Outcome } from './core/vocabulary'
import { LEG_NAME, defaultLeg, normalizeName } from './core/names'
import type { ExpectedLegs } from './core/combine'
import { NOTIFY_ON, type NotifyOn } from './core/history'
import { redactUrl } from './io/secrets'
import { workspace } from './io/runner'
import { registerUrlCredentials } from './io/url-credentials'
import { parseExpectedPublisher, type ExpectedPublisher } from './core/provenance'
import { DEFAULT_TITLE_TEMPLATE, TITLE_PLACEHOLDERS, unknownPlaceholders } from './core/tracking-issue'

export type PrefetchMode = 'auto' | 'true' | 'false'

export interface Inputs {
  package: string
  companions: string[]
  channel: Channel
  /** Empty when `version` was not given. */
  version: string
  /** As given; empty means "the channel's default index". */
  indexUrl: string
  pinnedFile: string
  pinnedPattern: RegExp | null
  versionEnv: string
  replayCommand: string
  recordCommand: string
  /** Run before replay; its failure means the version is not installable. Empty: none. */
  installCommand: string
  installTimeoutMs: number
  /** Replay exiting with this means "could not test" (not-installable); null: off. */
  couldNotTestExitCode: number | null
  /** How many times replay is run before record (at least 1). */
  replayAttempts: number
  /** Run record on a fork's pull request too (it has no secrets there by default). */
  recordOnFork: boolean
  /** Warn when the tested release is older than this many days; null: the channel's default; 0: off. */
  staleAfterDays: number | null
  workingDirectory: string
  replayTimeoutMs: number
  recordTimeoutMs: number
  fixturesPath: string
  uvVersion: string
  uvDownloadUrl: string
  uvIndexUrl: string
  prefetchWheels: PrefetchMode
  wheelsDir: string
  cacheWheels: boolean
  /** `max-download-mb` in bytes: the bound of a download whose size the index does not declare. */
  maxDownloadBytes: number
  cacheUv: boolean
  /** Patterns relative to `workingDirectory`, hashed into uv's cache key. */
  cacheDependencyGlob: string[]
  pruneUvCache: boolean
  /** Extra environment variable names whose values are secrets (`mask-env`). */
  maskEnv: string[]
  failOn: Set<Outcome>
  /** PEP 740 check of every tested file; null when `expected-publisher` is empty (off). */
  expectedPublisher: ExpectedPublisher | null
  /**
   * Path of a trusted_root.json that replaces Sigstore's own, from COMPAT_SENTINEL_TEST_TRUSTED_ROOT.
   * Only the action's tests set it (their attestations come from a local test CA); '' otherwise.
   */
  testTrustedRoot: string
  /** The matrix leg's name: result file name, history key, report keys. */
  leg: string
  /** Remember this leg's runs in the Actions cache. */
  history: boolean
  notifyOn: NotifyOn
  /** Search the builds between the last good version and a failing one for the first bad build. */
  bisect: boolean
  bisectOn: Set<Outcome>
  bisectMaxProbes: number
  /** The probes' total time budget. */
  bisectTimeoutMs: number
  /** e.g. `https://github.com/org/repo/compare/{good}...{bad}`; empty: no link. */
  compareUrlTemplate: string
}

/** What could be learnt about the run even when validation fails, so the report can name it. */
export interface PartialIdentity {
  package: string
  channel: string
  leg: string
}

/** The runner's OS as the runner names it (`Linux`, `macOS`, `Windows`), '' outside Actions. */
const runnerOs = () => process.env.RUNNER_OS ?? ''

/** Input `leg`, or the default made of what is known; a bad value throws. */
function readLeg(pkg: string, channel: string): string {
  const leg = read('leg')
  if (!leg) return defaultLeg(pkg, channel, runnerOs())
  if (!LEG_NAME.test(leg)) throw bad('leg', leg.slice(0, 120), "use letters, digits, '.', '_' and '-' only (at most 100), e.g. 'dev-macos-py312'")
  return leg
}

const read = (name: string, fallback = ''): string => core.getInput(name).trim() || fallback

function bad(name: string, value: string, accepted: string): UserError {
  return new UserError(`Input '${name}' has the value '${value}', which is not accepted: ${accepted}.`)
}

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T
  throw bad(name, value, `use one of ${allowed.map((a) => `'${a}'`).join(', ')}`)
}

/** A job runs at most 6 hours on GitHub-hosted runners; beyond that a timer would only mislead (and Node fires delays over 2^31 ms at once). */
const MAX_TIMEOUT_MINUTES = 360

function minutes(name: string, value: string): number {
  // Number('') is 0 and Number('1e3') parses: accept only plain decimal numbers.
  if (!/^\d+(\.\d+)?$/.test(value) || Number(value) <= 0) {
    throw bad(name, value, 'use a positive number of minutes, e.g. 30 or 0.5')
  }
  if (Number(value) > MAX_TIMEOUT_MINUTES) {
    throw bad(name, value, `use at most ${MAX_TIMEOUT_MINUTES} minutes (6 hours, a job's own limit); for a longer wait, set the job's timeout-minutes instead`)
  }
  return Math.round(Number(value) * 60_000)
}

/** A whole number in [min, max]. */
function integer(name: string, value: string, min: number, max: number, accepted: string): number {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw bad(name, value, accepted)
  return Number(value)
}

function bool(name: string, value: string): boolean {
  const v = value.toLowerCase()
  if (v === 'true') return true
  if (v === 'false') return false
  throw bad(name, value, "use 'true' or 'false'")
}

/** A list given comma- or newline-separated. */
function splitList(value: string): string[] {
  return value
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean)
}

// Names the commands or the action itself rely on, or that change what a shell, the dynamic
// linker, Node or Python load: letting `version-env` set them would break the run in confusing
// ways, or run code chosen by whoever controls the version string.
const RESERVED_ENV = new Set(['PATH', 'HOME', 'SHELL', 'UV_FIND_LINKS', 'PIP_FIND_LINKS', 'BASH_ENV', 'ENV', 'LD_PRELOAD', 'LD_LIBRARY_PATH', 'NODE_OPTIONS', 'PYTHONPATH', 'PYTHONSTARTUP'])
const RESERVED_PREFIXES = ['COMPAT_SENTINEL_', 'GITHUB_', 'RUNNER_']
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

function pattern(value: string): RegExp | null {
  if (!value) return null
  let re: RegExp
  try {
    re = new RegExp(value, 'm')
  } catch (e) {
    throw bad('pinned-pattern', value, `write a valid JavaScript regular expression (${(e as Error).message})`)
  }
  // A regex with N groups matches '' with N+1 entries in the result, or none at all.
  const groups = new RegExp(`${value}|`, 'm').exec('')!.length - 1
  if (groups < 1) {
    throw bad('pinned-pattern', value, 'include one capture group around the version, e.g. VERSION \\?= (\\S+)')
  }
  return re
}

const FAIL_ON_DEFAULT = 'incompatible,error'

/** A list of outcome words; `none` alone means the empty set (an empty input means the default, as on a runner). */
function readOutcomes(name: string, fallback: string): Set<Outcome> {
  const words = splitList(read(name, fallback))
  if (words.length === 1 && words[0] === 'none') return new Set()
  for (const word of words) {
    if (!(OUTCOMES as readonly string[]).includes(word)) throw bad(name, word, `use a comma-separated list of ${OUTCOMES.map((o) => `'${o}'`).join(', ')}, or 'none'`)
  }
  return new Set(words as Outcome[])
}

const readFailOn = () => readOutcomes('fail-on', FAIL_ON_DEFAULT)

export interface ReportInputs {
  results: string
  failOn: Set<Outcome>
  /** From `expected-legs`; null: not checked. */
  expectedLegs: ExpectedLegs | null
}

/** `expected-legs`: a number of result files, or a list of legs or channels. */
function readExpectedLegs(): ExpectedLegs | null {
  const value = read('expected-legs')
  if (!value) return null
  if (/^\d+$/.test(value)) return { count: integer('expected-legs', value, 1, 1000, 'use a number of legs, e.g. 2, or a comma- or newline-separated list of legs or channels, e.g. stable, dev') }
  const names = splitList(value)
  for (const n of names) if (!/^[A-Za-z0-9._-]+$/.test(n)) throw bad('expected-legs', n, 'use a number, or leg names or channels made of letters, digits, ".", "_", "-"')
  return { names }
}

/** The inputs of the report sub-action (report/action.yml); `failOn` is known even when they are bad. */
export function loadReportInputs(): ({ ok: true; inputs: ReportInputs } | { ok: false; error: unknown }) & { failOn: ReadonlySet<Outcome> } {
  const failOn = failOnOrDefault()
  try {
    return { ok: true, inputs: { results: read('results', '**/compat-sentinel-result-*.json'), failOn: readFailOn(), expectedLegs: readExpectedLegs() }, failOn }
  } catch (error) {
    return { ok: false, error, failOn }
  }
}

export interface IssueInputs {
  results: string
  token: string
  /** Outcomes that open (or keep open) an issue. */
  openOn: Set<string>
  labels: string[]
  titleTemplate: string
  closeOnRecovery: boolean
  /** `owner/name`, from GITHUB_REPOSITORY. */
  repository: string
  /** GITHUB_API_URL (GitHub Enterprise Server sets its own). */
  apiUrl: string
}

/** Outcomes an issue can be opened for: every one but `compatible`. */
const ISSUE_OUTCOMES: string[] = OUTCOMES.filter((o) => o !== 'compatible')

/** The inputs of the issue sub-action (issue/action.yml), and the runner context it needs. */
export function loadIssueInputs(): IssueInputs {
  const token = core.getInput('github-token').trim()
  // Registered first, so no later message can show it.
  if (token) core.setSecret(token)
  if (!token) throw new UserError("Input 'github-token' is empty: leave it at its default (${{ github.token }}) or pass a token that can write issues.")
  const openOn = splitList(read('open-on', 'incompatible'))
  if (!openOn.length) throw bad('open-on', '', `use a comma-separated list of ${ISSUE_OUTCOMES.map((o) => `'${o}'`).join(', ')}`)
  for (const o of openOn) if (!ISSUE_OUTCOMES.includes(o)) throw bad('open-on', o, `use a comma-separated list of ${ISSUE_OUTCOMES.map((o) => `'${o}'`).join(', ')}`)
  const labels = splitList(read('labels', 'compat-sentinel'))
  if (!labels.length) throw bad('labels', '', "give at least one label, e.g. 'compat-sentinel': it is how the issues are found again")
  for (const l of labels) if (l.length > 50) throw bad('labels', l, 'use labels of at most 50 characters (a GitHub limit)')
  const titleTemplate = read('title-template', DEFAULT_TITLE_TEMPLATE)
  const unknown = unknownPlaceholders(titleTemplate)
  if (unknown.length) throw bad('title-template', titleTemplate, `use only the placeholders ${TITLE_PLACEHOLDERS.map((p) => `{${p}}`).join(' ')} (unknown: ${unknown.map((u) => `{${u}}`).join(' ')})`)
  const repository = process.env.GITHUB_REPOSITORY ?? ''
  if (!/^[\w.-]+\/[\w.-]+$/.test(repository))
    throw new UserError(`GITHUB_REPOSITORY is ${JSON.stringify(repository)}, not owner/name: run this step in a GitHub Actions job (or set it when running locally).`)
  const apiUrl = process.env.GITHUB_API_URL || 'https://api.github.com'
  if (!/^https?:\/\/[^/\s]+/.test(apiUrl))
    throw new UserError(`GITHUB_API_URL is ${JSON.stringify(redactUrl(apiUrl))}, not an http(s) URL: leave it to the runner (it points at github.com or your GitHub Enterprise Server).`)
  return {
    results: read('results', '**/compat-sentinel-result-*.json'),
    token,
    openOn: new Set(openOn),
    labels,
    titleTemplate,
    closeOnRecovery: bool('close-on-recovery', read('close-on-recovery', 'true')),
    repository,
    apiUrl,
  }
}

/** `fail-on` on its own, so a run whose other inputs are bad still fails (or not) as configured. */
function failOnOrDefault(): ReadonlySet<Outcome> {
  try {
    return readFailOn()
  } catch {
    return new Set(splitList(FAIL_ON_DEFAULT) as Outcome[])
  }
}

/** The inputs, or the reason they are not usable plus what could still be read from them. */
export type LoadedInputs = { ok: true; inputs: Inputs } | { ok: false; error: unknown; partial: PartialIdentity & { failOn: ReadonlySet<Outcome> } }

/** Reads every input once. Bad inputs do not throw: the run still needs a name and `fail-on` to report. */
export function loadInputs(): LoadedInputs {
  try {
    return { ok: true, inputs: readInputs() }
  } catch (error) {
    return { ok: false, error, partial: { ...partialIdentity(), failOn: failOnOrDefault() } }
  }
}

/** The package and channel as far as they can be read, for naming the result file on errors. */
function partialIdentity(): PartialIdentity {
  const pkg = read('package')
  const channel = read('channel', 'stable')
  const version = read('version')
  const identity = {
    package: /^[A-Za-z0-9._-]+$/.test(pkg) ? normalizeName(pkg) : '',
    channel: version ? 'explicit' : (CHANNELS as readonly string[]).includes(channel) ? channel : '',
  }
  let leg: string
  try {
    leg = readLeg(identity.package, identity.channel)
  } catch {
    leg = defaultLeg(identity.package, identity.channel, runnerOs())
  }
  return { ...identity, leg }
}

function readInputs(): Inputs {
  const pkg = read('package')
  if (!pkg) throw new UserError("Input 'package' is required: set it to the upstream distribution name, e.g. 'llama-stack'.")
  // PEP 508 names: letters, digits, and . _ - inside.
  const nameRe = /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/
  if (!nameRe.test(pkg)) throw bad('package', pkg, 'use a Python distribution name (letters, digits, ".", "_", "-")')
  const companions = splitList(read('companion-packages'))
  for (const c of companions) {
    if (!nameRe.test(c)) throw bad('companion-packages', c, 'use Python distribution names, comma- or newline-separated')
  }

  const channel = oneOf('channel', read('channel', 'stable'), CHANNELS)
  const version = read('version')
  if (version && !validPep440(version)) {
    throw bad('version', version, 'use a PEP 440 version, e.g. 0.7.2 or 0.7.2.dev20260423')
  }

  const indexUrl = read('index-url')
  if (indexUrl) httpUrl('index-url', indexUrl)
  const uvDownloadUrl = read('uv-download-url', 'https://github.com/astral-sh/uv/releases/download')
  httpUrl('uv-download-url', uvDownloadUrl)
  const uvIndexUrl = read('uv-index-url', 'https://pypi.org/simple/')
  httpUrl('uv-index-url', uvIndexUrl)
  for (const url of [indexUrl, uvDownloadUrl, uvIndexUrl]) registerUrlCredentials(url)

  const pinnedFile = read('pinned-file')
  const pinnedPattern = pattern(read('pinned-pattern'))
  if (pinnedFile && !pinnedPattern) {
    throw new UserError("Input 'pinned-file' is set but 'pinned-pattern' is empty: add a pattern with one capture group, e.g. 'VERSION \\?= (\\S+)'.")
  }
  if (channel === 'pinned' && !version && !pinnedFile) {
    throw new UserError("Input 'channel' is 'pinned' but 'pinned-file' is empty: set 'pinned-file' and 'pinned-pattern', or choose another channel.")
  }

  const versionEnv = read('version-env', 'UPSTREAM_VERSION')
  if (!ENV_NAME.test(versionEnv) || RESERVED_ENV.has(versionEnv.toUpperCase()) || RESERVED_PREFIXES.some((p) => versionEnv.toUpperCase().startsWith(p))) {
    throw bad(
      'version-env',
      versionEnv,
      `use an environment variable name of letters, digits and _ (not starting with a digit), other than ${[...RESERVED_ENV].join(', ')} and ${RESERVED_PREFIXES.map((p) => `${p}*`).join(', ')}`,
    )
  }

  const maskEnv = splitList(read('mask-env'))
  for (const name of maskEnv) {
    if (!ENV_NAME.test(name)) throw bad('mask-env', name, 'use environment variable names (letters, digits and _), comma- or newline-separated')
  }

  const replayCommand = core.getInput('replay-command').trim()
  if (!replayCommand) throw new UserError("Input 'replay-command' is required: set it to the command that runs your tests in replay mode, e.g. 'make test'.")

  const uvVersion = read('uv-version', 'latest')
  if (uvVersion !== 'latest' && uvVersion !== 'system' && !/^\d+\.\d+\.\d+$/.test(uvVersion)) {
    throw bad('uv-version', uvVersion, "use an exact uv release such as 0.9.5, 'latest' or 'system'")
  }

  const failOn = readFailOn()
  const leg = readLeg(normalizeName(pkg), version ? 'explicit' : channel)

  const couldNotTest = read('could-not-test-exit-code')
  const replayTimeoutMs = minutes('replay-timeout-minutes', read('replay-timeout-minutes', '30'))
  const stale = read('stale-after-days')

  const publisherInput = read('expected-publisher')
  const expectedPublisher = publisherInput ? parseExpectedPublisher(publisherInput) : null
  if (publisherInput && !expectedPublisher) {
    throw bad('expected-publisher', publisherInput, "use 'github:owner/repo' or 'github:owner/repo/.github/workflows/<file>.yml' (the upstream's Trusted Publisher on PyPI), or leave it empty")
  }

  return {
    package: pkg,
    companions,
    channel,
    version,
    indexUrl,
    pinnedFile,
    pinnedPattern,
    versionEnv,
    replayCommand,
    recordCommand: core.getInput('record-command').trim(),
    installCommand: core.getInput('install-command').trim(),
    installTimeoutMs: minutes('install-timeout-minutes', read('install-timeout-minutes', '15')),
    couldNotTestExitCode: couldNotTest
      ? integer('could-not-test-exit-code', couldNotTest, 1, 255, 'use an exit code from 1 to 255 that your commands use only for "could not test", or leave it empty')
      : null,
    replayAttempts: integer('replay-attempts', read('replay-attempts', '1'), 1, 10, 'use a whole number from 1 to 10'),
    recordOnFork: bool('record-on-fork', read('record-on-fork', 'false')),
    staleAfterDays: stale ? integer('stale-after-days', stale, 0, 100_000, 'use a whole number of days, or 0 to turn the warning off') : null,
    workingDirectory: path.resolve(workspace(), read('working-directory', '.')),
    replayTimeoutMs,
    recordTimeoutMs: minutes('record-timeout-minutes', read('record-timeout-minutes', '60')),
    fixturesPath: read('fixtures-path'),
    uvVersion,
    uvDownloadUrl,
    uvIndexUrl,
    prefetchWheels: oneOf('prefetch-wheels', read('prefetch-wheels', 'auto').toLowerCase(), ['auto', 'true', 'false'] as const),
    wheelsDir: wheelsDir(read('wheels-dir')),
    cacheWheels: bool('cache-wheels', read('cache-wheels', 'true')),
    maxDownloadBytes: megabytes('max-download-mb', read('max-download-mb', '2048')),
    cacheUv: bool('cache-uv', read('cache-uv', 'true')),
    cacheDependencyGlob: dependencyGlob(read('cache-dependency-glob', DEPENDENCY_GLOB_DEFAULT)),
    pruneUvCache: bool('prune-uv-cache', read('prune-uv-cache', 'false')),
    maskEnv,
    failOn,
    expectedPublisher,
    testTrustedRoot: (process.env.COMPAT_SENTINEL_TEST_TRUSTED_ROOT ?? '').trim(),
    leg,
    history: bool('history', read('history', 'true')),
    notifyOn: oneOf('notify-on', read('notify-on', 'change').toLowerCase(), NOTIFY_ON),
    bisect: bool('bisect', read('bisect', 'false')),
    bisectOn: bisectOn(readOutcomes('bisect-on', 'incompatible')),
    bisectMaxProbes: integer('bisect-max-probes', read('bisect-max-probes', '4'), 1, 20, 'use a whole number of probes from 1 to 20'),
    // Default: twice the replay timeout (so two probes fit), within a job's own 6 hours.
    bisectTimeoutMs: minutes('bisect-timeout-minutes', read('bisect-timeout-minutes', String(Math.min(2 * replayTimeoutMs, 360 * 60_000) / 60_000))),
    compareUrlTemplate: compareTemplate(read('compare-url-template')),
  }
}

/** Only the outcomes where replay failed against a build can start a search for the build that broke it. */
function bisectOn(outcomes: Set<Outcome>): Set<Outcome> {
  for (const o of outcomes) {
    if (o !== 'incompatible' && o !== 'needs-recording') throw bad('bisect-on', o, "use 'incompatible', 'needs-recording' or both: only a failing replay has a first bad build to find")
  }
  return outcomes
}

/** An http(s) URL with `{good}` and `{bad}` where the versions go. */
function compareTemplate(value: string): string {
  if (!value) return ''
  httpUrl('compare-url-template', value.replaceAll('{good}', 'g').replaceAll('{bad}', 'b'))
  if (!value.includes('{good}') || !value.includes('{bad}')) throw bad('compare-url-template', value, 'include both {good} and {bad}, e.g. https://github.com/org/repo/compare/v{good}...v{bad}')
  return value
}

const DEPENDENCY_GLOB_DEFAULT = '**/uv.lock,**/requirements*.txt,**/pyproject.toml'

/** Glob patterns inside `working-directory`: a pattern that climbs out of it would hash the runner's files. */
function dependencyGlob(value: string): string[] {
  const patterns = splitList(value)
  for (const p of patterns) {
    const bare = p.replace(/^!/, '')
    if (path.isAbsolute(bare) || bare.split(/[\\/]/).includes('..')) throw bad('cache-dependency-glob', p, "use patterns relative to 'working-directory', without '..', e.g. **/uv.lock")
  }
  return patterns
}

function httpUrl(name: string, value: string): void {
  let ok = false
  try {
    ok = ['http:', 'https:'].includes(new URL(value).protocol)
  } catch {
    ok = false
  }
  // A URL that does not parse may still hold a password (with a raw '/' in it): never echo it then.
  const shown = value.includes('@') ? '(hidden: it holds an @, so perhaps credentials)' : redactUrl(value)
  if (!ok) throw bad(name, shown, 'use an http:// or https:// URL (characters such as / ? # @ in a password must be %-encoded)')
}

/** `wheels-dir`: a comma or a space would split it in two in UV_FIND_LINKS (comma-separated) or PIP_FIND_LINKS (space-separated). */
function wheelsDir(value: string): string {
  if (value.includes(',')) throw bad('wheels-dir', value, "use a folder path without ',' (UV_FIND_LINKS is a comma-separated list, so uv would read two folders)")
  if (/\s/.test(value)) throw bad('wheels-dir', value, 'use a folder path without spaces (PIP_FIND_LINKS is a space-separated list, so pip would read two folders)')
  return value
}

function megabytes(name: string, value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw bad(name, value, 'use a whole number of megabytes (MiB), 1 or more, e.g. 2048')
  return Number(value) * 2 ** 20
}
