// The refreshed recordings as a patch a pull request can apply: git in a throwaway repository
// (its own object store and index under RUNNER_TEMP), never the user's. The before-tree is built
// from a copy taken before record, the after-tree from the folder itself; `git diff --binary` of
// the two trees has paths relative to the repository root, so `git apply` works from there.
// git runs without a shell; file names reach it only as pathspec arguments after `--`.
import { execFile, spawn } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** The user's git configuration (filters such as LFS, external diff drivers) must not shape the patch. */
function gitEnv(gitDir: string, index: string): NodeJS.ProcessEnv {
  return { ...process.env, GIT_DIR: gitDir, GIT_INDEX_FILE: index, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: os.devNull, GIT_TERMINAL_PROMPT: '0' }
}

const SAFE = ['-c', 'core.autocrlf=false', '-c', 'core.safecrlf=false', '-c', 'core.quotepath=false']

async function git(args: string[], gitDir: string, index: string, cwd: string): Promise<string> {
  const { stdout } = await run('git', [...SAFE, ...args], { cwd, env: gitEnv(gitDir, index), maxBuffer: 1024 * 1024 })
  return stdout.trim()
}

/** The tree of `rel` under `root`, as git would commit it (the empty tree when there is nothing). */
async function treeOf(root: string, rel: string, hasFiles: boolean, gitDir: string, index: string): Promise<string> {
  if (hasFiles) await git(['--work-tree', root, 'add', '--all', '--force', '--', rel], gitDir, index, root)
  return git(['write-tree'], gitDir, index, gitDir)
}

/** The directory of the repository that holds `dir`, or undefined outside one (or without git). */
export async function repositoryRoot(dir: string): Promise<string | undefined> {
  try {
    const { stdout } = await run('git', ['rev-parse', '--show-toplevel'], { cwd: dir, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } })
    return stdout.trim() || undefined
  } catch {
    return undefined
  }
}

export interface PatchSides {
  /** Where `rel` is before record (a copy) and after (the repository). */
  beforeRoot: string
  afterRoot: string
  rel: string
  beforeHasFiles: boolean
  afterHasFiles: boolean
}

/** Writes `git diff --binary` of before vs after into `patchFile`; returns false when they are the same. */
export async function writePatch(sides: PatchSides, work: string, patchFile: string): Promise<boolean> {
  const gitDir = path.join(work, 'git')
  await run('git', ['init', '--quiet', '--bare', gitDir], { env: gitEnv(gitDir, path.join(work, 'index-init')) })
  const before = await treeOf(sides.beforeRoot, sides.rel, sides.beforeHasFiles, gitDir, path.join(work, 'index-before'))
  const after = await treeOf(sides.afterRoot, sides.rel, sides.afterHasFiles, gitDir, path.join(work, 'index-after'))
  if (before === after) return false
  await fs.promises.mkdir(path.dirname(patchFile), { recursive: true })
  // Straight into the file: a patch of a large folder never passes through this process's memory.
  const out = await fs.promises.open(patchFile, 'w')
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn('git', [...SAFE, 'diff', '--binary', '--no-color', '--no-ext-diff', '--no-textconv', before, after, '--'], {
        cwd: gitDir,
        env: gitEnv(gitDir, path.join(work, 'index-after')),
        stdio: ['ignore', out.fd, 'pipe'],
      })
      let err = ''
      child.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)))
      child.on('error', reject)
      child.on('close', (c) => (c === 0 ? resolve(c) : reject(new Error(`git diff exited with ${c}: ${err.trim()}`))))
    })
    return code === 0
  } finally {
    await out.close()
  }
}
