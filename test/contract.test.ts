// action.yml, report/action.yml and issue/action.yml must declare exactly the contract's interface.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { parse } from 'yaml'
import { ROOT } from './harness/action'

// The binding contract lives in ../shared; docs/CONTRACT.md is the copy that ships with the
// repository (for clones without ../shared), and must not drift from it.
const SHARED = path.join(ROOT, '..', 'shared', 'CONTRACT.md')
const CONTRACT = path.join(ROOT, 'docs', 'CONTRACT.md')

test('docs/CONTRACT.md is the shared contract, unchanged', { skip: !fs.existsSync(SHARED) && 'no ../shared beside this clone' }, () => {
  assert.equal(fs.readFileSync(CONTRACT, 'utf8'), fs.readFileSync(SHARED, 'utf8'), 'copy ../shared/CONTRACT.md to docs/CONTRACT.md')
})

function section(text: string, heading: string): string {
  const start = text.indexOf(heading)
  assert.ok(start >= 0, `CONTRACT.md has no section ${heading}`)
  const rest = text.slice(start + heading.length)
  const end = rest.search(/\n## /)
  return end < 0 ? rest : rest.slice(0, end)
}

/** Rows of a markdown table: the backticked names of the first column, and the second column. */
function rows(part: string): { names: string[]; second: string }[] {
  return part
    .split('\n')
    .filter((l) => /^\| `/.test(l))
    .map((l) => {
      const cols = l.split('|').map((c) => c.trim())
      return { names: [...cols[1]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!), second: cols[2]! }
    })
}

const contract = fs.readFileSync(CONTRACT, 'utf8')
const action = parse(fs.readFileSync(path.join(ROOT, 'action.yml'), 'utf8'))
const report = parse(fs.readFileSync(path.join(ROOT, 'report/action.yml'), 'utf8'))
const issue = parse(fs.readFileSync(path.join(ROOT, 'issue/action.yml'), 'utf8'))

/** The contract writes defaults as `x`, `""` or "required". */
function contractDefault(cell: string): { required: boolean; value: string } {
  if (cell === 'required') return { required: true, value: '' }
  const m = /^`(.*)`$/.exec(cell)
  assert.ok(m, `unexpected default cell ${cell}`)
  return { required: false, value: m[1] === '""' ? '' : m[1]! }
}

function checkInputs(part: string, declared: Record<string, { required?: boolean; default?: string; description?: string }>) {
  const table = rows(part)
  assert.ok(table.length > 0)
  for (const { names, second } of table) {
    const name = names[0]!
    const input = declared[name]
    assert.ok(input, `input ${name} is in the contract but not in action.yml`)
    assert.ok(input.description, `input ${name} has no description`)
    const want = contractDefault(second)
    assert.equal(Boolean(input.required), want.required, `input ${name}: required`)
    if (!want.required) assert.equal(String(input.default ?? ''), want.value, `input ${name}: default`)
  }
}

/** The "Additions (v1.1)" table: names by where they go (`inputs`, `outputs`, `report inputs`, ...). */
function additions(where: string): string[] {
  const part = section(contract, '## Additions (v1.1')
  return (
    part
      .split('\n')
      .filter((l) => l.startsWith(`| ${where} |`))
      // Parentheses hold values and cross-references (`provenance` (`verified`, ...)), not names.
      .flatMap((l) =>
        [
          ...l
            .split('|')[2]!
            .replace(/\([^)]*\)/g, '')
            .matchAll(/`([^`]+)`/g),
        ].map((m) => m[1]!),
      )
  )
}

test('action.yml declares every input of the contract with its default', () => {
  checkInputs(section(contract, '## Inputs'), action.inputs)
  for (const name of additions('inputs')) assert.ok(action.inputs[name]?.description, `input ${name} (contract additions) missing or undescribed in action.yml`)
})

test('action.yml declares every output of the contract', () => {
  const names = [...rows(section(contract, '## Outputs')).flatMap((r) => r.names), ...additions('outputs')]
  assert.ok(names.includes('replay-result') && names.includes('record-result') && names.includes('uv-path') && names.includes('uv-cache-hit'))
  for (const n of names) assert.ok(action.outputs[n]?.description, `output ${n} missing or undescribed in action.yml`)
  // Nothing beyond the contract (with its v1.1 additions), so outputs cannot drift silently.
  const added = section(contract, '## Additions')
    .split('\n')
    .filter((l) => /^\| outputs \|/.test(l))
    .flatMap((l) => [...l.split('|')[2]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!))
  for (const n of Object.keys(action.outputs)) assert.ok(names.includes(n) || added.includes(n), `output ${n} is neither in the contract nor in its additions`)
})

test('action.yml runs dist/index.js on node24', () => {
  assert.equal(action.runs.using, 'node24')
  assert.equal(action.runs.main, 'dist/index.js')
  assert.ok(fs.existsSync(path.join(ROOT, 'dist/index.js')))
})

test('report/action.yml declares the report sub-action of the contract', () => {
  const part = section(contract, '## The report sub-action')
  const [inputs, outputs] = part.split(/\n\| output/)
  checkInputs(inputs!, report.inputs)
  const outNames = [
    ...rows(outputs!)
      .flatMap((r) => r.names)
      .filter((n) => !n.includes('_')),
    ...additions('report outputs'),
  ]
  assert.deepEqual(Object.keys(report.outputs).sort(), outNames.sort())
  for (const name of additions('report inputs')) assert.ok(report.inputs[name]?.description, `report input ${name} (contract additions) missing`)
  assert.equal(report.runs.using, 'node24')
  assert.ok(fs.existsSync(path.join(ROOT, 'report', report.runs.main)), 'report entry exists')
})

