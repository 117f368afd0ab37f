// Parsers for the two forms of the simple repository API: PEP 691 JSON and PEP 503 HTML.
// Both are pure: a body in, a typed page or a typed IndexFormatError out, never anything else.
import { normalizeName } from './names'
import { JsonPageSplitter } from './json-page-splitter'
import { jsonErrorOffset } from './json-offset'

export interface IndexFile {
  filename: string
  /** Absolute URL, resolved against the page's own URL. */
  url: string
  sha256?: string
  /** PEP 592: false, or the reason given (may be empty). */
  yanked: false | string
  /** PEP 700, JSON only. */
  uploadTime?: Date
  /** PEP 700 `size` in bytes, JSON only: a download may not be longer. */
  size?: number
  /** The version spelled in the filename; null when the filename has none we can read. */
  version: string | null
  /** PEP 740: absolute URL of the file's provenance object; absent when the index publishes none. */
  provenanceUrl?: string
}

export interface ProjectPage {
  name: string
  files: IndexFile[]
}

export class IndexFormatError extends Error {
  override name = 'IndexFormatError'
}

// Filenames end up as paths in wheels-dir: accept only the characters distribution filenames use.
const SAFE_FILENAME = /^[A-Za-z0-9][A-Za-z0-9._+!-]*$/
const SDIST_EXTENSIONS = ['.tar.gz', '.zip', '.tar.bz2', '.tar.xz', '.tgz', '.tar']

/** The version in a wheel or sdist filename of `project`, or null. */
export function versionFromFilename(filename: string, project: string): string | null {
  return fileVersion(filename, normalizeName(project))
}

/** As versionFromFilename, with the project name already normalised (pages have thousands of files). */
function fileVersion(filename: string, want: string): string | null {
  if (!SAFE_FILENAME.test(filename) || filename.includes('..')) return null
  if (filename.endsWith('.whl')) {
    const parts = filename.slice(0, -4).split('-')
    if (parts.length !== 5 && parts.length !== 6) return null
    return normalizeName(parts[0]!) === want ? parts[1]! : null
  }
  const ext = SDIST_EXTENSIONS.find((e) => filename.toLowerCase().endsWith(e))
  if (!ext) return null
  const stem = filename.slice(0, -ext.length)
  // sdist names may contain '-' in the project part (old `llama-stack-0.1.0.tar.gz`).
  for (let i = stem.indexOf('-'); i > 0; i = stem.indexOf('-', i + 1)) {
    if (normalizeName(stem.slice(0, i)) === want) return stem.slice(i + 1) || null
  }
  return null
}

function resolveUrl(href: string, base: string): string | null {
  try {
    const u = new URL(href, base)
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.toString() : null
  } catch {
    return null
  }
}

