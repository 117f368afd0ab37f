// Prints the CHANGELOG.md section of one version (its body, without the `## [x.y.z]` heading):
// the release workflow publishes it as the GitHub release's notes.
//   node scripts/changelog-section.mjs 1.2.0 [CHANGELOG.md]
// Exits 1, saying why, when the section is missing or empty: a release without notes is a
// release whose changelog was not updated. Built-ins only, so it runs before `npm ci`.
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'

/** The body of `## [version]` (or `## version`), trimmed; null when there is no such heading. */
export function changelogSection(text, version) {
  const lines = text.split(/\r?\n/)
  const wanted = version.replace(/^v/, '')
  const isHeading = (line) => /^## /.test(line)
  const start = lines.findIndex((line) => {
    const m = /^##\s+\[?([^\]\s]+)\]?(\s|$)/.exec(line)
    return m !== null && m[1] === wanted
  })
  if (start < 0) return null
  const body = []
  for (const line of lines.slice(start + 1)) {
    // The next version, or the link references that close a Keep a Changelog file.
    if (isHeading(line) || /^\[[^\]]+\]:\s/.test(line)) break
    body.push(line)
  }
  return body.join('\n').trim()
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [version, file = 'CHANGELOG.md'] = process.argv.slice(2)
  if (!version) {
    console.error('usage: node scripts/changelog-section.mjs <version> [CHANGELOG.md]')
    process.exit(2)
  }
  const section = changelogSection(readFileSync(file, 'utf8'), version)
  if (section === null) {
    console.error(`${file} has no "## [${version.replace(/^v/, '')}]" section: rename "## [Unreleased]" to it (see RELEASING.md) before tagging.`)
    process.exit(1)
  }
  if (section === '') {
    console.error(`${file}: the section of ${version} is empty: say what changed before releasing.`)
    process.exit(1)
  }
  process.stdout.write(`${section}\n`)
}
