// Splits a PEP 691 page into its `files` entries as the bytes arrive, so that a page of 100,000
// files is never held whole, as text or as one object graph. Each entry (an object in the
// top-level `files` array) is handed over as its own bytes, for JSON.parse; everything else
// stays in a "skeleton" (the page with each entry replaced by `0`), parsed once at the end,
// which checks the syntax around the entries and gives the rest of the page.
//
// Written here rather than taken from a streaming JSON library: the one measured
// (@streamparser/json) tokenizes every character in JavaScript and allocates per token, taking
// 2.6x as long and 2.5x the memory on a 100,000-file page; this only looks for quotes and
// brackets, and leaves parsing to the engine's own JSON.parse.

const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d
const COMMA = 0x2c
const COLON = 0x3a
const FILES = Buffer.from('files')
const ZERO = Buffer.from('0')

export class JsonPageSplitter {
  private depth = 0
  private inString = false
  private escaped = false
  /** The string being read at depth 1 (a key or a value), while it can still be `files`. */
  private key: number[] | null = null
  /** Whether the last string completed at depth 1 was `files`. */
  private lastKey = ''
  /** Depth 1 key just read and its colon seen: the next value belongs to it. */
  private valueOf = ''
  /** Inside the first top-level `files` array (depth 2 is its level). */
  private inFiles = false
  private filesSeen = 0
  /** The skeleton's bytes so far, in one growing buffer (not one small Buffer per entry). */
  private skeleton = Buffer.allocUnsafe(64 * 1024)
  private skeletonBytes = 0
  private entry: Buffer[] | null = null

  /** `onEntry` gets each entry's bytes, often a view of the chunk being written: valid only during the call. */
  constructor(private readonly onEntry: (json: Buffer) => void) {}

  /** How many top-level `files` keys the page has: with more than one, the last wins (as JSON.parse). */
  get filesKeys(): number {
    return this.filesSeen
  }

  write(chunk: Uint8Array): void {
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    // Where the current run of skeleton bytes or entry bytes started in this chunk.
    let from = 0
    for (let i = 0; i < buf.length; i++) {
      const c = buf[i]!
      if (this.inString) {
        if (this.escaped) this.escaped = false
        else if (c === BACKSLASH) this.escaped = true
        else if (c === QUOTE) {
          this.inString = false
          if (this.depth === 1 && !this.entry) this.lastKey = this.key && Buffer.from(this.key).equals(FILES) ? 'files' : '-'
          this.key = null
        } else if (this.key) {
          // Longer than "files" (or escaped, which the skeleton's parse still reads right): another key.
          if (this.key.length < FILES.length && c !== BACKSLASH) this.key.push(c)
          else this.key = null
        }
        continue
      }
      if (c === QUOTE) {
        this.inString = true
        if (this.depth === 1 && !this.entry) this.key = []
        continue
      }
      if (this.depth === 1 && c === COLON) {
        this.valueOf = this.lastKey
        continue
      }
      if (this.depth === 1 && c === COMMA) {
        this.valueOf = ''
        continue
      }
      if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        if (this.depth === 1 && c === OPEN_BRACKET && this.valueOf === 'files') {
          this.filesSeen++
          // Only the first `files` array is split; a later one stays in the skeleton.
          this.inFiles = this.filesSeen === 1
        }
        if (this.inFiles && this.depth === 2 && c === OPEN_BRACE) {
          this.append(buf, from, i)
          this.append(ZERO, 0, 1)
          this.entry = []
          from = i
        }
        this.depth++
        continue
      }
      if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        this.depth--
        if (this.entry && this.depth === 2) {
          // Most entries lie within one chunk: handed over as a view, without a copy.
          const last = buf.subarray(from, i + 1)
          this.onEntry(this.entry.length ? Buffer.concat([...this.entry, last]) : last)
          this.entry = null
          from = i + 1
        }
        if (this.depth === 1) this.inFiles = false
      }
    }
    // The rest of the chunk: copied, since the caller may reuse its buffer.
    if (this.entry) this.entry.push(Buffer.from(buf.subarray(from)))
    else this.append(buf, from, buf.length)
  }

  private append(buf: Buffer, start: number, end: number): void {
    const need = this.skeletonBytes + (end - start)
    if (need > this.skeleton.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.skeleton.length * 2))
      this.skeleton.copy(grown, 0, 0, this.skeletonBytes)
      this.skeleton = grown
    }
    buf.copy(this.skeleton, this.skeletonBytes, start, end)
    this.skeletonBytes = need
  }

  /** The page without its entries, as text (`"files":[0,0,…]`); an entry left open is a syntax error there. */
  skeletonText(): string {
    if (this.entry) {
      const open = Buffer.concat(this.entry)
      this.append(open, 0, open.length)
    }
    this.entry = null
    return this.skeleton.toString('utf8', 0, this.skeletonBytes)
  }
}
