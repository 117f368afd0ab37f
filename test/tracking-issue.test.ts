// The tracking-issue decisions and rendering (src/core/tracking-issue.ts), as tables.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import {
  BODY_LIMIT,
  DEFAULT_TITLE_TEMPLATE,
  capMarkdown,
  decide,
  failingLine,
  findLegIssue,
  legFacts,
  legMarker,
  readState,
  renderBody,
  renderTitle,
  unknownPlaceholders,
  type ExistingIssue,
  type IssueOptions,
  type IssueState,
} from '../src/core/tracking-issue'
import { resultOf } from './harness/results'
import type { Outcome, ResultFile } from '../src/core/vocabulary'
import { parseResultFile } from '../src/core/result-file'
import { noHistory } from '../src/core/history'

const NOW = new Date('2026-04-30T07:00:00Z')
const DAY = 86_400_000
const opts = (over: Partial<IssueOptions> = {}): IssueOptions => ({ openOn: new Set(['incompatible']), closeOnRecovery: true, titleTemplate: DEFAULT_TITLE_TEMPLATE, now: NOW, ...over })
const leg = (outcome: Outcome, over: Partial<ResultFile> = {}) => legFacts(resultOf(outcome, over))
const withHistory = (h: Partial<ResultFile['history']>): ResultFile['history'] => ({ ...noHistory(), available: true, ...h })

/** An issue as a previous run left it. */
function issue(state: 'open' | 'closed', s: IssueState | null, closedDaysAgo = 0, legName = 'llama-stack-dev'): ExistingIssue {
  const body = s ? renderBody(leg('incompatible', { version: s.version }), { since: { date: s.since, version: s.sinceVersion } }, s) : `${legMarker(legName)}\n`
  return { number: 7, title: 't', body, state, closedAt: state === 'closed' ? new Date(NOW.getTime() - closedDaysAgo * DAY).toISOString() : null }
}
const recoveredState = (): IssueState => ({ outcome: 'compatible', version: '0.7.2.dev20260422', since: '', sinceVersion: '' })
const failingState = (version = '0.7.2.dev20260423', outcome = 'incompatible'): IssueState => ({ outcome, version, since: '2026-04-20', sinceVersion: '0.7.2.dev20260420' })

