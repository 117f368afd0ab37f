// The leg's memory, pure parts: what past runs say about this one, the stored file read as the
// untrusted input it is, the cache key prefix, leg names, and the result file reader (@1 and @2).
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import * as path from 'node:path'
import {
  HISTORY_FILE_LIMIT,
  HISTORY_SCHEMA,
  MAX_ENTRIES,
  computeHistory,
  formatFailingSince,
  historyKeyPrefix,
  parseHistory,
  serializeHistory,
  type HistoryEntry,
  type NotifyOn,
} from '../src/core/history'
import { defaultLeg } from '../src/core/names'
import { parseResultFile } from '../src/core/result-file'
import { combine, legKeys } from '../src/core/combine'
import { historySection } from '../src/core/summary'
import type { Outcome } from '../src/core/vocabulary'
import { resultOf } from './harness/results'

const C = 'compatible'
const I = 'incompatible'
const N = 'needs-recording'
const E = 'error'

/** Runs one a day from 2026-04-01, the Nth testing version 0.1.devN. */
function runs(outcomes: Outcome[]): HistoryEntry[] {
  return outcomes.map((outcome, i) => ({
    version: `0.1.dev${i + 1}`,
    outcome,
    date: new Date(Date.UTC(2026, 3, i + 1, 6, 30)).toISOString(),
    runUrl: `https://github.com/org/repo/actions/runs/${i + 1}`,
    sha256: String(i % 10).repeat(64),
    uploadTime: new Date(Date.UTC(2026, 3, i + 1, 1)).toISOString(),
  }))
}

describe('what the past runs say about this one', () => {
  // past outcomes, this outcome → previous, changed, failing since (day, version, runs), last good, first bad, notify by change/failure/always
  const cases: [Outcome[], Outcome, string, boolean, string, string, string, [boolean, boolean, boolean]][] = [
    [[], C, '', false, '', '0.1.dev1', '', [true, false, true]],
    [[], I, '', false, '2026-04-01 (0.1.dev1) x1', '', '0.1.dev1', [true, true, true]],
    [[C], C, C, false, '', '0.1.dev2', '', [false, false, true]],
    [[C, C], I, C, true, '2026-04-03 (0.1.dev3) x1', '0.1.dev2', '0.1.dev3', [true, true, true]],
    [[C, C, I], I, I, false, '2026-04-03 (0.1.dev3) x2', '0.1.dev2', '0.1.dev3', [false, true, true]],
    [[C, C, I, I], C, I, true, '', '0.1.dev5', '', [true, false, true]],
    // error and needs-recording break the compatible streak too; the streak starts at the first of them
    [[C, E, N], I, N, true, '2026-04-02 (0.1.dev2) x3', '0.1.dev1', '0.1.dev2', [true, true, true]],
    [[I, I], I, I, false, '2026-04-01 (0.1.dev1) x3', '', '0.1.dev1', [false, true, true]],
    [[N], N, N, false, '2026-04-01 (0.1.dev1) x2', '', '0.1.dev1', [false, true, true]],
  ]
  for (const [pastOutcomes, now, previous, changed, failing, lastGood, firstBad, notify] of cases) {
    test(`${pastOutcomes.join(',') || '(first run)'} then ${now}`, () => {
      const all = runs([...pastOutcomes, now])
      const current = all.pop()!
      const modes: NotifyOn[] = ['change', 'failure', 'always']
      const [h, ...others] = modes.map((m) => computeHistory(all, current, m))
      assert.equal(h!.available, pastOutcomes.length > 0)
      assert.equal(h!.previousOutcome, previous)
      assert.equal(h!.previousVersion, pastOutcomes.length ? `0.1.dev${pastOutcomes.length}` : '')
      assert.equal(h!.statusChanged, changed)
      assert.equal(h!.failingSince ? `${formatFailingSince(h!.failingSince)} x${h!.failingSince.runs}` : '', failing)
      assert.equal(h!.lastGoodVersion, lastGood)
      assert.equal(h!.firstBadVersion, firstBad)
      assert.deepEqual(
        [h!, ...others].map((x) => x.notify),
        notify,
      )
      assert.equal(h!.recent.at(-1)!.version, current.version, 'this run is the newest of the recent runs')
    })
  }

  test('recent holds the newest 14 runs, oldest first, without the sha256', () => {
    const all = runs(Array.from({ length: 30 }, (_, i) => (i % 3 ? C : I)))
    const current = all.pop()!
    const h = computeHistory(all, current, 'change')
    assert.equal(h.recent.length, 14)
    assert.deepEqual(
      h.recent.map((r) => r.version),
      all
        .slice(-13)
        .map((r) => r.version)
        .concat(current.version),
    )
    assert.deepEqual(Object.keys(h.recent[0]!).sort(), ['date', 'outcome', 'runUrl', 'uploadTime', 'version'])
  })
})

