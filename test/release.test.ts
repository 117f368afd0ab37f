// What a release needs: the notes script the release workflow runs, and the files and facts the
// workflow and users rely on (LICENSE, CHANGELOG, release.yml, Dependabot, the Node version).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { parse } from 'yaml'
import { ROOT, tempDir } from './harness/action'
// @ts-expect-error: a plain .mjs script (built-ins only, so the release job runs it before npm ci), no types
import { changelogSection } from '../scripts/changelog-section.mjs'

const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8')
const pkg = JSON.parse(read('package.json'))

const SAMPLE = `# Changelog

## [Unreleased]

### Added

- next thing

## [1.2.0] - 2027-01-02

### Fixed

- a fix

## 1.1.0 - 2026-12-20

- plain heading

## [1.0.0] - 2026-12-05

## [0.9.0] - 2026-11-01

- last

[Unreleased]: https://example.test/compare/v1.2.0...HEAD
[1.2.0]: https://example.test/compare/v1.1.0...v1.2.0
`

test('changelogSection: the body of one version, up to the next heading or the link references', () => {
  const table: [string, string | null][] = [
    ['1.2.0', '### Fixed\n\n- a fix'],
    ['v1.2.0', '### Fixed\n\n- a fix'], // the tag name works too
    ['Unreleased', '### Added\n\n- next thing'],
    ['1.1.0', '- plain heading'], // heading without brackets
    ['1.0.0', ''], // present but empty
    ['0.9.0', '- last'], // ends before the link references
    ['1.2', null], // no prefix matches
    ['2.0.0', null],
  ]
  for (const [version, want] of table) assert.equal(changelogSection(SAMPLE, version), want, version)
})

test('the notes script: prints the section, fails saying why when it is missing or empty', () => {
  const file = path.join(tempDir('cs-changelog-'), 'CHANGELOG.md')
  fs.writeFileSync(file, SAMPLE)
  const run = (version: string) => spawnSync(process.execPath, ['scripts/changelog-section.mjs', version, file], { cwd: ROOT, encoding: 'utf8' })
  const ok = run('1.2.0')
  assert.equal(ok.status, 0, ok.stderr)
  assert.equal(ok.stdout, '### Fixed\n\n- a fix\n')
  const missing = run('2.0.0')
  assert.equal(missing.status, 1)
  assert.match(missing.stderr, /has no "## \[2\.0\.0\]" section: rename "## \[Unreleased\]"/)
  const empty = run('1.0.0')
  assert.equal(empty.status, 1)
  assert.match(empty.stderr, /section of 1\.0\.0 is empty/)
})

test('CHANGELOG.md: Keep a Changelog, an Unreleased section, and the version package.json declares', () => {
  const changelog = read('CHANGELOG.md')
  assert.match(changelog, /keepachangelog\.com/)
  const unreleased = changelogSection(changelog, 'Unreleased')
  assert.ok(unreleased, 'an Unreleased section with content')
  for (const heading of ['### Added', '### Changed', '### Fixed']) assert.ok(unreleased.includes(heading), `Unreleased has ${heading}`)
  assert.ok(changelogSection(changelog, pkg.version), `a non-empty section for package.json's version ${pkg.version}`)
  assert.match(changelog, new RegExp(`^## \\[${pkg.version.replace(/\./g, '\\.')}\\] - \\d{4}-\\d{2}-\\d{2}$`, 'm'), 'the released version has a date')
})

test('LICENSE is the MIT license package.json names', () => {
  assert.equal(pkg.license, 'MIT')
  const license = read('LICENSE')
  assert.match(license, /^MIT License\n\nCopyright \(c\) 2026 compat-sentinel contributors\n/)
  assert.match(license, /THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND/)
})

test('release.yml: on vX.Y.Z tags, checks and tests before it publishes, write access only where needed', () => {
  const wf = parse(read('.github/workflows/release.yml'))
  assert.deepEqual(wf.on, { push: { tags: ['v*.*.*'] } })
  assert.deepEqual(wf.permissions, {}, 'nothing by default')
  const jobs = Object.entries<any>(wf.jobs)
  assert.equal(jobs.length, 1)
  const [, job] = jobs[0]!
  assert.deepEqual(job.permissions, { contents: 'write' })
  const steps: any[] = job.steps
  const index = (re: RegExp) => steps.findIndex((s) => re.test(`${s.uses ?? ''}\n${s.run ?? ''}`))
  const setupNode = steps[index(/actions\/setup-node@/)]
  assert.equal(setupNode.with['node-version-file'], '.node-version')
  const order = [
    /actions\/checkout@/,
    /scripts\/changelog-section\.mjs/,
    /npm ci/,
    /npm run build[\s\S]*git status --porcelain -- dist/,
    /npm test/,
    /gh release create .*--notes-file/,
    /gh api .*git\/refs/,
  ].map(index)
  for (const [i, at] of order.entries()) assert.ok(at >= 0, `step ${i} of the release is missing`)
  assert.deepEqual(
    [...order].sort((a, b) => a - b),
    order,
    'checks and tests come before the release and the major tag',
  )
  assert.match(steps[order[1]!].run, /package\.json/, 'the tag must match package.json')
  // The tag reaches scripts through the environment, never spliced into them.
  for (const s of steps) assert.doesNotMatch(s.run ?? '', /\$\{\{/, `step ${s.name ?? s.run}: no expressions in run scripts`)
})

test('.node-version, engines and the action runtime agree on Node 24', () => {
  assert.equal(read('.node-version').trim(), '24')
  assert.equal(pkg.engines.node, '>=24')
  assert.match(read('action.yml'), /using: node24/)
})

test('Dependabot updates npm and github-actions weekly', () => {
  const dependabot = parse(read('.github/dependabot.yml'))
  assert.equal(dependabot.version, 2)
  const ecosystems = Object.fromEntries(dependabot.updates.map((u: any) => [u['package-ecosystem'], u]))
  for (const eco of ['npm', 'github-actions']) {
    assert.ok(ecosystems[eco], `${eco} is updated`)
    assert.equal(ecosystems[eco].directory, '/')
    assert.equal(ecosystems[eco].schedule.interval, 'weekly')
  }
})

test('the README says what is breaking and how long a major is supported', () => {
  const readme = read('README.md')
  const versioning = readme.slice(readme.indexOf('## Versioning'), readme.indexOf('\n## ', readme.indexOf('## Versioning') + 1))
  for (const word of ['input', 'output', 'outcome', 'result-file', 'schema']) assert.ok(versioning.includes(word), `Versioning mentions ${word}`)
  assert.match(versioning, /supported .* for\s+12 months/s)
})