function sha256FromFragment(url: string): { url: string; sha256?: string } {
  const hash = url.indexOf('#')
  if (hash < 0) return { url }
  const m = /(?:^|&)sha256=([0-9a-fA-F]{64})(?:&|$)/.exec(url.slice(hash + 1))
  return { url: url.slice(0, hash), sha256: m?.[1]?.toLowerCase() }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** One entry of a PEP 691 `files` list as the action keeps it, or null when it is not usable. */
function fileFromJson(f: unknown, pageUrl: string, want: string): IndexFile | null {
  if (!isObject(f) || typeof f.filename !== 'string' || typeof f.url !== 'string') return null
  const abs = resolveUrl(f.url, pageUrl)
  if (!abs) return null
  const fromFragment = sha256FromFragment(abs)
  const hashes = isObject(f.hashes) ? f.hashes : {}
  const sha = typeof hashes.sha256 === 'string' && /^[0-9a-fA-F]{64}$/.test(hashes.sha256) ? hashes.sha256.toLowerCase() : fromFragment.sha256
  const yanked = f.yanked === true ? '' : typeof f.yanked === 'string' ? f.yanked : false
  const uploaded = typeof f['upload-time'] === 'string' ? new Date(f['upload-time']) : undefined
  const size = typeof f.size === 'number' && Number.isSafeInteger(f.size) && f.size >= 0 ? f.size : undefined
  return {
    filename: f.filename,
    url: fromFragment.url,
    sha256: sha,
    yanked,
    uploadTime: uploaded && !Number.isNaN(uploaded.getTime()) ? uploaded : undefined,
    size,
    version: fileVersion(f.filename, want),
    provenanceUrl: typeof f.provenance === 'string' ? (resolveUrl(f.provenance, pageUrl) ?? undefined) : undefined,
  }
}

/** PEP 691 JSON, from the whole body. */
export function parseJsonPage(body: string, pageUrl: string, project: string): ProjectPage {
  let data: unknown
  try {
    data = JSON.parse(body)
  } catch {
    // Never the parser's message: it quotes the body, and index text stays out of messages.
    const at = jsonErrorOffset(body)
    const where = at < 0 ? '' : ` (syntax error at byte ${Buffer.byteLength(body.slice(0, at))} of ${Buffer.byteLength(body)})`
    throw new IndexFormatError(`the index answered with malformed JSON${where}`)
  }
  if (!isObject(data) || !Array.isArray(data.files)) {
    throw new IndexFormatError('the index answered JSON without a "files" list, which is not the PEP 691 simple API')
  }
  const want = normalizeName(project)
  const files: IndexFile[] = []
  for (const f of data.files) {
    const file = fileFromJson(f, pageUrl, want)
    if (file) files.push(file)
  }
  return { name: typeof data.name === 'string' ? data.name : project, files }
}

/** Pages up to this size are parsed whole (the engine's JSON.parse is fastest); larger ones as they arrive. */
export const WHOLE_BODY_BYTES = 8 * 1024 * 1024

/**
 * PEP 691 JSON as it arrives. A page up to `wholeBodyBytes` is parsed whole with parseJsonPage; a
 * larger one is split into its `files` entries (JsonPageSplitter), each parsed and reduced to an
 * IndexFile as soon as it is complete, so a page of 100,000 files never exists as one string or
 * one object graph. Either way the result is parseJsonPage's for the same bytes.
 */
export class JsonPageStream {
  private readonly files: IndexFile[] = []
  private readonly want: string
  private readonly splitter: JsonPageSplitter
  private whole: Uint8Array[] | null = []
  private receivedBytes = 0
  private badEntry = false

  constructor(
    private readonly pageUrl: string,
    private readonly project: string,
    /** 0 splits from the first byte: a page that declares itself large (and tests, on small pages). */
    private readonly wholeBodyBytes = WHOLE_BODY_BYTES,
  ) {
    this.want = normalizeName(project)
    this.splitter = new JsonPageSplitter((json) => {
      let value: unknown
      try {
        value = JSON.parse(json.toString('utf8'))
      } catch {
        this.badEntry = true
        return
      }
      const file = fileFromJson(value, this.pageUrl, this.want)
      if (file) this.files.push(file)
    })
  }

  write(chunk: Uint8Array): void {
    this.receivedBytes += chunk.byteLength
    if (this.whole) {
      this.whole.push(Buffer.from(chunk))
      if (this.receivedBytes <= this.wholeBodyBytes) return
      // Too large to keep whole: from here on, split.
      for (const kept of this.whole) this.splitter.write(kept)
      this.whole = null
      return
    }
    this.splitter.write(chunk)
  }

  end(): ProjectPage {
    if (this.whole) return parseJsonPage(Buffer.concat(this.whole).toString('utf8'), this.pageUrl, this.project)
    let data: unknown
    try {
      if (this.badEntry) throw new Error('an entry is not JSON')
      data = JSON.parse(this.splitter.skeletonText())
    } catch {
      // Never the parser's message: it quotes the body, and index text stays out of messages.
      throw new IndexFormatError(`the index answered with malformed JSON (a page of ${this.receivedBytes} bytes)`)
    }
    if (!isObject(data) || !Array.isArray(data.files)) {
      throw new IndexFormatError('the index answered JSON without a "files" list, which is not the PEP 691 simple API')
    }
    // The split entries are the page's, unless `files` came out of the skeleton with its entries
    // still in it (a second `files` key, which JSON.parse lets win, or an escaped key name).
    const unsplit = this.splitter.filesKeys !== 1 || data.files.some(isObject)
    const files = unsplit ? data.files.flatMap((f) => fileFromJson(f, this.pageUrl, this.want) ?? []) : this.files
    return { name: typeof data.name === 'string' ? data.name : this.project, files }
  }
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", '#39': "'" }
function unescapeHtml(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-zA-Z]+);/g, (all, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10)
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : all
    }
    return ENTITIES[e.toLowerCase()] ?? all
  })
}

