// Runs before `npm test`, `npm run demo` and `npm run bench` (npm's pre-scripts), on whatever Node
// the machine has: installs what they need when it is missing, so the Quickstart's two commands
// work on a fresh clone. Built-ins only: node_modules may not exist yet.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const run = (cmd, args) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit' }).status === 0

// 1. npm packages (including node@24, the action's runtime, which npm scripts then put first on PATH).
if (!existsSync(join(root, 'node_modules/.package-lock.json'))) {
  console.log('setup: installing npm packages (npm ci)')
  if (!run('npm', ['ci', '--no-audit', '--no-fund'])) {
    console.error('setup: `npm ci` failed; fix the error above and run the command again.')
    process.exit(1)
  }
}

// 2. Python tools (uv, pypiserver), pinned in test/requirements.txt.
const python = ['python3', 'python'].find((p) => spawnSync(p, ['--version'], { stdio: 'ignore' }).status === 0)
if (!python) {
  console.error('setup: Python 3 is required (the tests and the demo run real Python servers and uv). Install python3 and try again.')
  process.exit(1)
}
const haveTools = () => spawnSync(python, ['-c', 'import uv, pypiserver'], { stdio: 'ignore' }).status === 0
if (!haveTools()) {
  console.log('setup: installing uv and pypiserver with pip (test/requirements.txt)')
  const req = ['-m', 'pip', 'install', '--quiet', '-r', 'test/requirements.txt']
  // Plain, then per-user, then past a distribution's "externally managed" guard.
  const ok = run(python, req) || run(python, [...req, '--user']) || run(python, [...req, '--user', '--break-system-packages'])
  if (!ok || !haveTools()) {
    console.error(`setup: could not install uv and pypiserver. Install them yourself: ${python} -m pip install -r test/requirements.txt`)
    process.exit(1)
  }
}
execFileSync(python, ['-c', 'import uv; uv.find_uv_bin()'])
