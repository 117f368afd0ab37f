// Runs before `npm test`, `npm run demo` and `npm run bench` (npm's pre-scripts) and in .ci/run,
// on whatever Node the machine has (20 is enough: it installs Node 24): installs what they need
// when it is missing, so the Quickstart's two commands work on a fresh clone. Built-ins only:
// node_modules may not exist yet.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const run = (cmd, args) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit' }).status === 0
const fail = (message) => {
  console.error(`setup: ${message}`)
  process.exit(1)
}

// 1. npm packages (including node@24, the action's runtime, which npm scripts then put first on PATH).
if (!existsSync(join(root, 'node_modules/.package-lock.json'))) {
  console.log('setup: installing npm packages (npm ci)')
  if (!run('npm', ['ci', '--no-audit', '--no-fund'])) fail('`npm ci` failed; fix the error above and run the command again.')
}

// 2. Python tools (uv, pypiserver, zizmor), pinned in test/requirements.txt, in a project-local
//    virtual environment: never in the system Python (a distribution's Python refuses that, and
//    rightly: its "externally managed" guard protects the system's own packages).
const venv = join(root, '.venv')
const venvPython = process.platform === 'win32' ? join(venv, 'Scripts', 'python.exe') : join(venv, 'bin', 'python')
const requirements = readFileSync(join(root, 'test/requirements.txt'), 'utf8')
const stamp = join(venv, '.requirements.txt') // what was installed last, to skip pip when unchanged

if (!existsSync(venvPython)) {
  const python = ['python3', 'python'].find((p) => spawnSync(p, ['--version'], { stdio: 'ignore' }).status === 0)
  if (!python) fail('Python 3 is required (the tests and the demo run real Python servers and uv). Install python3 and try again.')
  console.log(`setup: creating .venv (${python} -m venv .venv)`)
  if (!run(python, ['-m', 'venv', venv]) || !existsSync(venvPython)) {
    fail(`could not create .venv with \`${python} -m venv\`. On Debian and Ubuntu install the venv module (apt-get install python3-venv), then run the command again.`)
  }
}
if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== requirements) {
  console.log('setup: installing test/requirements.txt into .venv (uv, pypiserver, zizmor)')
  if (!run(venvPython, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '-r', 'test/requirements.txt'])) {
    fail('`pip install -r test/requirements.txt` into .venv failed; fix the error above (or delete .venv) and run the command again.')
  }
  writeFileSync(stamp, requirements)
}
if (spawnSync(venvPython, ['-c', 'import uv, pypiserver; uv.find_uv_bin()'], { stdio: 'inherit' }).status !== 0) {
  fail('.venv has no working uv or pypiserver: delete .venv and run the command again.')
}