describe('decide', () => {
  const rows: [string, ReturnType<typeof leg>, ExistingIssue | undefined, Partial<IssueOptions>, string, RegExp | null][] = [
    ['first failure', leg('incompatible'), undefined, {}, 'open', null],
    ['compatible, no issue', leg('compatible'), undefined, {}, 'none', null],
    ['error outside open-on, no issue', leg('error'), undefined, {}, 'none', null],
    ['error inside open-on', leg('error'), undefined, { openOn: new Set(['incompatible', 'error']) }, 'open', null],
    ['not-installable inside open-on', leg('not-installable'), undefined, { openOn: new Set(['not-installable']) }, 'open', null],
    ['same outcome, same version', leg('incompatible'), issue('open', failingState()), {}, 'update', /^$/],
    [
      'same outcome, new version',
      leg('incompatible', { version: '0.7.2.dev20260424' }),
      issue('open', failingState()),
      {},
      'update',
      /Still ❌ \*\*incompatible\*\*, now with 0\.7\.2\.dev20260424 \(was 0\.7\.2\.dev20260423\)/,
    ],
    ['outcome changed', leg('error'), issue('open', failingState()), { openOn: new Set(['incompatible', 'error']) }, 'update', /⚠️ \*\*error\*\* now \(was incompatible\)/],
    ['open issue without a state marker: rewritten, no comment', leg('incompatible'), issue('open', null), {}, 'update', /^$/],
    ['recovered: close', leg('compatible'), issue('open', failingState()), {}, 'close', /Passing again with 0\.7\.2\.dev20260423 since \[this run\]/],
    [
      'needs-recording outside open-on counts as recovered',
      leg('needs-recording'),
      issue('open', failingState()),
      {},
      'close',
      /No longer failing: 🟡 \*\*needs-recording\*\*.*re-record the fixtures/,
    ],
    ['recovered, close-on-recovery false', leg('compatible'), issue('open', failingState()), { closeOnRecovery: false }, 'recovered', /Passing again/],
    ['could not test: the open issue stays as it is', leg('error'), issue('open', failingState()), {}, 'none', null],
    ['not-installable outside open-on: left alone', leg('not-installable'), issue('open', failingState()), {}, 'none', null],
    ['fails again 2 days after the close: reopen', leg('incompatible'), issue('closed', recoveredState(), 2), {}, 'reopen', /again with .* reopened \(closed 2 days ago\)/],
    ['fails again 6.9 days after the close: reopen', leg('incompatible'), issue('closed', recoveredState(), 6.9), {}, 'reopen', /closed 6 days ago/],
    ['fails again 7 days after the close: a new issue', leg('incompatible'), issue('closed', recoveredState(), 7), {}, 'open', null],
    ['fails again, closed issue without a state marker: reopen', leg('incompatible'), issue('closed', null, 1), {}, 'reopen', /reopened/],
    ['compatible, issue closed on recovery: nothing', leg('compatible'), issue('closed', recoveredState(), 1), {}, 'none', null],
    ['closed by hand while failing, still failing: left closed', leg('incompatible'), issue('closed', failingState(), 1), {}, 'none', null],
    ['closed by hand while failing, now passing: the body learns it, no comment', leg('compatible'), issue('closed', failingState(), 1), {}, 'settle', null],
  ]
  for (const [name, l, existing, o, kind, comment] of rows) {
    test(name, () => {
      const a = decide(l, existing, opts(o))
      assert.equal(a.kind, kind)
      if (comment) assert.match('comment' in a ? a.comment : '', comment)
    })
  }

  test('a quiet update keeps "failing since" from the issue when the run history is off', () => {
    const a = decide(leg('incompatible', { finishedAt: '2026-04-29T06:00:00Z' }), issue('open', failingState()), opts())
    assert.equal(a.kind, 'update')
    assert.equal((a as { title: string }).title, 'llama-stack dev: incompatible since 2026-04-20')
  })

  test('the run history wins over what the issue remembered', () => {
    const history = withHistory({ failingSince: { date: '2026-04-18T06:30:00Z', version: '0.7.2.dev20260418', runs: 5 }, lastGoodVersion: '0.7.2.dev20260417', firstBadVersion: '0.7.2.dev20260418' })
    const a = decide(leg('incompatible', { history }), issue('open', failingState()), opts())
    assert.equal((a as { title: string }).title, 'llama-stack dev: incompatible since 2026-04-18')
    assert.match((a as { body: string }).body, /\| Failing since \| 2026-04-18 \(0\.7\.2\.dev20260418, 5 runs\) \|/)
  })

  test('after a recovery already said with close-on-recovery false, nothing more is said', () => {
    const recovered: IssueState = { outcome: 'compatible', version: '0.7.2.dev20260423', since: '', sinceVersion: '' }
    const a = decide(leg('compatible', { version: '0.7.2.dev20260424' }), issue('open', recovered), opts({ closeOnRecovery: false }))
    assert.ok(a.kind === 'none' || (a.kind === 'recovered' && a.comment === ''), JSON.stringify(a.kind))
  })

  test('the state marker round-trips, and a hostile version cannot end the comment', () => {
    const s: IssueState = { outcome: 'incompatible', version: '1.0 --> <script>', since: '2026-04-20', sinceVersion: '' }
    const body = renderBody(leg('incompatible'), { since: { date: s.since, version: '' } }, s)
    assert.deepEqual(readState(body), s)
    assert.doesNotMatch(body, /<script>/)
  })
})

describe('v1 and v2 result files, through the shared reader', () => {
  const read = (data: unknown) => {
    const parsed = parseResultFile(JSON.parse(JSON.stringify(data)))
    assert.ok(parsed.ok)
    return legFacts(parsed.result)
  }
  test('a v1 file: leg <package>-<channel>, no history', () => {
    const { leg: _leg, history: _h, install: _i, bisect: _b, ...v1 } = resultOf('incompatible')
    const f = read({ ...v1, schema: 'compat-sentinel/result@1' })
    assert.equal(f.leg, 'llama-stack-dev')
    assert.equal(f.failingSince, null)
    assert.equal(f.lastGoodVersion, '')
    assert.equal(f.install, null)
  })
  test('a v2 file: its leg, history and bisect', () => {
    const f = read(
      resultOf('incompatible', {
        leg: 'nightly-macos',
        history: withHistory({ failingSince: { date: '2026-04-21', version: 'b', runs: 2 }, lastGoodVersion: 'a', firstBadVersion: 'b' }),
        bisect: { exact: true, firstBadVersion: 'b2', lastGoodVersion: 'a2', compareUrl: 'https://github.com/o/r/compare/a2...b2', note: '', probes: [] },
      }),
    )
    assert.equal(f.leg, 'nightly-macos')
    assert.equal(f.firstBadVersion, 'b2', 'the bisection is more exact than the history')
    assert.equal(f.lastGoodVersion, 'a2')
    assert.equal(f.compareUrl, 'https://github.com/o/r/compare/a2...b2')
    assert.deepEqual(f.failingSince, { date: '2026-04-21', version: 'b', runs: 2 })
  })
  test('history that is not available is ignored', () => {
    const f = read(resultOf('incompatible', { history: { ...withHistory({ failingSince: { date: 'x', version: 'y', runs: 1 }, lastGoodVersion: 'z' }), available: false } }))
    assert.equal(f.failingSince, null)
    assert.equal(f.lastGoodVersion, '')
  })
})

