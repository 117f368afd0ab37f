// The recordings diff as pure functions: parsers chosen by content, field paths split into shape
// and value, interactions paired by request identity, caps, and the summary section.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { ROOT } from './harness/action'
import { identityLabel, parseRecording } from '../src/core/recordings/parse'
import { changedPaths } from '../src/core/recordings/paths'
import { compareRecordings, type FileChange, type Loader } from '../src/core/recordings/compare'
import { renderRecordingsSection } from '../src/core/recordings/render'
import { SECRET_NOTE, emptyFixtureDiff, patchNoteForReason, type FixtureDiff } from '../src/core/recordings/types'
import { diffSnapshots, snapshot } from '../src/stages/fixtures'

const RECORDINGS = path.join(ROOT, 'test/fixtures/recordings')
const fixture = (side: string, file: string) => fs.readFileSync(path.join(RECORDINGS, side, file), 'utf8')

/** A loader over in-memory files: { before: {file: text}, after: {...} }. */
function memory(files: { before?: Record<string, string>; after?: Record<string, string> }): { changes: FileChange[]; load: Loader } {
  const b = files.before ?? {}
  const a = files.after ?? {}
  const changes: FileChange[] = []
  for (const f of new Set([...Object.keys(b), ...Object.keys(a)])) {
    if (!(f in b)) changes.push({ file: f, change: 'added' })
    else if (!(f in a)) changes.push({ file: f, change: 'deleted' })
    else if (a[f] !== b[f]) changes.push({ file: f, change: 'modified' })
  }
  return { changes, load: async (side, f) => ({ text: (side === 'before' ? b : a)[f]! }) }
}

const llama = (o: { testId?: string; model?: string; endpoint?: string; body?: object; response?: unknown }) =>
  JSON.stringify({
    ...(o.testId ? { test_id: o.testId } : {}),
    request: {
      method: 'POST',
      url: `http://localhost:8321/v1${o.endpoint ?? '/chat/completions'}`,
      headers: {},
      body: { model: o.model ?? 'm', ...o.body },
      endpoint: `/v1${o.endpoint ?? '/chat/completions'}`,
      model: o.model ?? 'm',
    },
    response: { body: o.response ?? { ok: true }, is_streaming: false },
  })

describe('parsers are chosen by content', () => {
  const goVcr = `---
version: 2
interactions:
    - id: 0
      request:
        proto: HTTP/1.1
        host: api.openai.com
        body: '{"model":"gpt-4o","input":"hi"}'
        url: https://api.openai.com/v1/responses
        method: POST
      response:
        proto: HTTP/2.0
        body: '{"id":"resp_1","output":[]}'
        status: 200 OK
        code: 200
        duration: 1.2s
`
  const table: { name: string; file: string; text: string; format: string; identities: string[] }[] = [
    {
      name: 'Llama Stack recording',
      file: 'responses/ab12.json',
      text: fixture('before', 'responses/e7f3a1b5c9d2e6f0a4b8c1d5e9f3a7b0c4d8e2f6a9b3c7d1e5f8a2b6c0d4e852.json'),
      format: 'llama-stack',
      identities: ['GET /v1/models · test tests/integration/models/test_models.py::test_list_models'],
    },
    {
      name: 'vcrpy cassette',
      file: 'cassettes/test_weather.yaml',
      text: fixture('before', 'cassettes/test_weather.yaml'),
      format: 'vcr',
      identities: ['POST api.openai.com/v1/chat/completions · model gpt-4o-mini', 'GET api.weather.example/v1/forecast'],
    },
    { name: 'go-vcr v4 cassette', file: 'testdata/openai.yaml', text: goVcr, format: 'vcr', identities: ['POST api.openai.com/v1/responses · model gpt-4o'] },
    {
      name: 'VCR content under a .json name',
      file: 'x.json',
      text: JSON.stringify({ interactions: [{ request: { method: 'get', uri: 'http://h/p?q=1' }, response: { status: { code: 200 } } }] }),
      format: 'vcr',
      identities: ['GET h/p'],
    },
    { name: 'other JSON document', file: 'models.json', text: fixture('before', 'models.json'), format: 'json', identities: ['models.json'] },
    { name: 'other YAML document', file: 'config.yml', text: 'models:\n  - id: a\n', format: 'yaml', identities: ['config.yml'] },
    { name: '`interactions` that are not request/response pairs', file: 'i.json', text: '{"interactions": [1, 2]}', format: 'json', identities: ['i.json'] },
    { name: 'YAML under another name is not guessed', file: 'notes.txt', text: 'a: 1\n', format: 'file', identities: [] },
    { name: 'broken JSON', file: 'broken.json', text: '{"a": ', format: 'file', identities: [] },
  ]
  for (const row of table) {
    test(row.name, () => {
      const parsed = parseRecording(row.file, row.text)
      assert.equal(parsed.format, row.format)
      assert.deepEqual(
        parsed.interactions.map((i) => identityLabel(i.identity, row.file)),
        row.identities,
      )
    })
  }

  test('VCR bodies that hold JSON are compared as structure, binary bodies as text when they are UTF-8', () => {
    const text = `interactions:
- request: {method: POST, uri: 'https://h/v1/x', body: !!binary eyJtb2RlbCI6ICJtMSJ9}
  response: {status: {code: 200, message: OK}, body: {string: '{"a": 1}'}}
`
    const [i] = parseRecording('c.yaml', text).interactions
    assert.deepEqual((i!.request as any).body, { model: 'm1' })
    assert.deepEqual((i!.response as any).body, { a: 1 })
    assert.equal(i!.identity.model, 'm1')
  })
})

