// What changed in the recordings, end to end through dist/index.js: a record command rewrites a
// real-shaped recordings folder; the result file, the summary and the patch tell what changed.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { World } from './harness/world'
import { peakMemorySampler } from './harness/assertions'
import { wheel } from './harness/dists'
import { ROOT, tempDir } from './harness/action'

const PKG = 'demo-upstream'
const VERSION = '1.4.0'
const RECORDINGS = path.join(ROOT, 'test/fixtures/recordings')
const RERECORD = path.join(ROOT, 'test/fixtures/consumer/rerecord.sh')
const SECRET_NOTE = 'patch withheld: a recording contains the value of a secret'

let world: World
before(async () => {
  world = await new World().start()
  world.server.add(PKG, wheel(PKG, VERSION))
})
after(() => world.close())

const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'init.defaultBranch=main', ...args], { cwd, encoding: 'utf8' })

/** A repository whose `sub/recordings` holds the before-state, committed. */
function repoWithRecordings(): string {
  const ws = tempDir('cs-rec-ws-')
  fs.cpSync(path.join(RECORDINGS, 'before'), path.join(ws, 'sub/recordings'), { recursive: true })
  git(ws, 'init', '-q')
  git(ws, 'add', '-A')
  git(ws, 'commit', '-qm', 'recordings before')
  return ws
}

