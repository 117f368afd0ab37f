// action.yml and report/action.yml must declare exactly the contract's interface.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { parse } from 'yaml'
import { ROOT } from './harness/action'

const CONTRACT = path.join(ROOT, '..', 'shared', 'CONTRACT.md')

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

test('action.yml declares every input of the contract with its default', () => {
  checkInputs(section(contract, '## Inputs'), action.inputs)
})

test('action.yml declares every output of the contract', () => {
  const names = rows(section(contract, '## Outputs')).flatMap((r) => r.names)
  assert.ok(names.includes('replay-result') && names.includes('record-result') && names.includes('uv-path'))
  for (const n of names) assert.ok(action.outputs[n]?.description, `output ${n} missing or undescribed in action.yml`)
  // Nothing beyond the contract, so outputs cannot drift silently.
  assert.deepEqual(Object.keys(action.outputs).sort(), [...names].sort())
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
  const outNames = rows(outputs!).flatMap((r) => r.names).filter((n) => !n.includes('_'))
  assert.deepEqual(Object.keys(report.outputs).sort(), outNames.sort())
  assert.equal(report.runs.using, 'node24')
  assert.ok(fs.existsSync(path.join(ROOT, 'report', report.runs.main)), 'report entry exists')
})
