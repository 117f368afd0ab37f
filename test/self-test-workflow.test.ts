// .github/workflows/self-test.yml, its Linux leg played here step by step: the workflow's own
// server script, its `uses: ./` and `uses: ./report` inputs, and its check scripts, with the
// ${{ }} expressions filled in as a runner would. (macOS and Windows legs run only on GitHub.)
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { parse } from 'yaml'
import { REPORT, ROOT, runAction, tempDir, type RunResult } from './harness/action'

const workflow = parse(fs.readFileSync(path.join(ROOT, '.github/workflows/self-test.yml'), 'utf8'))
const steps: any[] = workflow.jobs['self-test'].steps

let server: ChildProcess
const env: Record<string, string> = {}
before(async () => {
  const file = path.join(tempDir('cs-selftest-'), 'self-test.env')
  server = spawn(process.execPath, ['--import', 'tsx', 'scripts/self-test-server.ts'], { cwd: ROOT, stdio: 'ignore', env: { ...process.env, SELFTEST_ENV_FILE: file } })
  for (let i = 0; i < 300 && !(fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes('SELFTEST_UV_VERSION')); i++) await new Promise((r) => setTimeout(r, 100))
  for (const line of fs.readFileSync(file, 'utf8').trim().split('\n')) env[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1)
})
after(() => server.kill())

/** Fills in ${{ env.X }}, ${{ runner.temp }} and ${{ steps.ID.outputs.NAME }}. */
function expand(value: string, ctx: { runnerTemp: string; outputs: Record<string, Record<string, string>> }): string {
  return value.replace(/\$\{\{\s*([\w.-]+)\s*\}\}/g, (_, expr: string) => {
    const [scope, a, b, c] = expr.split('.')
    if (scope === 'env') return env[a!] ?? ''
    if (scope === 'runner' && a === 'temp') return ctx.runnerTemp
    if (scope === 'steps' && b === 'outputs') return ctx.outputs[a!]?.[c!] ?? ''
    throw new Error(`expression ${expr} is not handled by this test`)
  })
}

const expandAll = (o: Record<string, string> | undefined, ctx: Parameters<typeof expand>[1]) => Object.fromEntries(Object.entries(o ?? {}).map(([k, v]) => [k, expand(String(v), ctx)]))

test('the self-test workflow passes on Linux', async () => {
  const workspace = tempDir('cs-ws-')
  const runnerTemp = tempDir('cs-rt-')
  const ctx = { runnerTemp, outputs: {} as Record<string, Record<string, string>> }
  let lastAction: RunResult | undefined
  for (const step of steps) {
    if (step.uses === './' || step.uses === './report') {
      const r = await runAction(expandAll(step.with, ctx), { entry: step.uses === './' ? undefined : REPORT, workspace, runnerTemp, env: expandAll(step.env, ctx) })
      assert.equal(r.exitCode, 0, `step ${step.id}: ${r.stdout}${r.stderr}`)
      ctx.outputs[step.id] = r.outputs
      if (step.uses === './') lastAction = r
    } else if (step.run && step.id === undefined && !step.if && /steps\./.test(step.run)) {
      // The workflow's own checks, with uv on PATH as a later step would have it.
      const PATH = [...(lastAction?.addedPaths ?? []), process.env.PATH].join(path.delimiter)
      execFileSync('bash', ['-eo', 'pipefail', '-c', expand(step.run, ctx)], { cwd: workspace, env: { ...process.env, PATH }, stdio: 'pipe' })
    }
  }
  assert.equal(ctx.outputs.dev?.outcome, 'compatible')
  assert.equal(ctx.outputs.report?.['overall-status'], 'compatible')
})
