// Where a JSON text first stops being JSON, found in one pass. V8's JSON.parse messages quote the
// text itself ("Unexpected token 'x', "...<!channel>..." is not valid JSON"): index text must
// never reach a message, so the parser's error is replaced by this offset.

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't'])
const HEX4 = /^[0-9a-fA-F]{4}$/

type Want = 'value' | 'value-or-end' | 'key' | 'key-or-end' | 'colon' | 'comma-or-end' | 'done'

/** End of the string starting at `i` (a `"`), or the negated offset of its error minus one. */
function stringEnd(text: string, i: number): number {
  for (let j = i + 1; j < text.length; ) {
    const c = text.charCodeAt(j)
    if (c === 0x22) return j + 1
    if (c < 0x20) return -j - 1
    if (c !== 0x5c) {
      j++
      continue
    }
    const e = text[j + 1]
    if (e === 'u') {
      if (!HEX4.test(text.slice(j + 2, j + 6))) return -(j + 1) - 1
      j += 6
    } else if (e !== undefined && ESCAPES.has(e)) {
      j += 2
    } else {
      return -(j + 1) - 1
    }
  }
  return -text.length - 1
}

/** The character offset of the first syntax error in `text`, or -1 when it is valid JSON. */
export function jsonErrorOffset(text: string): number {
  const stack: string[] = []
  let want = 'value' as Want
  let i = 0
  const afterValue = (): Want => (stack.length ? 'comma-or-end' : 'done')
  for (;;) {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++
    if (i >= text.length) return want === 'done' ? -1 : text.length
    const c = text[i]!
    if (want === 'done') return i
    if (want === 'colon') {
      if (c !== ':') return i
      i++
      want = 'value'
      continue
    }
    if (want === 'comma-or-end') {
      const top = stack.at(-1)
      if (c === ',') {
        i++
        want = top === '{' ? 'key' : 'value'
      } else if ((c === '}' && top === '{') || (c === ']' && top === '[')) {
        stack.pop()
        i++
        want = afterValue()
      } else {
        return i
      }
      continue
    }
    if ((want === 'key-or-end' && c === '}') || (want === 'value-or-end' && c === ']')) {
      stack.pop()
      i++
      want = afterValue()
      continue
    }
    if (want === 'key' || want === 'key-or-end') {
      if (c !== '"') return i
      const end = stringEnd(text, i)
      if (end < 0) return -end - 1
      i = end
      want = 'colon'
      continue
    }
    // A value.
    if (c === '{' || c === '[') {
      stack.push(c)
      i++
      want = c === '{' ? 'key-or-end' : 'value-or-end'
      continue
    }
    if (c === '"') {
      const end = stringEnd(text, i)
      if (end < 0) return -end - 1
      i = end
      want = afterValue()
      continue
    }
    const literal = ['true', 'false', 'null'].find((l) => text.startsWith(l, i))
    if (literal) {
      i += literal.length
      want = afterValue()
      continue
    }
    NUMBER.lastIndex = i
    if (!NUMBER.test(text)) return i
    i = NUMBER.lastIndex
    want = afterValue()
  }
}
