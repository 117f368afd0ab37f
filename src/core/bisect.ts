// Which build broke a leg: a binary search over the builds between the last good version and the
// tested (bad) one. Pure: the stage asks for the next probe, runs it, and reports the verdict.
// A build that cannot be installed says nothing about the code: it is skipped, and the search
// goes on with its nearest neighbour.

export type ProbeVerdict = 'good' | 'bad' | 'skip'

export interface Bisection {
  /** Candidate versions between last good and bad, oldest first. */
  readonly candidates: readonly string[]
  /** Index of the newest known good build (-1: the last good version itself). */
  lo: number
  /** Index of the oldest known bad build (candidates.length: the tested version itself). */
  hi: number
  readonly skipped: Set<number>
}

export function startBisection(candidates: readonly string[]): Bisection {
  return { candidates, lo: -1, hi: candidates.length, skipped: new Set() }
}

/** The candidate to probe next (nearest the middle of the open range, not skipped), or null when done. */
export function nextProbe(b: Bisection): number | null {
  const mid = (b.lo + b.hi) / 2
  let best: number | null = null
  for (let i = b.lo + 1; i < b.hi; i++) {
    if (b.skipped.has(i)) continue
    if (best === null || Math.abs(i - mid) < Math.abs(best - mid)) best = i
  }
  return best
}

export function recordProbe(b: Bisection, index: number, verdict: ProbeVerdict): void {
  if (index <= b.lo || index >= b.hi) throw new RangeError(`probe ${index} is outside the open range (${b.lo}, ${b.hi})`)
  if (verdict === 'good') b.lo = index
  else if (verdict === 'bad') b.hi = index
  else b.skipped.add(index)
}

export interface BisectOutcome {
  firstBadVersion: string
  lastGoodVersion: string
  /** True when the good and bad builds are adjacent: nothing untested or uninstallable lies between. */
  exact: boolean
  /** Builds between the two that could not be installed (they may hold the break). */
  untestable: string[]
  /** Builds between the two never probed (the budget ran out). */
  untested: string[]
}

export function bisectOutcome(b: Bisection, lastGood: string, tested: string): BisectOutcome {
  const between = b.candidates.slice(b.lo + 1, b.hi)
  const untestable = between.filter((_, k) => b.skipped.has(b.lo + 1 + k))
  return {
    lastGoodVersion: b.lo < 0 ? lastGood : b.candidates[b.lo]!,
    firstBadVersion: b.hi >= b.candidates.length ? tested : b.candidates[b.hi]!,
    exact: between.length === 0,
    untestable,
    untested: between.filter((v) => !untestable.includes(v)),
  }
}

/** `https://github.com/org/repo/compare/{good}...{bad}` with the versions filled in (URL-encoded). */
export function compareUrl(template: string, good: string, bad: string): string {
  if (!template) return ''
  return template.replaceAll('{good}', encodeURIComponent(good)).replaceAll('{bad}', encodeURIComponent(bad))
}
