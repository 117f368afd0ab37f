// What the team reads: the job summary of one run, the Slack payload, and the report sub-action
// that combines the matrix legs (end to end through dist/report/index.js).
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { jobSummary } from '../src/core/summary'
import { slackPayload, summaryLine } from '../src/core/result-file'
import { SUMMARY_LIMIT } from '../src/core/markdown'
import { REPORT, runAction, tempDir } from './harness/action'
import { resultOf, writeLegs } from './harness/results'
import { World } from './harness/world'
import { shownText } from './harness/assertions'
import { wheel } from './harness/dists'
import type { ResultFile } from '../src/core/vocabulary'

const summaryOf = (r: ResultFile) => jobSummary(r, summaryLine(r))

describe('job summary of one run', () => {
  const facts: [ResultFile['outcome'], RegExp[]][] = [
    ['compatible', [/^## ✅ llama-stack 0\.7\.2\.dev20260423 \(dev\): compatible$/m, /\| Replay \| success \(4\.2 s\) \|/, /\| Record \| skipped \|/]],
    [
      'needs-recording',
      [
        /^## 🟡 .*: needs recording$/m,
        /\| Replay \| failure \(4\.2 s, exit 2\) \|/,
        /\| Record \| success \(4\.2 s\) \|/,
        /<summary>Fixtures changed \(2\)<\/summary>/,
        /modified +tests\/recordings\/ab12\.json/,
        /added +tests\/recordings\/cd34\.json/,
      ],
    ],
    [
      'incompatible',
      [/^## ❌ .*: incompatible: KeyError: 'choices'$/m, /\| Record \| failure \(4\.2 s, exit 1\) \|/, /<summary>Record log \(tail\)<\/summary>/, /KeyError: &#39;choices&#39;|KeyError: 'choices'/],
    ],
    ['error', [/^## ⚠️ llama-stack \(dev\): error: Package 'llama-stack' was not found/m, /\| Tested version \| — \|/]],
  ]
  for (const [outcome, expected] of facts) {
    test(`${outcome}: the facts a reader needs`, () => {
      const md = summaryOf(resultOf(outcome))
      for (const re of expected) assert.match(md, re)
      assert.match(md, /\| Package \| llama-stack \(\+ llama-stack-api\) \|/)
      assert.match(md, /\| Channel \| dev \|/)
      assert.match(md, /\| Pinned version \| 0\.7\.1 \(differs from tested\) \|/)
      assert.match(md, /\| uv \| 0\.13\.9 \|/)
      assert.match(md, /\[Workflow run\]\(https:\/\/github\.com\/org\/repo\/actions\/runs\/1\)/)
    })
  }

  test('hostile log lines cannot inject markdown or HTML', () => {
    const hostile = ['</pre></details><script>alert(1)</script>', '```', '## Fake heading', '<img src=x onerror=alert(1)>', '| a | b |'].join('\n')
    const md = summaryOf(resultOf('incompatible', { replay: { result: 'failure', exitCode: 1, durationMs: 1, logTail: hostile }, reason: 'replay failed <b>x</b> | y `z`' }))
    assert.doesNotMatch(md, /<script>|<img/)
    assert.equal(md.match(/<details>/g)!.length, md.match(/<\/details>/g)!.length, 'every <details> closed once')
    assert.equal(md.match(/<pre>/g)!.length, md.match(/<\/pre>/g)!.length)
    assert.match(md, /&lt;\/pre&gt;&lt;\/details&gt;&lt;script&gt;/)
    assert.match(md, /\| Reason \| replay failed &lt;b&gt;x&lt;\/b&gt; &#124; y &#96;z&#96; \|/)
    // Every line of the tail stays inside its <pre>: no line starts a heading or a table.
    const pre = md.slice(md.indexOf('<pre>'), md.indexOf('</pre>'))
    assert.ok(pre.includes('## Fake heading'), 'shown verbatim inside <pre>, where markdown does not apply')
  })

  test('always under 1 MiB: huge tails are cut, their ends kept', () => {
    const huge = `${Array.from({ length: 60_000 }, (_, i) => `line ${i} ${'y'.repeat(40)}`).join('\n')}\nTHE END OF REPLAY`
    const md = summaryOf(
      resultOf('incompatible', {
        replay: { result: 'failure', exitCode: 1, durationMs: 1, logTail: huge },
        record: { result: 'failure', exitCode: 1, durationMs: 1, logTail: huge.replace('REPLAY', 'RECORD') },
      }),
    )
    assert.ok(Buffer.byteLength(md) < SUMMARY_LIMIT, `${Buffer.byteLength(md)} bytes`)
    assert.match(md, /THE END OF REPLAY/)
    assert.match(md, /THE END OF RECORD/)
    assert.match(md, /shortened to keep this summary under 1 MiB/)
    assert.match(md, /^## ❌/m, 'the verdict survives')
  })
})

describe('Slack payload of one run', () => {
  for (const outcome of ['compatible', 'needs-recording', 'not-installable', 'incompatible', 'error'] as const) {
    test(`${outcome}: flat JSON, every value a string`, () => {
      const r = resultOf(outcome)
      const payload = JSON.parse(JSON.stringify(slackPayload(r, summaryLine(r))))
      const keys = [
        'status',
        'status_emoji',
        'package',
        'channel',
        'tested_version',
        'pinned_version',
        'recording_required',
        'replay_result',
        'record_result',
        'summary',
        'workflow_run_url',
        'repository',
        'previous_status',
        'failing_since',
        'status_changed',
        'notify',
        'first_bad_version',
        'last_good_version',
        'compare_url',
      ]
      assert.deepEqual(Object.keys(payload).sort(), keys.sort())
      for (const [k, v] of Object.entries(payload)) assert.equal(typeof v, 'string', k)
      assert.equal(payload.status, outcome)
      assert.equal(payload.recording_required, String(outcome === 'needs-recording'))
    })
  }
})

describe('report sub-action, end to end', () => {
  const report = async (legs: ResultFile[], inputs: Record<string, string> = {}, extraFiles: Record<string, string> = {}) => {
    const workspace = tempDir('cs-report-')
    writeLegs(workspace, legs)
    for (const [name, body] of Object.entries(extraFiles)) {
      fs.mkdirSync(path.dirname(path.join(workspace, name)), { recursive: true })
      fs.writeFileSync(path.join(workspace, name), body)
    }
    return runAction(inputs, { entry: REPORT, workspace })
  }
  const stable = (o: ResultFile['outcome'], over: Partial<ResultFile> = {}) =>
    resultOf(o, { channel: 'stable', version: o === 'error' ? '' : '0.7.1', pinnedVersion: '0.7.1', isPinned: true, ...over })
  const dev = (o: ResultFile['outcome']) => resultOf(o)
  const flat = (json: string) => {
    const p = JSON.parse(json)
    for (const [k, v] of Object.entries(p)) assert.equal(typeof v, 'string', `slack-payload.${k} is a string`)
    return p as Record<string, string>
  }

  test('all legs compatible', async () => {
    const r = await report([stable('compatible'), dev('compatible')])
    assert.equal(r.outputs['overall-status'], 'compatible')
    assert.equal(r.outputs.count, '2')
    assert.equal(r.exitCode, 0)
    assert.equal(r.outputs.summary, '✅ llama-stack 0.7.1 (stable): compatible\n✅ llama-stack 0.7.2.dev20260423 (dev): compatible')
    const slack = flat(r.outputs['slack-payload']!)
    assert.equal(slack.overall_status, 'compatible')
    assert.equal(slack.overall_emoji, '✅')
    assert.equal(slack.stable_summary, '✅ llama-stack 0.7.1 (stable): compatible')
    assert.equal(slack.dev_summary, '✅ llama-stack 0.7.2.dev20260423 (dev): compatible')
    assert.equal(slack.workflow_run_url, 'https://github.com/org/repo/actions/runs/1')
    assert.equal(slack.repository, 'org/repo')
    assert.match(r.summary, /^## ✅ compat-sentinel: compatible/m)
    assert.equal((r.summary.match(/^\| ✅ \| llama-stack-(stable|dev) \| llama-stack \|/gm) ?? []).length, 2, 'one row per leg, named by its leg')
  })

  test('dev needs recording: overall needs-recording, the step passes', async () => {
    const r = await report([stable('compatible'), dev('needs-recording')])
    assert.equal(r.outputs['overall-status'], 'needs-recording')
    assert.equal(r.exitCode, 0)
    assert.match(flat(r.outputs['slack-payload']!).dev_summary!, /^🟡 .*needs recording$/)
    assert.match(
      r.summary,
      /\| 🟡 \| llama-stack-dev \| llama-stack \| dev \| 0\.7\.2\.dev20260423 \| 0\.7\.1 \| failure \| success \| replay failed \(exit 2\); record succeeded; 2 fixtures changed \|/,
    )
  })

  test('stable incompatible outranks everything, the step fails', async () => {
    const r = await report([stable('incompatible'), dev('error')])
    assert.equal(r.outputs['overall-status'], 'incompatible')
    assert.equal(r.exitCode, 1)
    assert.match(r.stdout, /::error::compat-sentinel overall status: incompatible/)
  })

  test('one leg error: overall error, the reason reaches Slack', async () => {
    const r = await report([stable('compatible'), dev('error')])
    assert.equal(r.outputs['overall-status'], 'error')
    assert.equal(r.exitCode, 1)
    assert.match(flat(r.outputs['slack-payload']!).dev_summary!, /⚠️ llama-stack \(dev\): error: Package 'llama-stack' was not found/)
  })

  test('fail-on choices decide the exit code, not the outputs', async () => {
    const legs = [stable('compatible'), dev('needs-recording')]
    const strict = await report(legs, { 'fail-on': 'needs-recording,incompatible,error' })
    const lax = await report(legs, { 'fail-on': 'none' })
    assert.equal(strict.exitCode, 1)
    assert.equal(lax.exitCode, 0)
    assert.deepEqual(strict.outputs, lax.outputs)
  })

  test('text from an index or a log stays inert: no Slack mention, no markdown link or emphasis', async () => {
    const hostile = 'replay failed: <!channel> <!here> <@U123> **urgent** [log in](https://evil.example) ![x](https://evil.example/x.png) `code` _it_ ~s~'
    const r = await report([stable('compatible'), { ...dev('error'), reason: hostile }])
    const slack = flat(r.outputs['slack-payload']!)
    for (const [k, v] of Object.entries(slack)) assert.doesNotMatch(v, /<!channel>|<!here>|<@U123>|<https?:/, `slack-payload.${k}`)
    assert.match(slack.details!, /&lt;!channel&gt;/, 'shown, escaped as Slack documents')
    assert.doesNotMatch(r.summary, /<!channel>|\*\*urgent\*\*|\[log in\]\(|!\[x\]\(|`code`|_it_|~s~/)
    assert.match(shownText(r.summary), /replay failed: <!channel> <!here> <@U123> \*\*urgent\*\* \[log in\]\(https:\/\/evil\.example\)/, 'the text is still there to read')
  })

  test('thousands of legs: the summary stays under 1 MiB, worst first, the rest counted', async () => {
    const legs = Array.from({ length: 4000 }, (_, i) => ({ ...stable(i % 1000 === 7 ? 'incompatible' : 'compatible', { package: `pkg-${i}` }), reason: 'r'.repeat(400) }))
    const r = await report(legs)
    assert.equal(r.outputs['overall-status'], 'incompatible')
    assert.ok(Buffer.byteLength(r.summary) < SUMMARY_LIMIT, `${Buffer.byteLength(r.summary)} bytes`)
    const rows = r.summary.match(/^\| (✅|❌) \|/gm) ?? []
    assert.ok(rows.length > 100 && rows.length < 4000, `${rows.length} rows`)
    assert.equal(rows.slice(0, 4).join(), Array(4).fill('| ❌ |').join(), 'the incompatible legs come first')
    assert.match(r.summary, new RegExp(`… and ${4000 - rows.length} more legs, not shown`))
  })

  test('a v2 result file (compat-sentinel/result@2) is read like a v1 file', async () => {
    const v2 = { ...stable('compatible'), schema: 'compat-sentinel/result@2', leg: 'llama-stack-stable', flaky: false } as unknown as ResultFile
    const r = await report([v2, dev('compatible')])
    assert.equal(r.outputs.count, '2', r.stdout)
    assert.equal(r.outputs['overall-status'], 'compatible')
  })

  test('two legs on the same channel get package-qualified keys', async () => {
    const r = await report([stable('compatible'), stable('compatible', { package: 'llama-stack-client' })])
    const slack = flat(r.outputs['slack-payload']!)
    assert.ok(slack.llama_stack_stable_summary && slack.llama_stack_client_stable_summary, JSON.stringify(slack))
  })

  const errors: [string, () => Promise<Awaited<ReturnType<typeof report>>>, RegExp][] = [
    ['no result files', () => report([]), /No result files match "\*\*\/compat-sentinel-result-\*\.json": download the legs' artifacts/],
    [
      'a malformed file',
      () => report([stable('compatible')], {}, { 'artifacts/bad/compat-sentinel-result-x-dev.json': '{"schema": "compat-sentinel/result@1", ' }),
      /Result file .*artifacts\/bad\/compat-sentinel-result-x-dev\.json could not be read as JSON/,
    ],
    [
      'an unknown schema',
      () => report([stable('compatible')], {}, { 'artifacts/v9/compat-sentinel-result-x-dev.json': JSON.stringify({ ...stable('compatible'), schema: 'compat-sentinel/result@9' }) }),
      /Result file .*v9\/compat-sentinel-result-x-dev\.json is not a compat-sentinel result: its schema is "compat-sentinel\/result@9"/,
    ],
    ['a bad fail-on', () => report([stable('compatible')], { 'fail-on': 'sometimes' }), /'fail-on'.*'sometimes'/],
    [
      'a reason that is not text',
      () => report([stable('compatible'), { ...dev('compatible'), reason: 5 as unknown as string }]),
      /Result file .*artifacts\/leg-1\/compat-sentinel-result-llama-stack-dev\.json is not a compat-sentinel result: its reason is not a string/,
    ],
    [
      'a phase without a result',
      () => report([{ ...dev('compatible'), replay: {} as ResultFile['replay'] }]),
      /Result file .*leg-0\/compat-sentinel-result-llama-stack-dev\.json is not a compat-sentinel result: replay or record is missing or has no result/,
    ],
  ]
  for (const [name, run, message] of errors) {
    test(`${name}: error naming it, every output set`, async () => {
      const r = await run()
      assert.equal(r.outputs['overall-status'], 'error')
      assert.match(r.outputs.summary!, message)
      assert.match(flat(r.outputs['slack-payload']!).details!, message)
      assert.ok('count' in r.outputs)
      assert.match(shownText(r.summary), message)
      assert.equal(r.exitCode, 1)
      assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at .*\.js:\d+/)
    })
  }
})

describe('matrix legs of the real action, combined', () => {
  let world: World
  before(async () => {
    world = await new World().start()
    world.server.add('demo-upstream', wheel('demo-upstream', '1.0.0'), wheel('demo-upstream', '1.1.0.dev2'))
  })
  after(() => world.close())

  test('stable and dev legs on two machines, then the report job', async () => {
    const artifacts = tempDir('cs-artifacts-')
    for (const channel of ['stable', 'dev']) {
      // A replay that passes on stable and fails on dev; record fixes it.
      const r = await world.run({ package: 'demo-upstream', channel, 'replay-command': 'test "$COMPAT_SENTINEL_CHANNEL" = stable', 'record-command': 'true' })
      const dest = path.join(artifacts, `compat-${channel}`, path.basename(r.outputs['result-file']!))
      fs.mkdirSync(path.dirname(dest), { recursive: true })
      fs.copyFileSync(r.outputs['result-file']!, dest)
    }
    const r = await runAction({ results: 'compat-*/compat-sentinel-result-*.json' }, { entry: REPORT, workspace: artifacts })
    assert.equal(r.outputs['overall-status'], 'needs-recording', r.stdout)
    assert.equal(r.outputs.count, '2')
    assert.equal(r.outputs.summary, '🟡 demo-upstream 1.1.0.dev2 (dev): needs recording\n✅ demo-upstream 1.0.0 (stable): compatible')
  })
})
