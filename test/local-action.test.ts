// `npm run local-action`: src/main.ts through @github/local-action, inputs from a .env file.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { ROOT, tempDir } from './harness/action'

test('local-action runs the pipeline from src/main.ts with inputs from a .env file', async () => {
  const dir = tempDir('cs-local-')
  const envFile = path.join(dir, '.env')
  // .env.example with the package left out: a quick, offline run that must report its error.
  const example = fs.readFileSync(path.join(ROOT, '.env.example'), 'utf8')
  fs.writeFileSync(envFile, example.replace(/^INPUT_PACKAGE=.*$/m, 'INPUT_PACKAGE=').replace(/^RUNNER_TEMP=.*$/m, `RUNNER_TEMP=${dir}`))
  const { stdout } = await promisify(execFile)(path.join(ROOT, 'node_modules/.bin/local-action'), ['run', '.', 'src/main.ts', envFile], { cwd: ROOT, timeout: 120_000, maxBuffer: 16 * 2 ** 20 })
  assert.match(stdout, /'outcome'\s*│\s*'error'/)
  assert.match(stdout, /Input 'package' is required/)
  assert.ok(fs.existsSync(path.join(dir, 'compat-sentinel', 'compat-sentinel-result-unknown-stable.json')), 'result file written')
})