describe('finding the leg issue', () => {
  const mk = (number: number, legName: string, state: 'open' | 'closed', closedAt: string | null = null): ExistingIssue => ({
    number,
    title: '',
    body: `text\n${legMarker(legName)}\n`,
    state,
    closedAt,
  })
  const rows: [string, ExistingIssue[], string, number | undefined][] = [
    ['none', [mk(1, 'other', 'open')], 'llama-stack-dev', undefined],
    ['a leg whose name starts like another is not confused', [mk(1, 'llama-stack-dev-macos', 'open')], 'llama-stack-dev', undefined],
    ['the open one over closed ones', [mk(1, 'a', 'closed', '2026-04-29T00:00:00Z'), mk(2, 'a', 'open')], 'a', 2],
    ['of closed ones, the last closed', [mk(1, 'a', 'closed', '2026-04-01T00:00:00Z'), mk(3, 'a', 'closed', '2026-04-20T00:00:00Z'), mk(2, 'a', 'closed', '2026-04-10T00:00:00Z')], 'a', 3],
    ['a marker quoted mid-line does not count', [{ number: 4, title: '', body: `see ${legMarker('a')} here`, state: 'open', closedAt: null }], 'a', undefined],
  ]
  for (const [name, issues, legName, expected] of rows) test(name, () => assert.equal(findLegIssue(issues, legName)?.number, expected))
})

describe('titles', () => {
  const l = leg('incompatible', { history: withHistory({ lastGoodVersion: '0.7.1', firstBadVersion: '0.7.2.dev1' }) })
  const rows: [string, string][] = [
    [DEFAULT_TITLE_TEMPLATE, 'llama-stack dev: incompatible since 2026-04-20'],
    ['{leg}: {outcome} on {version}', 'llama-stack-dev: incompatible on 0.7.2.dev20260423'],
    ['{package} broke between {last_good} and {first_bad}', 'llama-stack broke between 0.7.1 and 0.7.2.dev1'],
    ['{channel} {failing_since}', 'dev 2026-04-20'],
  ]
  for (const [template, title] of rows) test(template, () => assert.equal(renderTitle(template, l, { date: '2026-04-20' }), title))
  test('unknown placeholders are named', () => {
    assert.deepEqual(unknownPlaceholders('{package} {when} {Version}'), ['when', 'Version'])
    assert.deepEqual(unknownPlaceholders(DEFAULT_TITLE_TEMPLATE), [])
  })
  test('at most 256 characters', () => assert.equal([...renderTitle('{leg} '.repeat(40), leg('incompatible', { leg: 'x'.repeat(20) }), { date: '' })].length, 256))
})