/** Every file below `dir`, relative, with its content. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const f of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const p = path.join(dir, f)
    if (fs.statSync(p).isFile()) out[f.split(path.sep).join('/')] = fs.readFileSync(p, 'utf8')
  }
  return out
}

describe('a record run that changes types, keys, texts, request keys, and adds and deletes calls', () => {
  let r: Awaited<ReturnType<World['run']>>
  let ws: string
  before(async () => {
    ws = repoWithRecordings()
    r = await world.run(
      { package: PKG, 'replay-command': RERECORD, 'record-command': RERECORD, 'working-directory': 'sub', 'fixtures-path': 'recordings' },
      { workspace: ws, env: { RECORDED: path.join(RECORDINGS, 'after') } },
    )
  })

  test('the result file reports each change exactly once, in the right category', () => {
    assert.equal(r.outputs.outcome, 'needs-recording', r.stdout)
    const d = r.result.fixtureDiff
    assert.deepEqual(d.counts, { added: 1, removed: 1, requestChanged: 1, responseChanged: 5, files: 9 })
    assert.deepEqual(
      d.added.map((e: any) => e.identity),
      [
        'POST /v1/chat/completions · model llama3.2:3b-instruct-fp16 · test tests/integration/inference/test_openai_completion.py::test_openai_chat_completion_streaming[txt=ollama/llama3.2:3b-instruct-fp16]',
      ],
    )
    assert.deepEqual(
      d.removed.map((e: any) => e.identity),
      ['GET /v1/models · test tests/integration/models/test_models.py::test_list_models'],
    )
    // Re-keyed: one file deleted and one added, reported as one changed request.
    assert.deepEqual(
      d.requestChanged.map((e: any) => [e.previousFile, e.file, e.value[0]]),
      [
        [
          'recordings/responses/a9e01b2c3d4e5f60718293a4b5c6d7e8f9012a3b4c5d6e7f8091a2b3c4d5e617.json',
          'recordings/responses/c2d4e6f80a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f3a5b7c88.json',
          'request.body.dimensions: 768 → 128',
        ],
      ],
    )
    const changed = Object.fromEntries(d.responseChanged.map((e: any) => [e.file, [...e.shape, ...e.value]]))
    assert.deepEqual(changed, {
      'recordings/cassettes/test_weather.yaml': ['response.body.alerts: added', 'response.body.today.summary: "Light rain" → "Showers"', 'response.body.today.temperature_c: 14 → 13'],
      'recordings/models.json': ['models[0].capabilities: added', 'models[0].context_length: 8192 → 131072'],
      'recordings/responses/3f1c9e27b0d54a8e6f2c1b7d9a0e4c3f5b8d2a6e1c7f9b3d5a0e2c4f6b8d1a39.json': [
        'response.body.choices[0].message.content: "Hello! How can I help you today?" → "Hi there! What can I do for you?"',
      ],
      'recordings/responses/5d7a9c1e3f5b7d9a1c3e5f7b9d1a3c5e7f9b1d3a5c7e9f1b3d5a7c9e1f3b5de9.json': ['response.body.choices[0].logprobs: null → object'],
      'recordings/responses/8b2e4d6f1a3c5e7b9d0f2a4c6e8b1d3f5a7c9e0b2d4f6a8c1e3b5d7f9a0c2e4c.json': [
        'response.body.choices[0].message.tool_calls: added',
        'response.body.choices[0].finish_reason: "stop" → "tool_calls"',
      ],
    })
    // The cassette holds two interactions; only the forecast changed.
    assert.deepEqual(
      d.responseChanged.filter((e: any) => e.format === 'vcr').map((e: any) => e.identity),
      ['GET api.weather.example/v1/forecast'],
    )
    assert.equal(r.outputs['fixtures-changed'], '9')
  })

  test('the summary: shape changes first, values folded', () => {
    const section = r.summary.slice(r.summary.indexOf('### What changed in the recordings'))
    assert.ok(section.length > 0 && section.length < r.summary.length, r.summary)
    const fold = section.indexOf('<details><summary>Value changes')
    assert.ok(fold > 0)
    for (const shape of ['message.tool\\_calls: added', 'logprobs: null → object', 'response.body.alerts: added', 'request.body.dimensions: 768 → 128']) {
      const at = section.indexOf(shape)
      assert.ok(at > 0 && at < fold, `${shape} before the fold`)
    }
    assert.ok(section.indexOf('"Hello! How can I help you today?" → "Hi there! What can I do for you?"') > fold, 'a text change only is folded')
  })

  test('the patch, applied to a fresh clone of the repository, gives the recordings as recorded', () => {
    const patch = r.outputs['fixtures-patch']!
    assert.equal(patch, path.join(r.runnerTemp, 'compat-sentinel', `compat-sentinel-fixtures-${PKG}-stable.patch`))
    assert.equal(r.result.fixturesPatch, patch)
    assert.match(fs.readFileSync(patch, 'utf8'), /^diff --git a\/sub\/recordings\//m, 'paths relative to the repository root')
    const clone = tempDir('cs-rec-clone-')
    execFileSync('git', ['clone', '-q', ws, clone])
    git(clone, 'apply', '--index', patch)
    assert.deepEqual(tree(path.join(clone, 'sub/recordings')), tree(path.join(RECORDINGS, 'after')))
    assert.deepEqual(tree(path.join(ws, 'sub/recordings')), tree(path.join(RECORDINGS, 'after')), 'the action left the recordings as recorded')
    assert.deepEqual(
      fs.readdirSync(path.join(r.runnerTemp, 'compat-sentinel')).filter((f) => f.startsWith('recordings-')),
      [],
      'the copy taken before record is removed',
    )
  })
})

test('no change in the recordings: no patch, no section, and a record that changed nothing is an error', async () => {
  const ws = repoWithRecordings()
  const r = await world.run(
    { package: PKG, 'replay-command': RERECORD, 'record-command': RERECORD, 'working-directory': 'sub', 'fixtures-path': 'recordings' },
    { workspace: ws, env: { RECORDED: path.join(RECORDINGS, 'before') } },
  )
  assert.equal(r.outputs.outcome, 'error', r.stdout)
  assert.match(r.result.reason, /record succeeded but changed nothing under recordings/)
  assert.equal(r.outputs['fixtures-patch'], '')
  assert.equal(r.result.fixtureDiff.counts.files, 0)
  assert.doesNotMatch(r.summary, /What changed in the recordings/)
})

test('a recording that holds the value of OPENAI_API_KEY: no patch, the summary and reason say why, the key is in no file the action wrote', async () => {
  const secret = 'sk-proj-Zq8rT2vX9wK4mN7pL1sD'
  const ws = repoWithRecordings()
  const leak = `printf '{"request": {"method": "POST", "url": "https://api.openai.com/v1/chat/completions", "headers": {"Authorization": "Bearer %s"}, "body": {"model": "gpt-4o", "messages": []}, "endpoint": "/v1/chat/completions", "model": "gpt-4o"}, "response": {"body": {"choices": []}, "is_streaming": false}}' "$OPENAI_API_KEY" > recordings/responses/9a9a.json`
  const r = await world.run(
    { package: PKG, 'replay-command': 'exit 1', 'record-command': leak, 'working-directory': 'sub', 'fixtures-path': 'recordings' },
    { workspace: ws, env: { OPENAI_API_KEY: secret } },
  )
  assert.equal(r.outputs.outcome, 'needs-recording', r.stdout)
  assert.ok(fs.readFileSync(path.join(ws, 'sub/recordings/responses/9a9a.json'), 'utf8').includes(secret), 'the recorder did write the key')
  assert.equal(r.outputs['fixtures-patch'], '')
  assert.equal(r.result.fixturesPatch, '')
  assert.equal(r.result.fixtureDiff.patchNote, SECRET_NOTE)
  assert.deepEqual(
    r.result.fixtureDiff.added.map((e: any) => e.identity),
    ['POST /v1/chat/completions · model gpt-4o'],
  )
  assert.match(r.result.reason, /; patch withheld: a recording contains the value of a secret$/)
  assert.match(r.summary, /\*\*No patch:\*\* patch withheld: a recording contains the value of a secret\./)
  // Everything the action wrote: the runner's temp folder (result file, no patch, no copy left), outputs, summary, log.
  const written = Object.values(tree(r.runnerTemp)).join('\n') + JSON.stringify(r.outputs) + r.summary + r.stdout.replace(/::add-mask::.*\n/g, '') + r.stderr
  assert.ok(!written.includes(secret), 'the key leaked into something the action wrote')
  assert.equal(fs.existsSync(path.join(r.runnerTemp, 'compat-sentinel', `compat-sentinel-fixtures-${PKG}-stable.patch`)), false)
})

test('a 50 MB recordings folder: bounded memory, large files compared by hash only', async () => {
  const ws = tempDir('cs-rec-big-')
  const dir = path.join(ws, 'recordings')
  fs.mkdirSync(dir)
  // 49 streaming recordings of about 1 MB each, and one of 8 MB (over the 5 MB limit).
  const chunk = (n: number) => ({
    __type__: 'openai.types.chat.chat_completion_chunk.ChatCompletionChunk',
    __data__: {
      id: `rec-${n}`,
      choices: [{ delta: { content: n === 0 ? 'FIRST' : ` token ${n} ${'lorem ipsum '.repeat(20)}`, role: 'assistant' }, finish_reason: null, index: 0 }],
      created: 1764900000,
      model: 'llama3.2:3b',
      object: 'chat.completion.chunk',
    },
  })
  const recording = (i: number, chunks: number) =>
    JSON.stringify(
      {
        test_id: `tests/test_big.py::test_${i}`,
        request: { method: 'POST', url: 'http://0.0.0.0:11434/v1/chat/completions', headers: {}, body: { model: 'llama3.2:3b', stream: true }, endpoint: '/v1/chat/completions', model: 'llama3.2:3b' },
        response: { body: Array.from({ length: chunks }, (_, n) => chunk(n)), is_streaming: true },
      },
      null,
      2,
    )
  let total = 0
  for (let i = 0; i < 50; i++) {
    const text = recording(i, i === 0 ? 15_000 : 1_900)
    total += text.length
    fs.writeFileSync(path.join(dir, `${String(i).padStart(2, '0')}${'f'.repeat(62)}.json`), text)
  }
  assert.ok(total > 50 * 1024 * 1024, `${total} bytes generated`)
  const memory = peakMemorySampler()
  const r = await world.run(
    { package: PKG, 'replay-command': 'exit 1', 'record-command': `sed -i 's/"FIRST"/"First"/' recordings/*.json`, 'fixtures-path': 'recordings' },
    { workspace: ws, onStart: memory.onStart },
  )
  const peakKb = memory.stop()
  assert.equal(r.outputs.outcome, 'needs-recording', r.stdout)
  const d = r.result.fixtureDiff
  assert.deepEqual(d.counts, { added: 0, removed: 0, requestChanged: 0, responseChanged: 50, files: 50 })
  const big = d.responseChanged.find((e: any) => e.file.startsWith('recordings/00'))
  assert.match(big.note, /^larger than 5\.0 MB( \(\d+\.\d MB\))?: compared by hash only$/)
  assert.deepEqual(d.responseChanged.find((e: any) => e.file.startsWith('recordings/01')).value, ['response.body[0].choices[0].delta.content: "FIRST" → "First"'])
  // A recording over 5 MB is neither kept before record nor put into a patch: no partial patch either.
  assert.equal(r.outputs['fixtures-patch'], '')
  assert.match(d.patchNote, /^no patch: recordings\/00.* is larger than 5\.0 MB$/)
  assert.ok(peakKb > 0, 'memory was sampled')
  assert.ok(peakKb < 250 * 1024, `peak RSS ${Math.round(peakKb / 1024)} MB for a ${Math.round(total / 1024 / 1024)} MB recordings folder`)
})
