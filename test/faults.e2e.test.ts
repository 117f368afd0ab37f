// The fault matrix: every injected fault and hostile input, through the bundled action, ends in
// the expected verdict with a clear message, and on every row the invariants hold: every output
// set, a result file valid against its schema, a job summary, no stray process (by PID, by command
// line, and by the phase marker variable), no partial file
// in wheels-dir or the tool cache, the exit code per fail-on.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import * as path from 'node:path'
import * as net from 'node:net'
import { World } from './harness/world'
import { execFileSync } from 'node:child_process'
import { IndexServer, type HostedFile, type IndexServerOptions } from './harness/index-server'
import { CacheServer } from './harness/cache-server'
import { ForwardProxy } from './harness/forward-proxy'
import { sha256, wheel } from './harness/dists'
import { MAIN_OUTPUTS, tempDir, type RunOptions, type RunResult } from './harness/action'
import { closedPort, running, shownText, unacceptingPort } from './harness/assertions'
import { validateResult } from '../src/core/combine'

const PKG = 'demo-upstream'
const V = '2.0.0'
let world: World
let other: IndexServer
/** Servers a row starts for itself, closed with the rest. */
const extra: IndexServer[] = []
/** Ports that never accept a connection, closed with the rest. */
const hung: { close(): Promise<void> }[] = []

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
  for (const h of hung) await h.close()
})

interface Arranged {
  inputs?: Record<string, string>
  opts?: RunOptions
  /** Values that must appear in no file the action writes, no output and no log line. */
  secrets?: string[]
}

