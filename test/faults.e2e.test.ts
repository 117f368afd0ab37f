// The fault matrix: every injected fault and hostile input, through the bundled action, ends in
// the expected verdict with a clear message, and on every row the invariants hold: every output
// set, a result file valid against its schema, a job summary, no stray process, no partial file
// in wheels-dir or the tool cache, the exit code per fail-on.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { World } from './harness/world'
import { IndexServer } from './harness/index-server'
import { sha256, wheel } from './harness/dists'
import { MAIN_OUTPUTS, tempDir, type RunOptions, type RunResult } from './harness/action'
import { closedPort, running } from './harness/assertions'
import { validateResult } from '../src/core/combine'

const PKG = 'demo-upstream'
const V = '2.0.0'
let world: World
let other: IndexServer
/** Servers a row starts for itself, closed with the rest. */
const extra: IndexServer[] = []

before(async () => {
  world = await new World().start()
  world.server.add(PKG, wheel(PKG, V))
  other = await new IndexServer().start()
  other.add(PKG, wheel(PKG, V))
})
after(async () => {
  await world.close()
  await other.close()
  for (const s of extra) await s.close()
})

interface Row {
  name: string
  /** Sets up the fault; returns inputs, run options and whatever the row needs later. */
  arrange: (ctx: { pidFile: string; workspace: string }) => Promise<{ inputs?: Record<string, string>; opts?: RunOptions }> | { inputs?: Record<string, string>; opts?: RunOptions }
  outcome: string
  message: RegExp
  /** Extra checks for the row. */
  check?: (r: RunResult) => void
}

/** The replay command of every row: leaves its PID behind, so survivors can be found. */
const replayOf = (pidFile: string, rest = 'true') => `echo $$ >> ${pidFile}\n${rest}`
const index = (p: string) => new RegExp(`^/simple/${PKG}/$`.replace('/simple/', p))