describe('the stored history, read as untrusted input', () => {
  const id = { package: 'llama-stack', leg: 'llama-stack-dev' }
  const good = runs([C, I])

  test('what is written is read back', () => {
    const text = serializeHistory(id, good.slice(0, 1), good[1]!)
    assert.deepEqual(parseHistory(text, id), { ok: true, entries: good, probes: [], dropped: 0 })
  })

  test(`the store keeps the newest ${MAX_ENTRIES} runs`, () => {
    const many = runs(Array.from({ length: 130 }, () => C))
    const parsed = parseHistory(serializeHistory(id, many.slice(0, -1), many.at(-1)!), id)
    assert.ok(parsed.ok)
    assert.equal(parsed.entries.length, MAX_ENTRIES)
    assert.equal(parsed.entries.at(-1)!.version, '0.1.dev130')
  })

  const wrap = (runsValue: unknown, over: Record<string, unknown> = {}) => JSON.stringify({ schema: HISTORY_SCHEMA, ...id, runs: runsValue, ...over })
  const refused: [string, string, RegExp][] = [
    ['not JSON', '{"schema": ', /not JSON/],
    ['an array', '[]', /not a JSON object/],
    ['another schema', wrap(good, { schema: 'compat-sentinel/history@9' }), /schema is "compat-sentinel\/history@9"/],
    ['another leg', wrap(good, { leg: 'llama-stack-stable' }), /another leg/],
    ['no runs', wrap('lots'), /no list of runs/],
    ['larger than the cap', wrap(good, { padding: 'x'.repeat(HISTORY_FILE_LIMIT) }), /larger than 1048576 bytes/],
  ]
  for (const [name, text, problem] of refused) {
    test(`${name}: refused, saying why`, () => {
      const parsed = parseHistory(text, id)
      assert.equal(parsed.ok, false)
      assert.match((parsed as { problem: string }).problem, problem)
    })
  }

  const bad: [string, Partial<Record<keyof HistoryEntry, unknown>>][] = [
    ['an unknown outcome', { outcome: 'fine' }],
    ['markdown in the version', { version: '1.0 | <script>' }],
    ['a javascript: run URL', { runUrl: 'javascript:alert(1)' }],
    ['a run URL with a closing parenthesis', { runUrl: 'https://x/a)[b](https://evil' }],
    ['a date that is not ISO 8601', { date: 'yesterday' }],
    ['a sha256 that is not hex', { sha256: 'z'.repeat(64) }],
    ['a number for the upload time', { uploadTime: 5 }],
  ]
  for (const [name, change] of bad) {
    test(`a run with ${name} is dropped, the others kept`, () => {
      const parsed = parseHistory(wrap([good[0], { ...good[1], ...change }]), id)
      assert.deepEqual(parsed, { ok: true, entries: [good[0]], probes: [], dropped: 1 })
    })
  }
})

