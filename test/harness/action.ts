// Runs the bundled action exactly as a runner would: INPUT_* variables, fresh files for
// GITHUB_OUTPUT / GITHUB_ENV / GITHUB_PATH / GITHUB_STEP_SUMMARY, and the runner's folders.
import { spawn } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const MAIN = path.join(ROOT, 'dist/index.js')
export const REPORT = path.join(ROOT, 'dist/report/index.js')
export const ISSUE = path.join(ROOT, 'dist/issue/index.js')

// The action's runtime is node24 (its bundled undici needs it); the harness runs the bundle with
// the Node that runs the tests, so refuse an older one loudly instead of failing obscurely.
if (Number(process.versions.node.split('.')[0]) < 24) {
  throw new Error(`The tests need Node 24 (the action's runtime), but this is Node ${process.version}. Run them with \`npm test\`, which puts the node@24 devDependency first on PATH.`)
}

export interface RunOptions {
  env?: Record<string, string | undefined>
  entry?: string
  workspace?: string
  runnerTemp?: string
  toolCache?: string
  /** Kills the action after this long (a test bug, not a behaviour). */
  killAfterMs?: number
  /** Called once the process is started, e.g. to signal it. */
  onStart?: (pid: number) => void
  /** A file-size limit for the action (bash `ulimit -f`, in KiB): a full disk without a small disk. */
  fileSizeLimitKiB?: number
}

export interface RunResult {
  exitCode: number | null
  signal: NodeJS.Signals | null
  outputs: Record<string, string>
  exportedEnv: Record<string, string>
  addedPaths: string[]
  summary: string
  stdout: string
  stderr: string
  /** Parsed result file, when the action wrote one. */
  result?: any
  workspace: string
  runnerTemp: string
  toolCache: string
}

/** Parses the `name<<delimiter` and `name=value` forms of GITHUB_OUTPUT and GITHUB_ENV. */
export function parseCommandFile(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line)
    if (heredoc) {
      const value: string[] = []
      for (i++; i < lines.length && lines[i] !== heredoc[2]; i++) value.push(lines[i]!)
      out[heredoc[1]!] = value.join('\n')
    } else if (line.includes('=')) {
      out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1)
    }
  }
  return out
}

export function tempDir(prefix = 'cs-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix))
}

/** The environment of a runner, without anything of the test process's own INPUT_/GITHUB_ variables. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || /^(INPUT_|GITHUB_|RUNNER_|ACTIONS_)/.test(k) || /proxy/i.test(k) || k === 'UV_FIND_LINKS') continue
    env[k] = v
  }
  return env
}

/** Keeps the first and last 8 MB of a log, so a test of a huge output does not hold it all. */
class BoundedLog {
  private head: Buffer[] = []
  private headBytes = 0
  private tail: Buffer[] = []
  private tailBytes = 0
  private cut = false
  constructor(private readonly limit = 8 * 2 ** 20) {}

  add(chunk: Buffer): void {
    if (this.headBytes < this.limit) {
      this.head.push(chunk)
      this.headBytes += chunk.length
      return
    }
    this.tail.push(chunk)
    this.tailBytes += chunk.length
    while (this.tailBytes - this.tail[0]!.length > this.limit) {
      this.tailBytes -= this.tail.shift()!.length
      this.cut = true
    }
  }

  toString(): string {
    const middle = this.cut ? '\n[... harness: log middle dropped ...]\n' : ''
    return Buffer.concat(this.head).toString('utf8') + middle + Buffer.concat(this.tail).toString('utf8')
  }
}

export interface RunnerDirs {
  workspace: string
  runnerTemp: string
  toolCache: string
}

/**
 * What a runner gives a step: its folders (created), fresh command files in `filesDir`, the run's
 * identity, and the inputs as INPUT_* variables.
 */