interface Row {
  name: string
  /** Sets up the fault; returns inputs, run options and whatever the row needs later. */
  arrange: (ctx: { pidFile: string; workspace: string }) => Promise<Arranged> | Arranged
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
    message: /could not reach http:\/\/127\.0\.0\.1:\d+\/simple\/demo-upstream\/: connection refused \(4 attempts\)\. Check 'index-url', the network/,
  },
  {
    // fetch refuses the Fetch standard's "bad ports" (6000, 10080, …) before connecting; uv and pip do not.
    name: 'an index on a port fetch refuses: said so, not an internal error',
    arrange: () => ({ inputs: { 'index-url': 'http://127.0.0.1:6000/simple/' } }),
    outcome: 'error',
    message:
      /could not reach http:\/\/127\.0\.0\.1:6000\/simple\/demo-upstream\/: its port \(or a redirect's\) is one that fetch refuses to connect to \(a "bad port" of the Fetch standard, such as 6000 or 10080\); serve it on another port \(1 attempt\)/,
  },
  {
    name: 'unresolvable host name',
    arrange: () => ({ inputs: { 'index-url': 'http://pypi.invalid/simple/' } }),
    outcome: 'error',
    // An unknown host fails at once; only a resolver that cannot answer (EAI_AGAIN) is worth retrying.
    message: /could not reach http:\/\/pypi\.invalid\/simple\/demo-upstream\/: host name not found (\(1 attempt\)|\(temporary DNS failure\) \(4 attempts\))/,
  },
  {
    name: 'index hangs: per-request timeout',
    arrange: () => {
      world.server.inject(index('/simple/'), { hang: true }, 4)
      return { opts: { env: { COMPAT_SENTINEL_HTTP_TIMEOUT_MS: '300' } } }
    },
    outcome: 'error',
    message: /could not reach .*\/simple\/demo-upstream\/: timed out after 0\.3 s without data \(4 attempts\)/,
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
    message: /The index page http:\/\/127\.0\.0\.1:\d+\/simple\/demo-upstream\/ sent more than 64 MiB, far more than one project's page/,
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
    name: 'redirect to a URL that is not http(s): said so, not an internal error',
    arrange: () => {
      world.server.inject(index('/simple/'), { redirectTo: `ftp://127.0.0.1/simple/${PKG}/` }, 1)
      return {}
    },
    outcome: 'error',
    message: /could not reach http:\/\/127\.0\.0\.1:\d+\/simple\/demo-upstream\/: it redirected to a URL that is not http\(s\) \(1 attempt\)/,
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
      assert.ok(!withoutMaskCommands(r.stdout).includes('index-password-123'), 'the password is never printed')
      assert.match(r.stdout, /::add-mask::index-password-123/, 'it is registered as a secret')
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
  ...(
    [
      ['cgroup where writable', {}],
      ['/proc only', { COMPAT_SENTINEL_CGROUP: 'off' }],
    ] as const
  ).map(
    ([how, env]): Row => ({
      name: `a passing replay leaves timeout, set -m, setsid and daemon processes behind (${how})`,
      arrange: ({ pidFile }) => ({ inputs: { 'replay-command': escapes(pidFile) }, opts: { env } }),
      outcome: 'compatible',
      message: /^replay passed$/,
      check: (r) => {
        // Four escapes, each stopped and named, in the log and in the result file.
        assert.ok(r.result.replay.stopped.length >= 4, JSON.stringify(r.result.replay.stopped))
        assert.match(r.stdout, /::warning::compat-sentinel: stopped \d+ processes the replay command left running: \d+ \(/)
        assert.match(r.result.replay.logTail, /stopped \d+ processes the replay command left running/)
      },
    }),
  ),
  {
    name: 'replay times out while escaped processes run',
    arrange: ({ pidFile }) => ({ inputs: { 'replay-command': `${escapes(pidFile)}\nsleep 300`, 'replay-timeout-minutes': '0.03' } }),
    outcome: 'incompatible',
    message: /^replay timed out after 0\.03 min; no record-command to try$/,
    check: (r) => assert.match(r.stdout, /compat-sentinel: stopped \d+ processes the replay command had started/),
  },
  ...(cgroupWritable()
    ? [
        {
          name: 'a daemon that clears its environment and leaves the tree is still stopped (cgroup)',
          arrange: ({ pidFile }: { pidFile: string }) => ({ inputs: { 'replay-command': `env -i ${process.execPath} -e '${daemon(pidFile)}'\nsleep 0.5` } }),
          outcome: 'compatible',
          message: /^replay passed$/,
        } satisfies Row,
      ]
    : []),
  {
    name: 'bash cannot be started',
    arrange: ({ workspace }) => {
      const bin = tempDir('cs-nobash-')
      fs.symlinkSync(world.uv.binary, path.join(bin, 'uv'))
      return { inputs: { 'uv-version': 'system', 'record-command': `touch ${workspace}/recorded` }, opts: { env: { PATH: bin } } }
    },
    outcome: 'error',
    message: /^could not start bash to run the replay command \(bash was not found on PATH \(\/tmp\/cs-nobash-\w+\)\): the commands run in bash, as in a `shell: bash` step; install bash/,
    check: (r) => {
      assert.equal(r.outputs['record-result'], 'skipped', 'record is not run')
      assert.equal(fs.existsSync(path.join(r.workspace, 'recorded')), false)
    },
  },
  {
    name: 'a timeout beyond a job’s 6 hours',
    arrange: () => ({ inputs: { 'replay-timeout-minutes': '40000' } }),
    outcome: 'error',
    message: /^Input 'replay-timeout-minutes' has the value '40000', which is not accepted: use at most 360 minutes/,
  },
  ...['LD_PRELOAD', 'BASH_ENV', 'NODE_OPTIONS', 'PYTHONPATH', 'GITHUB_TOKEN', 'RUNNER_TEMP'].map(
    (name): Row => ({
      name: `version-env ${name} is refused`,
      arrange: () => ({ inputs: { 'version-env': name } }),
      outcome: 'error',
      message: new RegExp(
        `^Input 'version-env' has the value '${name}', which is not accepted: .*BASH_ENV, ENV, LD_PRELOAD, LD_LIBRARY_PATH, NODE_OPTIONS, PYTHONPATH, PYTHONSTARTUP and COMPAT_SENTINEL_\\*, GITHUB_\\*, RUNNER_\\*`,
      ),
    }),
  ),
  {
    name: 'pinned-pattern with catastrophic backtracking',
    arrange: ({ workspace }) => {
      fs.writeFileSync(path.join(workspace, 'pins.txt'), `${'a'.repeat(40)}!\n`)
      return { inputs: { 'pinned-file': 'pins.txt', 'pinned-pattern': '(a+)+$' }, opts: { env: { COMPAT_SENTINEL_REGEX_TIMEOUT_MS: '1000' } } }
    },
    outcome: 'error',
    message: /^'pinned-pattern' \(a\+\)\+\$ did not finish within 1 s on pins\.txt \(42 characters\): the pattern backtracks catastrophically/,
  },
  {
    name: 'the replay writes its own outputs, env, path and summary, and leaves a heredoc open',
    arrange: () => ({
      inputs: {
        'replay-command': [
          'echo "custom=from-replay" >> "$GITHUB_OUTPUT"',
          `printf 'notes<<EOT\\nline 1\\nline 2\\nEOT\\n' >> "$GITHUB_OUTPUT"`,
          'echo "FROM_REPLAY=1" >> "$GITHUB_ENV"',
          'echo "/opt/replay-bin" >> "$GITHUB_PATH"',
          'echo "## the replay says hello" >> "$GITHUB_STEP_SUMMARY"',
          // Killed mid-write: the block never ends, and would swallow the action's outputs.
          `printf 'outcome<<EOF\\nincompatible\\n' >> "$GITHUB_OUTPUT"`,
        ].join('\n'),
      },
    }),
    outcome: 'compatible',
    message: /^replay passed$/,
    check: (r) => {
      assert.equal(r.outputs.custom, 'from-replay')
      assert.equal(r.outputs.notes, 'line 1\nline 2')
      assert.equal(r.exportedEnv.FROM_REPLAY, '1')
      assert.ok(r.addedPaths.includes('/opt/replay-bin'), r.addedPaths.join(':'))
      assert.match(r.summary, /^## the replay says hello$/m)
      assert.match(r.stdout, /::warning::The replay command left an incomplete record in GITHUB_OUTPUT: 'outcome' \(its 'EOF' block never ends\)/)
    },
  },
  {
    name: 'RUNNER_TOOL_CACHE missing outside Actions: a default',
    arrange: () => ({ opts: { env: { RUNNER_TOOL_CACHE: undefined } } }),
    outcome: 'compatible',
    message: /^replay passed$/,
  },
  ...(['RUNNER_TOOL_CACHE', 'RUNNER_TEMP'] as const).map(
    (name): Row => ({
      name: `${name} missing on a runner`,
      arrange: () => ({ opts: { env: { [name]: undefined, GITHUB_ACTIONS: 'true' } } }),
      outcome: 'error',
      message: new RegExp(`^${name} is not set, but every GitHub Actions runner sets it: .*Set it in the job's env to a writable folder`),
    }),
  ),
  {
    name: 'a reason with a line break: the summary output stays one line',
    arrange: () => ({ inputs: { 'working-directory': 'no\nsuch' } }),
    outcome: 'error',
    message: /'working-directory' .*no\nsuch does not exist/,
    check: (r) => {
      assert.doesNotMatch(r.outputs.summary!, /\n/)
      assert.match(r.outputs.summary!, /no such does not exist/)
      assert.doesNotMatch(JSON.parse(r.outputs['slack-payload']!).summary, /\n/)
    },
  },
  {
    name: 'secrets in every encoded form, mask-env, and a 64 KiB cut across a secret',
    arrange: () => ({
      inputs: {
        'replay-command': SECRET_PRINTER,
        'mask-env': 'DEPLOY_LOGIN, UNSET_VARIABLE',
      },
      opts: { env: SECRET_ENV },
    }),
    outcome: 'incompatible',
    message: /^replay failed \(exit 1\); no record-command to try$/,
    check: (r) => {
      const leaks = secretForms().filter((f) => written(r).includes(f))
      assert.deepEqual(leaks, [], 'no form of a secret in anything the action wrote')
      // The half of a secret a plain 64 KiB cut would have left on the next line.
      assert.ok(!written(r).includes(SECRET_ENV.OPENAI_API_KEY.slice(4)), 'a secret cut in two')
      assert.match(r.stdout, /^url \*\*\*$/m)
      assert.match(r.stdout, /^login \*\*\*$/m, 'mask-env')
      // Names that only contain a secret word, and values that cannot be secrets, stay readable.
      assert.match(r.stdout, /^provider subprocess parallel false$/m)
      assert.match(r.stdout, /::warning::'mask-env' names UNSET_VARIABLE, but its value is empty/)
    },
  },
]

/** A row's own index server, closed with the rest. */
async function ownServer(options: IndexServerOptions = {}, ...files: HostedFile[]): Promise<IndexServer> {
  const s = new IndexServer(options)
  extra.push(s)
  s.add(PKG, ...files)
  return s.start()
}

/** A key and a self-signed certificate for 127.0.0.1, made now (nothing generated is kept). */
function selfSigned(): { key: string; cert: string } {
  const dir = tempDir('cs-tls-')
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      path.join(dir, 'key.pem'),
      '-out',
      path.join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  )
  return { key: fs.readFileSync(path.join(dir, 'key.pem'), 'utf8'), cert: fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8') }
}

/** Adds a file the run never verified to a saved Actions-cache entry, as a poisoned entry would hold. */
function addMemberToCacheEntry(archive: Buffer, workspace: string, name: string): Buffer {
  const dir = tempDir('cs-cache-entry-')
  const zstd = archive.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))
  const packed = path.join(dir, 'entry')
  const plain = path.join(dir, 'entry.tar')
  fs.writeFileSync(packed, archive)
  execFileSync(zstd ? 'zstd' : 'gzip', zstd ? ['-q', '-d', '--long=30', packed, '-o', plain] : ['-d', '-c', packed], zstd ? {} : { stdio: ['ignore', fs.openSync(plain, 'w'), 'inherit'] })
  // Members are stored relative to the workspace, as @actions/cache writes them.
  const wheelMember = execFileSync('tar', ['-tf', plain], { encoding: 'utf8' })
    .split('\n')
    .find((m) => m.endsWith('.whl'))!
  const member = path.join(path.dirname(wheelMember), name)
  const onDisk = path.resolve(workspace, member)
  fs.mkdirSync(path.dirname(onDisk), { recursive: true })
  fs.writeFileSync(onDisk, 'not verified by anyone')
  execFileSync('tar', ['-rf', plain, '-P', '-C', workspace, member])
  fs.rmSync(path.dirname(onDisk), { recursive: true, force: true })
  if (zstd) execFileSync('zstd', ['-q', '-f', '--long=30', plain, '-o', packed])
  else fs.writeFileSync(packed, execFileSync('gzip', ['-c', plain]))
  return fs.readFileSync(packed)
}

/** Cancels the run with SIGTERM as soon as a temp download appears in `dir`. */
function cancelWhenPartialIn(dir: string): (pid: number) => void {
  return (pid) => {
    const poll = setInterval(() => {
      if (fs.existsSync(dir) && fs.readdirSync(dir).some((f) => f.startsWith('.part-'))) {
        clearInterval(poll)
        process.kill(pid, 'SIGTERM')
      }
    }, 20)
    setTimeout(() => clearInterval(poll), 60_000)
  }
}

const V3 = '3.0.0'
/** State a row's arrange leaves for its check. */
let fileServer: IndexServer | undefined
let downloadsBefore = 0
/** What went through a row's proxy. */
let tunnels: string[] = []
const files = (p: string) => new RegExp(`^/files/${p}`)

// Issue #14 (network and downloads) and #15 item 7: one row per hostile server or bad day.
const netRows: Row[] = [
  {
    name: 'a write error mid-download (file-size limit, as a full disk)',
    arrange: async () => {
      const s = await ownServer({}, wheel(PKG, V3, { padding: 3 * 2 ** 20 }))
      return {
        inputs: { 'index-url': s.indexUrl, 'uv-version': 'system' },
        // The real uv from PATH: nothing but the wheel is written before the limit bites.
        opts: { fileSizeLimitKiB: 1024, env: { PATH: `${path.dirname(world.uv.binary)}:${process.env.PATH}` } },
      }
    },
    outcome: 'error',
    message: /^Writing demo_upstream-3\.0\.0-py3-none-any\.whl into .* failed: .*(EFBIG|too large).*Nothing was kept; free disk space on the runner/,
  },
  {
    name: 'the run is left waiting on something that never happens: published anyway, exit 1',
    arrange: () => {
      // A filesystem call that never settles while nothing else keeps Node busy: the event
      // loop drains, which used to end the step green with nothing written.
      const preload = path.join(tempDir('cs-preload-'), 'never.mjs')
      fs.writeFileSync(preload, "import fsp from 'node:fs/promises'\nfsp.statfs = () => new Promise(() => {})\n")
      return { opts: { env: { NODE_OPTIONS: `--import=${preload}` } } }
    },
    outcome: 'error',
    message: /^the run ended before it finished: 'Prefetch wheels' was left waiting for something that can no longer happen/,
  },
  {
    name: 'a body longer than the size the index declares',
    arrange: () => {
      world.server.inject(index('/simple/'), { declaredSize: 100 }, 1)
      return {}
    },
    outcome: 'error',
    message:
      /^Downloading demo_upstream-2\.0\.0-py3-none-any\.whl failed: http:\/\/127\.0\.0\.1:\d+\/files\/demo_upstream-2\.0\.0-py3-none-any\.whl sent more than the 100 bytes the index declared for it/,
  },
  {
    name: 'no size declared (HTML) and larger than max-download-mb',
    arrange: async () => {
      const s = await ownServer({}, wheel(PKG, V3, { padding: 2 * 2 ** 20 }))
      s.mode = 'html'
      return { inputs: { 'index-url': s.indexUrl, 'max-download-mb': '1' } }
    },
    outcome: 'error',
    message: /^Downloading demo_upstream-3\.0\.0-py3-none-any\.whl failed: it is larger than 'max-download-mb' \(1 MB\)/,
  },
  {
    name: 'a declared size the disk has no room for: refused before writing',
    arrange: () => {
      downloadsBefore = world.server.count(/^\/files\//)
      world.server.inject(index('/simple/'), { declaredSize: 2 ** 50 }, 1)
      return {}
    },
    outcome: 'error',
    message: /^Writing demo_upstream-2\.0\.0-py3-none-any\.whl into .* failed: it is 1024 TiB, but only .* is free in /,
    check: () => assert.equal(world.server.count(/^\/files\//), downloadsBefore, 'no download started'),
  },
  {
    name: 'a bare token as the user part of index-url',
    arrange: async () => ({ inputs: { 'index-url': `http://tok3n-s3cret-value@127.0.0.1:${await closedPort()}/simple/` }, secrets: ['tok3n-s3cret-value', 's3cret'] }),
    outcome: 'error',
    message: /could not reach http:\/\/\*\*\*@127\.0\.0\.1:\d+\/simple\/demo-upstream\/: connection refused/,
    check: (r) => assert.match(r.stdout, /::add-mask::tok3n-s3cret-value/),
  },
  {
    name: 'a password with a raw @ in index-url',
    arrange: async () => ({ inputs: { 'index-url': `http://ci:p@ss-w0rd-x@127.0.0.1:${await closedPort()}/simple/` }, secrets: ['p@ss-w0rd-x', 'ss-w0rd-x', 'p%40ss'] }),
    outcome: 'error',
    message: /could not reach http:\/\/\*\*\*@127\.0\.0\.1:\d+\/simple\/demo-upstream\/: connection refused/,
  },
  {
    name: 'a private index that wants Basic auth on pages and files',
    arrange: async () => {
      const s = await ownServer({ basicAuth: 'ci:files-too-secret' }, wheel(PKG, V3))
      const u = new URL(s.indexUrl)
      u.username = 'ci'
      u.password = 'files-too-secret'
      return { inputs: { 'index-url': u.toString() }, secrets: ['files-too-secret'] }
    },
    outcome: 'compatible',
    message: /^replay passed$/,
    check: (r) => {
      assert.equal(r.outputs.version, V3)
      assert.deepEqual(r.result.wheels.files, [`demo_upstream-${V3}-py3-none-any.whl`], 'the file came through with the credentials')
    },
  },
  {
    name: 'files on another origin never get the index credentials',
    arrange: async () => {
      const files = await ownServer({}, wheel(PKG, V3))
      const s = await ownServer({ basicAuth: 'ci:not-for-others', filesBase: files.url.replace('127.0.0.1', 'localhost') }, wheel(PKG, V3))
      const u = new URL(s.indexUrl)
      u.username = 'ci'
      u.password = 'not-for-others'
      fileServer = files
      return { inputs: { 'index-url': u.toString() }, secrets: ['not-for-others'] }
    },
    outcome: 'compatible',
    message: /^replay passed$/,
    check: () => {
      const got = fileServer!.requests.filter((q) => q.path.startsWith('/files/'))
      assert.ok(got.length > 0, 'the file was fetched from the other origin')
      assert.ok(
        got.every((q) => q.authorization === undefined),
        'without the index credentials',
      )
    },
  },
  {
    name: 'a private index’s file that redirects on the index, then to another host: the credentials stay with the index',
    arrange: async () => {
      const name = `demo_upstream-${V3}-py3-none-any.whl`
      const storage = await ownServer({}, wheel(PKG, V3))
      const s = await ownServer({ basicAuth: 'ci:redirected-secret' }, wheel(PKG, V3))
      // Downloads follow redirects through undici's interceptor, not fetch: a relative one on the
      // index keeps the Basic auth, the 307 to a storage host (as signed URLs do) drops it.
      s.inject(files(`${name}$`), { status: 301, redirectTo: `./${name}?signed=1` }, 1)
      s.inject(files(`${name}$`), { status: 307, redirectTo: `${storage.url.replace('127.0.0.1', 'localhost')}/files/${name}` }, 1)
      fileServer = storage
      const u = new URL(s.indexUrl)
      u.username = 'ci'
      u.password = 'redirected-secret'
      return { inputs: { 'index-url': u.toString() }, secrets: ['redirected-secret'] }
    },
    outcome: 'compatible',
    message: /^replay passed$/,
    check: (r) => {
      assert.deepEqual(r.result.wheels.files, [`demo_upstream-${V3}-py3-none-any.whl`])
      const index = extra.find((x) => x instanceof IndexServer && x.options.basicAuth === 'ci:redirected-secret')!
      const onIndex = index.requests.filter((q) => q.path.startsWith('/files/'))
      assert.equal(onIndex.length, 2, 'the file URL, then its same-origin redirect')
      assert.ok(
        onIndex.every((q) => /^Basic /.test(q.authorization ?? '')),
        'both on the index with the credentials',
      )
      const elsewhere = fileServer!.requests.filter((q) => q.path.startsWith('/files/'))
      assert.equal(elsewhere.length, 1, 'then the storage host')
      assert.equal(elsewhere[0]!.authorization, undefined, 'which never sees them')
    },
  },
  ...(['a file', 'the index'] as const).map(
    (what): Row => ({
      name: `${what} answered with what is not HTTP (a control character in a header): said so, not an internal error`,
      arrange: async () => {
        // A raw server: Node's own would refuse to send such a header.
        const raw = net.createServer((sock) => sock.once('data', () => sock.end('HTTP/1.1 200 OK\r\nX-Broken: a\u0001b\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi')))
        await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r))
        hung.push({ close: () => new Promise<void>((r) => raw.close(() => r())) })
        const rawUrl = `http://127.0.0.1:${(raw.address() as net.AddressInfo).port}`
        if (what === 'the index') return { inputs: { 'index-url': `${rawUrl}/simple/` } }
        const s = await ownServer({ filesBase: rawUrl }, wheel(PKG, V3))
        return { inputs: { 'index-url': s.indexUrl } }
      },
      outcome: 'error',
      message:
        what === 'the index'
          ? /^could not reach http:\/\/127\.0\.0\.1:\d+\/simple\/demo-upstream\/: its answer is not valid HTTP \(Invalid header value char\)/
          : /^Downloading demo_upstream-3\.0\.0-py3-none-any\.whl failed: could not reach http:\/\/127\.0\.0\.1:\d+\/files\/demo_upstream-3\.0\.0-py3-none-any\.whl: its answer is not valid HTTP \(Invalid header value char\)/,
    }),
  ),
  {
    name: 'a page that trickles: whole-request deadline',
    arrange: () => {
      world.server.inject(index('/simple/'), { trickleMs: 100 }, 4)
      return { opts: { env: { COMPAT_SENTINEL_HTTP_DEADLINE_MS: '400' } } }
    },
    outcome: 'error',
    message: /could not reach .*\/simple\/demo-upstream\/: no complete answer within 0\.4 s/,
  },
  {
    // Connecting gives up after 10 s whatever COMPAT_SENTINEL_HTTP_TIMEOUT_MS says, and the
    // message says what happened rather than the idle timeout.
    name: 'an index that never accepts the connection: the connect timeout named',
    arrange: async () => {
      const port = await unacceptingPort()
      hung.push(port)
      return {
        inputs: { 'index-url': `http://127.0.0.1:${port.port}/simple/` },
        opts: { env: { COMPAT_SENTINEL_HTTP_TIMEOUT_MS: '20000', COMPAT_SENTINEL_HTTP_RETRIES: '0' } },
      }
    },
    outcome: 'error',
    message: /could not reach http:\/\/127\.0\.0\.1:\d+\/simple\/demo-upstream\/: the server did not accept the connection within 10 s \(1 attempt\)/,
  },
  {
    name: 'a file that stops sending mid-body: idle timeout, retried, then an error',
    arrange: () => {
      world.server.inject(files(''), { stallAfter: 100 }, 4)
      return { opts: { env: { COMPAT_SENTINEL_HTTP_TIMEOUT_MS: '300' } } }
    },
    outcome: 'error',
    message: /^Downloading demo_upstream-2\.0\.0-py3-none-any\.whl failed: could not reach .*: timed out after 0\.3 s without data \(4 attempts\)/,
  },
  {
    name: 'a page that stops sending mid-body once: retried, and the run goes on',
    arrange: () => {
      world.server.inject(index('/simple/'), { stallAfter: 10 }, 1)
      return { opts: { env: { COMPAT_SENTINEL_HTTP_TIMEOUT_MS: '300' } } }
    },
    outcome: 'compatible',
    message: /^replay passed$/,
    check: (r) => assert.match(r.stdout, /demo-upstream\/: timed out after 0\.3 s without data \(1 attempt\); retry 1 of 3/),
  },
  {
    name: 'a file that trickles: minimum transfer rate',
    arrange: () => {
      world.server.inject(files(''), { trickleMs: 100 }, 4)
      return { opts: { env: { COMPAT_SENTINEL_HTTP_MIN_RATE_BPS: '1024', COMPAT_SENTINEL_HTTP_RATE_WINDOW_MS: '400' } } }
    },
    outcome: 'error',
    message: /^Downloading demo_upstream-2\.0\.0-py3-none-any\.whl failed: could not reach .*: slower than 1 KiB\/s for 0\.4 s/,
  },
  ...[
    ['150,000 unclosed <a> tags', `<html><body>${'<a href="x">'.repeat(150_000)}`],
    ['an anchor with 200,000 <', `<html><body><a href="../../files/demo_upstream-2.0.0-py3-none-any.whl">${'<'.repeat(200_000)}</a>`],
  ].map(
    ([what, body]): Row => ({
      name: `a hostile HTML page (${what}) parses in linear time`,
      arrange: () => {
        world.server.inject(index('/simple/'), { body, contentType: 'text/html' }, 1)
        return {}
      },
      outcome: 'error',
      message: /^No stable release of demo-upstream/,
    }),
  ),
  {
    name: 'a cache entry with members the run did not ask for',
    arrange: async ({ workspace }) => {
      const cacheService = await new CacheServer().start()
      after(() => cacheService.close())
      const runnerTemp = tempDir('cs-temp-')
      const opts = { workspace, runnerTemp, env: cacheService.env() }
      const first = await world.run({ package: PKG, 'replay-command': 'true' }, opts)
      assert.equal(first.outputs['wheels-cache-hit'], 'false', first.stdout)
      const entry = cacheService.entries.find((e) => e.archive)!
      entry.archive = addMemberToCacheEntry(entry.archive!, workspace, 'unverified-extra.whl')
      fs.rmSync(path.join(runnerTemp, 'compat-sentinel', 'wheels'), { recursive: true })
      return { opts }
    },
    outcome: 'compatible',
    message: /^replay passed$/,
    check: (r) => {
      assert.equal(r.outputs['wheels-cache-hit'], 'true', r.stdout)
      assert.deepEqual(fs.readdirSync(r.outputs['wheels-dir']!), [`demo_upstream-${V}-py3-none-any.whl`], 'only the verified, wanted file')
      assert.equal(fs.existsSync(path.join(r.runnerTemp, 'compat-sentinel', 'wheels-cache')), false, 'the private restore folder is gone')
    },
  },
  {
    name: 'index text stays inert: a JSON error gives a byte offset, never the body',
    arrange: () => {
      world.server.inject(index('/simple/'), { body: '{"files": [<!channel> **bold** [x](http://evil)', contentType: 'application/vnd.pypi.simple.v1+json' }, 1)
      return {}
    },
    outcome: 'error',
    message: /the index answered with malformed JSON \(syntax error at byte 11 of 47\)\. Check/,
    check: (r) => {
      for (const text of [r.summary, r.outputs['slack-payload']!, r.outputs.summary!, JSON.stringify(r.result)]) assert.doesNotMatch(text, /<!channel>|\*\*bold|evil/)
    },
  },
  {
    name: 'a legal 248-character wheel name downloads',
    arrange: async () => {
      const head = `demo_upstream-${V3}-1`
      const tail = '-py3-none-any.whl'
      const name = head + 'b'.repeat(248 - head.length - tail.length) + tail
      const s = await ownServer({}, { filename: name, content: wheel(PKG, V3).content })
      return { inputs: { 'index-url': s.indexUrl } }
    },
    outcome: 'compatible',
    message: /^replay passed$/,
    check: (r) => assert.equal(r.result.wheels.files[0].length, 248),
  },
  {
    name: 'SIGTERM mid-prefetch removes the partial download',
    arrange: () => {
      const runnerTemp = tempDir('cs-temp-')
      world.server.inject(files(''), { trickleMs: 50 }, 1)
      return { opts: { runnerTemp, onStart: cancelWhenPartialIn(path.join(runnerTemp, 'compat-sentinel', 'wheels')) } }
    },
    outcome: 'error',
    message: /^cancelled \(SIGTERM\) before the run finished$/,
  },
  {
    name: 'max-download-mb that is not a whole number of MiB',
    arrange: () => ({ inputs: { 'max-download-mb': '0.5' } }),
    outcome: 'error',
    message: /^Input 'max-download-mb' has the value '0\.5', which is not accepted: use a whole number of megabytes \(MiB\), 1 or more/,
  },
  {
    name: 'wheels-dir with a comma is refused',
    arrange: () => ({ inputs: { 'wheels-dir': 'wheels,more' } }),
    outcome: 'error',
    message: /^Input 'wheels-dir' has the value 'wheels,more', which is not accepted: use a folder path without ','/,
  },
  {
    name: 'wheels-dir with a space is refused (pip splits PIP_FIND_LINKS on spaces)',
    arrange: () => ({ inputs: { 'wheels-dir': 'my wheels' } }),
    outcome: 'error',
    message: /^Input 'wheels-dir' has the value 'my wheels', which is not accepted: use a folder path without spaces/,
  },
  {
    name: 'a system uv whose --version hangs: stopped after the timeout',
    arrange: ({ workspace, pidFile }) => {
      const bin = path.join(workspace, 'bin')
      fs.mkdirSync(bin)
      fs.writeFileSync(path.join(bin, 'uv'), `#!/bin/bash\nsleep 300 &\necho $! >> ${pidFile}\nwait\n`, { mode: 0o755 })
      return { inputs: { 'uv-version': 'system' }, opts: { env: { PATH: `${bin}:${process.env.PATH}`, COMPAT_SENTINEL_UV_VERSION_TIMEOUT_MS: '500' } } }
    },
    outcome: 'error',
    message: /bin\/uv --version did not answer within 0\.5 s and was stopped/,
  },
  ...[
    ['without a proxy', {}],
    ['with a proxy set, the index in NO_PROXY', { HTTP_PROXY: 'http://127.0.0.1:9', NO_PROXY: '127.0.0.1' }],
  ].map(
    ([how, env]): Row => ({
      // What the TLS error message advises: a private CA in NODE_EXTRA_CA_CERTS, with and without a proxy agent's direct path.
      name: `an index behind a private CA trusted through NODE_EXTRA_CA_CERTS: page and wheel fetched (${how})`,
      arrange: async () => {
        const tls = selfSigned()
        const ca = path.join(tempDir('cs-ca-'), 'ca.pem')
        fs.writeFileSync(ca, tls.cert)
        const s = await ownServer({ tls }, wheel(PKG, V3))
        return { inputs: { 'index-url': s.indexUrl, 'prefetch-wheels': 'true' }, opts: { env: { ...(env as Record<string, string>), NODE_EXTRA_CA_CERTS: ca } } }
      },
      outcome: 'compatible',
      message: /^replay passed$/,
      check: (r) => {
        assert.equal(r.outputs.version, V3)
        assert.match(r.stdout, /Downloaded and verified demo_upstream-3\.0\.0-py3-none-any\.whl/)
      },
    }),
  ),
  {
    name: 'an index behind a private CA, through an HTTPS_PROXY tunnel (CONNECT): page and wheel fetched',
    arrange: async () => {
      const tls = selfSigned()
      const ca = path.join(tempDir('cs-ca-'), 'ca.pem')
      fs.writeFileSync(ca, tls.cert)
      // The files on a host of their own, so that the proxy's log tells the download's tunnel apart.
      const storage = await ownServer({ tls }, wheel(PKG, V3))
      fileServer = storage
      const s = await ownServer({ tls, filesBase: storage.url }, wheel(PKG, V3))
      const proxy = await new ForwardProxy().start()
      hung.push(proxy)
      tunnels = proxy.seen
      const viaProxy = { HTTPS_PROXY: proxy.url, https_proxy: proxy.url, NO_PROXY: '', no_proxy: '' }
      return { inputs: { 'index-url': s.indexUrl, 'prefetch-wheels': 'true' }, opts: { env: { ...viaProxy, NODE_EXTRA_CA_CERTS: ca } } }
    },
    outcome: 'compatible',
    message: /^replay passed$/,
    check: (r) => {
      // Files go through request() and the redirect interceptor composed on the proxy agent.
      assert.match(r.stdout, /Downloaded and verified demo_upstream-3\.0\.0-py3-none-any\.whl/)
      assert.ok(tunnels.includes(`CONNECT ${new URL(fileServer!.url).host}`), `the wheel went through the proxy's tunnel: ${JSON.stringify(tunnels)}`)
      assert.equal(fileServer!.requests.filter((q) => q.path.startsWith('/files/')).length, 1, 'one download')
    },
  },
  {
    name: 'an untrusted TLS certificate: one attempt, the cause named',
    arrange: async () => {
      const s = await ownServer({ tls: selfSigned() }, wheel(PKG, V3))
      return { inputs: { 'index-url': s.indexUrl } }
    },
    outcome: 'error',
    message: /could not be read: TLS certificate problem: self[- ]signed certificate.*\(DEPTH_ZERO_SELF_SIGNED_CERT\)\. Give the server a certificate the runner trusts/,
    check: (r) => {
      assert.equal(extra.at(-1)!.connections, 1, 'one attempt')
      assert.doesNotMatch(r.stdout, /retry \d of/)
    },
  },
  {
    name: 'a file on a host with an untrusted TLS certificate: one attempt, the cause named',
    arrange: async () => {
      const storage = await ownServer({ tls: selfSigned() }, wheel(PKG, V3))
      fileServer = storage
      const s = await ownServer({ filesBase: storage.url }, wheel(PKG, V3))
      return { inputs: { 'index-url': s.indexUrl } }
    },
    outcome: 'error',
    message:
      /^Downloading demo_upstream-3\.0\.0-py3-none-any\.whl failed: https:\/\/127\.0\.0\.1:\d+\/files\/demo_upstream-3\.0\.0-py3-none-any\.whl: TLS certificate problem: self[- ]signed certificate.*\(DEPTH_ZERO_SELF_SIGNED_CERT\)\. Give its server a certificate the runner trusts \(a private CA goes in NODE_EXTRA_CA_CERTS\)\.$/,
    check: (r) => {
      assert.equal(fileServer!.connections, 1, 'one attempt')
      assert.doesNotMatch(r.stdout, /retry \d of/)
    },
  },
  {
    name: 'a uv mirror with an untrusted TLS certificate: one attempt, the cause and the fix named',
    arrange: async () => {
      const mirror = await ownServer({ tls: selfSigned() })
      fileServer = mirror
      return { inputs: { 'uv-download-url': world.serveUv(mirror, world.uv.archive) }, opts: { toolCache: tempDir('cs-tc-') } }
    },
    outcome: 'error',
    message:
      /^Could not read uv's checksum file https:\/\/127\.0\.0\.1:\d+\/uv\/.*\.sha256: TLS certificate problem: self[- ]signed certificate.*\(DEPTH_ZERO_SELF_SIGNED_CERT\)\. Give the mirror at 'uv-download-url' a certificate the runner trusts \(a private CA goes in NODE_EXTRA_CA_CERTS\)\.$/,
    check: () => assert.equal(fileServer!.connections, 1, 'one attempt'),
  },
  {
    name: 'an oversized uv checksum file: the message names it',
    arrange: () => {
      const prefix = '/fat-sum'
      world.server.addStatic(`${prefix}/${world.uv.version}/${world.uv.asset}`, world.uv.archive)
      world.server.addStatic(`${prefix}/${world.uv.version}/${world.uv.asset}.sha256`, 'f'.repeat(10_000))
      return { inputs: { 'uv-download-url': `${world.server.url}${prefix}` }, opts: { toolCache: tempDir('cs-tc-') } }
    },
    outcome: 'error',
    message: /^uv's checksum file http:\/\/127\.0\.0\.1:\d+\/fat-sum\/.*\.sha256 is larger than 4 KiB, so it is not a checksum file/,
  },
]

/** Starts, in the background, one process of each kind that leaves a process group. */
function escapes(pidFile: string): string {
  return [
    // `timeout` puts itself in a process group of its own.
    `timeout 600 sleep 301 &\necho $! >> ${pidFile}`,
    // `set -m`: job control, every background job its own group.
    `set -m\nsleep 302 &\necho $! >> ${pidFile}\nset +m`,
    // `setsid`: a new session.
    `setsid sleep 303 &\necho $! >> ${pidFile}`,
    // A daemon: fork, setsid, fork again, the parents exit; the server is orphaned.
    `${process.execPath} -e '${daemon(pidFile)}'`,
    'sleep 0.5',
  ].join('\n')
}

/** A Node one-liner that daemonises a sleeping child (double fork through a detached spawn). */
function daemon(pidFile: string): string {
  return `const { spawn } = require("node:child_process"); const c = spawn(process.execPath, ["-e", "require(\\"fs\\").appendFileSync(\\"${pidFile}\\", process.pid + \\"\\\\n\\"); setTimeout(() => {}, 300000)"], { detached: true, stdio: "ignore" }); c.unref(); setTimeout(() => process.exit(0), 200)`
}

/** Whether this machine lets the action create a child cgroup v2 (root, or a delegated cgroup). */
function cgroupWritable(): boolean {
  try {
    const rel = /^0::(.*)$/m.exec(fs.readFileSync('/proc/self/cgroup', 'utf8'))?.[1]
    const mount = fs
      .readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .find((l) => l.includes(' - cgroup2 '))
      ?.split(' ')[4]
    if (rel === undefined || !mount) return false
    const probe = path.join(mount, rel, `cs-probe-${process.pid}`)
    fs.mkdirSync(probe)
    fs.rmdirSync(probe)
    return true
  } catch {
    return false
  }
}

const MULTILINE = '-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0\nBAQEFAASCBKcwggSjAgEAAo\n-----END KEY-----'
const SECRET_ENV = {
  OPENAI_API_KEY: 'sk-live/9f8e+7d6c "5b4a" \\ zz',
  DEPLOY_PRIVATE_KEY: MULTILINE,
  DEPLOY_LOGIN: 'ci-robot-login-7731',
  UV_KEYRING_PROVIDER: 'subprocess',
  TOKENIZERS_PARALLELISM: 'false',
}

/** Prints each secret as-is, URL-encoded, JSON-escaped, base64 at three alignments, line by line, and across a 64 KiB cut. */
const SECRET_PRINTER = `python3 - <<'PY'
import base64, json, os, sys, time, urllib.parse
k, pem, login = os.environ["OPENAI_API_KEY"], os.environ["DEPLOY_PRIVATE_KEY"], os.environ["DEPLOY_LOGIN"]
print("url", urllib.parse.quote(k, safe=""))
print("plus", urllib.parse.quote_plus(k))
print("json", json.dumps({"key": k, "pem": pem}))
for prefix in ["", "a", "ab"]:
    print("b64", base64.b64encode((prefix + k + " tail").encode()).decode())
    print("b64pem", base64.b64encode((prefix + pem).encode()).decode())
for line in pem.split("\\n"):
    print("line", line)
print("login", login)
print("provider", os.environ["UV_KEYRING_PROVIDER"], "parallel", os.environ["TOKENIZERS_PARALLELISM"])
with open(os.environ["GITHUB_STEP_SUMMARY"], "a") as f:
    f.write("summary from the command: " + k + "\\n")
# A line without an end, the secret across the 64 KiB mark, written in pieces.
sys.stdout.write("x" * (64 * 1024 - 4)); sys.stdout.flush(); time.sleep(0.2)
sys.stdout.write(k + "y" * 100000); sys.stdout.flush(); time.sleep(0.2)
print()
sys.exit(1)
PY`

/** What a reader could decode a secret from: the forms the printer above writes. */
function secretForms(): string[] {
  const k = SECRET_ENV.OPENAI_API_KEY
  const pem = SECRET_ENV.DEPLOY_PRIVATE_KEY
  const b64 = (s: string) => Buffer.from(s).toString('base64')
  return [
    k,
    encodeURIComponent(k),
    JSON.stringify(k).slice(1, -1),
    JSON.stringify(pem).slice(1, -1),
    ...['', 'a', 'ab'].flatMap((p) => [b64(`${p + k} tail`), b64(p + pem)]),
    ...pem.split('\n').filter((l) => l.length >= 6),
    SECRET_ENV.DEPLOY_LOGIN,
  ]
}

/** Everything the action wrote: result file, job summary, outputs, exported env, and its log (less the masks it registers). */
function written(r: RunResult): string {
  const files: string[] = []
  const walk = (dir: string) => {
    if (!fs.existsSync(dir)) return
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name)
      if (e.isDirectory()) walk(p)
      else if (e.isFile() && fs.statSync(p).size < 8 * 2 ** 20) files.push(fs.readFileSync(p, 'utf8'))
    }
  }
  walk(r.runnerTemp)
  return [...files, r.summary, JSON.stringify(r.outputs), JSON.stringify(r.exportedEnv), r.stdout.replace(/^::add-mask::.*$/gm, ''), r.stderr].join('\n')
}