const rows: Row[] = [
  {
    name: 'index refused',
    arrange: async () => ({ inputs: { 'index-url': `http://127.0.0.1:${await closedPort()}/simple/` } }),
    outcome: 'error',
    message: /could not reach http:\/\/127\.0\.0\.1:\d+\/simple\/demo-upstream\/: connection refused \(4 attempts\)\. Check the URL/,
  },
  {
    name: 'unresolvable host name',
    arrange: () => ({ inputs: { 'index-url': 'http://pypi.invalid/simple/' } }),
    outcome: 'error',
    message: /could not reach http:\/\/pypi\.invalid\/simple\/demo-upstream\/: host name not found/,
  },
  {
    name: 'index hangs: per-request timeout',
    arrange: () => {
      world.server.inject(index('/simple/'), { hang: true }, 4)
      return { opts: { env: { COMPAT_SENTINEL_HTTP_TIMEOUT_MS: '300' } } }
    },
    outcome: 'error',
    message: /could not reach .*\/simple\/demo-upstream\/: timed out after 0\.3 s \(4 attempts\)/,
  },
  ...[500, 502, 503].map(
    (status): Row => ({
      name: `${status} then recovery`,
      arrange: () => {
        world.server.inject(index('/simple/'), { status }, 2)
        return {}
      },
      outcome: 'compatible',
      message: /^replay passed$/,
      check: (r) => assert.match(r.stdout, new RegExp(`HTTP ${status}; retry 1 of 3[\\s\\S]*HTTP ${status}; retry 2 of 3`)),
    }),
  ),
  {
    name: '429 with Retry-After is honoured',
    arrange: () => {
      world.server.inject(index('/simple/'), { status: 429, headers: { 'retry-after': '1' } }, 1)
      return {}
    },
    outcome: 'compatible',
    message: /^replay passed$/,
    check: (r) => assert.match(r.stdout, /HTTP 429, Retry-After; retry 1 of 3 in 1\.0 s/),
  },
  {
    name: 'truncated index page',
    arrange: () => {
      world.server.inject(index('/simple/'), { truncateAt: 20 }, 4)
      return {}
    },
    outcome: 'error',
    message: /could not reach .*\/simple\/demo-upstream\/: .*\(4 attempts\)/,
  },
  {
    name: 'malformed JSON',
    arrange: () => {
      world.server.inject(index('/simple/'), { body: '{"files": [', contentType: 'application/vnd.pypi.simple.v1+json' }, 1)
      return {}
    },
    outcome: 'error',
    message: /could not be read: the index answered with malformed JSON/,
  },
  {
    name: 'a 200 MB body',
    arrange: () => {
      world.server.inject(index('/simple/'), { hugeBody: 200 * 2 ** 20, contentType: 'text/html' }, 1)
      return {}
    },
    outcome: 'error',
    message: /sent more than 64 MiB; that is not an index page/,
  },
  {
    name: 'redirect loop',
    arrange: () => {
      world.server.inject(index('/simple/'), { redirectTo: `/simple/${PKG}/` })
      return {}
    },
    outcome: 'error',
    message: /redirects in a loop \(more than 20 redirects\)/,
    check: () => world.server.clearFaults(),
  },
  {
    name: 'redirect to another host: followed, credentials not forwarded',
    arrange: () => {
      const u = new URL(world.server.indexUrl)
      u.username = 'ci'
      u.password = 'index-password-123'
      world.server.inject(index('/simple/'), { redirectTo: `${other.url.replace('127.0.0.1', 'localhost')}/simple/${PKG}/` }, 1)
      return { inputs: { 'index-url': u.toString() } }
    },
    outcome: 'compatible',
    message: /^replay passed$/,
    check: (r) => {
      const first = world.server.requests.filter((q) => q.path === `/simple/${PKG}/`).at(-1)!
      assert.match(first.authorization ?? '', /^Basic /, 'the index itself got the credentials')
      const elsewhere = other.requests.filter((q) => q.path === `/simple/${PKG}/`).at(-1)!
      assert.equal(elsewhere.authorization, undefined, 'another host never sees them')
      assert.ok(!r.stdout.includes('index-password-123'), 'the password is never printed')
    },
  },
  {
    name: 'wrong hash for a wheel',
    arrange: () => {
      world.server.inject(index('/simple/'), { wrongHash: true }, 1)
      return {}
    },
    outcome: 'error',
    message: /sha256 mismatch for http:\/\/127\.0\.0\.1:\d+\/files\/demo_upstream-2\.0\.0-py3-none-any\.whl/,
  },
  {
    name: 'hostile filenames on the index never reach a command',
    arrange: ({ workspace }) => {
      const s = new IndexServer()
      extra.push(s)
      const hostile = ['$(touch${IFS}pwned)', '9.0;touch pwned', '`touch pwned`', '99.0 && touch pwned']
      for (const v of hostile) s.add(PKG, { filename: `demo_upstream-${v}-py3-none-any.whl`, content: Buffer.from('x') })
      s.add(PKG, wheel(PKG, '1.0.0'))
      return s.start().then(() => ({ inputs: { 'index-url': s.indexUrl, 'replay-command': `test "$UPSTREAM_VERSION" = 1.0.0 && test ! -e ${workspace}/pwned` } }))
    },
    outcome: 'compatible',
    message: /^replay passed$/,
    check: (r) => {
      assert.equal(r.outputs.version, '1.0.0')
      assert.equal(fs.existsSync(path.join(r.workspace, 'pwned')), false)
    },
  },
  {
    name: 'uv archive tampered',
    arrange: () => {
      const bad = Buffer.from(world.uv.archive)
      bad[bad.length - 50]! ^= 1
      return { inputs: { 'uv-download-url': world.serveUv(world.server, bad, { prefix: '/tampered-uv', checksum: sha256(world.uv.archive) }) }, opts: { toolCache: tempDir('cs-tc-') } }
    },
    outcome: 'error',
    message: /sha256 mismatch for .*\/tampered-uv\//,
  },
  {
    name: 'wheels-dir not writable',
    arrange: ({ workspace }) => {
      fs.writeFileSync(path.join(workspace, 'blocker'), '')
      return { inputs: { 'wheels-dir': 'blocker/wheels' } }
    },
    outcome: 'error',
    message: /'wheels-dir' .*blocker\/wheels is not a writable folder/,
  },
  {
    name: 'working-directory missing',
    arrange: () => ({ inputs: { 'working-directory': 'no/such/dir' } }),
    outcome: 'error',
    message: /'working-directory' .*no\/such\/dir does not exist/,
  },
  {
    name: 'replay fails and there is no record-command',
    arrange: ({ pidFile }) => ({ inputs: { 'replay-command': replayOf(pidFile, 'exit 3') } }),
    outcome: 'incompatible',
    message: /^replay failed \(exit 3\); no record-command to try$/,
  },
  {
    name: 'commands killed by a signal',
    arrange: ({ pidFile }) => ({ inputs: { 'replay-command': replayOf(pidFile, 'kill -KILL $$'), 'record-command': replayOf(pidFile, `sleep 300 &\necho $! >> ${pidFile}\nkill -TERM $$`) } }),
    outcome: 'incompatible',
    message: /^replay failed \(killed by SIGKILL\); record failed \(killed by SIGTERM\)$/,
  },
  ...(['SIGTERM', 'SIGINT'] as const).map(
    (signal): Row => ({
      name: `the runner cancels the step (${signal})`,
      arrange: ({ pidFile }) => ({
        inputs: { 'replay-command': `sleep 300 &\necho $! >> ${pidFile}\n${replayOf(pidFile, 'sleep 300')}` },
        opts: {
          onStart: (pid) => {
            // Cancel once the replay is running, as a runner would mid-step.
            const poll = setInterval(() => {
              if (fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').trim()) {
                clearInterval(poll)
                process.kill(pid, signal)
              }
            }, 20)
          },
          env: { COMPAT_SENTINEL_KILL_GRACE_MS: '500' },
        },
      }),
      outcome: 'error',
      message: new RegExp(`^cancelled \\(${signal}\\) before the run finished$`),
      check: (r) => assert.equal(r.outputs.version, V, 'what was known is still reported'),
    }),
  ),
]

