// Property-based tests (fast-check): whatever an index sends, the parsers return a typed page or
// a typed IndexFormatError, and version selection only ever yields a valid, safe PEP 440 version.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { valid, compare } from '@renovatebot/pep440'
import { IndexFormatError, JsonPageStream, parseHtmlPage, parseJsonPage, type IndexFile } from '../src/core/simple-api'
import { selectForChannel } from '../src/core/versions'

const PAGE = 'https://index.example/simple/demo-upstream/'
const PROJECT = 'demo-upstream'
const RUNS = { numRuns: 500 }

/** Runs `parse`; anything thrown that is not an IndexFormatError fails the property. */
function typedOutcome(parse: () => { files: IndexFile[] }): IndexFile[] | 'format-error' {
  try {
    return parse().files
  } catch (e) {
    if (e instanceof IndexFormatError) return 'format-error'
    throw e
  }
}

// Strings that look like what indexes and attackers send: versions, shell syntax, markup.
const versionish = fc.oneof(
  fc.constantFrom('1.0', '0.10.0.dev1', '0.7.2.dev9', '1.0rc1.dev2', '2!1.0', '1.0.post1', '1.0+local', '1.0.DEV3', '1.0;touch pwned', '$(id)', '`id`', '1.0 && rm -rf ~', '', '..', '1.0\n2.0'),
  fc.stringMatching(/^[0-9]{1,3}(\.[0-9]{1,3}){0,3}((a|b|rc|\.dev|\.post)[0-9]{1,3})?$/),
  fc.string({ maxLength: 20 }),
)
const filename = fc.oneof(
  versionish.map((v) => `demo_upstream-${v}-py3-none-any.whl`),
  versionish.map((v) => `demo-upstream-${v}.tar.gz`),
  fc.string({ maxLength: 40 }),
)
const jsonFile = fc.record(
  {
    filename: fc.oneof(filename, fc.anything()),
    url: fc.oneof(fc.constant('../../files/x.whl'), fc.webUrl(), fc.string(), fc.anything()),
    hashes: fc.oneof(fc.record({ sha256: fc.oneof(fc.stringMatching(/^[0-9a-f]{64}$/), fc.string()) }), fc.anything()),
    yanked: fc.oneof(fc.boolean(), fc.string(), fc.anything()),
    'upload-time': fc.oneof(
      fc.date().map((d) => (Number.isNaN(d.getTime()) ? 'bad' : d.toISOString())),
      fc.string(),
      fc.anything(),
    ),
    'requires-python': fc.oneof(fc.string(), fc.anything()),
    provenance: fc.oneof(fc.constant(null), fc.constant('../../provenance/x.whl'), fc.constant('javascript:alert(1)'), fc.webUrl(), fc.string(), fc.anything()),
  },
  { requiredKeys: [] },
)
const jsonBody = fc.oneof(
  fc.record({ meta: fc.anything(), name: fc.anything(), files: fc.array(jsonFile, { maxLength: 12 }) }).map((o) => JSON.stringify(o)),
  // `files` as an object of entries: not PEP 691, whatever its entries look like.
  fc.dictionary(fc.string({ maxLength: 4 }), jsonFile, { maxKeys: 3 }).map((files) => JSON.stringify({ name: PROJECT, files })),
  fc.anything().map((o) => JSON.stringify(o) ?? 'undefined'),
  fc.string(),
)
const htmlBody = fc.oneof(
  fc
    .array(
      fc.tuple(
        fc.oneof(filename, fc.string()),
        fc.oneof(
          fc.constant(''),
          fc.constant(' data-yanked'),
          fc.string().map((s) => ` data-yanked="${s}"`),
        ),
        fc.string({ maxLength: 70 }),
      ),
      { maxLength: 12 },
    )
    .map((links) => `<html><body>${links.map(([f, y, frag]) => `<a href="../../files/${f}#sha256=${frag}"${y}>${f}</a>`).join('\n')}</body></html>`),
  fc.string(),
  fc.string().map((s) => `<a href="${s}">${s}</a>`),
  fc.constantFrom('<a href="%FF"></a>', '<a href="../%E0%A4%A.whl"></a>', '<a href="javascript:alert(1)">x.whl</a>', '<base href="::"><a href="x">y</a>'),
)

