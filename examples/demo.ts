// `npm run demo`: the whole story, offline, with the real uv and real processes.
//
// A loopback "PyPI" holds demo-upstream's stable releases (and uv's release assets), a loopback
// "TestPyPI" its dev builds, and a fake model provider stands in for the paid API. The example
// consumer (examples/consumer) is tested by the bundled action in three matrix legs, then the
// report sub-action combines the three result files, and the issue sub-action opens a tracking
// issue for the broken leg on a loopback GitHub API, as a nightly workflow would.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { World } from '../test/harness/world'
import { IndexServer } from '../test/harness/index-server'
import { wheel } from '../test/harness/dists'
import { ISSUE, REPORT, ROOT, runAction, tempDir, type RunResult } from '../test/harness/action'
import { GitHubServer } from '../test/harness/github-server'

const PKG = 'demo-upstream'
const SOURCE = path.join(ROOT, 'examples/demo-upstream/demo_upstream')
const CONSUMER = path.join(ROOT, 'examples/consumer')
const PROVIDER_KEY = 'demo-provider-key-5f2a9c'

/** A wheel of demo-upstream at `version`, with `behaviour` replacing the stable _behaviour.py. */
function upstreamWheel(version: string, behaviour?: string) {
  const files: Record<string, string> = {}
  for (const f of fs.readdirSync(SOURCE).filter((f) => f.endsWith('.py') && f !== '__init__.py')) files[`demo_upstream/${f}`] = fs.readFileSync(path.join(SOURCE, f), 'utf8')
  if (behaviour) files['demo_upstream/_behaviour.py'] = behaviour
  // __init__.py is the wheel builder's `source`, with this build's version written in.
  const init = fs.readFileSync(path.join(SOURCE, '__init__.py'), 'utf8').replace(/__version__ = .*/, `__version__ = ${JSON.stringify(version)}`)
  return wheel(PKG, version, { files, source: init })
}

/** The paid API that record mode calls: it wants the key, and counts what it is paid for. */
async function startProvider(): Promise<{ url: string; calls: () => number; close: () => void }> {
  let calls = 0
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = ''
    req.on('data', (d) => (body += d))
    req.on('end', () => {
      if (req.headers.authorization !== `Bearer ${PROVIDER_KEY}`) return void res.writeHead(401).end('{"error":"bad key"}')
      calls++
      const { prompt, model } = JSON.parse(body) as { prompt: string; model: string }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ model, text: `Paris. (You asked: ${prompt})` }))
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/completions`, calls: () => calls, close: () => server.close() }
}

/** Markdown of a job summary, readable in a terminal. */
function renderForTerminal(md: string): string {
  return md
    .replace(/<details><summary>(.*?)<\/summary>/g, '  ▸ $1')
    .replace(/<\/?(pre|details)>/g, '')
    .replace(/^\|(.*)\|$/gm, (_, row: string) =>
      /^[-| ]+$/.test(row)
        ? ''
        : '  ' +
          row
            .split('|')
            .map((c) => c.trim())
            .filter(Boolean)
            .join('  ·  '),
    )
    .replace(/^## /gm, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#124;/g, '|')
    .replace(/&#96;/g, '`')
    .replace(/&amp;/g, '&')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
}

const rule = (title: string) => console.log(`\n━━━ ${title} ${'━'.repeat(Math.max(0, 76 - title.length))}`)

function show(r: RunResult): void {
  const o = r.outputs
  console.log(`verdict: ${o.summary}`)
  for (const k of ['outcome', 'version', 'channel', 'pinned-version', 'is-pinned', 'replay-result', 'record-result', 'fixtures-changed', 'uv-version', 'wheels-cache-hit'])
    console.log(`  ${k.padEnd(17)} ${o[k]}`)
  console.log(`  slack-payload     ${o['slack-payload']}`)
  console.log(
    '\njob summary:\n' +
      renderForTerminal(r.summary)
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n'),
  )
}