describe('leg identity', () => {
  const legs: [string, string, string, string][] = [
    ['llama-stack', 'dev', '', 'llama-stack-dev'],
    ['llama-stack', 'dev', 'Linux', 'llama-stack-dev'],
    ['llama-stack', 'dev', 'macOS', 'llama-stack-dev-macos'],
    ['llama-stack', 'stable', 'Windows', 'llama-stack-stable-windows'],
    ['', '', '', 'unknown-unknown'],
  ]
  for (const [pkg, channel, os, leg] of legs) test(`default leg of ${pkg || '?'} ${channel || '?'} on ${os || 'no runner'}: ${leg}`, () => assert.equal(defaultLeg(pkg, channel, os), leg))

  test('history key prefixes: one per package, leg and index, none the start of another', () => {
    const variants = [
      ['llama-stack', 'llama-stack-dev', 'https://test.pypi.org/simple/'],
      ['llama-stack', 'llama-stack-dev-macos', 'https://test.pypi.org/simple/'],
      ['llama-stack', 'llama-stack-stable', 'https://test.pypi.org/simple/'],
      ['llama-stack', 'llama-stack-dev', 'https://pypi.org/simple/'],
      ['llama-stack-client', 'llama-stack-dev', 'https://test.pypi.org/simple/'],
    ] as const
    const prefixes = variants.map(([p, l, u]) => historyKeyPrefix(p, l, u))
    assert.equal(historyKeyPrefix(...variants[0]), prefixes[0], 'stable across runs')
    for (const p of prefixes) assert.match(p, /^compat-sentinel-history-v1-[0-9a-f]{16}-$/)
    for (const a of prefixes) for (const b of prefixes) if (a !== b) assert.ok(!b.startsWith(a))
    assert.equal(new Set(prefixes).size, prefixes.length)
  })

  const keyCases: [string, { channel: string; leg: string }[], string[]][] = [
    [
      'own channels: channel keys',
      [
        { channel: 'stable', leg: 'x-stable' },
        { channel: 'dev', leg: 'x-dev' },
      ],
      ['stable_summary', 'dev_summary'],
    ],
    [
      'shared channel: leg keys',
      [
        { channel: 'dev', leg: 'x-dev' },
        { channel: 'dev', leg: 'x-dev-macos' },
      ],
      ['x_dev_summary', 'x_dev_macos_summary'],
    ],
    [
      'same leg twice: counted, not lost',
      [
        { channel: 'dev', leg: 'x-dev' },
        { channel: 'dev', leg: 'x-dev' },
      ],
      ['x_dev_summary', 'x_dev_2_summary'],
    ],
  ]
  for (const [name, legs, keys] of keyCases) test(`report keys, ${name}`, () => assert.deepEqual(legKeys(legs), keys))
})