/** Processes still running whose command line mentions this run's folders. */
function strays(r: RunResult, pidFile: string): string[] {
  const found: string[] = []
  const pids = fs.existsSync(pidFile) ? fs.readFileSync(pidFile, 'utf8').trim().split('\n').filter(Boolean).map(Number) : []
  for (const pid of fs
    .readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map(Number)) {
    let cmd = ''
    try {
      cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')
    } catch {
      continue
    }
    if (!running(pid)) continue
    if (pids.includes(pid) || cmd.includes(r.runnerTemp) || cmd.includes(r.workspace) || carriesPhaseMarker(pid, r)) found.push(`${pid}: ${cmd}`)
  }
  return found
}

/** A process started by one of this run's phases: it carries the phase marker and this run's RUNNER_TEMP. */
function carriesPhaseMarker(pid: number, r: RunResult): boolean {
  try {
    const env = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')
    return env.some((e) => e.startsWith('COMPAT_SENTINEL_PHASE_ID=')) && env.includes(`RUNNER_TEMP=${r.runnerTemp}`)
  } catch {
    return false
  }
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

/** The log without the runner commands that register secrets (the runner reads and hides those). */
const withoutMaskCommands = (log: string) => log.replace(/^::add-mask::.*$/gm, '')

describe('fault matrix', () => {
  for (const row of [...rows, ...netRows]) {
    test(`${row.name} → ${row.outcome}`, async () => {
      const workspace = tempDir('cs-ws-')
      const pidFile = path.join(tempDir(), 'pids')
      const { inputs = {}, opts = {}, secrets = [] } = await row.arrange({ pidFile, workspace })
      const r = await world.run({ package: PKG, 'replay-command': replayOf(pidFile), ...inputs }, { workspace, ...opts, env: { COMPAT_SENTINEL_KILL_GRACE_MS: '500', ...opts.env } })
      world.server.clearFaults()

      assert.equal(r.outputs.outcome, row.outcome, r.stdout + r.stderr)
      assert.match(r.result?.reason ?? '', row.message)
      // Invariants of every row.
      for (const o of MAIN_OUTPUTS) assert.ok(o in r.outputs, `output ${o} is set`)
      assert.doesNotThrow(() => validateResult(r.result, r.outputs['result-file']!), 'result file valid against its schema')
      assert.ok(r.summary.length > 0 && shownText(r.summary).includes(r.outputs.summary!.slice(0, 40)), 'job summary written')
      assert.deepEqual(strays(r, pidFile), [], 'no stray process')
      assert.deepEqual(partialFiles(r), [], 'no partial file')
      assert.equal(r.exitCode, ['incompatible', 'error'].includes(row.outcome) ? 1 : 0, 'exit code per the default fail-on')
      assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at .*\.js:\d+/, 'no stack trace')
      const everything = written(r)
      for (const secret of secrets) assert.ok(!everything.includes(secret), `the secret ${secret.slice(0, 3)}… is in no log line, output or file`)
      row.check?.(r)
    })
  }
})
