// A structural diff of two values, reduced to field paths a reviewer can read:
// `response.body.choices[0].message.tool_calls: added`, `request.body.dimensions: 768 → 128`.
// microdiff does the walk: it is small, has no dependencies, and reports each difference with its
// path as an array (keys and indexes), which is exactly what these lines are made of.
import diff from 'microdiff'
import { LIMITS } from './types'

export interface PathChanges {
  shape: string[]
  value: string[]
}

function kind(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  if (v instanceof Uint8Array) return 'bytes'
  return typeof v
}

/** `.key` for plain keys, `["odd key"]` otherwise, `[3]` for indexes; `__data__` wrappers (Llama Stack's serialised pydantic objects) are left out. */
function formatPath(prefix: string, path: readonly (string | number)[]): string {
  let out = prefix
  for (const seg of path) {
    if (seg === '__data__') continue
    if (typeof seg === 'number') out += `[${seg}]`
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out ? `.${seg}` : seg
    else out += `[${JSON.stringify(seg)}]`
  }
  return out || '(document)'
}

function short(v: unknown): string {
  const s = typeof v === 'string' ? JSON.stringify(v) : String(v)
  return s.length > 60 ? `${s.slice(0, 57)}…` : s
}

const cut = (line: string) => (line.length > LIMITS.maxPathChars ? `${line.slice(0, LIMITS.maxPathChars - 1)}…` : line)

/**
 * Every difference between `before` and `after`, as lines under `prefix` (e.g. `response`).
 * Shape: keys added or removed, a value's type changed (and a `__type__` marker changed, which is
 * a serialised class name). Value: same type, other content.
 */
export function changedPaths(prefix: string, before: unknown, after: unknown): PathChanges {
  const out: PathChanges = { shape: [], value: [] }
  // microdiff compares containers; wrap both so that a changed root is a change at `prefix`.
  for (const d of diff({ v: before }, { v: after })) {
    const where = formatPath(prefix, d.path.slice(1))
    if (d.type === 'CREATE') out.shape.push(cut(`${where}: added`))
    else if (d.type === 'REMOVE') out.shape.push(cut(`${where}: removed`))
    else if (kind(d.oldValue) !== kind(d.value)) out.shape.push(cut(`${where}: ${kind(d.oldValue)} → ${kind(d.value)}`))
    else if (d.path.at(-1) === '__type__') out.shape.push(cut(`${where}: ${short(d.oldValue)} → ${short(d.value)}`))
    else out.value.push(cut(`${where}: ${short(d.oldValue)} → ${short(d.value)}`))
  }
  return out
}
