// A bounded tail of a command's output: the last lines, ANSI-free and masked, whatever the size.
import { longestSecretForm, mask, safeCut } from './secrets'

// Every escape sequence a terminal understands, so none reaches a tail, a summary or Slack:
// CSI (ESC [ or the 8-bit 0x9b) with parameters; strings (OSC ESC ], DCS ESC P, SOS ESC X,
// PM ESC ^, APC ESC _) up to BEL or ST (unterminated, only the introducer goes); nF sequences (ESC, intermediates, a final byte);
// two-byte Fp/Fe/Fs escapes; and finally any ESC left on its own.
const ESCAPES = new RegExp(
  ['(?:\\x1b\\[|\\x9b)[0-?]*[ -/]*[@-~]', '(?:\\x1b[\\]PX^_]|[\\x90\\x98\\x9d\\x9e\\x9f])[^\\x07\\x1b\\x9c]*(?:\\x07|\\x1b\\\\|\\x9c)', '\\x1b[ -/]+[0-~]', '\\x1b[0-~]', '\\x1b'].join('|'),
  'g',
)

const stripAnsi = (s: string) => s.replace(ESCAPES, '')

export class LineSplitter {
  private partial = ''
  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxLine = 64 * 1024,
  ) {}

  push(chunk: string): void {
    const parts = (this.partial + chunk).split('\n')
    this.partial = parts.pop() ?? ''
    for (const p of parts) this.onLine(p)
    // A line that never ends must not grow without bound: cut it, but never inside a secret
    // (neither half would be masked), so hold back enough to see a whole one across the cut.
    const margin = longestSecretForm()
    while (this.partial.length > this.maxLine + margin) {
      const cut = safeCut(this.partial, this.maxLine) || this.maxLine + margin
      this.onLine(this.partial.slice(0, cut))
      this.partial = this.partial.slice(cut)
    }
  }

  flush(): void {
    if (this.partial) this.onLine(this.partial)
    this.partial = ''
  }
}

export class Tail {
  private lines: string[] = []
  private bytes = 0

  constructor(
    private readonly maxLines = 200,
    private readonly maxBytes = 64 * 1024,
  ) {}

  /** Takes one raw line (no newline). */
  add(raw: string): void {
    const line = mask(stripAnsi(raw).replace(/\r$/, '')).slice(0, this.maxBytes)
    this.lines.push(line)
    this.bytes += Buffer.byteLength(line) + 1
    while (this.lines.length > this.maxLines || (this.bytes > this.maxBytes && this.lines.length > 1)) {
      this.bytes -= Buffer.byteLength(this.lines.shift()!) + 1
    }
  }

  toString(): string {
    return this.lines.join('\n')
  }
}