async function main(): Promise<number> {
  rule('setting up: loopback PyPI, TestPyPI, model provider')
  const pypi = await new World().start()
  const testPypi = await new IndexServer().start()
  const provider = await startProvider()
  pypi.server.add(PKG, upstreamWheel('0.9.0'), upstreamWheel('1.0.0'))
  testPypi.add(
    PKG,
    // A dev build that words its prompt differently: the recordings no longer match.
    upstreamWheel('1.1.0.dev1', 'PROMPT_TEMPLATE = "You are concise. {message}"\nREPLY_KEY = "reply"\n'),
    // The newest dev build also renames the answer's field: consumers reading "reply" break.
    upstreamWheel('1.1.0.dev2', 'PROMPT_TEMPLATE = "You are concise. {message}"\nREPLY_KEY = "answer"\n'),
  )
  console.log(`PyPI       ${pypi.server.indexUrl}  (demo-upstream 0.9.0, 1.0.0; uv ${pypi.uv.version} release assets)`)
  console.log(`TestPyPI   ${testPypi.indexUrl}  (demo-upstream 1.1.0.dev1, 1.1.0.dev2)`)
  console.log(`provider   ${provider.url}  (the paid API; record mode only)`)

  // What every leg's runner has: uv resolves dependencies from "PyPI", never from the internet.
  const uvCache = tempDir('demo-uv-cache-')
  const env = {
    UV_DEFAULT_INDEX: pypi.server.indexUrl,
    UV_CACHE_DIR: uvCache,
    UV_PYTHON_DOWNLOADS: 'never',
    UV_NO_CONFIG: '1',
    DEMO_PROVIDER_URL: provider.url,
    DEMO_PROVIDER_KEY: PROVIDER_KEY,
  }
  const common = {
    package: PKG,
    'pinned-file': 'Makefile',
    'pinned-pattern': 'DEMO_UPSTREAM_VERSION \\?= (\\S+)',
    'replay-command': 'make test',
    'record-command': 'make record',
    'fixtures-path': 'tests/recordings',
    'replay-timeout-minutes': '2',
    'record-timeout-minutes': '2',
  }
  const legs: { title: string; inputs: Record<string, string>; expect: string }[] = [
    { title: 'leg 1: stable from PyPI', inputs: { channel: 'stable', 'index-url': pypi.server.indexUrl }, expect: 'compatible' },
    { title: 'leg 2: dev 1.1.0.dev1 from TestPyPI (new prompt)', inputs: { version: '1.1.0.dev1', 'index-url': testPypi.indexUrl }, expect: 'needs-recording' },
    { title: 'leg 3: newest dev from TestPyPI (renamed field)', inputs: { channel: 'dev', 'index-url': testPypi.indexUrl }, expect: 'incompatible' },
  ]

  const artifacts = tempDir('demo-artifacts-')
  const mismatches: string[] = []
  for (const [i, leg] of legs.entries()) {
    rule(leg.title)
    // Each leg is its own machine: a fresh checkout of the consumer.
    const workspace = tempDir('demo-consumer-')
    fs.cpSync(CONSUMER, workspace, { recursive: true })
    const paidBefore = provider.calls()
    const r = await pypi.run({ ...common, ...leg.inputs }, { workspace, env })
    show(r)
    console.log(`\n  paid provider calls in this leg: ${provider.calls() - paidBefore}`)
    if (r.outputs.outcome !== leg.expect) {
      mismatches.push(`${leg.title}: expected ${leg.expect}, got ${r.outputs.outcome}`)
      console.log(`\n--- full action log of this leg ---\n${r.stdout}${r.stderr}`)
    }
    if (r.summary.includes(PROVIDER_KEY) || JSON.stringify(r.result).includes(PROVIDER_KEY)) mismatches.push(`${leg.title}: the provider key leaked`)
    const dest = path.join(artifacts, `compat-sentinel-leg-${i + 1}`, path.basename(r.outputs['result-file']!))
    fs.mkdirSync(path.dirname(dest), { recursive: true })
    fs.copyFileSync(r.outputs['result-file']!, dest)
  }

  rule('report job: the three result files combined')
  const report = await runAction({}, { entry: REPORT, workspace: artifacts })
  console.log(`overall-status: ${report.outputs['overall-status']} (count ${report.outputs.count})`)
  console.log(report.outputs.summary)
  console.log(`slack-payload: ${report.outputs['slack-payload']}`)
  console.log(
    '\njob summary:\n' +
      renderForTerminal(report.summary)
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n'),
  )
  if (report.outputs['overall-status'] !== 'incompatible') mismatches.push(`report: expected incompatible, got ${report.outputs['overall-status']}`)

  rule('issue job: one tracking issue per failing leg (loopback GitHub API)')
  const github = await new GitHubServer().start()
  const issues = await runAction({ 'github-token': github.token }, { entry: ISSUE, workspace: artifacts, env: { GITHUB_API_URL: github.url } })
  for (const k of ['opened', 'updated', 'closed', 'issue-numbers']) console.log(`  ${k.padEnd(14)} ${issues.outputs[k]}`)
  for (const i of github.issues)
    console.log(
      `\nissue #${i.number} [${i.labels.join(', ')}]: ${i.title}\n${renderForTerminal(i.body.replace(/<!--.*-->\n?/g, ''))
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n')}`,
    )
  if (issues.outputs.opened !== 'demo-upstream-dev') mismatches.push(`issue job: expected an issue for demo-upstream-dev, got '${issues.outputs.opened}'\n${issues.stdout}`)
  await github.close()

  provider.close()
  await testPypi.close()
  await pypi.close()
  rule(mismatches.length ? 'demo FAILED' : 'demo finished: every verdict as expected')
  for (const m of mismatches) console.log(`✖ ${m}`)
  return mismatches.length ? 1 : 0
}

process.exitCode = await main()