describe('capMarkdown', () => {
  const rows: [string, string, number, RegExp[]][] = [
    ['short text is unchanged', 'hello', 100, [/^hello$/]],
    ['cut inside <pre> inside <details>', `<details><summary>log</summary>\n\n<pre>${'a'.repeat(500)}</pre>\n\n</details>\nafter`, 300, [/a<\/pre>\n\n<\/details>\n/]],
    ['cut inside a ``` fence', `text\n\n\`\`\`\n${'code\n'.repeat(100)}\`\`\`\n`, 250, [/\nco(de?)?\n```\n/]],
    ['cut inside two nested <details>', `<details>\n\n<details>\n\n${'x'.repeat(400)}\n</details>\n</details>`, 250, [/x\n<\/details>\n\n<\/details>\n/]],
    ['never half an entity', `<pre>${'&amp;'.repeat(100)}</pre>`, 200, [/(&amp;)+<\/pre>/]],
  ]
  for (const [name, md, limit, expected] of rows) {
    test(name, () => {
      const out = capMarkdown(md, limit)
      assert.ok(out.length <= limit, `${out.length} > ${limit}`)
      for (const re of expected) assert.match(out, re)
      for (const [open, close] of [
        ['<details>', '</details>'],
        ['<pre>', '</pre>'],
      ] as const)
        assert.equal(out.split(open).length, out.split(close).length, `${open} balanced`)
      assert.equal((out.match(/^```/gm) ?? []).length % 2, 0, 'fences balanced')
      if (md.length > limit) assert.match(out, /cut to stay under GitHub's size limit/)
    })
  }
  test('never half a surrogate pair', () => {
    const out = capMarkdown('😀'.repeat(200), 150)
    assert.doesNotMatch(out, /[\uD800-\uDBFF](?![\uDC00-\uDFFF])/)
  })
})

describe('bodies', () => {
  test('hostile log text stays text', () => {
    const hostile = '</pre></details><script>alert(1)</script>\n## Heading\n<!-- compat-sentinel:leg=other -->'
    const body = renderBody(
      leg('incompatible', { replay: { result: 'failure', exitCode: 1, durationMs: 1, logTail: hostile }, reason: 'x | y <b>' }),
      { since: { date: '2026-04-20', version: '' } },
      failingState(),
    )
    assert.doesNotMatch(body, /<script>/)
    assert.match(body, /\| Reason \| x &#124; y &lt;b&gt; \|/)
    assert.equal(findLegIssue([{ number: 1, title: '', body, state: 'open', closedAt: null }], 'other'), undefined, 'a log line cannot claim another leg')
  })
  test('the decisive line: of the phase that failed last, shown unless the reason quotes it', () => {
    const rec = (logTail: string) => leg('incompatible', { record: { result: 'failure', exitCode: 1, durationMs: 1, logTail } })
    assert.equal(failingLine(rec('collected 3\nE   KeyError: choices\nFAILED test_chat - KeyError: choices\n1 failed, 2 passed')), 'FAILED test_chat - KeyError: choices')
    assert.equal(
      failingLine(rec("PASS a\nFAIL test_reply: no 'reply' in ['answer']\nmake: *** [Makefile:12: record] Error 1")),
      "FAIL test_reply: no 'reply' in ['answer']",
      "make's own line says less",
    )
    assert.equal(
      failingLine(
        leg('incompatible', {
          replay: { result: 'failure', exitCode: 1, durationMs: 1, logTail: 'ok\nRuntimeError: boom' },
          record: { result: 'skipped', exitCode: null, durationMs: 0, logTail: '' },
        }),
      ),
      'RuntimeError: boom',
      'the replay when record did not run',
    )
    assert.equal(failingLine(leg('compatible')), '')
    const quoted = leg('incompatible', { reason: "replay failed (exit 2); record failed (exit 1): KeyError: 'choices'" })
    assert.doesNotMatch(renderBody(quoted, { since: { date: '', version: '' } }, failingState()), /Decisive line/)
    assert.match(renderBody(leg('incompatible'), { since: { date: '', version: '' } }, failingState()), /\*\*Decisive line\*\*\n\n<pre>KeyError: 'choices'<\/pre>/)
  })
  test('huge tails: under the cap, verdict and markers kept, ends of the tails kept', () => {
    const tail = `${'log line\n'.repeat(20_000)}THE END`
    const body = renderBody(
      leg('incompatible', { replay: { result: 'failure', exitCode: 1, durationMs: 1, logTail: tail }, record: { result: 'failure', exitCode: 1, durationMs: 1, logTail: tail } }),
      { since: { date: '2026-04-20', version: '' } },
      failingState(),
    )
    assert.ok(body.length <= BODY_LIMIT, `${body.length}`)
    assert.equal(body.match(/THE END/g)?.length, 2, 'in both tails')
    assert.match(body, /^## ❌/)
    assert.ok(body.endsWith(`${legMarker('llama-stack-dev')}\n<!-- compat-sentinel:state ${JSON.stringify(failingState())} -->\n`))
  })
  test('a huge reason alone is still capped', () => {
    const body = renderBody(leg('incompatible', { reason: 'r'.repeat(200_000) }), { since: { date: '', version: '' } }, failingState())
    assert.ok(body.length <= BODY_LIMIT)
  })
})
