// The bisection as a pure search: probes chosen, verdicts applied, skips, budgets, exactness.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { bisectOutcome, compareUrl, nextProbe, recordProbe, startBisection, type ProbeVerdict } from '../src/core/bisect'
import { releasesBetween } from '../src/core/versions'
import type { IndexFile } from '../src/core/simple-api'

const builds = (n: number) => Array.from({ length: n }, (_, i) => `1.0.0.dev${i + 1}`)

/** Runs the search against an oracle; returns the probed versions and the outcome. */
function search(candidates: string[], verdictOf: (v: string) => ProbeVerdict, maxProbes = Infinity) {
  const b = startBisection(candidates)
  const probed: string[] = []
  for (let i = nextProbe(b); i !== null && probed.length < maxProbes; i = nextProbe(b)) {
    probed.push(candidates[i]!)
    recordProbe(b, i, verdictOf(candidates[i]!))
  }
  return { probed, outcome: bisectOutcome(b, 'good', 'tested') }
}

test('12 builds, 3rd good, 12th tested, broken from the 8th: exact in at most ceil(log2(9)) probes', () => {
  const all = builds(12)
  const between = all.slice(3, 11) // the 4th..11th
  const { probed, outcome } = search(between, (v) => (all.indexOf(v) + 1 >= 8 ? 'bad' : 'good'))
  assert.equal(outcome.firstBadVersion, '1.0.0.dev8')
  assert.equal(outcome.lastGoodVersion, '1.0.0.dev7')
  assert.equal(outcome.exact, true)
  assert.ok(probed.length <= Math.ceil(Math.log2(9)), `probes: ${probed.join(', ')}`)
})

test('every break position among n candidates is found exactly, within ceil(log2(n+1)) probes', () => {
  for (let n = 0; n <= 17; n++) {
    const c = builds(n)
    for (let breakAt = 0; breakAt <= n; breakAt++) {
      const { probed, outcome } = search(c, (v) => (c.indexOf(v) >= breakAt ? 'bad' : 'good'))
      assert.equal(outcome.firstBadVersion, breakAt < n ? c[breakAt] : 'tested', `n=${n} break=${breakAt}`)
      assert.equal(outcome.lastGoodVersion, breakAt > 0 ? c[breakAt - 1] : 'good')
      assert.equal(outcome.exact, true)
      assert.ok(probed.length <= Math.ceil(Math.log2(n + 1)), `n=${n} break=${breakAt}: ${probed.length} probes`)
    }
  }
})

test('an uninstallable build is skipped and its neighbour probed instead', () => {
  const c = builds(7) // dev1..dev7; break at dev5; dev4 cannot install
  const { probed, outcome } = search(c, (v) => (v === '1.0.0.dev4' ? 'skip' : c.indexOf(v) >= 4 ? 'bad' : 'good'))
  assert.ok(probed.includes('1.0.0.dev4'))
  assert.equal(outcome.firstBadVersion, '1.0.0.dev5')
  assert.equal(outcome.lastGoodVersion, '1.0.0.dev3', 'dev4 says nothing, so dev3 is the last known good')
  assert.equal(outcome.exact, false)
  assert.deepEqual(outcome.untestable, ['1.0.0.dev4'])
})

test('a budget that runs out gives the narrowed range, not exact', () => {
  const c = builds(15)
  const { probed, outcome } = search(c, (v) => (c.indexOf(v) >= 11 ? 'bad' : 'good'), 2)
  assert.equal(probed.length, 2)
  assert.equal(outcome.exact, false)
  assert.ok(outcome.untested.length > 0)
  assert.ok(c.indexOf(outcome.lastGoodVersion) < 11 && c.indexOf(outcome.firstBadVersion) >= 11)
})

test('a probe outside the open range is refused', () => {
  const b = startBisection(builds(3))
  recordProbe(b, 1, 'bad')
  assert.throws(() => recordProbe(b, 2, 'good'), RangeError)
})

test('compare links fill both versions, URL-encoded; no template, no link', () => {
  assert.equal(compareUrl('https://github.com/o/r/compare/{good}...{bad}', '1.0+a', '1.1'), 'https://github.com/o/r/compare/1.0%2Ba...1.1')
  assert.equal(compareUrl('', '1', '2'), '')
})

test('candidates: strictly between, of the channel, not yanked, PEP 440 order (not string order)', () => {
  const f = (version: string, yanked: string | false = false): IndexFile =>
    ({ filename: `p-${version}.tar.gz`, url: `http://x/p-${version}.tar.gz`, version, sha256: 'a'.repeat(64), yanked }) as IndexFile
  const files = ['0.7.2.dev9', '0.10.0.dev1', '0.9.0', '0.8.0.dev3', '0.8.0.dev4', '0.10.0.dev2', '0.7.2.dev10'].map((v) => f(v))
  files.push(f('0.9.5.dev1', 'broken'))
  assert.deepEqual(
    releasesBetween(files, 'dev', '0.7.2.dev9', '0.10.0.dev2').map((r) => r.version),
    ['0.7.2.dev10', '0.8.0.dev3', '0.8.0.dev4', '0.10.0.dev1'],
  )
})
