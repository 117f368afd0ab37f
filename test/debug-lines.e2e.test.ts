// The decisions a user might question are in the log as debug lines (shown with ACTIONS_STEP_DEBUG):
// which channel and index, whether wheels were prefetched and why, the Actions cache keys.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import * as path from 'node:path'
import { World } from './harness/world'
import { wheel } from './harness/dists'

const PKG = 'demo-upstream'

let world: World
before(async () => {
  world = await new World().start()
  world.server.add(PKG, wheel(PKG, '1.4.0'))
})
after(() => world.close())

const debugLines = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('::debug::'))

test('debug lines say which channel and index, and whether wheels were prefetched', async () => {
  const env = { PATH: `${path.dirname(world.uv.binary)}${path.delimiter}${process.env.PATH}` }
  const run = (inputs: Record<string, string>) => world.run({ package: PKG, 'uv-version': 'system', 'replay-command': 'true', ...inputs }, { env })
  const table: [Record<string, string>, RegExp[]][] = [
    [{}, [/^::debug::channel stable; index from 'index-url'$/, /^::debug::prefetch-wheels auto: prefetching \(index http:\/\/127\.0\.0\.1:\d+\/simple\/, prefetched unless it is pypi\.org\)$/]],
    [
      { version: '1.4.0', 'prefetch-wheels': 'false' },
      [/^::debug::channel explicit \(an explicit version overrides the channel\); index from 'index-url'$/, /^::debug::prefetch-wheels false: not prefetching/],
    ],
  ]
  for (const [inputs, wanted] of table) {
    const r = await run(inputs)
    assert.equal(r.outputs.outcome, 'compatible', r.stdout)
    const lines = debugLines(r.stdout)
    for (const want of wanted)
      assert.ok(
        lines.some((l) => want.test(l)),
        `${JSON.stringify(inputs)}: no debug line ${want} in\n${lines.join('\n')}`,
      )
  }
})
