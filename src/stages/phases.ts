// Run a user command the way a GitHub `run:` step does: in bash, in its own process group, with
// its own command files (GITHUB_OUTPUT, ...), live output, a bounded masked tail, and a timeout;
// when it ends, every process it started is stopped (src/io/process-tree.ts).
import { spawn, type ChildProcess } from 'node:child_process'
import { accessSync, constants, existsSync } from 'node:fs'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import * as core from '@actions/core'
import { UserError, type PhaseReport } from '../core/vocabulary'
import { LineSplitter, Tail } from '../io/tail'
import { mask } from '../io/secrets'
import { PhaseProcesses, type StoppedProcess } from '../io/process-tree'
import { forwardCommandFiles, phaseCommandFiles } from '../io/command-files'

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
  /** False for a bisection probe: what it writes to its command files is not passed on to later steps. */
  passOn?: boolean
}

const GRACE_MS = Number(process.env.COMPAT_SENTINEL_KILL_GRACE_MS) || 5_000
const isWindows = process.platform === 'win32'
// A limit as a user set it (whole minutes), or, when a deadline cut it (a bisection probe's share of
// its budget), in seconds rather than as 0.049883333333333335 min.
const span = (ms: number) => (ms > 0 && ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Number((ms / 1000).toFixed(1))} s`)

/**
 * The bash a `shell: bash` step uses: on Windows that is Git for Windows' bash, named by path,
 * because `bash` on PATH can be the WSL launcher. Elsewhere the first bash on the phase's PATH;
 * none at all (a slim container) means the phase cannot run: nothing was tested.
 */
function bash(env: NodeJS.ProcessEnv, phase: string): string {
  if (isWindows) {
    const git = path.join(process.env.ProgramFiles || 'C:\\Program Files', 'Git', 'bin', 'bash.exe')
    return existsSync(git) ? git : 'bash'
  }
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, 'bash')
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }
  throw cannotStart(phase, `bash was not found on PATH (${env.PATH ?? 'not set'})`)
}

function cannotStart(phase: string, why: string): UserError {
  return new UserError(`could not start bash to run the ${phase} command (${why}): the commands run in bash, as in a \`shell: bash\` step; install bash in the job's container or image`)
}

/** The phase running now, so a cancelled action can still take its processes down. */
let current: PhaseProcesses | undefined
/** Set once the action is cancelled or has crashed: no command starts after that (record would spend money). */
let stopping = false

/** True once the action is being cancelled: a command killed now says nothing about the build. */
export const runStopping = () => stopping

/** Called when the action itself is cancelled. */
export async function stopCurrentPhase(): Promise<void> {
  stopping = true
  if (current) await current.stop(GRACE_MS)
}

/** One line for the log and the tail: what was still running when the phase ended. */
function stoppedLine(phase: string, stopped: StoppedProcess[], timedOut: boolean): string {
  const shown = stopped.slice(0, 10).map((p) => `${p.pid}${p.command ? ` (${mask(p.command).slice(0, 120)})` : ''}`)
  const more = stopped.length > shown.length ? ` and ${stopped.length - shown.length} more` : ''
  return `compat-sentinel: stopped ${stopped.length} process${stopped.length === 1 ? '' : 'es'} ${timedOut ? `the ${phase} command had started` : `the ${phase} command left running`}: ${shown.join(', ')}${more}`
}

export async function runPhase(spec: PhaseSpec): Promise<PhaseReport> {
  if (stopping) throw new UserError(`the ${spec.name} command was not started: the run is being cancelled`)
  // GitHub writes a run step to a file and runs `bash --noprofile --norc -eo pipefail <file>`.
  await fs.mkdir(spec.tempDir, { recursive: true })
  const id = `${spec.name}-${process.pid}-${Date.now()}`
  const script = path.join(spec.tempDir, `${id}.sh`)
  await fs.writeFile(script, `${spec.command}\n`, { mode: 0o700 })
  const files = await phaseCommandFiles(path.join(spec.tempDir, `${id}-files`))
  const processes = new PhaseProcesses(spec.name)

  const env = processes.env({ ...spec.env, ...files })
  let shell: string
  try {
    shell = bash(env, spec.name)
  } catch (e) {
    await fs.rm(script, { force: true })
    await fs.rm(path.dirname(files.GITHUB_OUTPUT), { recursive: true, force: true })
    throw e
  }
  const start = processes.command(shell, ['--noprofile', '--norc', '-eo', 'pipefail', script])

  const tail = new Tail()
  const started = Date.now()
  const child = spawn(start.file, start.args, {
    cwd: spec.cwd,
    env,
    detached: !isWindows, // its own process group, so the whole tree can be signalled
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  if (child.pid !== undefined) processes.adopt(child.pid)
  current = processes

  for (const stream of [child.stdout!, child.stderr!]) {
    let blocked = false
    const lines = new LineSplitter((line) => {
      tail.add(line)
      spec.onLine?.(line)
      if (!process.stdout.write(`${mask(line)}\n`)) blocked = true
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

  let timedOut: Promise<StoppedProcess[]> | undefined
  const timer = setTimeout(() => {
    process.stdout.write(`compat-sentinel: ${spec.name} exceeded ${span(spec.timeoutMs)}; stopping all its processes\n`)
    timedOut = processes.stop(GRACE_MS)
  }, spec.timeoutMs)

  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, error }))
    child.once('exit', (code, signal) => resolve({ code, signal }))
  })
  clearTimeout(timer)
  // Whatever the result, nothing the phase started outlives it: background servers, daemons,
  // `setsid` and `set -m` children, processes wrapped in `timeout`.
  const stopped = [...((await timedOut) ?? []), ...(await processes.stop(GRACE_MS))]
  await closed(child)
  current = undefined
  await fs.rm(script, { force: true })
  // A probe tested another build: later steps must see what the tested build's commands wrote.
  if (spec.passOn === false) await fs.rm(path.dirname(files.GITHUB_OUTPUT), { recursive: true, force: true })
  else await forwardCommandFiles(files, spec.name)

  if (exit.error) {
    // Nothing was tested: not a verdict on the version, and no reason to run record.
    throw cannotStart(spec.name, exit.error.message)
  }
  const report: PhaseReport = {
    result: timedOut ? 'timeout' : exit.code === 0 ? 'success' : 'failure',
    exitCode: exit.code,
    durationMs: Date.now() - started,
    logTail: '',
  }
  if (exit.signal && !timedOut) report.signal = exit.signal
  // On a timeout the phase's own shell is among them; otherwise these are true survivors.
  const survivors = stopped.filter((p) => timedOut === undefined || p.pid !== child.pid)
  if (survivors.length) {
    const line = stoppedLine(spec.name, survivors, timedOut !== undefined)
    core.warning(line)
    tail.add(line)
    report.stopped = survivors.map((p) => ({ pid: p.pid, command: mask(p.command) }))
  }
  report.logTail = tail.toString()
  return report
}

/** Waits for the output pipes to close, but not forever (a process that left the group may hold them). */
async function closed(child: ChildProcess): Promise<void> {
  if (child.stdout?.closed !== false && child.stderr?.closed !== false) return
  await Promise.race([new Promise((r) => child.once('close', r)), new Promise((r) => setTimeout(r, 2_000))])
  child.stdout?.destroy()
  child.stderr?.destroy()
}
