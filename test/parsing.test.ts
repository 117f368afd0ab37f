// The pure helpers behind the network hardening: the linear HTML scan (same answers as the
// regex it replaced, linear cost on hostile pages), the JSON error offset that keeps index text
// out of messages, userinfo redaction, and byte sizes in words.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { parseHtmlPage, parseJsonPage } from '../src/core/simple-api'
import { jsonErrorOffset } from '../src/core/json-offset'
import { formatBytes } from '../src/core/bytes'
import { redactUrl } from '../src/io/secrets'

const PAGE = 'https://index.example/simple/demo/'

/** The anchors the regex parser (before the linear scan) found: href and text, in order. */
function regexAnchors(body: string): { href: string; text: string }[] {
  const out: { href: string; text: string }[] = []
  for (const m of body.matchAll(/<a\s([^>]*)>([\s\S]*?)<\/a\s*>/gi)) {
    const href = /href="([^"]*)"/i.exec(m[1]!)?.[1]
    if (href !== undefined) out.push({ href, text: m[2]!.replace(/<[^>]*>/g, '').trim() })
  }
  return out
}

describe('linear HTML scan', () => {
  // Pages built from the pieces that matter: anchors, closes in odd spellings, stray markup.
  const piece = fc.constantFrom(
    '<a href="demo-1.0.tar.gz">',
    '<A HREF="demo-2.0.tar.gz">',
    '</a>',
    '</A >',
    '</a\n>',
    '</abbr>',
    '<',
    '>',
    '<b>',
    'demo-3.0.tar.gz',
    ' ',
    '<a\thref="x-1.0.tar.gz">',
    '<a',
    '<base href="https://other.example/x/">',
  )
  test('finds the same anchors as the regex it replaced, on any page of those pieces', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), (pieces) => {
        const body = `<html>${pieces.join('')}`
        const want = regexAnchors(body).map((a) => a.text || a.href.split('/').pop())
        const got = parseHtmlPage(body, PAGE, 'demo').files.map((f) => f.filename)
        assert.deepEqual(got, want)
      }),
      { numRuns: 2000 },
    )
  })

  // Cost is compared between two sizes of the same hostile page: linear work grows 8×,
  // quadratic 64×. The best of a few runs keeps a busy machine's noise out.
  const hostile: [string, (n: number) => string][] = [
    ['unclosed <a> tags', (n) => `<html>${'<a href="x">'.repeat(n)}`],
    ['an anchor full of <', (n) => `<html><a href="demo-1.0.tar.gz">${'<'.repeat(n)}</a>`],
    ['unclosed <base> tags', (n) => `<html>${'<base href="x"'.repeat(n)}`],
    ['anchors never closed by </a>', (n) => `<html>${'<a href="x"></abbr>'.repeat(n)}`],
  ]
  const best = (body: string) => {
    let min = Infinity
    for (let i = 0; i < 5; i++) {
      const t = performance.now()
      parseHtmlPage(body, PAGE, 'demo')
      min = Math.min(min, performance.now() - t)
    }
    return min
  }
  for (const [what, page] of hostile) {
    test(`${what}: eight times the page costs about eight times the time, not sixty-four`, () => {
      const small = best(page(10_000))
      const large = best(page(80_000))
      assert.ok(large / Math.max(small, 0.5) < 24, `10k: ${small.toFixed(1)} ms, 80k: ${large.toFixed(1)} ms`)
    })
  }
  test("the issue's pages (150,000 unclosed <a>, 200,000 <) parse at all", () => {
    assert.deepEqual(parseHtmlPage('<a href="x">'.repeat(150_000), PAGE, 'demo').files, [])
    assert.equal(parseHtmlPage(`<a href="demo-1.0.tar.gz">${'<'.repeat(200_000)}</a>`, PAGE, 'demo').files.length, 1)
  })
})

describe('JSON error offset', () => {
  const cases: [string, number][] = [
    ['{"files": []}', -1],
    ['{"files": [', 11],
    ['{"files": [<!channel>', 11],
    ['{"a": 1,}', 8],
    ['[1, 2,]', 6],
    ['{"a" 1}', 5],
    ['{"a": "x\u0001"}', 8],
    ['{"a": "\\q"}', 8],
    ['{"a": tru}', 6],
    ['{} {}', 3],
    ['', 0],
    ['  "é" x', 6],
  ]
  for (const [text, at] of cases) test(`${JSON.stringify(text)} → ${at}`, () => assert.equal(jsonErrorOffset(text), at))

  test('agrees with JSON.parse on whether a text is JSON', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.json(),
          fc.string(),
          fc.json().map((j) => j.slice(0, -1)),
        ),
        (text) => {
          let valid = true
          try {
            JSON.parse(text)
          } catch {
            valid = false
          }
          assert.equal(jsonErrorOffset(text) === -1, valid)
        },
      ),
      { numRuns: 2000 },
    )
  })

  test('a malformed page names the byte offset and nothing of the body', () => {
    assert.throws(
      () => parseJsonPage('{"files": ["é", <!channel> *x*', PAGE, 'demo'),
      (e: Error) => {
        assert.equal(e.message, 'the index answered with malformed JSON (syntax error at byte 17 of 31)')
        return true
      },
    )
  })
})

describe('redactUrl', () => {
  const cases: [string, string][] = [
    ['https://user:pass@host/simple/', 'https://***@host/simple/'],
    ['https://TOKEN123@host/simple/', 'https://***@host/simple/'],
    ['https://ci:p@ss@host/simple/', 'https://***@host/simple/'],
    ['https://ci:p%40ss@host/simple/', 'https://***@host/simple/'],
    ['could not reach https://a@b@c@host:8080/x: refused', 'could not reach https://***@host:8080/x: refused'],
    ['https://host/simple/', 'https://host/simple/'],
    ['https://host/path/with@at', 'https://host/path/with@at'],
    ['two: http://a:b@h1/ and http://t@h2/', 'two: http://***@h1/ and http://***@h2/'],
  ]
  for (const [raw, want] of cases) test(raw, () => assert.equal(redactUrl(raw), want))
})

describe('formatBytes', () => {
  const cases: [number, string][] = [
    [0, '0 bytes'],
    [1, '1 byte'],
    [100, '100 bytes'],
    [4096, '4 KiB'],
    [1536, '1.5 KiB'],
    [64 * 2 ** 20, '64 MiB'],
    [2 ** 50, '1024 TiB'],
  ]
  for (const [n, want] of cases) test(`${n} → ${want}`, () => assert.equal(formatBytes(n), want))
})
