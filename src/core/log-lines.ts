// What a failed phase's output says, in one line: the decisive error line for the reason, and
// the installer's own words when uv or pip could not install the version under test.

// ESC [ ... final byte, ESC ] ... BEL/ST, and lone two-byte escapes (as io/tail strips them).
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g

/** Longest line quoted in a reason: enough for a Python exception, not a whole dump. */
export const DECISIVE_MAX = 200

// `Error` and `FAIL` are case-sensitive (so "errors=0" or "failed to" in a passing log does
// not count); only the `error:` prefix (`ERROR:`, `error:`) is matched in any case.
const errorLike = (line: string) => /Error|Exception|FAIL/.test(line) || /error:/i.test(line)

/** What make prints after the real failure (`make: *** [Makefile:9: test] Error 1`) says only that it failed. */
const wrapperLine = (line: string) => /^make(\[\d+\])?: \*\*\* /.test(line)

/** One line as it may be shown: ANSI stripped, masked, trimmed, at most DECISIVE_MAX characters. */
export function quotable(line: string, mask: (s: string) => string = (s) => s): string {
  const clean = mask(line.replace(ANSI, '').replace(/\r/g, '')).trim()
  return clean.length > DECISIVE_MAX ? `${clean.slice(0, DECISIVE_MAX - 1)}…` : clean
}

/**
 * The last line of `output` that looks like an error, ready to quote; '' when none does.
 * The last one, because a test runner's summary (`FAILED test_x - RuntimeError: ...`) and a
 * traceback's final line (the exception itself) both come at the end.
 */
export function decisiveLine(output: string, mask?: (s: string) => string): string {
  const lines = output.split('\n')
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = quotable(lines[i]!, mask)
    // Box-drawing and decoration alone (a rich traceback's frame) says nothing.
    if (errorLike(line) && /[A-Za-z]{3}/.test(line) && !wrapperLine(line)) return line
  }
  return ''
}

/**
 * uv's and pip's own words when they could not resolve, download or build what was asked for:
 * the command never got to test anything. Matched case-sensitively, as the tools print them.
 */
const INSTALLER_SIGNATURES = [
  // uv
  'No solution found when resolving',
  'Failed to download',
  'Failed to build',
  'Failed to fetch',
  // pip
  'ResolutionImpossible',
  'No matching distribution found',
] as const

/** The signature a line carries, if any. */
export function installerFailure(line: string): boolean {
  const clean = line.replace(ANSI, '')
  return INSTALLER_SIGNATURES.some((s) => clean.includes(s))
}
