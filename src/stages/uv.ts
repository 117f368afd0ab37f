// a verified uv on PATH, from the tool cache when it is there.
import * as core from '@actions/core'
import * as exec from '@actions/exec'
import * as io from '@actions/io'
import * as tc from '@actions/tool-cache'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import { eq, explain } from '@renovatebot/pep440'
import type { Inputs } from '../inputs'
import { runnerTemp } from '../io/runner'
import { HttpStatusError, downloadFile, getText } from '../io/http'
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

/** What `uv --version` says its version is ("uv 0.9.5 (abc 2025-01-01)" gives "0.9.5"). */
export async function uvVersionOf(bin: string): Promise<string> {
  const out = await exec.getExecOutput(bin, ['--version'], { silent: true, ignoreReturnCode: true })
  const m = /^uv (\S+)/.exec(out.stdout.trim())
  if (out.exitCode !== 0 || !m) {
    throw new UserError(`${bin} --version did not report a uv version (exit ${out.exitCode}: ${out.stdout.trim().slice(0, 200)}${out.stderr.trim().slice(0, 200)}).`)
  }
  return m[1]!
}

export async function installUv(inputs: Pick<Inputs, 'uvVersion' | 'uvDownloadUrl' | 'uvIndexUrl'>): Promise<UvInfo> {
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
    await downloadAndCache(inputs.uvDownloadUrl, version, target, platform.arch)
  }
  const dir = tc.find('uv', version, platform.arch)
  if (!dir) throw new Error(`uv ${version} was cached but cannot be found in the tool cache`)
  core.addPath(dir)
  return { version, path: path.join(dir, exe) }
}

async function latestUv(indexUrl: string): Promise<string> {
  const page = await fetchProject(indexUrl, 'uv')
  const sel = selectForChannel(page.files, 'stable')
  if (!sel.chosen) throw new UserError(`No stable uv release found on ${redactUrl(indexUrl)} to resolve 'uv-version: latest': set 'uv-version' to an exact version.`)
  core.info(`Latest uv on ${redactUrl(indexUrl)}: ${sel.chosen.version}`)
  return sel.chosen.version
}

async function downloadAndCache(base: string, version: string, target: { target: string; ext: string }, arch: string): Promise<void> {
  const asset = `uv-${target.target}.${target.ext}`
  const url = `${base.replace(/\/+$/, '')}/${version}/${asset}`
  const work = await fs.mkdtemp(path.join(await ensureDir(runnerTemp()), 'uv-'))
  try {
    const expected = await expectedChecksum(`${url}.sha256`)
    const archive = path.join(work, asset)
    try {
      await downloadFile(url, archive, expected)
    } catch (e) {
      if (e instanceof HttpStatusError) throw new UserError(`Downloading uv ${version} failed: HTTP ${e.status} for ${redactUrl(url)}. Check 'uv-version' and 'uv-download-url'.`)
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

async function expectedChecksum(url: string): Promise<string> {
  let text: string
  try {
    text = (await getText(url, { maxBytes: 4096 })).text
  } catch (e) {
    if (e instanceof HttpStatusError) {
      throw new UserError(`The checksum ${redactUrl(url)} is missing (HTTP ${e.status}); uv is never run unverified. Check 'uv-download-url' and 'uv-version'.`)
    }
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
