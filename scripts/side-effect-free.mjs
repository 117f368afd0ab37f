// Runs before `ncc build`: declares every copy of @actions/http-client free of side effects at
// load time (it is: it only defines classes and functions), so the bundler can leave it, and the
// undici 6 it carries, out of the start-up path. @actions/core imports it for OIDC tokens, which
// this action never asks for; the stages that do need it (the Actions cache, tool-cache) load it
// on demand from their own chunks. Idempotent; no copy found is an error, since the start-up
// bundle would silently grow again.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules')

/** Every node_modules/@actions/http-client/package.json, nested copies included. */
function copies(dir) {
  const found = []
  const own = join(dir, '@actions', 'http-client', 'package.json')
  if (existsSync(own)) found.push(own)
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue
    const scoped = entry.name.startsWith('@') ? readdirSync(join(dir, entry.name)).map((n) => join(dir, entry.name, n)) : [join(dir, entry.name)]
    for (const pkg of scoped) if (existsSync(join(pkg, 'node_modules'))) found.push(...copies(join(pkg, 'node_modules')))
  }
  return found
}

const files = copies(root)
if (!files.length) {
  console.error('side-effect-free: no @actions/http-client under node_modules; run `npm ci` first.')
  process.exit(1)
}
for (const file of files) {
  const pkg = JSON.parse(readFileSync(file, 'utf8'))
  if (pkg.sideEffects === false) continue
  pkg.sideEffects = false
  writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`)
  console.log(`side-effect-free: ${pkg.name}@${pkg.version} (${file.slice(root.length + 1)}) marked free of side effects for the bundler`)
}
