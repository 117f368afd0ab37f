// From the files a record run changed to `fixtureDiff`: parse each side, pair interactions by
// request identity, diff each pair. Pure: file contents come through `load`, one file at a time,
// so memory stays bounded by the largest file compared, not by the recordings folder.
import { changedPaths } from './paths'
import { identityKey, identityLabel, parseRecording } from './parse'
import { LIMITS, emptyFixtureDiff, type FixtureDiff, type Interaction, type InteractionChange, type ParsedRecording } from './types'

export type Side = 'before' | 'after'
/** A file's content, or why there is none to parse. */
export type Content = { text: string } | { skipped: string }
export interface FileChange {
  /** Relative to the fixtures folder, with `/`. */
  file: string
  change: 'added' | 'modified' | 'deleted'
}
export type Loader = (side: Side, file: string) => Promise<Content>

type Category = 'added' | 'removed' | 'requestChanged' | 'responseChanged'

/** Keeps at most `max` interactions; when full, a value-only change gives way to one that matters more. */
class Collector {
  readonly diff: FixtureDiff = emptyFixtureDiff()
  private kept: { category: Category; entry: InteractionChange }[] = []
  constructor(private readonly max: number) {}

  add(category: Category, entry: InteractionChange): void {
    this.diff.counts[category]++
    const minor = (e: InteractionChange, c: Category) => c === 'responseChanged' && e.shape.length === 0
    if (this.kept.length >= this.max) {
      this.diff.omittedInteractions++
      if (minor(entry, category)) return
      const i = this.kept.findLastIndex((k) => minor(k.entry, k.category))
      if (i < 0) return
      this.kept.splice(i, 1)
    }
    this.kept.push({ category, entry })
  }

  result(): FixtureDiff {
    for (const c of ['added', 'removed', 'requestChanged', 'responseChanged'] as const) this.diff[c] = this.kept.filter((k) => k.category === c).map((k) => k.entry)
    return this.diff
  }
}

function capped(paths: { shape: string[]; value: string[] }): Pick<InteractionChange, 'shape' | 'value' | 'omittedPaths'> {
  const max = LIMITS.maxPathsPerInteraction
  const shape = paths.shape.slice(0, max)
  const value = paths.value.slice(0, max - shape.length)
  return { shape, value, omittedPaths: paths.shape.length + paths.value.length - shape.length - value.length }
}

function single(rec: ParsedRecording, i: Interaction | undefined, file: string): InteractionChange {
  const entry: InteractionChange = { format: rec.format, file, identity: i ? identityLabel(i.identity, file) : file, shape: [], value: [], omittedPaths: 0 }
  if (rec.note) entry.note = rec.note
  return entry
}

/** Both sides of one interaction: request changed if any request field did, else response changed (or nothing). */
function comparePair(out: Collector, format: ParsedRecording['format'], a: Interaction, b: Interaction, file: string, previousFile?: string): void {
  const document = a.request === undefined && b.request === undefined
  const req = changedPaths('request', a.request, b.request)
  const res = changedPaths(document ? '' : 'response', a.response, b.response)
  const paths = { shape: [...req.shape, ...res.shape], value: [...req.value, ...res.value] }
  if (!paths.shape.length && !paths.value.length && !previousFile) return
  const entry: InteractionChange = { format, file, identity: identityLabel(b.identity, file), ...capped(paths) }
  if (previousFile) entry.previousFile = previousFile
  out.add(req.shape.length || req.value.length ? 'requestChanged' : 'responseChanged', entry)
}

function parse(file: string, content: Content): ParsedRecording {
  if ('skipped' in content) return { format: 'file', interactions: [], note: content.skipped }
  return parseRecording(file, content.text)
}

/** Interactions of one cassette before and after: the n-th call of an identity pairs with its n-th call after. */
function compareFile(out: Collector, file: string, before: ParsedRecording, after: ParsedRecording): void {
  if (before.format === 'file' || after.format === 'file') {
    out.add('responseChanged', single(before.format === 'file' ? before : after, undefined, file))
    return
  }
  const waiting = new Map<string, Interaction[]>()
  for (const i of before.interactions) {
    const k = identityKey(i.identity)
    waiting.set(k, [...(waiting.get(k) ?? []), i])
  }
  for (const b of after.interactions) {
    const a = waiting.get(identityKey(b.identity))?.shift()
    if (a) comparePair(out, after.format, a, b, file)
    else out.add('added', single(after, b, file))
  }
  for (const rest of waiting.values()) for (const a of rest) out.add('removed', single(before, a, file))
}

