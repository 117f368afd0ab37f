// Run a user command the way a GitHub `run:` step does, in its own process group, with
// a timeout that takes the whole tree down, live output, and a bounded, masked tail.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import type { PhaseReport } from '../core/vocabulary'
import { LineSplitter, Tail } from '../io/tail'
import { mask } from '../io/secrets'

export interface PhaseSpec {
  name: 'install' | 'replay' | 'record'
  command: string
  cwd: string
  env: NodeJS.ProcessEnv
  timeoutMs: number
  /** Where the script file is written. */
  tempDir: string
  /** Sees every raw output line as it streams (the tail keeps only the last ones). */
  onLine?: (line: string) => void
}

const GRACE_MS = Number(process.env.COMPAT_SENTINEL_KILL_GRACE_MS) || 5_000
const isWindows = process.platform === 'win32'

/**
 * The bash a `shell: bash` step uses: on Windows that is Git for Windows' bash, named by path,
 * because `bash` on PATH can be the WSL launcher.
 */
function bash(): string {
  if (!isWindows) return 'bash'
  const git = path.join(process.env.ProgramFiles || 'C:\\Program Files', 'Git', 'bin', 'bash.exe')
  return existsSync(git) ? git : 'bash'
}

/** The phase running now, so a cancelled action can still take its tree down. */
let current: ChildProcess | undefined

function signalTree(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return
  try {
    if (isWindows) spawn('taskkill', ['/pid', String(child.pid), '/T', '/F'], { stdio: 'ignore' })
    else process.kill(-child.pid, signal)
  } catch {
    // ESRCH: the group is already gone.
  }
}

function groupAlive(child: ChildProcess): boolean {
  if (child.pid === undefined || isWindows) return false
  try {
    process.kill(-child.pid, 0)
    return true
  } catch {
    return false
  }
}

/** SIGTERM to the group, SIGKILL after the grace period if anything is left. */
async function stopTree(child: ChildProcess): Promise<void> {
  if (!isWindows && !groupAlive(child)) return
  signalTree(child, 'SIGTERM')
  const deadline = Date.now() + GRACE_MS
  while (groupAlive(child) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
  if (groupAlive(child)) signalTree(child, 'SIGKILL')
}

/** Called when the action itself is cancelled. */
export async function stopCurrentPhase(): Promise<void> {
  if (current) await stopTree(current)
}

export async function runPhase(spec: PhaseSpec): Promise<PhaseReport> {
  // GitHub writes a run step to a file and runs `bash --noprofile --norc -eo pipefail <file>`.
  await fs.mkdir(spec.tempDir, { recursive: true })
  const script = path.join(spec.tempDir, `${spec.name}-${process.pid}-${Date.now()}.sh`)
  await fs.writeFile(script, spec.command + '\n', { mode: 0o700 })

  const tail = new Tail()
  const started = Date.now()
  const child = spawn(bash(), ['--noprofile', '--norc', '-eo', 'pipefail', script], {
    cwd: spec.cwd,
    env: spec.env,
    detached: !isWindows, // its own process group, so the whole tree can be signalled
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  current = child

  for (const stream of [child.stdout!, child.stderr!]) {
    let blocked = false
    const lines = new LineSplitter((line) => {
      tail.add(line)
      spec.onLine?.(line)
      if (!process.stdout.write(mask(line) + '\n')) blocked = true
    })
    stream.setEncoding('utf8')
    stream.on('data', (chunk: string) => {
      lines.push(chunk)
      // Where the log is slower than the command, wait for it rather than buffer without bound.
      if (blocked) {
        blocked = false
        stream.pause()
        process.stdout.once('drain', () => stream.resume())
      }
    })
    stream.on('end', () => lines.flush())
  }

  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    process.stdout.write(`compat-sentinel: ${spec.name} exceeded ${spec.timeoutMs / 60_000} min; stopping its process tree\n`)
    void stopTree(child)
  }, spec.timeoutMs)

  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, error }))
    child.once('exit', (code, signal) => resolve({ code, signal }))
  })
  clearTimeout(timer)
  // Background children (a server the tests started) must not outlive the phase.
  await stopTree(child)
  await closed(child)
  current = undefined
  await fs.rm(script, { force: true })

  if (exit.error) tail.add(`compat-sentinel: could not start bash: ${exit.error.message}`)
  const report: PhaseReport = {
    result: timedOut ? 'timeout' : exit.code === 0 ? 'success' : 'failure',
    exitCode: exit.code,
    durationMs: Date.now() - started,
    logTail: tail.toString(),
  }
  if (exit.signal && !timedOut) report.signal = exit.signal
  return report
}

/** Waits for the output pipes to close, but not forever (a process that left the group may hold them). */
async function closed(child: ChildProcess): Promise<void> {
  if (child.stdout?.closed !== false && child.stderr?.closed !== false) return
  await Promise.race([new Promise((r) => child.once('close', r)), new Promise((r) => setTimeout(r, 2_000))])
  child.stdout?.destroy()
  child.stderr?.destroy()
}

