// Builds real, installable distributions of a tiny upstream package whose module reports its
// own version, at any version: wheels (pure or with a platform tag) and sdists.
import { createHash } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { zip } from './zip'

export interface Dist {
  filename: string
  content: Buffer
}

const moduleName = (project: string) => project.toLowerCase().replace(/[-.]+/g, '_')

export interface WheelOptions {
  /** Platform tag, e.g. manylinux_2_17_x86_64; default `any`. */
  platform?: string
  /** Extra module source; default reports __version__. */
  source?: string
  /** Filler bytes, for large-wheel benchmarks. */
  padding?: number
  requires?: string[]
  /** Whole module files by path inside the wheel (e.g. `pkg/server.py`), added as given. */
  files?: Record<string, string>
}

export function wheel(project: string, version: string, opts: WheelOptions = {}): Dist {
  const mod = moduleName(project)
  const plat = opts.platform ?? 'any'
  const tag = plat === 'any' ? 'py3-none-any' : `py3-none-${plat}`
  const distInfo = `${mod}-${version}.dist-info`
  const files: { name: string; data: Buffer }[] = [
    { name: `${mod}/__init__.py`, data: Buffer.from(opts.source ?? `__version__ = ${JSON.stringify(version)}\n`) },
    { name: `${distInfo}/METADATA`, data: Buffer.from(`Metadata-Version: 2.1\nName: ${project}\nVersion: ${version}\n${(opts.requires ?? []).map((r) => `Requires-Dist: ${r}\n`).join('')}\n`) },
    { name: `${distInfo}/WHEEL`, data: Buffer.from(`Wheel-Version: 1.0\nGenerator: compat-sentinel-tests\nRoot-Is-Purelib: ${plat === 'any'}\nTag: ${tag}\n`) },
  ]
  for (const [name, text] of Object.entries(opts.files ?? {})) files.push({ name, data: Buffer.from(text) })
  if (opts.padding) files.push({ name: `${mod}/padding.bin`, data: Buffer.alloc(opts.padding, 7) })
  const record = files.map((f) => `${f.name},sha256=${createHash('sha256').update(f.data).digest('base64url')},${f.data.length}`).join('\n')
  files.push({ name: `${distInfo}/RECORD`, data: Buffer.from(`${record}\n${distInfo}/RECORD,,\n`) })
  return { filename: `${mod}-${version}-${tag}.whl`, content: zip(files) }
}

export function sdist(project: string, version: string): Dist {
  const mod = moduleName(project)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sdist-'))
  const root = `${mod}-${version}`
  fs.mkdirSync(path.join(dir, root, mod), { recursive: true })
  fs.writeFileSync(path.join(dir, root, mod, '__init__.py'), `__version__ = ${JSON.stringify(version)}\n`)
  fs.writeFileSync(path.join(dir, root, 'PKG-INFO'), `Metadata-Version: 2.1\nName: ${project}\nVersion: ${version}\n`)
  fs.writeFileSync(path.join(dir, root, 'pyproject.toml'), `[project]\nname = "${project}"\nversion = "${version}"\n`)
  const out = path.join(dir, `${root}.tar.gz`)
  execFileSync('tar', ['-czf', out, '-C', dir, root])
  const content = fs.readFileSync(out)
  fs.rmSync(dir, { recursive: true, force: true })
  return { filename: `${root}.tar.gz`, content }
}

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex')