describe('changed paths: shape (keys, types) apart from value', () => {
  const table: { name: string; before: unknown; after: unknown; shape: string[]; value: string[] }[] = [
    { name: 'a key added', before: { m: {} }, after: { m: { tool_calls: [] } }, shape: ['response.m.tool_calls: added'], value: [] },
    { name: 'a key removed', before: { choices: [{ a: 1 }] }, after: { choices: [{}] }, shape: ['response.choices[0].a: removed'], value: [] },
    { name: 'a type changed', before: { usage: { tokens: 12 } }, after: { usage: { tokens: '12' } }, shape: ['response.usage.tokens: number → string'], value: [] },
    { name: 'null became an object', before: { logprobs: null }, after: { logprobs: { content: [] } }, shape: ['response.logprobs: null → object'], value: [] },
    { name: 'an object became an array', before: { x: {} }, after: { x: [] }, shape: ['response.x: object → array'], value: [] },
    { name: 'a number changed', before: { dimensions: 768 }, after: { dimensions: 128 }, shape: [], value: ['response.dimensions: 768 → 128'] },
    { name: 'a text changed', before: { content: 'Hello' }, after: { content: 'Hi' }, shape: [], value: ['response.content: "Hello" → "Hi"'] },
    { name: 'a long text is cut', before: { t: 'a'.repeat(100) }, after: { t: 'b' }, shape: [], value: [`response.t: "${'a'.repeat(56)}… → "b"`] },
    {
      name: "Llama Stack's __data__ wrapper is not part of the path",
      before: { __type__: 'T', __data__: { id: 'a' } },
      after: { __type__: 'T', __data__: { id: 'b' } },
      shape: [],
      value: ['response.id: "a" → "b"'],
    },
    {
      name: 'a changed __type__ is a shape change',
      before: { __type__: 'Completion' },
      after: { __type__: 'ChatCompletion' },
      shape: ['response.__type__: "Completion" → "ChatCompletion"'],
      value: [],
    },
    { name: 'keys that are not identifiers are quoted', before: { h: { 'x.y z': 1 } }, after: { h: {} }, shape: ['response.h["x.y z"]: removed'], value: [] },
    { name: 'an array grew', before: { e: [1] }, after: { e: [1, 2] }, shape: ['response.e[1]: added'], value: [] },
    { name: 'equal values', before: { a: [1, { b: null }] }, after: { a: [1, { b: null }] }, shape: [], value: [] },
  ]
  for (const row of table) {
    test(row.name, () => assert.deepEqual(changedPaths('response', row.before, row.after), { shape: row.shape, value: row.value }))
  }
  test('a whole document has no prefix', () => {
    assert.deepEqual(changedPaths('', { a: 1 }, { a: 2 }).value, ['a: 1 → 2'])
    assert.deepEqual(changedPaths('', [1], { a: 2 }).shape, ['(document): array → object'])
  })
})

