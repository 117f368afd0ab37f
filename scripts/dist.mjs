// Around `npm run build` (npm's prebuild and postbuild):
//   clean: empties dist/, so a chunk the bundler no longer makes does not linger there unnoticed
//          (CI compares dist/ with git; a stale file would pass).
//   slim:  drops `sourcesContent` from dist's source maps. Node maps stack traces to src/ file
//          names and lines without it, and it is three quarters of each map's size (the source of
//          every bundled package, again).
// Built-ins only.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist')
const mode = process.argv[2]

if (mode === 'clean') {
  rmSync(dist, { recursive: true, force: true })
} else if (mode === 'slim') {
  for (const entry of readdirSync(dist, { recursive: true, encoding: 'utf8' })) {
    if (!entry.endsWith('.map')) continue
    const file = join(dist, entry)
    const map = JSON.parse(readFileSync(file, 'utf8'))
    delete map.sourcesContent
    writeFileSync(file, JSON.stringify(map))
  }
} else {
  console.error('usage: node scripts/dist.mjs clean|slim')
  process.exit(2)
}
