// A bounded tail of a command's output: the last lines, ANSI-free and masked, whatever the size.
import { mask } from './secrets'

// ESC [ ... final byte, ESC ] ... BEL/ST, and lone two-byte escapes.
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g

export const stripAnsi = (s: string) => s.replace(ANSI, '')

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
    // A line that never ends must not grow without bound: cut it.
    while (this.partial.length > this.maxLine) {
      this.onLine(this.partial.slice(0, this.maxLine))
      this.partial = this.partial.slice(this.maxLine)
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
  private dropped = 0

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
      this.dropped++
    }
  }

  toString(): string {
    return this.lines.join('\n')
  }
}
