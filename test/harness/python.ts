// The Python that the tests, the demo and the bench run (uv, pypiserver, zizmor are installed in
// it): the project's .venv, which scripts/setup.mjs creates before `npm test`, `npm run demo` and
// `npm run bench`; the system's python3 (python on Windows) when there is no .venv, for a test
// file run on its own on a machine that installed the tools some other way.
import * as fs from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const VENV = path.join(ROOT, '.venv')

/** An executable of the .venv (`bin/` on Linux and macOS, `Scripts/*.exe` on Windows). */
export function venvBin(name: string): string {
  return process.platform === 'win32' ? path.join(VENV, 'Scripts', `${name}.exe`) : path.join(VENV, 'bin', name)
}

export const PYTHON = fs.existsSync(venvBin('python')) ? venvBin('python') : process.platform === 'win32' ? 'python' : 'python3'

export const SETUP_HINT = 'Run `node scripts/setup.mjs` (npm test does it first): it installs test/requirements.txt into .venv.'