test('issue/action.yml declares the issue sub-action of the contract additions', () => {
  const row = section(contract, '## Additions')
    .split('\n')
    .find((l) => l.includes('`issue/action.yml`'))
  assert.ok(row, 'the contract names issue/action.yml')
  const [ins, outs] = row.split(/;\s*outputs/)
  const names = (t: string) => [...t.matchAll(/`([^`]+)`/g)].map((m) => m[1]!).filter((n) => n !== 'issue/action.yml')
  assert.deepEqual(Object.keys(issue.inputs).sort(), names(ins!).sort())
  assert.deepEqual(Object.keys(issue.outputs).sort(), names(outs!).sort())
  for (const [name, spec] of Object.entries<any>({ ...issue.inputs, ...issue.outputs })) assert.ok(spec.description, `${name} has a description`)
  assert.equal(issue.runs.using, 'node24')
  assert.equal(issue.runs.main, '../dist/issue/index.js')
})

// The README is what users copy from: its tables and workflows must match the action.
const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')

test('README input and output tables match action.yml and report/action.yml', () => {
  const names = (part: string) => rows(part).map((r) => r.names[0]!)
  const inputsPart = section(readme, '## Inputs')
  assert.deepEqual(names(inputsPart).sort(), Object.keys(action.inputs).sort())
  for (const {
    names: [name],
    second,
  } of rows(inputsPart)) {
    const input = action.inputs[name!]
    const documented = contractDefault(second)
    assert.equal(Boolean(input.required), documented.required, `README input ${name}: required`)
    if (!documented.required) assert.equal(String(input.default ?? ''), documented.value, `README input ${name}: default`)
  }
  assert.deepEqual(names(section(readme, '## Outputs')).sort(), Object.keys(action.outputs).sort())
  const [rIn, rOut] = section(readme, '## The `report` sub-action').split(/\n\| output/)
  assert.deepEqual(names(rIn!).sort(), Object.keys(report.inputs).sort())
  assert.deepEqual(names(rOut!).sort(), Object.keys(report.outputs).sort())
  const [iIn, iOut] = section(readme, '## Tracking issues').split(/\n\| output/)
  assert.deepEqual(names(iIn!).sort(), Object.keys(issue.inputs).sort())
  for (const {
    names: [name],
    second,
  } of rows(iIn!))
    assert.equal(String(issue.inputs[name!].default ?? ''), contractDefault(second).value, `README issue input ${name}: default`)
  assert.deepEqual(names(iOut!).sort(), Object.keys(issue.outputs).sort())
})

/** Every workflow: the README's yaml blocks and .github/workflows/*.yml. */
function workflows(): [string, any][] {
  const fromReadme = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m, i): [string, any] => [`README block ${i + 1}`, parse(m[1]!)])
  const dir = path.join(ROOT, '.github/workflows')
  const files = fs.readdirSync(dir).map((f): [string, any] => [`.github/workflows/${f}`, parse(fs.readFileSync(path.join(dir, f), 'utf8'))])
  return [...fromReadme, ...files]
}

test('every workflow uses only inputs and outputs that exist', () => {
  const all = workflows()
  assert.ok(all.length >= 5, 'README examples and the repository workflows')
  for (const [where, wf] of all) {
    assert.ok(wf.on && wf.jobs, `${where} is a workflow`)
    for (const [jobName, job] of Object.entries<any>(wf.jobs)) {
      const ids = new Map<string, any>()
      for (const step of job.steps ?? []) {
        const uses = String(step.uses ?? '')
        const which = /compat-sentinel(@|$)|^\.\/?$/.test(uses) ? action : /compat-sentinel\/report@|^\.\/report$/.test(uses) ? report : /compat-sentinel\/issue@|^\.\/issue$/.test(uses) ? issue : null
        if (!which) continue
        for (const key of Object.keys(step.with ?? {})) assert.ok(key in which.inputs, `${where} job ${jobName}: input '${key}' does not exist`)
        for (const [name, spec] of Object.entries<any>(which.inputs)) if (spec.required) assert.ok(step.with?.[name] !== undefined, `${where}: required input ${name} missing`)
        if (step.id) ids.set(step.id, which)
      }
      for (const m of JSON.stringify(job).matchAll(/steps\.([\w-]+)\.outputs\.([\w-]+)/g)) {
        const which = ids.get(m[1]!)
        if (which) assert.ok(m[2]! in which.outputs, `${where} job ${jobName}: output '${m[2]}' of step ${m[1]} does not exist`)
      }
    }
  }
})

test('the README examples follow the security advice they give', () => {
  for (const [where, wf] of workflows().filter(([w]) => w.startsWith('README'))) {
    assert.deepEqual(wf.permissions, { contents: 'read' }, `${where}: permissions`)
    const triggers = typeof wf.on === 'string' ? [wf.on] : Object.keys(wf.on)
    const text = JSON.stringify(wf.jobs)
    if (triggers.includes('pull_request')) assert.doesNotMatch(text, /secrets\.|record-command/, `${where}: no secrets or recording on pull requests`)
    for (const [name, job] of Object.entries<any>(wf.jobs)) {
      const steps: any[] = job.steps ?? []
      if (!steps.some((st) => /compat-sentinel\/issue@/.test(String(st.uses ?? '')))) continue
      // The job that can write issues gets only that, and runs nothing from the repo or upstream.
      assert.deepEqual(job.permissions, { issues: 'write' }, `${where} job ${name}: permissions`)
      assert.ok(!steps.some((st) => /actions\/checkout|compat-sentinel(@|$)/.test(String(st.uses ?? ''))), `${where} job ${name}: no checkout, no upstream run`)
    }
  }
})