export function runnerEnv(dirs: RunnerDirs, filesDir: string, inputs: Record<string, string>): { env: Record<string, string>; files: Record<'output' | 'env' | 'path' | 'summary', string> } {
  for (const d of [dirs.workspace, dirs.runnerTemp, dirs.toolCache]) fs.mkdirSync(d, { recursive: true })
  const files = { output: path.join(filesDir, 'output'), env: path.join(filesDir, 'env'), path: path.join(filesDir, 'path'), summary: path.join(filesDir, 'summary') }
  for (const f of Object.values(files)) fs.writeFileSync(f, '')
  const env: Record<string, string> = {
    GITHUB_OUTPUT: files.output,
    GITHUB_ENV: files.env,
    GITHUB_PATH: files.path,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_WORKSPACE: dirs.workspace,
    RUNNER_TEMP: dirs.runnerTemp,
    RUNNER_TOOL_CACHE: dirs.toolCache,
    GITHUB_REPOSITORY: 'org/repo',
    GITHUB_RUN_ID: '1',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_SHA: 'abc123',
  }
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v
  return { env, files }
}

export async function runAction(inputs: Record<string, string>, opts: RunOptions = {}): Promise<RunResult> {
  const dir = tempDir('cs-run-')
  const workspace = opts.workspace ?? path.join(dir, 'workspace')
  const runnerTemp = opts.runnerTemp ?? path.join(dir, 'temp')
  const toolCache = opts.toolCache ?? path.join(dir, 'toolcache')
  const runner = runnerEnv({ workspace, runnerTemp, toolCache }, dir, inputs)
  const files = runner.files
  const env: Record<string, string> = {
    ...baseEnv(),
    ...runner.env,
    // Fast retries for tests; the behaviour (count, Retry-After) is the same.
    COMPAT_SENTINEL_HTTP_BACKOFF_MS: '50',
    COMPAT_SENTINEL_HTTP_TIMEOUT_MS: '5000',
  }
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k]
    else env[k] = v
  }

  const entry = opts.entry ?? MAIN
  // With a limit, bash sets it and then becomes node (exec), so the PID is still the action's.
  const [file, args] = opts.fileSizeLimitKiB ? ['bash', ['-c', `ulimit -f ${opts.fileSizeLimitKiB} && exec "$0" "$@"`, process.execPath, entry]] : [process.execPath, [entry]]
  const child = spawn(file, args, { cwd: workspace, env, stdio: ['ignore', 'pipe', 'pipe'] })
  opts.onStart?.(child.pid!)
  const stdoutLog = new BoundedLog()
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => stdoutLog.add(d))
  child.stderr.on('data', (d) => (stderr += d))
  const killer = setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs ?? 120_000)
  const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) => child.on('close', (c, s) => r([c, s])))
  clearTimeout(killer)
  const stdout = stdoutLog.toString()

  const outputs = parseCommandFile(fs.readFileSync(files.output!, 'utf8'))
  let result: unknown
  if (outputs['result-file'] && fs.existsSync(outputs['result-file'])) result = JSON.parse(fs.readFileSync(outputs['result-file'], 'utf8'))
  return {
    exitCode,
    signal,
    outputs,
    exportedEnv: parseCommandFile(fs.readFileSync(files.env!, 'utf8')),
    addedPaths: fs.readFileSync(files.path!, 'utf8').split('\n').filter(Boolean),
    summary: fs.readFileSync(files.summary!, 'utf8'),
    stdout,
    stderr,
    result,
    workspace,
    runnerTemp,
    toolCache,
  }
}

/** Every output of action.yml: tests check each is set on every run. */
export const MAIN_OUTPUTS = [
  'outcome',
  'version',
  'channel',
  'pinned-version',
  'is-pinned',
  'replay-result',
  'record-result',
  'fixtures-changed',
  'fixtures-patch',
  'flaky',
  'uv-version',
  'uv-path',
  'wheels-dir',
  'wheels-cache-hit',
  'provenance',
  'result-file',
  'slack-payload',
  'summary',
  'previous-outcome',
  'previous-version',
  'status-changed',
  'failing-since',
  'last-good-version',
  'first-bad-version',
  'notify',
]
