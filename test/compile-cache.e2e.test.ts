// The bundle's compiled code is kept in the tool cache (src/entries/compile-cache.ts): a runner
// that keeps its tool cache compiles the chunks once. Node's own debug channel for the compile
// cache (NODE_DEBUG_NATIVE=COMPILE_CACHE) says which files it read back and whether V8 took them.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { World } from './harness/world'
import { wheel } from './harness/dists'
import { tempDir } from './harness/action'

const PKG = 'demo-upstream'
const DEBUG = { NODE_DEBUG_NATIVE: 'COMPILE_CACHE' }
let world: World
before(async () => {
  world = await new World().start()
  world.server.add(PKG, wheel(PKG, '1.0.0'))
})
after(() => world.close())

/** The bundle files whose cached code V8 accepted, as dist-relative names. */
const accepted = (stderr: string) => [...stderr.matchAll(/V8 code cache for \S+ file:\/\/\S*\/dist\/(\S+) was accepted/g)].map((m) => m[1]).sort()

test('the second run on a runner loads the compiled bundle from the tool cache', async () => {
  const toolCache = tempDir('cs-tc-')
  const inputs = { package: PKG, 'replay-command': 'true' }
  const first = await world.run(inputs, { toolCache, env: DEBUG })
  assert.equal(first.outputs.outcome, 'compatible', first.stdout)
  assert.deepEqual(accepted(first.stderr), [], 'nothing to read back on a fresh runner')
  const kept = path.join(toolCache, 'compat-sentinel-compile-cache')
  assert.ok(fs.readdirSync(kept).length > 0, `${kept} holds the compiled code`)

  const second = await world.run(inputs, { toolCache, env: DEBUG })
  assert.equal(second.outputs.outcome, 'compatible', second.stdout)
  const reused = accepted(second.stderr)
  // The pipeline's own chunk and the HTTP client's (the largest) both come from the cache.
  assert.ok(reused.length >= 2, `cached chunks accepted on the second run: ${reused.join(', ') || 'none'}\n${second.stderr.slice(-2000)}`)
  assert.doesNotMatch(second.stderr, /was rejected/)
})

test('a compile cache that cannot be written changes nothing but the speed', async () => {
  const toolCache = tempDir('cs-tc-')
  // A file where the folder would go: Node cannot create it, and says so only in its debug log.
  fs.writeFileSync(path.join(toolCache, 'compat-sentinel-compile-cache'), 'not a folder')
  const r = await world.run({ package: PKG, 'replay-command': 'true' }, { toolCache })
  assert.equal(r.outputs.outcome, 'compatible', r.stdout)
  assert.equal(r.exitCode, 0)
  assert.equal(r.stderr, '', 'no warning in the user log')
})