describe('interactions paired by request identity', () => {
  test('the fixture recordings: every kind of change, each reported once and exactly', async () => {
    const before = await snapshot(path.join(RECORDINGS, 'before'))
    const after = await snapshot(path.join(RECORDINGS, 'after'))
    const changes = diffSnapshots(before, after).map((c) => ({ file: c.path, change: c.change }))
    const d = await compareRecordings(
      changes,
      async (side, f) => ({ text: fixture(side, f) }),
      (f) => `recordings/${f}`,
    )
    assert.deepEqual(d.counts, { added: 1, removed: 1, requestChanged: 1, responseChanged: 5, files: 9 })
    assert.deepEqual(
      d.added.map((e) => [e.format, e.identity]),
      [
        [
          'llama-stack',
          'POST /v1/chat/completions · model llama3.2:3b-instruct-fp16 · test tests/integration/inference/test_openai_completion.py::test_openai_chat_completion_streaming[txt=ollama/llama3.2:3b-instruct-fp16]',
        ],
      ],
    )
    assert.deepEqual(
      d.removed.map((e) => e.identity),
      ['GET /v1/models · test tests/integration/models/test_models.py::test_list_models'],
    )
    const [rekeyed] = d.requestChanged
    assert.match(rekeyed!.file, /c2d4e6f8.*\.json$/)
    assert.match(rekeyed!.previousFile!, /a9e01b2c.*\.json$/)
    assert.deepEqual(rekeyed!.shape, ['response.body.data[0].embedding[2]: removed', 'response.body.data[0].embedding[3]: removed'])
    assert.deepEqual(rekeyed!.value, ['request.body.dimensions: 768 → 128', 'response.body.data[0].embedding[0]: 0.0123 → 0.0311', 'response.body.data[0].embedding[1]: -0.0456 → -0.0222'])
    const byFile = Object.fromEntries(d.responseChanged.map((e) => [e.file.replace(/^recordings\//, '').slice(0, 18), { shape: e.shape, value: e.value }]))
    assert.deepEqual(byFile, {
      'cassettes/test_wea': { shape: ['response.body.alerts: added'], value: ['response.body.today.summary: "Light rain" → "Showers"', 'response.body.today.temperature_c: 14 → 13'] },
      'models.json': { shape: ['models[0].capabilities: added'], value: ['models[0].context_length: 8192 → 131072'] },
      'responses/3f1c9e27': { shape: [], value: ['response.body.choices[0].message.content: "Hello! How can I help you today?" → "Hi there! What can I do for you?"'] },
      'responses/5d7a9c1e': { shape: ['response.body.choices[0].logprobs: null → object'], value: [] },
      'responses/8b2e4d6f': { shape: ['response.body.choices[0].message.tool_calls: added'], value: ['response.body.choices[0].finish_reason: "stop" → "tool_calls"'] },
    })
    assert.equal(d.responseChanged.find((e) => e.format === 'vcr')!.identity, 'GET api.weather.example/v1/forecast', 'only the changed one of the two cassette interactions')
  })

  test('several re-keyed recordings of one call pair with the most similar request', async () => {
    const req = (prompt: string, n: number) => llama({ body: { messages: [{ role: 'user', content: prompt }], n } })
    const { changes, load } = memory({
      before: { 'a.json': req('first question', 1), 'b.json': req('second question', 1) },
      after: { 'c.json': req('second question', 2), 'd.json': req('first question', 2) },
    })
    const d = await compareRecordings(changes, load)
    assert.deepEqual(
      d.requestChanged.map((e) => [e.previousFile, e.file, e.value]),
      [
        ['a.json', 'd.json', ['request.body.n: 1 → 2']],
        ['b.json', 'c.json', ['request.body.n: 1 → 2']],
      ],
    )
    assert.equal(d.counts.added + d.counts.removed, 0)
  })

  test('a deleted and an added recording of different calls stay removed and added', async () => {
    const { changes, load } = memory({ before: { 'a.json': llama({ testId: 't1' }) }, after: { 'b.json': llama({ testId: 't2' }) } })
    const d = await compareRecordings(changes, load)
    assert.deepEqual([d.removed.map((e) => e.file), d.added.map((e) => e.file), d.requestChanged.length], [['a.json'], ['b.json'], 0])
  })

  test('a cassette: repeated calls pair in order, an extra one is added', async () => {
    const i = (answer: string) => `- request: {method: POST, uri: 'https://h/v1/chat', body: '{"model": "m"}'}\n  response: {status: {code: 200}, body: {string: '{"answer": "${answer}"}'}}\n`
    const { changes, load } = memory({ before: { 'c.yaml': `interactions:\n${i('a')}${i('b')}` }, after: { 'c.yaml': `interactions:\n${i('a')}${i('B')}${i('c')}` } })
    const d = await compareRecordings(changes, load)
    assert.deepEqual(
      d.responseChanged.map((e) => e.value),
      [['response.body.answer: "b" → "B"']],
    )
    assert.deepEqual(
      d.added.map((e) => e.identity),
      ['POST h/v1/chat · model m'],
    )
  })

  test('a file that could not be read as text is reported by name, with why', async () => {
    const d = await compareRecordings([{ file: 'big.json', change: 'modified' }], async () => ({ skipped: 'larger than 5.0 MB (7.0 MB): compared by hash only' }))
    assert.deepEqual(d.responseChanged, [{ format: 'file', file: 'big.json', identity: 'big.json', shape: [], value: [], omittedPaths: 0, note: 'larger than 5.0 MB (7.0 MB): compared by hash only' }])
  })

  test('a file whose content is equal once parsed (reformatted) lists no interaction', async () => {
    const { changes, load } = memory({ before: { 'a.json': '{"a": 1}' }, after: { 'a.json': '{\n  "a": 1\n}\n' } })
    const d = await compareRecordings(changes, load)
    assert.deepEqual([d.counts.files, d.counts.responseChanged, d.counts.requestChanged], [1, 0, 0])
  })
})

describe('caps', () => {
  test('at most N interactions: value-only ones give way to shape changes; counts stay true', async () => {
    const before: Record<string, string> = {}
    const after: Record<string, string> = {}
    for (let n = 0; n < 30; n++) {
      before[`v${String(n).padStart(2, '0')}.json`] = JSON.stringify({ text: 'a' })
      after[`v${String(n).padStart(2, '0')}.json`] = JSON.stringify({ text: 'b' })
    }
    before['z-shape.json'] = JSON.stringify({ a: 1 })
    after['z-shape.json'] = JSON.stringify({ a: 1, b: 2 })
    const { changes, load } = memory({ before, after })
    const d = await compareRecordings(changes, load, (f) => f, 10)
    assert.equal(d.counts.responseChanged, 31)
    assert.equal(d.responseChanged.length, 10)
    assert.equal(d.omittedInteractions, 21)
    assert.ok(
      d.responseChanged.some((e) => e.file === 'z-shape.json'),
      'the shape change is kept',
    )
  })

  test('at most 50 paths per interaction, shape first, with the count of the rest', async () => {
    const b = Object.fromEntries(Array.from({ length: 60 }, (_, n) => [`k${n}`, n]))
    const a = { ...Object.fromEntries(Array.from({ length: 60 }, (_, n) => [`k${n}`, n + 1])), added: true }
    const { changes, load } = memory({ before: { 'x.json': JSON.stringify(b) }, after: { 'x.json': JSON.stringify(a) } })
    const [e] = (await compareRecordings(changes, load)).responseChanged
    assert.deepEqual(e!.shape, ['added: added'])
    assert.equal(e!.value.length, 49)
    assert.equal(e!.omittedPaths, 11)
  })
})

const diffOf = (over: Partial<FixtureDiff>): FixtureDiff => ({ ...emptyFixtureDiff(), counts: { added: 0, removed: 0, requestChanged: 0, responseChanged: 1, files: 1 }, ...over })

describe('the summary section', () => {
  test('shape changes lead, response values are folded, request values are shown', () => {
    const md = renderRecordingsSection(
      diffOf({
        counts: { added: 0, removed: 0, requestChanged: 1, responseChanged: 1, files: 2 },
        requestChanged: [
          {
            format: 'llama-stack',
            file: 'r/b.json',
            previousFile: 'r/a.json',
            identity: 'POST /v1/embeddings',
            shape: [],
            value: ['request.body.dimensions: 768 → 128', 'response.body.x: 1 → 2'],
            omittedPaths: 0,
          },
        ],
        responseChanged: [
          { format: 'llama-stack', file: 'r/c.json', identity: 'POST /v1/chat', shape: ['response.body.tool_calls: added'], value: ['response.body.content: "a" → "b"'], omittedPaths: 0 },
        ],
      }),
      '/tmp/rt/compat-sentinel/compat-sentinel-fixtures-p-stable.patch',
    )
    assert.match(md, /^### What changed in the recordings\n\n1 request changed, 1 response changed \(2 files\)\./)
    assert.match(md, /\*\*Patch:\*\* <code>compat-sentinel-fixtures-p-stable\.patch<\/code>/)
    const details = md.indexOf('<details>')
    assert.ok(md.indexOf('request.body.dimensions: 768 → 128') < details, 'request values are visible')
    assert.ok(md.indexOf('response.body.tool\\_calls: added') < details, 'shape first')
    assert.ok(md.indexOf('response.body.content') > details, 'response values folded')
    assert.ok(md.indexOf('response.body.x: 1 → 2') > details)
    assert.match(md, /\(was <code>r\/a\.json<\/code>\)/)
  })

  test('text from recordings cannot become markdown or HTML', () => {
    const md = renderRecordingsSection(
      diffOf({
        responseChanged: [{ format: 'json', file: 'x|`y`.json', identity: 'x|`y`.json', shape: ['<img src=x onerror=alert(1)>: added', '*a* [l](http://e): added'], value: [], omittedPaths: 0 }],
      }),
      '',
    )
    assert.ok(!md.includes('<img'), md)
    assert.match(md, /&lt;img src=x onerror=alert\(1\)&gt;/)
    assert.match(md, /\\\*a\\\* \\\[l\\\]\(http:\/\/e\)/)
    assert.match(md, /x\\\|\\`y\\`\.json/)
  })

  test('withheld patch: says why, names no patch', () => {
    const md = renderRecordingsSection(diffOf({ patchNote: SECRET_NOTE }), '')
    assert.match(md, /\*\*No patch:\*\* patch withheld: a recording contains the value of a secret\./)
    assert.doesNotMatch(md, /\*\*Patch:\*\*/)
    assert.equal(patchNoteForReason(diffOf({ patchNote: SECRET_NOTE })), '; patch withheld: a recording contains the value of a secret')
    assert.equal(patchNoteForReason(diffOf({ patchNote: 'no patch: git failed (x)' })), '')
    assert.equal(patchNoteForReason(null), '')
  })

  test('bounded: a huge diff is cut, says so, and the fold is still closed', () => {
    const many = Array.from({ length: 500 }, (_, n) => ({
      format: 'json' as const,
      file: `f${n}.json`,
      identity: `f${n}.json`,
      shape: [],
      value: Array.from({ length: 50 }, (_, k) => `k${k}: "${'x'.repeat(50)}" → "y"`),
      omittedPaths: 0,
    }))
    const md = renderRecordingsSection(diffOf({ responseChanged: many }), '', 16 * 1024)
    assert.ok(Buffer.byteLength(md) < 17 * 1024, `${Buffer.byteLength(md)} bytes`)
    assert.match(md, /more lines? not shown to keep the summary small/)
    assert.equal(md.split('<details>').length, md.split('</details>').length)
  })
})
