// a verified uv on PATH, from the tool cache when it is there.
import * as core from '@actions/core'
import { spawn } from 'node:child_process'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import { eq, explain } from '@renovatebot/pep440'
import type { Inputs } from '../inputs'
import { runnerTemp } from '../io/runner'
import { ChecksumError, HttpStatusError, TlsError, TooLargeError, cause, downloadFile, getText } from '../io/http'
import { formatBytes } from '../core/bytes'
import { fetchProject } from '../io/index-client'
import { currentPlatform, describePlatform, uvTarget } from '../core/platform'
import { selectForChannel } from '../core/versions'
import { UserError } from '../core/vocabulary'
import { redactUrl } from '../io/secrets'

export interface UvInfo {
  version: string
  /** The uv executable itself. */
  path: string
}

const exe = process.platform === 'win32' ? 'uv.exe' : 'uv'

// A uv on PATH may be a wrapper that waits for input or a network: `--version` gets a bound.
const versionTimeoutMs = () => Number(process.env.COMPAT_SENTINEL_UV_VERSION_TIMEOUT_MS) || 30_000

/** Runs `bin --version` in its own process group, killed as a group if it takes too long. */
function runVersion(bin: string): Promise<{ exitCode: number | null; output: string; timedOut: boolean; spawnError?: string }> {
  return new Promise((resolve) => {
    const child = spawn(bin, ['--version'], { stdio: ['ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32' })
    let output = ''
    const keep = (d: Buffer) => (output = (output + d.toString()).slice(0, 4096))
    child.stdout.on('data', keep)
    child.stderr.on('data', keep)
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      try {
        process.kill(process.platform === 'win32' ? child.pid! : -child.pid!, 'SIGKILL')
      } catch {
        child.kill('SIGKILL')
      }
    }, versionTimeoutMs())
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      resolve({ exitCode: null, output, timedOut, spawnError: e.code ?? e.message })
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ exitCode: code, output, timedOut })
    })
  })
}

/** What `uv --version` says its version is ("uv 0.9.5 (abc 2025-01-01)" gives "0.9.5"). */
async function uvVersionOf(bin: string): Promise<string> {
  const out = await runVersion(bin)
  if (out.timedOut) {
    throw new UserError(
      `${bin} --version did not answer within ${versionTimeoutMs() / 1000} s and was stopped: that uv hangs (a wrapper waiting for input or a network?). Fix the uv on PATH, or set 'uv-version' to an exact version instead of 'system'.`,
    )
  }
  const m = /^uv (\S+)/.exec(out.output.trim())
  if (out.exitCode !== 0 || !m) {
    const how = out.spawnError ? `could not be started: ${out.spawnError}` : `exit ${out.exitCode}: ${out.output.trim().slice(0, 200)}`
    throw new UserError(`${bin} --version did not report a uv version (${how}).`)
  }
  return m[1]!
}

// Only the parts of tool-cache the action calls: its downloader (and the HTTP client and undici 6
// it carries) is left out of the chunk, so a tool-cache hit loads a few kilobytes, not a megabyte.
const toolCache = () => import(/* webpackExports: ["find", "cacheDir", "extractTar", "extractZip"] */ '@actions/tool-cache')

export async function installUv(inputs: Pick<Inputs, 'uvVersion' | 'uvDownloadUrl' | 'uvIndexUrl' | 'maxDownloadBytes'>): Promise<UvInfo> {
  // Loaded here, not at start-up: a run that fails on its inputs never needs them.
  const [io, tc] = await Promise.all([import('@actions/io'), toolCache()])
  if (inputs.uvVersion === 'system') {
    const found = await io.which('uv', false)
    if (!found) throw new UserError("'uv-version' is 'system' but there is no uv on PATH: install uv in an earlier step, or set 'uv-version' to 'latest' or an exact version.")
    const version = await uvVersionOf(found)
    core.info(`Using uv ${version} from PATH: ${found}`)
    return { version, path: found }
  }

  const version = inputs.uvVersion === 'latest' ? await latestUv(inputs.uvIndexUrl) : inputs.uvVersion
  const platform = currentPlatform()
  const target = uvTarget(platform)
  if (!target) throw new UserError(`uv has no release for this runner's platform (${describePlatform(platform)}): use 'uv-version: system' with a uv you install yourself.`)

  const cached = tc.find('uv', version, platform.arch)
  if (cached) {
    core.info(`uv ${version} found in the tool cache: ${cached}`)
  } else {
    await downloadAndCache(inputs.uvDownloadUrl, version, target, platform.arch, inputs.maxDownloadBytes)
  }
  const dir = tc.find('uv', version, platform.arch)
  if (!dir) throw new Error(`uv ${version} was cached but cannot be found in the tool cache`)
  core.addPath(dir)
  return { version, path: path.join(dir, exe) }
}