/** Small fingerprint of a request body: hashes of its leaves, to pair the closest of several same-identity calls. */
function fingerprint(v: unknown, path = '', into = new Set<number>()): Set<number> {
  if (typeof v === 'object' && v !== null) {
    for (const [k, child] of Object.entries(v)) fingerprint(child, `${path}/${k}`, into)
  } else {
    // FNV-1a over path=value: cheap, and collisions only make a pairing slightly less good.
    let h = 0x811c9dc5
    const s = `${path}=${String(v)}`
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
    into.add(h >>> 0)
  }
  return into
}

function similarity(a: Set<number>, b: Set<number>): number {
  let common = 0
  for (const x of a) if (b.has(x)) common++
  return common / Math.max(1, a.size + b.size - common)
}

interface Loose {
  file: string
  key: string
  /** The entry to report when it finds no partner. */
  alone: InteractionChange
  print: Set<number>
}

/** Pairs deleted with added Llama Stack recordings of the same call; the most similar requests first. */
function pairLoose(deleted: Loose[], added: Loose[]): [Loose, Loose][] {
  const candidates: { d: Loose; a: Loose; score: number }[] = []
  for (const d of deleted) for (const a of added) if (d.key === a.key) candidates.push({ d, a, score: similarity(d.print, a.print) })
  candidates.sort((x, y) => y.score - x.score || x.d.file.localeCompare(y.d.file) || x.a.file.localeCompare(y.a.file))
  const used = new Set<Loose>()
  const pairs: [Loose, Loose][] = []
  for (const c of candidates) {
    if (used.has(c.d) || used.has(c.a)) continue
    used.add(c.d)
    used.add(c.a)
    pairs.push([c.d, c.a])
  }
  return pairs
}

/**
 * The diff of a record run. `label` turns a file relative to the fixtures folder into the name
 * shown (relative to the repository, as the user wrote `fixtures-path`).
 */
export async function compareRecordings(changes: readonly FileChange[], load: Loader, label: (file: string) => string = (f) => f, max: number = LIMITS.maxInteractions): Promise<FixtureDiff> {
  const out = new Collector(max)
  out.diff.counts.files = changes.length
  const loose: Record<'deleted' | 'added', Loose[]> = { deleted: [], added: [] }
  const sorted = [...changes].sort((x, y) => x.file.localeCompare(y.file))

  for (const c of sorted) {
    const shown = label(c.file)
    if (c.change === 'modified') {
      compareFile(out, shown, parse(c.file, await load('before', c.file)), parse(c.file, await load('after', c.file)))
      continue
    }
    const rec = parse(c.file, await load(c.change === 'added' ? 'after' : 'before', c.file))
    const only = rec.interactions[0]
    if (rec.format === 'llama-stack' && only) {
      // Its name is a hash of the request: a changed request is a deleted file and an added one.
      const body = (only.request as { body?: unknown }).body
      loose[c.change].push({ file: c.file, key: identityKey(only.identity), alone: single(rec, only, shown), print: fingerprint(body) })
      continue
    }
    const category = c.change === 'added' ? 'added' : 'removed'
    if (rec.interactions.length === 0) out.add(category, single(rec, undefined, shown))
    for (const i of rec.interactions) out.add(category, single(rec, rec.format === 'json' || rec.format === 'yaml' ? undefined : i, shown))
  }

  const pairs = pairLoose(loose.deleted, loose.added)
  const paired = new Set(pairs.flat())
  for (const [d, a] of pairs) {
    const before = parse(d.file, await load('before', d.file))
    const after = parse(a.file, await load('after', a.file))
    if (before.interactions[0] && after.interactions[0]) comparePair(out, 'llama-stack', before.interactions[0], after.interactions[0], label(a.file), label(d.file))
  }
  for (const l of loose.deleted) if (!paired.has(l)) out.add('removed', l.alone)
  for (const l of loose.added) if (!paired.has(l)) out.add('added', l.alone)
  return out.result()
}

/** The sentence added to the run's reason when the patch was withheld. */