describe('result files of either schema', () => {
  const v1 = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, 'fixtures', 'result-v1.json'), 'utf8'))

  test('an @1 file written by the action before @2: read, its @2 fields defaulted', () => {
    const parsed = parseResultFile(v1)
    assert.ok(parsed.ok)
    const r = parsed.result
    assert.equal(r.outcome, 'needs-recording')
    assert.equal(r.leg, 'demo-upstream-dev')
    assert.equal(r.flaky, false)
    assert.equal(r.install.result, 'skipped')
    assert.deepEqual(r.build, { sha256: '', uploadTime: '' })
    assert.equal(r.history.available, false)
    assert.equal(r.history.notify, true, 'a leg that remembers nothing cannot say nothing changed')
    assert.equal(r.bisect, null)
    assert.equal(r.fixtureDiff, null)
    assert.equal(r.fixturesPatch, '')
    assert.deepEqual(r.provenance, { status: '', publisher: '', detail: '' })
  })

  test('an @2 file keeps its fields; a malformed history is defaulted, not trusted', () => {
    const history = computeHistory(runs([C]), runs([C, I])[1]!, 'change')
    const r2 = resultOf('incompatible', { leg: 'dev-py312', history, flaky: true })
    assert.deepEqual(parseResultFile(JSON.parse(JSON.stringify(r2))), { ok: true, result: r2 })
    const broken = parseResultFile({ ...r2, history: { ...history, recent: 'many' } })
    assert.ok(broken.ok)
    assert.equal(broken.result.history.available, false)
  })

  test('a result of an unknown schema is refused', () => {
    const parsed = parseResultFile({ ...v1, schema: 'compat-sentinel/result@3' })
    assert.deepEqual(parsed, { ok: false, problem: 'its schema is "compat-sentinel/result@3", not "compat-sentinel/result@2" or "compat-sentinel/result@1"' })
  })

  test('the report over legs with and without history: notify, changed legs, per-leg keys', () => {
    const changedDev = resultOf('incompatible', { history: computeHistory(runs([C, C]), runs([C, C, I])[2]!, 'change') })
    const quietStable = resultOf('compatible', { channel: 'stable', history: computeHistory(runs([C]), runs([C, C])[1]!, 'change') })
    const quiet = combine([quietStable, resultOf('incompatible', { history: computeHistory(runs([C, I]), runs([C, I, I])[2]!, 'change') })], quietStable.run)
    assert.equal(quiet.notify, false)
    assert.equal(quiet.slack.changed_legs, '')
    assert.equal(quiet.slack.dev_failing_since, '2026-04-02 (0.1.dev2)')
    assert.equal(quiet.slack.stable_previous_status, 'compatible')
    const legMissing = combine([quietStable], quietStable.run, { count: 2 })
    assert.equal(legMissing.notify, true, 'a leg that never reported is news, however quiet the others')

    const c = combine([quietStable, changedDev], quietStable.run)
    assert.equal(c.notify, true)
    assert.equal(c.slack.changed_legs, 'dev: compatible → incompatible')
    assert.equal(c.slack.dev_previous_status, 'compatible')
    assert.equal(c.slack.dev_failing_since, '2026-04-03 (0.1.dev3)')
    assert.match(c.table, /\| ❌ \| llama-stack-dev \| .* \| was ✅ compatible; failing since 2026-04-03 \(0\.1\.dev3\), 1 run \|/)

    const withV1 = combine([quietStable, (parseResultFile(v1) as { result: any }).result], quietStable.run)
    assert.equal(withV1.notify, true, 'an @1 leg counts as news')
    assert.equal(withV1.slack.dev_previous_status, '')
    assert.match(withV1.table, /\| 🟡 \| demo-upstream-dev \| demo-upstream \| .* \| — \|\n/)
  })
})

describe('the History section of the job summary', () => {
  test('strip, failing since, the runs folded with build dates', () => {
    const past = runs([C, C, I, I])
    const current = runs([C, C, I, I, I])[4]!
    const md = historySection(computeHistory(past, current, 'change'))
    assert.match(md, /^✅ ✅ ❌ ❌ ❌ \(last 5 runs, oldest first\)$/m)
    assert.match(md, /^- failing since 2026-04-03 \(0\.1\.dev3, 3 runs\)$/m)
    assert.match(md, /^- last good version: 0\.1\.dev2$/m)
    assert.match(md, /<details><summary>Last 5 runs \(newest first\)<\/summary>/)
    assert.match(md, /\| ❌ \| 2026-04-05 06:30 \| 0\.1\.dev5 \(built 2026-04-05\) \| \[run\]\(https:\/\/github\.com\/org\/repo\/actions\/runs\/5\) \|/)
  })

  test('a new build of the same version says so, with both build dates', () => {
    const [a, b] = runs([C, I])
    const md = historySection(computeHistory([{ ...a!, version: '2.3.0.dev0' }], { ...b!, version: '2.3.0.dev0' }, 'change'))
    assert.match(md, /new build of 2\.3\.0\.dev0: built 2026-04-02, the previous run tested the build of 2026-04-01/)
    assert.match(md, /changed: ✅ compatible → ❌ incompatible/)
  })

  test('nothing remembered: said in one line', () => {
    assert.match(historySection(computeHistory([], runs([C])[0]!, 'change')), /No earlier run of this leg is remembered/)
  })
})
