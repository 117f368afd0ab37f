// Version selection is a pure function: table tests, one row per trap.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { nearestVersions, selectForChannel, findRelease, sameVersion } from '../src/core/versions'
import type { IndexFile } from '../src/core/simple-api'
import { versionFromFilename } from '../src/core/simple-api'

const file = (version: string, yanked: false | string = false): IndexFile => ({
  filename: `pkg-${version}-py3-none-any.whl`,
  url: `https://x/pkg-${version}.whl`,
  yanked,
  version,
})
const files = (...vs: (string | [string, string])[]) => vs.map((v) => (Array.isArray(v) ? file(v[0], v[1]) : file(v)))

const cases: { name: string; channel: 'stable' | 'dev' | 'pre'; files: IndexFile[]; want: string | null }[] = [
  { name: 'string order trap: 0.10.0.dev1 beats 0.7.2.dev9', channel: 'dev', files: files('0.7.2.dev9', '0.10.0.dev1', '0.9.0'), want: '0.10.0.dev1' },
  { name: 'string order trap for stable: 0.10.0 beats 0.9.9', channel: 'stable', files: files('0.9.9', '0.10.0', '0.2.0'), want: '0.10.0' },
  { name: 'yanked latest is skipped', channel: 'stable', files: files('1.0.0', ['1.1.0', 'broken']), want: '1.0.0' },
  { name: 'yanked latest dev is skipped', channel: 'dev', files: files('1.0.dev1', ['1.0.dev2', '']), want: '1.0.dev1' },
  { name: 'dev of a pre-release is a dev release', channel: 'dev', files: files('1.0rc1.dev2', '0.9.dev5', '0.9'), want: '1.0rc1.dev2' },
  { name: 'dev of a pre-release is not stable', channel: 'stable', files: files('1.0rc1.dev2', '0.9'), want: '0.9' },
  { name: 'post release counts as final', channel: 'stable', files: files('1.0', '1.0.post1', '1.1rc1'), want: '1.0.post1' },
  { name: 'epoch wins over bigger numbers', channel: 'stable', files: files('2024.1', '1!0.1'), want: '1!0.1' },
  { name: 'local versions are never chosen', channel: 'stable', files: files('1.0', '1.1+local'), want: '1.0' },
  { name: 'local dev versions are never chosen', channel: 'dev', files: files('1.0.dev1', '1.0.dev9+cuda'), want: '1.0.dev1' },
  { name: 'uppercase DEV is a dev release', channel: 'dev', files: files('1.0.DEV3', '1.0.dev2'), want: '1.0.DEV3' },
  { name: 'only pre-releases: stable finds none', channel: 'stable', files: files('1.0a1', '1.0b2', '1.0rc1'), want: null },
  { name: 'only pre-releases: pre takes the highest', channel: 'pre', files: files('1.0a1', '1.0b2', '1.0rc1', '1.0rc1.dev3'), want: '1.0rc1' },
  { name: 'pre takes a final release above pre-releases', channel: 'pre', files: files('1.0rc1', '1.0', '0.9.dev1'), want: '1.0' },
  { name: 'empty project', channel: 'stable', files: [], want: null },
  { name: 'invalid versions are ignored', channel: 'stable', files: files('bogus', '1.0;touch pwned', '$(id)', '0.1'), want: '0.1' },
  { name: 'a release is yanked only when all its files are', channel: 'stable', files: [file('2.0', 'bad'), { ...file('2.0'), filename: 'pkg-2.0.tar.gz' }, file('1.0')], want: '2.0' },
  { name: 'dev channel ignores finals and plain pre-releases', channel: 'dev', files: files('2.0', '2.1a1', '1.9.dev4'), want: '1.9.dev4' },
]

for (const c of cases) {
  test(`select ${c.channel}: ${c.name}`, () => {
    assert.equal(selectForChannel(c.files, c.channel).chosen?.version ?? null, c.want)
  })
}

