// An unexpected internal error, provoked for real through the bundled dist/ (no test-only crash
// hook): its stack reaches the log through core.error, mapped to src/ file names by the source
// maps that ncc writes beside dist/*.js; the job summary and the outputs keep the short message.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { World } from './harness/world'
import { wheel } from './harness/dists'
import { REPORT, runAction, tempDir } from './harness/action'
import { resultOf, writeLegs } from './harness/results'

const PKG = 'demo-upstream'

let world: World
before(async () => {
  world = await new World().start()
  world.server.add(PKG, wheel(PKG, '1.4.0'))
})
after(() => world.close())

/** The message of the `::error title=...::` line the runner turns into an annotation, unescaped as the runner does. */
function errorAnnotation(stdout: string, title: string): string {
  const unescapeCommand = (s: string) => s.replace(/%0A/g, '\n').replace(/%0D/g, '\r').replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%25/g, '%')
  const line = stdout.split('\n').find((l) => l.startsWith('::error title=') && unescapeCommand(l.slice(0, l.indexOf('::', 2))) === `::error title=${title}`)
  assert.ok(line, `no '${title}' annotation in:\n${stdout}`)
  return unescapeCommand(line.slice(line.indexOf('::', 2) + 2))
}

/** A stack frame in a src/*.ts file (mapped from dist/ by the source map), as `at name (src/x.ts:1:2)`. */
const SRC_FRAME = /\n\s+at .*\(src\/[\w/-]+\.ts:\d+:\d+\)$/m

test('the action: the stack of an unexpected error is in the log, with src/ file names', async () => {
  // RUNNER_TEMP is a file: no stage expects the runner's own temp folder to be unusable.
  const notADir = path.join(tempDir(), 'temp-is-a-file')
  fs.writeFileSync(notADir, '')
  const r = await world.run(
    { package: PKG, 'prefetch-wheels': 'false', 'uv-version': 'system', 'replay-command': 'true' },
    { env: { RUNNER_TEMP: notADir, PATH: `${path.dirname(world.uv.binary)}${path.delimiter}${process.env.PATH}` } },
  )
  assert.equal(r.outputs.outcome, 'error', r.stdout + r.stderr)
  const stack = errorAnnotation(r.stdout, 'compat-sentinel: unexpected internal error')
  assert.match(stack, /ENOTDIR/)
  assert.match(stack, SRC_FRAME, `stack frames name src/*.ts:\n${stack}`)
  assert.match(stack, /\n\s+at async runPhase \(src\/[\w/]*phases\.ts:\d+:\d+\)/, 'the frame that made the folder')
  assert.doesNotMatch(stack, /dist[\\/]index\.js:\d+/, 'no frame left in the bundle')
  // The summary and the outputs keep the one-line message, not the stack.
  assert.match(r.outputs.summary!, /error: unexpected internal error: .*Please report it with this log\.$/)
  assert.doesNotMatch(r.summary, /\n\s+at /)
})

test('the report sub-action: the stack of an unexpected error is in the log, with src/ file names', async () => {
  // GITHUB_OUTPUT is a folder: writing the first output fails inside @actions/core, which no
  // code path expects of the runner's own file.
  const workspace = tempDir('cs-ws-')
  writeLegs(workspace, [resultOf('compatible')])
  const r = await runAction({ results: '**/compat-sentinel-result-*.json' }, { entry: REPORT, workspace, env: { GITHUB_OUTPUT: tempDir('cs-output-is-a-folder-') } })
  assert.notEqual(r.exitCode, 0)
  const stack = errorAnnotation(r.stdout, 'compat-sentinel report: unexpected internal error')
  assert.match(stack, /EISDIR/)
  assert.match(stack, SRC_FRAME, `stack frames name src/*.ts:\n${stack}`)
  assert.match(stack, /\n\s+at publish \(src\/[\w/-]+\.ts:\d+:\d+\)/, 'the frame that wrote the output')
})