/** The properties every parsed page must have, whatever the body. */
function assertSafe(files: IndexFile[] | 'format-error'): void {
  if (files === 'format-error') return
  for (const f of files) {
    assert.equal(typeof f.filename, 'string')
    assert.ok(/^https?:\/\//.test(f.url), `only http(s) URLs: ${f.url}`)
    if (f.sha256 !== undefined) assert.match(f.sha256, /^[0-9a-f]{64}$/)
    if (f.provenanceUrl !== undefined) assert.ok(/^https?:\/\//.test(f.provenanceUrl), `only http(s) provenance URLs: ${f.provenanceUrl}`)
    if (f.version !== null) assert.match(f.filename, /^[A-Za-z0-9][A-Za-z0-9._+!-]*$/, 'a file with a version has a safe filename')
  }
  for (const channel of ['stable', 'dev', 'pre'] as const) {
    const chosen = selectForChannel(files, channel).chosen
    if (!chosen) continue
    assert.ok(valid(chosen.version), `chosen ${JSON.stringify(chosen.version)} is valid PEP 440`)
    assert.match(chosen.version, /^[A-Za-z0-9.!+_-]+$/, 'no shell metacharacters in a chosen version')
    assert.ok(
      chosen.files.some((f) => f.yanked === false),
      'never a yanked release (one whose files are all yanked)',
    )
  }
}

test('PEP 691 JSON parser: typed page or IndexFormatError, never unsafe', () => {
  fc.assert(
    fc.property(jsonBody, (body) => assertSafe(typedOutcome(() => parseJsonPage(body, PAGE, PROJECT)))),
    RUNS,
  )
})

test('PEP 503 HTML parser: typed page or IndexFormatError, never unsafe', () => {
  fc.assert(
    fc.property(htmlBody, (body) => assertSafe(typedOutcome(() => parseHtmlPage(body, PAGE, PROJECT)))),
    RUNS,
  )
})

test('PEP 691 JSON as it arrives, in any chunking: the same files as the whole-body parser, or IndexFormatError', () => {
  const streamed = (body: string, cuts: number[], wholeBodyBytes: number) => () => {
    const bytes = Buffer.from(body)
    const page = new JsonPageStream(PAGE, PROJECT, wholeBodyBytes)
    let at = 0
    for (const cut of [...cuts.map((c) => Math.floor(c * bytes.length)).sort((a, b) => a - b), bytes.length]) {
      page.write(bytes.subarray(at, Math.max(at, cut)))
      at = Math.max(at, cut)
    }
    return page.end()
  }
  const page = fc.record({ name: fc.anything(), files: fc.array(jsonFile, { maxLength: 6 }) })
  // Shapes a byte-level splitter could get wrong: pretty-printed, cut short, `files` twice (the
  // last wins), an escaped key, `files` as a value, a nested `files`.
  const tricky = fc.oneof(
    page.map((o) => JSON.stringify(o, null, 2)),
    fc.tuple(page, fc.double({ min: 0, max: 1, noNaN: true })).map(([o, at]) => {
      const text = JSON.stringify(o)
      return text.slice(0, Math.floor(text.length * at))
    }),
    fc.tuple(page, page).map(([a, b]) => `{"files":${JSON.stringify(a.files)},"name":"x","files":${JSON.stringify(b.files)}}`),
    page.map((o) => JSON.stringify(o).replace('"files"', '"fil\\u0065s"')),
    page.map((o) => `{"name":"files","meta":{"files":${JSON.stringify(o.files)}},"files":${JSON.stringify(o.files)}}`),
  )
  fc.assert(
    fc.property(fc.oneof(jsonBody, htmlBody, tricky), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }), (body, cuts) => {
      const whole = typedOutcome(() => parseJsonPage(body, PAGE, PROJECT))
      // Judged whole (small pages): exactly parseJsonPage's verdict.
      assert.deepEqual(typedOutcome(streamed(body, cuts, 1024 * 1024)), whole)
      // Streamed: the same files whenever there are any; a page with none is an error or empty.
      const stream = typedOutcome(streamed(body, cuts, 0))
      assertSafe(stream)
      if (whole !== 'format-error' && whole.length > 0) assert.deepEqual(stream, whole)
      if (whole === 'format-error') assert.equal(stream, 'format-error')
      if (stream !== 'format-error' && stream.length === 0) assert.deepEqual(whole, [])
    }),
    RUNS,
  )
})

test('selection picks the PEP 440 maximum of the valid, non-yanked candidates', () => {
  const file = (version: string, yanked: boolean): IndexFile => ({ filename: `demo_upstream-${version}-py3-none-any.whl`, url: `https://x/${version}`, yanked: yanked ? '' : false, version })
  fc.assert(
    fc.property(fc.array(fc.tuple(versionish, fc.boolean()), { maxLength: 20 }), (entries) => {
      const files = entries.map(([v, y]) => file(v, y))
      const chosen = selectForChannel(files, 'pre').chosen
      const candidates = entries.filter(([v, y]) => !y && valid(v) && !/\+/.test(v) && entries.every(([w, wy]) => !(wy && valid(w) && compare(w, v) === 0)))
      if (!chosen) {
        assert.equal(candidates.length, 0, `nothing chosen from ${JSON.stringify(candidates)}`)
        return
      }
      for (const [v] of candidates) assert.ok(compare(chosen.version, v) >= 0, `${chosen.version} >= ${v}`)
    }),
    RUNS,
  )
})
