// Every `uses:` that users copy from the README or that our workflows run names an action major
// that runs on Node 24 (runners flag the Node 20 ones as deprecated); our own workflows pin by
// commit SHA, as SECURITY.md recommends, while the README's examples keep readable tags.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { ROOT } from './harness/action'

// The first major of each action whose own action.yml says `runs: using: node24` (every later
// major does too). How it was checked, on 2026-12-05: each repository's snapshot was fetched, and
// for every major tag `git show vN:action.yml` was read for `runs.using`; the major before each
// one below declares node20 or older. An action not in this table fails the test: check it the
// same way before adding it.
const FIRST_NODE24_MAJOR: Record<string, number> = {
  'actions/checkout': 5, // v4 node20
  'actions/setup-node': 5, // v4 node20
  'actions/setup-python': 6, // v5 node20
  'actions/upload-artifact': 6, // v5 node20
  'actions/download-artifact': 7, // v6 node20
  'actions/cache': 5, // v4 node20
  'slackapi/slack-github-action': 3, // v2 node20
  'peter-evans/create-pull-request': 8, // v7 node20
  'astral-sh/setup-uv': 7, // v6 node20
  'compat-sentinel/compat-sentinel': 1, // this repository: test/contract.test.ts checks node24
}

interface Use {
  where: string
  action: string
  ref: string
  comment: string
}

/** The `uses:` lines of a text (YAML files, or the README's code blocks), with their `# vX.Y.Z` comments. */
function usesLines(text: string, file: string): Use[] {
  const out: Use[] = []
  text.split('\n').forEach((line, i) => {
    const m = /^\s*(?:-\s+)?uses:\s*["']?([^\s"'#]+)["']?\s*(?:#\s*(\S+))?/.exec(line)
    if (!m) return
    const [target, ref = ''] = m[1]!.split('@')
    out.push({ where: `${file}:${i + 1}`, action: target!.split('/').slice(0, 2).join('/'), ref, comment: m[2] ?? '' })
  })
  return out
}

/** The major a `uses:` names: its tag (`v7`, `v7.0.1`), or for a commit SHA the `# v7.0.1` comment beside it. */
function majorOf(use: Pick<Use, 'ref' | 'comment'>): number | null {
  const version = /^[0-9a-f]{40}$/.test(use.ref) ? use.comment : use.ref
  const m = /^v(\d+)(\.\d+){0,2}$/.exec(version)
  return m ? Number(m[1]) : null
}

const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')
const workflowDir = path.join(ROOT, '.github/workflows')
const workflowFiles = fs.readdirSync(workflowDir).filter((f) => /\.ya?ml$/.test(f))
const fromReadme = usesLines(readme, 'README.md')
const fromWorkflows = workflowFiles.flatMap((f) => usesLines(fs.readFileSync(path.join(workflowDir, f), 'utf8'), `.github/workflows/${f}`))

test('majorOf reads tags, and SHAs through their version comment', () => {
  const table: [string, string, number | null][] = [
    ['v7', '', 7],
    ['v7.0.1', '', 7],
    ['v12.3', '', 12],
    ['3d3c42e5aac5ba805825da76410c181273ba90b1', 'v7.0.1', 7],
    ['3d3c42e5aac5ba805825da76410c181273ba90b1', '', null], // a SHA without a comment says nothing
    ['main', '', null], // a branch is no release
    ['v7-beta', '', null],
  ]
  for (const [ref, comment, want] of table) assert.equal(majorOf({ ref, comment }), want, `${ref} # ${comment}`)
})

test('the README and the workflows were read (examples, pinning section, CI, self-test, release)', () => {
  assert.ok(fromReadme.length >= 14, `README uses: ${fromReadme.length}`)
  assert.ok(workflowFiles.includes('ci.yml') && workflowFiles.includes('self-test.yml') && workflowFiles.includes('release.yml'))
  assert.ok(fromWorkflows.length >= 10)
})

test('every uses: in the README and the workflows names a node24 major', () => {
  for (const use of [...fromReadme, ...fromWorkflows]) {
    if (use.action.startsWith('./') || use.action === '.') continue // this checkout: contract.test.ts
    const first = FIRST_NODE24_MAJOR[use.action]
    assert.ok(first !== undefined, `${use.where}: ${use.action} is not in FIRST_NODE24_MAJOR; read its action.yml per major and add it`)
    const major = majorOf(use)
    assert.ok(major !== null, `${use.where}: ${use.action}@${use.ref} names no release (a tag vN, or a SHA with a '# vN.x.y' comment)`)
    assert.ok(major >= first, `${use.where}: ${use.action}@v${major} runs on an older Node; use v${first} or later`)
  }
})

test('our workflows pin third-party actions by commit SHA with the release in a comment', () => {
  for (const use of fromWorkflows) {
    if (use.action.startsWith('./') || use.action === '.') continue
    assert.match(use.ref, /^[0-9a-f]{40}$/, `${use.where}: pin ${use.action} by commit SHA`)
    assert.match(use.comment, /^v\d+\.\d+\.\d+$/, `${use.where}: say which release the SHA is ('# vX.Y.Z'), so Dependabot and readers can follow it`)
  }
})

test('the README examples use readable tags, and the README shows the pinned form', () => {
  const pinned = fromReadme.filter((u) => /^[0-9a-f]{40}$/.test(u.ref))
  const tagged = fromReadme.filter((u) => /^v\d+$/.test(u.ref))
  assert.ok(
    pinned.some((u) => u.action === 'actions/checkout'),
    'README shows checkout pinned by SHA',
  )
  assert.ok(
    tagged.some((u) => u.action === 'compat-sentinel/compat-sentinel'),
    'README examples use compat-sentinel@v1',
  )
  assert.equal(pinned.length + tagged.length, fromReadme.length, 'every README uses: is a major tag or a pinned SHA')
  assert.match(readme, /git ls-remote --tags https:\/\/github\.com\/compat-sentinel\/compat-sentinel/)
})
