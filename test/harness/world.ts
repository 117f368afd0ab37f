// One test file's loopback world: a fixture index server that also serves the real uv binary as
// a uv release (archive + .sha256), and a tool cache shared by the file's runs.
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { IndexServer } from './index-server'
import { ROOT, runAction, tempDir, type RunOptions, type RunResult } from './action'
import { sha256 } from './dists'
import { PYTHON, SETUP_HINT } from './python'
import { zip } from './zip'
import { currentPlatform, uvTarget } from '../../src/core/platform'

export interface UvRelease {
  version: string
  target: string
  asset: string
  archive: Buffer
  binary: string
}

const PIP_HINT = `The tests run the real uv. ${SETUP_HINT}`

/** The uv binary that pip installed, found through Python so PATH tricks cannot hide it. */
export function realUvBinary(): string {
  try {
    const bin = execFileSync(PYTHON, ['-c', 'import uv; print(uv.find_uv_bin())'], { encoding: 'utf8' }).trim()
    if (bin && fs.existsSync(bin)) return bin
  } catch {
    // reported below
  }
  throw new Error(`uv was not found by ${PYTHON}. ${PIP_HINT}`)
}

let release: UvRelease | undefined

/** The real uv packed the way uv's releases are (built once, kept under .tmp/). */
export function uvRelease(): UvRelease {
  if (release) return release
  const binary = realUvBinary()
  const m = /^uv (\S+)/.exec(execFileSync(binary, ['--version'], { encoding: 'utf8' }))
  if (!m) throw new Error(`${binary} --version did not print a uv version. ${PIP_HINT}`)
  const version = m[1]!
  const t = uvTarget(currentPlatform())
  if (!t) throw new Error(`uv ships no release for this platform (${process.platform}/${process.arch}); the tests cannot pack one`)
  const asset = `uv-${t.target}.${t.ext}`
  const dir = path.join(ROOT, '.tmp', 'uv-release', version)
  const file = path.join(dir, asset)
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dir, { recursive: true })
    const tmp = `${file}.tmp-${process.pid}`
    const uvx = path.join(path.dirname(binary), path.basename(binary).replace(/^uv/, 'uvx'))
    const binaries = [binary, ...(fs.existsSync(uvx) ? [uvx] : [])]
    if (t.ext === 'zip') {
      // Windows assets hold the binaries at the archive root.
      fs.writeFileSync(tmp, zip(binaries.map((b) => ({ name: path.basename(b), data: fs.readFileSync(b) }))))
    } else {
      // Unix assets hold a folder named after the target.
      const stage = tempDir('uv-pack-')
      const inner = path.join(stage, `uv-${t.target}`)
      fs.mkdirSync(inner)
      for (const b of binaries) fs.copyFileSync(b, path.join(inner, path.basename(b)))
      execFileSync('tar', ['-czf', tmp, '-C', stage, `uv-${t.target}`])
      fs.rmSync(stage, { recursive: true, force: true })
    }
    fs.renameSync(tmp, file)
  }
  release = { version, target: t.target, asset, archive: fs.readFileSync(file), binary }
  return release
}

export class World {
  readonly server = new IndexServer()
  readonly toolCache = tempDir('cs-toolcache-')
  uv!: UvRelease

  async start(): Promise<this> {
    await this.server.start()
    this.uv = uvRelease()
    this.serveUv(this.server, this.uv.archive)
    // The uv project on the index, for `uv-version: latest` (a newer pre-release must be ignored).
    const fake = (v: string) => ({ filename: `uv-${v}-py3-none-manylinux_2_17_x86_64.whl`, content: Buffer.from(v) })
    this.server.add('uv', fake('0.1.0'), fake(this.uv.version), fake('99.0.0a1'))
    return this
  }

  /**
   * Serves `archive` as uv's release asset under `<prefix>/<version>/`, with its checksum
   * (`checksum: null` serves none), so each test can have its own, possibly broken, mirror.
   */
  serveUv(server: IndexServer, archive: Buffer, opts: { checksum?: string | null; prefix?: string; version?: string } = {}): string {
    const prefix = opts.prefix ?? '/uv'
    const base = `${prefix}/${opts.version ?? this.uv.version}/${this.uv.asset}`
    server.addStatic(base, archive, 'application/gzip')
    const checksum = opts.checksum === undefined ? sha256(archive) : opts.checksum
    if (checksum !== null) server.addStatic(`${base}.sha256`, `${checksum}  ${this.uv.asset}\n`, 'text/plain')
    return `${server.url}${prefix}`
  }

  /** Inputs that point the action at this world (uv from the loopback release server). */
  inputs(extra: Record<string, string> = {}): Record<string, string> {
    return {
      'uv-version': this.uv.version,
      'uv-download-url': `${this.server.url}/uv`,
      'uv-index-url': this.server.indexUrl,
      'index-url': this.server.indexUrl,
      ...extra,
    }
  }

  run(inputs: Record<string, string>, opts: RunOptions = {}): Promise<RunResult> {
    return runAction(this.inputs(inputs), { toolCache: this.toolCache, ...opts })
  }

  async close(): Promise<void> {
    await this.server.close()
  }
}
