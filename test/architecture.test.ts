// The layers, as the folder names promise: core is pure, and imports only go downwards
// (entries → main/inputs → stages → io → core). Read from the source, so a new file is covered
// the day it is added.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import * as path from 'node:path'

const SRC = path.join(import.meta.dirname, '..', 'src')

function sourceFiles(dir = SRC): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []))
}

/** Every module a file imports: static imports, re-exports and dynamic import('...'). */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8')
  const found = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g)]
  return found.map((m) => m[1] ?? m[2] ?? m[3]!)
}

/** The layer of a file under src/: its folder, or the file name for main.ts and inputs.ts. */
function layerOf(file: string): string {
  const rel = path.relative(SRC, file).split(path.sep)
  return rel.length > 1 ? rel[0]! : rel[0]!.replace(/\.ts$/, '')
}

// Who may import whom. `main` (the pipeline) and `inputs` sit between the entries and the stages.
const MAY_IMPORT: Record<string, string[]> = {
  entries: ['entries', 'main', 'inputs', 'stages', 'io', 'core'],
  main: ['inputs', 'stages', 'io', 'core'],
  inputs: ['io', 'core'],
  stages: ['stages', 'inputs', 'io', 'core'],
  io: ['io', 'core'],
  core: ['core'],
}

// I/O a pure core must not reach, as the layering issue names it, and its kin.
const IMPURE = /^(node:)?(fs|fs\/promises|child_process|net|http|https|http2|tls|dgram|worker_threads|cluster)$|^@actions\/|^undici$|^@octokit\/|^@sigstore\/(tuf|sign)$/

test('every file under src/ is in a known layer', () => {
  for (const file of sourceFiles()) assert.ok(layerOf(file) in MAY_IMPORT, `${path.relative(SRC, file)} is outside the layers ${Object.keys(MAY_IMPORT).join(', ')}`)
})

test('src/core imports no I/O: no fs, child_process, network, @actions/* or undici', () => {
  const offenders: string[] = []
  for (const file of sourceFiles(path.join(SRC, 'core'))) {
    for (const spec of importsOf(file)) if (IMPURE.test(spec)) offenders.push(`${path.relative(SRC, file)} imports ${spec}`)
  }
  assert.deepEqual(offenders, [])
})

test('imports go downwards only: entries → main/inputs → stages → io → core', () => {
  const offenders: string[] = []
  for (const file of sourceFiles()) {
    const from = layerOf(file)
    for (const spec of importsOf(file)) {
      if (!spec.startsWith('.')) continue
      const target = path.resolve(path.dirname(file), spec)
      const to = layerOf(fs.existsSync(target) && fs.statSync(target).isDirectory() ? path.join(target, 'index.ts') : `${target}.ts`)
      if (!MAY_IMPORT[from]?.includes(to)) offenders.push(`${path.relative(SRC, file)} (${from}) imports ${spec} (${to})`)
    }
  }
  assert.deepEqual(offenders, [])
})

test('the checker sees what it must: a core file importing node:fs would be caught', () => {
  const tmp = fs.mkdtempSync(path.join(SRC, '..', '.tmp-arch-'))
  try {
    const file = path.join(tmp, 'x.ts')
    fs.writeFileSync(file, "import * as fs from 'node:fs'\nimport { a } from '../io/http'\nconst m = await import('undici')\n")
    assert.deepEqual(importsOf(file), ['node:fs', '../io/http', 'undici'])
    assert.ok(importsOf(file).every((s) => IMPURE.test(s) || s.startsWith('.')))
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true })
  }
})
