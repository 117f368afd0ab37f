// `npm run lint` is Biome (formatter and linter, biome.jsonc) then tsc; it must fail on a
// formatting or a lint error and pass code written in the project's style. Biome runs here on
// probe files in a scratch project with this repository's biome.jsonc and .gitignore.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { ROOT, tempDir } from './harness/action'

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
const BIOME = path.join(ROOT, 'node_modules/.bin', process.platform === 'win32' ? 'biome.cmd' : 'biome')

function biomeCheck(source: string): { status: number | null; output: string } {
  const dir = tempDir('cs-biome-')
  for (const f of ['biome.jsonc', '.gitignore']) fs.copyFileSync(path.join(ROOT, f), path.join(dir, f))
  execFileSync('git', ['init', '-q'], { cwd: dir }) // biome.jsonc reads .gitignore through git
  fs.mkdirSync(path.join(dir, 'src'))
  fs.writeFileSync(path.join(dir, 'src/probe.ts'), source)
  const r = spawnSync(BIOME, ['check', 'src/probe.ts'], { cwd: dir, encoding: 'utf8' })
  return { status: r.status, output: `${r.stdout}${r.stderr}` }
}

test('npm run lint runs Biome and tsc; npm run all is lint, build, test', () => {
  assert.equal(pkg.scripts.lint, 'biome check && tsc --noEmit -p tsconfig.lint.json')
  assert.equal(pkg.scripts.format, 'biome format --write')
  assert.equal(pkg.scripts.all, 'npm run lint && npm run build && npm test')
  // Dead code fails the lint (tsconfig.lint.json), not the build: ncc type-checks with tsconfig.json.
  const lintConfig = JSON.parse(fs.readFileSync(path.join(ROOT, 'tsconfig.lint.json'), 'utf8').replace(/^\s*\/\/.*$/gm, ''))
  assert.equal(lintConfig.extends, './tsconfig.json')
  assert.deepEqual(lintConfig.compilerOptions, { noUnusedLocals: true, noUnusedParameters: true })
})

test('Biome passes the project style and fails formatting and lint errors', () => {
  const table: [string, string, boolean, RegExp?][] = [
    // Single quotes, no semicolons, 2 spaces, trailing commas, lines up to 200 characters.
    [
      'project style',
      `import * as path from 'node:path'\n\nexport function where(dir: string): string {\n  const parts = [dir, 'compat-sentinel', 'a-rather-long-file-name-that-keeps-this-line-well-beyond-one-hundred-and-twenty.json']\n  return path.join(...parts)\n}\n`,
      true,
    ],
    ['double quotes and semicolons', `export const name = "compat-sentinel";\n`, false, /format/],
    ['four-space indent', `export function f(): number {\n    return 1\n}\n`, false, /format/],
    ['== instead of ===', `export const same = (a: number, b: number) => a == b\n`, false, /noDoubleEquals/],
  ]
  for (const [name, source, ok, why] of table) {
    const r = biomeCheck(source)
    assert.equal(r.status === 0, ok, `${name}:\n${r.output}`)
    if (why) assert.match(r.output, why, name)
  }
})