test('skipped versions carry their reason', () => {
  const sel = selectForChannel(files('1.0', ['1.1', 'oops'], '1.2a1', 'nonsense', '1.3+l'), 'stable')
  const reasons = Object.fromEntries(sel.skipped.map((s) => [s.version, s.reason]))
  assert.deepEqual(reasons, { '1.1': 'yanked', '1.2a1': 'pre-release', nonsense: 'not a valid PEP 440 version', '1.3+l': 'local version' })
  assert.equal(sel.total, 5)
})

test('the chosen release has all its files, wherever the page lists them and however they spell the version', () => {
  // Pages usually list a release's files together; this one does not, and spells 2.0 two ways.
  const page = [
    { ...file('2.0', 'broken wheel'), filename: 'pkg-2.0-py3-none-any.whl' },
    file('1.0'),
    { ...file('v2.0'), filename: 'pkg-v2.0.tar.gz' },
    file('1.5'),
    { ...file('2.0'), filename: 'pkg-2.0-cp312-cp312-manylinux_2_17_x86_64.whl' },
  ]
  const sel = selectForChannel(page, 'stable')
  assert.equal(sel.chosen?.version, '2.0', 'the first spelling names the release')
  assert.deepEqual(
    sel.chosen?.files.map((f) => f.filename),
    ['pkg-2.0-py3-none-any.whl', 'pkg-v2.0.tar.gz', 'pkg-2.0-cp312-cp312-manylinux_2_17_x86_64.whl'],
  )
  assert.equal(sel.total, 3, 'v2.0 and 2.0 are one version')
  // All of 2.0's files yanked, listed apart: 1.5 is chosen, and 2.0 is skipped once.
  const yanked = page.map((f) => (f.version?.endsWith('2.0') ? { ...f, yanked: 'gone' } : f))
  const again = selectForChannel(yanked, 'stable')
  assert.equal(again.chosen?.version, '1.5')
  assert.deepEqual(again.skipped, [{ version: '2.0', reason: 'yanked' }])
})

test('findRelease uses PEP 440 equality and finds yanked releases', () => {
  assert.equal(findRelease(files('1.0.0'), '1.0')?.version, '1.0.0')
  assert.equal(findRelease(files(['2.0', 'x']), '2.0')?.version, '2.0')
  assert.equal(findRelease(files('1.0'), '1.0.1'), null)
})

test('nearestVersions lists the neighbours in PEP 440 order', () => {
  const fs = files('0.1', '0.2', '0.9', '0.10', '0.11', '1.0', '2.0')
  assert.deepEqual(nearestVersions(fs, '0.10.5', 4), ['0.9', '0.10', '0.11', '1.0'])
  assert.deepEqual(nearestVersions(fs, '9.0', 2), ['1.0', '2.0'])
})

test('sameVersion is PEP 440 equality', () => {
  assert.equal(sameVersion('1.0', '1.0.0'), true)
  assert.equal(sameVersion('1.0', '1.0.post1'), false)
  assert.equal(sameVersion('', '1.0'), false)
})

const filenames: [string, string, string | null][] = [
  ['llama_stack-0.7.2.dev20260423-py3-none-any.whl', 'llama-stack', '0.7.2.dev20260423'],
  ['llama-stack-0.1.0.tar.gz', 'llama-stack', '0.1.0'],
  ['llama_stack-0.1.0.tar.gz', 'Llama.Stack', '0.1.0'],
  ['numpy-2.0.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl', 'numpy', '2.0.0'],
  ['pkg-1.0-1-py3-none-any.whl', 'pkg', '1.0'],
  ['other-1.0-py3-none-any.whl', 'pkg', null],
  ['../evil-1.0.tar.gz', 'evil', null],
  ['pkg-1.0.exe', 'pkg', null],
]
for (const [name, project, want] of filenames) {
  test(`version from filename ${name}`, () => assert.equal(versionFromFilename(name, project), want))
}