function attributes(tag: string): Map<string, string | true> {
  const attrs = new Map<string, string | true>()
  const re = /([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g
  for (const m of tag.matchAll(re)) {
    const value = m[2] ?? m[3] ?? m[4]
    attrs.set(m[1]!.toLowerCase(), value === undefined ? true : unescapeHtml(value))
  }
  return attrs
}

/** The file name at the end of an absolute URL without fragment; a malformed %-escape is kept as it is. */
function lastPathSegment(url: string): string {
  const pathOnly = url.split('?')[0]!
  const raw = pathOnly.slice(pathOnly.lastIndexOf('/') + 1)
  try {
    return decodeURIComponent(raw)
  } catch {
    return raw
  }
}

/** `text` without its tags, in one pass (a `<` with no `>` after it ends the stripping, as a regex would). */
function stripTags(text: string): string {
  let out = ''
  let i = 0
  for (;;) {
    const lt = text.indexOf('<', i)
    if (lt < 0) return out + text.slice(i)
    const gt = text.indexOf('>', lt)
    if (gt < 0) return out + text.slice(i)
    out += text.slice(i, lt)
    i = gt + 1
  }
}

const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f'

/**
 * Start offsets of `<name` followed by whitespace, in `lower` (the page lower-cased), from `from`.
 * Every search moves forward, so a page is scanned a bounded number of times whatever it holds.
 */
function nextTag(lower: string, name: string, from: number): number {
  for (let i = lower.indexOf(`<${name}`, from); i >= 0; i = lower.indexOf(`<${name}`, i + 1)) {
    if (isSpace(lower[i + name.length + 1])) return i
  }
  return -1
}

/** The offset of the next `</a>` (spaces allowed before `>`) at or after `from`, and its end. */
function nextClose(lower: string, from: number): { at: number; end: number } | null {
  for (let i = lower.indexOf('</a', from); i >= 0; i = lower.indexOf('</a', i + 3)) {
    let j = i + 3
    while (isSpace(lower[j])) j++
    if (lower[j] === '>') return { at: i, end: j + 1 }
  }
  return null
}

/**
 * PEP 503 HTML: one anchor per file. A linear scan, not a regex: a hostile page of unclosed
 * tags or stray `<` must not cost quadratic time (the event loop, and cancellation, would stall).
 */
export function parseHtmlPage(body: string, pageUrl: string, project: string): ProjectPage {
  const files: IndexFile[] = []
  const want = normalizeName(project)
  // ASCII-only lower case: the same length as the body, so offsets line up (toLowerCase may not).
  const lower = body.replace(/[A-Z]+/g, (m) => m.toLowerCase())
  // A <base href> changes what relative links resolve against.
  let base = pageUrl
  const baseAt = nextTag(lower, 'base', 0)
  const baseEnd = baseAt < 0 ? -1 : body.indexOf('>', baseAt)
  if (baseEnd >= 0) {
    const href = attributes(body.slice(baseAt + 6, baseEnd)).get('href')
    base = (typeof href === 'string' && resolveUrl(href, pageUrl)) || pageUrl
  }
  // Every search starts where the last one ended; with no `>` or no `</a>` left, scanning stops.
  for (let at = nextTag(lower, 'a', 0); at >= 0; ) {
    const tagEnd = body.indexOf('>', at)
    if (tagEnd < 0) break
    const close = nextClose(lower, tagEnd + 1)
    if (!close) break
    const attrs = attributes(body.slice(at + 3, tagEnd))
    const inner = body.slice(tagEnd + 1, close.at)
    at = nextTag(lower, 'a', close.end)
    const href = attrs.get('href')
    if (typeof href !== 'string') continue
    const abs = resolveUrl(href, base)
    if (!abs) continue
    const { url, sha256 } = sha256FromFragment(abs)
    const text = unescapeHtml(stripTags(inner)).trim()
    const filename = text || lastPathSegment(url)
    const y = attrs.get('data-yanked')
    const prov = attrs.get('data-provenance')
    files.push({
      filename,
      url,
      sha256,
      yanked: y === undefined ? false : y === true ? '' : y,
      version: fileVersion(filename, want),
      provenanceUrl: typeof prov === 'string' ? (resolveUrl(prov, base) ?? undefined) : undefined,
    })
  }
  if (files.length === 0 && !/<html|<!doctype|<body|<a\s/i.test(body)) {
    throw new IndexFormatError('the index answered with something that is neither PEP 691 JSON nor PEP 503 HTML')
  }
  return { name: project, files }
}

export const SIMPLE_ACCEPT = 'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01'