/** Processes still running whose command line mentions this run's folders. */
function strays(r: RunResult, pidFile: string): string[] {
  const found: string[] = []
  const pids = fs.existsSync(pidFile) ? fs.readFileSync(pidFile, 'utf8').trim().split('\n').filter(Boolean).map(Number) : []
  for (const pid of fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e)).map(Number)) {
    let cmd = ''
    try {
      cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')
    } catch {
      continue
    }
    if (!running(pid)) continue
    if (pids.includes(pid) || cmd.includes(r.runnerTemp) || cmd.includes(r.workspace)) found.push(`${pid}: ${cmd}`)
  }
  return found
}

/** Partial or unverified leftovers: temp downloads anywhere, incomplete tool-cache entries. */
function partialFiles(r: RunResult): string[] {
  const bad: string[] = []
  const walk = (dir: string) => {
    if (!fs.existsSync(dir)) return
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name)
      if (e.isDirectory()) walk(p)
      else if (/\.part-|\.tmp-/.test(e.name)) bad.push(p)
    }
  }
  walk(r.runnerTemp)
  walk(r.toolCache)
  const uvCache = path.join(r.toolCache, 'uv')
  if (fs.existsSync(uvCache)) {
    for (const v of fs.readdirSync(uvCache)) {
      for (const arch of fs.readdirSync(path.join(uvCache, v)).filter((a) => !a.endsWith('.complete'))) {
        if (!fs.existsSync(path.join(uvCache, v, `${arch}.complete`))) bad.push(`tool cache uv/${v}/${arch} without its .complete marker`)
      }
    }
  }
  const wheelsDir = r.outputs['wheels-dir'] || path.join(r.runnerTemp, 'compat-sentinel', 'wheels')
  if (fs.existsSync(wheelsDir)) {
    const listed = new Set<string>(r.result?.wheels?.files ?? [])
    for (const f of fs.readdirSync(wheelsDir)) if (!listed.has(f)) bad.push(`wheels-dir holds ${f}, which the run did not verify`)
  }
  return bad
}

describe('fault matrix', () => {
  for (const row of rows) {
    test(`${row.name} → ${row.outcome}`, async () => {
      const workspace = tempDir('cs-ws-')
      const pidFile = path.join(tempDir(), 'pids')
      const { inputs = {}, opts = {} } = await row.arrange({ pidFile, workspace })
      const r = await world.run({ package: PKG, 'replay-command': replayOf(pidFile), ...inputs }, { workspace, ...opts, env: { COMPAT_SENTINEL_KILL_GRACE_MS: '500', ...opts.env } })
      world.server.clearFaults()

      assert.equal(r.outputs.outcome, row.outcome, r.stdout + r.stderr)
      assert.match(r.result?.reason ?? '', row.message)
      // Invariants of every row.
      for (const o of MAIN_OUTPUTS) assert.ok(o in r.outputs, `output ${o} is set`)
      assert.doesNotThrow(() => validateResult(r.result, r.outputs['result-file']!), 'result file valid against its schema')
      assert.ok(r.summary.length > 0 && r.summary.includes(r.outputs.summary!.slice(0, 40).replace(/</g, '&lt;')), 'job summary written')
      assert.deepEqual(strays(r, pidFile), [], 'no stray process')
      assert.deepEqual(partialFiles(r), [], 'no partial file')
      assert.equal(r.exitCode, ['incompatible', 'error'].includes(row.outcome) ? 1 : 0, 'exit code per the default fail-on')
      assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at .*\.js:\d+/, 'no stack trace')
      row.check?.(r)
    })
  }
})
