// Reads every input of action.yml once, validates it, and returns one typed object.
// Nothing else in the action calls core.getInput. Defaults are applied here too, because a
// runner is not the only caller (local runs and tests set INPUT_* themselves).
import * as core from '@actions/core'
import * as path from 'node:path'
import { valid as validPep440 } from '@renovatebot/pep440'
import { CHANNELS, OUTCOMES, UserError, type Channel, type Outcome } from './core/vocabulary'
import { normalizeName } from './core/names'
import { redactUrl } from './io/secrets'
import { workspace } from './io/runner'
import { registerUrlCredentials } from './io/url-credentials'

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
  failOn: Set<Outcome>
}

/** What could be learnt about the run even when validation fails, so the report can name it. */
export interface PartialIdentity {
  package: string
  channel: string
}

const read = (name: string, fallback = ''): string => core.getInput(name).trim() || fallback

function bad(name: string, value: string, accepted: string): UserError {
  return new UserError(`Input '${name}' has the value '${value}', which is not accepted: ${accepted}.`)
}

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T
  throw bad(name, value, `use one of ${allowed.map((a) => `'${a}'`).join(', ')}`)
}

function minutes(name: string, value: string): number {
  // Number('') is 0 and Number('1e3') parses: accept only plain decimal numbers.
  if (!/^\d+(\.\d+)?$/.test(value) || Number(value) <= 0) {
    throw bad(name, value, 'use a positive number of minutes, e.g. 30 or 0.5')
  }
  return Math.round(Number(value) * 60_000)
}

function bool(name: string, value: string): boolean {
  const v = value.toLowerCase()
  if (v === 'true') return true
  if (v === 'false') return false
  throw bad(name, value, "use 'true' or 'false'")
}

/** A list given comma- or newline-separated. */
export function splitList(value: string): string[] {
  return value
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean)
}

// Names the commands or the action itself rely on: letting `version-env` overwrite them would
// break the run in confusing ways.
const RESERVED_ENV = new Set(['PATH', 'HOME', 'SHELL', 'UV_FIND_LINKS'])

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

/** `fail-on` words; `none` alone means "never fail" (an empty input means the default, as on a runner). */
function readFailOn(): Set<Outcome> {
  const words = splitList(read('fail-on', FAIL_ON_DEFAULT))
  if (words.length === 1 && words[0] === 'none') return new Set()
  for (const word of words) {
    if (!(OUTCOMES as readonly string[]).includes(word)) throw bad('fail-on', word, `use a comma-separated list of ${OUTCOMES.map((o) => `'${o}'`).join(', ')}, or 'none'`)
  }
  return new Set(words as Outcome[])
}

export interface ReportInputs {
  results: string
  failOn: Set<Outcome>
}

/** The inputs of the report sub-action (report/action.yml); `failOn` is known even when they are bad. */
export function loadReportInputs(): ({ ok: true; inputs: ReportInputs } | { ok: false; error: unknown }) & { failOn: ReadonlySet<Outcome> } {
  const failOn = failOnOrDefault()
  try {
    return { ok: true, inputs: { results: read('results', '**/compat-sentinel-result-*.json'), failOn: readFailOn() }, failOn }
  } catch (error) {
    return { ok: false, error, failOn }
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
  return {
    package: /^[A-Za-z0-9._-]+$/.test(pkg) ? normalizeName(pkg) : '',
    channel: version ? 'explicit' : (CHANNELS as readonly string[]).includes(channel) ? channel : '',
  }
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
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(versionEnv) || RESERVED_ENV.has(versionEnv) || versionEnv.startsWith('COMPAT_SENTINEL_')) {
    throw bad('version-env', versionEnv, 'use an environment variable name of letters, digits and _ (not starting with a digit), other than PATH, HOME, SHELL, UV_FIND_LINKS and COMPAT_SENTINEL_*')
  }

  const replayCommand = core.getInput('replay-command').trim()
  if (!replayCommand) throw new UserError("Input 'replay-command' is required: set it to the command that runs your tests in replay mode, e.g. 'make test'.")

  const uvVersion = read('uv-version', 'latest')
  if (uvVersion !== 'latest' && uvVersion !== 'system' && !/^\d+\.\d+\.\d+$/.test(uvVersion)) {
    throw bad('uv-version', uvVersion, "use an exact uv release such as 0.9.5, 'latest' or 'system'")
  }

  const failOn = readFailOn()

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
    workingDirectory: path.resolve(workspace(), read('working-directory', '.')),
    replayTimeoutMs: minutes('replay-timeout-minutes', read('replay-timeout-minutes', '30')),
    recordTimeoutMs: minutes('record-timeout-minutes', read('record-timeout-minutes', '60')),
    fixturesPath: read('fixtures-path'),
    uvVersion,
    uvDownloadUrl,
    uvIndexUrl,
    prefetchWheels: oneOf('prefetch-wheels', read('prefetch-wheels', 'auto').toLowerCase(), ['auto', 'true', 'false'] as const),
    wheelsDir: wheelsDir(read('wheels-dir')),
    cacheWheels: bool('cache-wheels', read('cache-wheels', 'true')),
    maxDownloadBytes: megabytes('max-download-mb', read('max-download-mb', '2048')),
    failOn,
  }
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

/** `wheels-dir`: a comma would split it in two in UV_FIND_LINKS, which is comma-separated. */
function wheelsDir(value: string): string {
  if (value.includes(',')) throw bad('wheels-dir', value, "use a folder path without ',' (UV_FIND_LINKS is a comma-separated list, so uv would read two folders)")
  return value
}

function megabytes(name: string, value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw bad(name, value, 'use a whole number of megabytes (MiB), 1 or more, e.g. 2048')
  return Number(value) * 2 ** 20
}