async function latestUv(indexUrl: string): Promise<string> {
  const page = await fetchProject(indexUrl, 'uv', 'uv-index-url')
  const sel = selectForChannel(page.files, 'stable')
  if (!sel.chosen) throw new UserError(`No stable uv release found on ${redactUrl(indexUrl)} to resolve 'uv-version: latest': set 'uv-version' to an exact version.`)
  core.info(`Latest uv on ${redactUrl(indexUrl)}: ${sel.chosen.version}`)
  return sel.chosen.version
}

async function downloadAndCache(base: string, version: string, target: { target: string; ext: string }, arch: string, maxBytes: number): Promise<void> {
  const tc = await toolCache()
  const asset = `uv-${target.target}.${target.ext}`
  const url = `${base.replace(/\/+$/, '')}/${version}/${asset}`
  const work = await fs.mkdtemp(path.join(await ensureDir(runnerTemp()), 'uv-'))
  try {
    const expected = await expectedChecksum(`${url}.sha256`)
    const archive = path.join(work, asset)
    try {
      await downloadFile(url, archive, { sha256: expected, maxBytes })
    } catch (e) {
      if (e instanceof HttpStatusError) throw new UserError(`Downloading uv ${version} failed: HTTP ${e.status} for ${redactUrl(url)}. Check 'uv-version' and 'uv-download-url'.`)
      if (e instanceof ChecksumError) throw new UserError(`${e.message}. Nothing was kept; the mirror at 'uv-download-url' or a proxy altered the file, or the checksum is wrong.`)
      if (e instanceof TooLargeError)
        throw new UserError(`Downloading uv ${version} failed: ${redactUrl(url)} is larger than 'max-download-mb' (${formatBytes(maxBytes)}); check 'uv-download-url', or raise 'max-download-mb'.`)
      if (e instanceof TlsError) throw new UserError(`Downloading uv ${version} failed: ${redactUrl(url)}: ${e.message}. ${TRUST}`)
      const why = cause(e)
      if (why !== null) throw new UserError(`Downloading uv ${version} failed: could not reach ${redactUrl(url)}: ${why}. Check 'uv-download-url', the network, or try again later.`)
      throw e
    }
    core.info(`Downloaded and verified ${redactUrl(url)} (sha256 ${expected})`)
    const extracted = target.ext === 'zip' ? await tc.extractZip(archive, path.join(work, 'x')) : await tc.extractTar(archive, path.join(work, 'x'))
    // Unix archives hold a folder named after the asset; Windows zips hold the binaries at the root.
    const binDir = target.ext === 'zip' ? extracted : path.join(extracted, `uv-${target.target}`)
    const bin = path.join(binDir, exe)
    await fs.access(bin).catch(() => {
      throw new UserError(`The uv archive ${redactUrl(url)} has no ${path.relative(extracted, bin)} inside: check 'uv-download-url'.`)
    })
    const reported = await uvVersionOf(bin)
    if (!explain(reported) || !eq(reported, version)) {
      throw new UserError(`The uv binary from ${redactUrl(url)} reports version ${reported}, not the ${version} asked for: the mirror at 'uv-download-url' serves the wrong file.`)
    }
    await tc.cacheDir(binDir, 'uv', version, arch)
  } finally {
    await fs.rm(work, { recursive: true, force: true })
  }
}

// A checksum file is one line: a hash and a file name.
const CHECKSUM_MAX_BYTES = 4096
// A certificate is not the network: trying again cannot help.
const TRUST = "Give the mirror at 'uv-download-url' a certificate the runner trusts (a private CA goes in NODE_EXTRA_CA_CERTS)."

async function expectedChecksum(url: string): Promise<string> {
  let text: string
  try {
    text = (await getText(url, { maxBytes: CHECKSUM_MAX_BYTES })).text
  } catch (e) {
    if (e instanceof HttpStatusError) {
      throw new UserError(`The checksum ${redactUrl(url)} is missing (HTTP ${e.status}); uv is never run unverified. Check 'uv-download-url' and 'uv-version'.`)
    }
    if (e instanceof TooLargeError) {
      throw new UserError(`uv's checksum file ${redactUrl(url)} is larger than ${formatBytes(CHECKSUM_MAX_BYTES)}, so it is not a checksum file; uv is never run unverified. Check 'uv-download-url'.`)
    }
    if (e instanceof TlsError) throw new UserError(`Could not read uv's checksum file ${redactUrl(url)}: ${e.message}. ${TRUST}`)
    const why = cause(e)
    if (why !== null) throw new UserError(`Could not read uv's checksum file ${redactUrl(url)}: ${why}; uv is never run unverified. Check 'uv-download-url', the network, or try again later.`)
    throw e
  }
  const m = /^\s*([0-9a-fA-F]{64})\b/.exec(text)
  if (!m) throw new UserError(`The checksum file ${redactUrl(url)} holds no sha256; uv is never run unverified. Check 'uv-download-url'.`)
  return m[1]!.toLowerCase()
}

async function ensureDir(dir: string): Promise<string> {
  await fs.mkdir(dir, { recursive: true })
  return dir
}
