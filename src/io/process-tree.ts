// Every process a phase started, wherever it went: its process group, its descendants (also
// those that called setsid or `set -m` to leave the group), processes that were orphaned when
// their parent exited (daemonised servers), and, where the action may create one, a cgroup v2
// that nothing inside can leave. A phase is tracked three ways at once, so that what one way
// misses another finds:
//   - a cgroup v2 child of the action's own cgroup (Linux, where writable: root, or delegated);
//   - the process tree under the phase's shell, sampled while it runs (an orphan stays known);
//   - a marker variable, COMPAT_SENTINEL_PHASE_ID=<random>, in the phase's environment, which
//     every descendant inherits unless it clears its environment on purpose.
// When the phase ends, whatever its result, all of them are stopped: SIGTERM, then SIGKILL after
// a grace period.
import * as core from '@actions/core'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'

const MARKER_ENV = 'COMPAT_SENTINEL_PHASE_ID'
const SAMPLE_MS = 500
const isLinux = process.platform === 'linux'
const isWindows = process.platform === 'win32'

export interface StoppedProcess {
  pid: number
  command: string
}

interface ProcInfo {
  pid: number
  ppid: number
  pgid: number
  state: string
  start: string
}

/** One /proc/<pid>/stat, or null when the process is gone. */
function readStat(pid: number): ProcInfo | null {
  let text: string
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return null
  }
  // The command name is in parentheses and may itself contain spaces and parentheses.
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ')
  return { pid, state: f[0]!, ppid: Number(f[1]), pgid: Number(f[2]), start: f[19]! }
}

function allPids(): number[] {
  try {
    return fs
      .readdirSync('/proc')
      .filter((e) => /^\d+$/.test(e))
      .map(Number)
  } catch {
    return []
  }
}

/** Every process on the machine but the action itself, from /proc. */
function liveStats(): ProcInfo[] {
  return allPids()
    .filter((pid) => pid !== process.pid)
    .map(readStat)
    .filter((s): s is ProcInfo => s !== null)
}

function commandOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, '').replace(/\0/g, ' ').slice(0, 300)
  } catch {
    return ''
  }
}

function carriesMarker(pid: number, marker: string): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`${MARKER_ENV}=${marker}`)
  } catch {
    return false
  }
}

/** The action's own cgroup v2 folder, or null where there is no cgroup v2 (or no /proc). */
function ownCgroupDir(): string | null {
  try {
    const rel = /^0::(.*)$/m.exec(fs.readFileSync('/proc/self/cgroup', 'utf8'))?.[1]
    if (rel === undefined) return null
    // mountinfo: "... <mount point> <options> - cgroup2 <source> <super options>"
    for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      const [before, after] = line.split(' - ')
      if (!after?.startsWith('cgroup2 ')) continue
      const fields = before!.split(' ')
      const root = fields[3]!
      const mount = fields[4]!
      // A mount of a sub-tree (in a container) shows paths relative to its own root.
      const inside = rel.startsWith(root) ? rel.slice(root === '/' ? 0 : root.length) : rel
      const dir = path.join(mount, inside)
      if (fs.existsSync(path.join(dir, 'cgroup.procs'))) return dir
    }
  } catch {
    // no /proc: not Linux, or a sandbox without it
  }
  return null
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig)
  } catch {
    // ESRCH: already gone; EPERM: not ours to stop
  }
}

export class PhaseProcesses {
  /** The value of the marker variable for this phase. */
  readonly marker: string
  private cgroup: string | null = null
  private root: number | undefined
  /** pid -> start time of every process seen under the phase's shell. */
  private readonly seen = new Map<number, string>()
  private sampler: NodeJS.Timeout | undefined

  constructor(name: string) {
    this.marker = `${name}-${randomBytes(8).toString('hex')}`
  }

  /** The phase's environment with the marker in it. */
  env(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
    return { ...base, [MARKER_ENV]: this.marker }
  }

  /**
   * How to start the phase's shell so that it is inside the phase's cgroup before it runs
   * anything (moving it after the start would race with its first fork): where a cgroup can be
   * created, a /bin/sh moves itself in, then execs the shell (same process, same pid).
   */
  command(file: string, args: string[]): { file: string; args: string[] } {
    if (!isLinux) return { file, args }
    this.cgroup = this.createCgroup()
    if (!this.cgroup) return { file, args }
    // A failed move leaves the shell where it was: the /proc tracking still applies.
    return { file: '/bin/sh', args: ['-c', 'echo $$ > "$0" 2>/dev/null; exec "$@"', path.join(this.cgroup, 'cgroup.procs'), file, ...args] }
  }

  /** Starts tracking the phase's shell (just spawned, in its own process group). */
  adopt(pid: number): void {
    this.root = pid
    if (!isLinux) return
    this.seen.set(pid, readStat(pid)?.start ?? '')
    this.sampler = setInterval(() => this.sample(), SAMPLE_MS)
    this.sampler.unref()
  }

  /** A child cgroup for the phase; null where that is not allowed. */
  private createCgroup(): string | null {
    if (process.env.COMPAT_SENTINEL_CGROUP === 'off') return null
    const own = ownCgroupDir()
    if (!own) return null
    const dir = path.join(own, `compat-sentinel-${this.marker}`)
    try {
      fs.mkdirSync(dir)
      core.debug(`The phase runs in cgroup ${dir}`)
      return dir
    } catch (e) {
      core.debug(`No cgroup for the phase (${(e as Error).message}); tracking its processes through /proc`)
      return null
    }
  }

  /** Remembers every descendant of the shell now, so one orphaned later is still known. */
  private sample(stats = liveStats()): void {
    if (this.root === undefined) return
    const children = new Map<number, ProcInfo[]>()
    for (const s of stats) {
      const siblings = children.get(s.ppid)
      if (siblings) siblings.push(s)
      else children.set(s.ppid, [s])
    }
    const alive = new Map(stats.map((s) => [s.pid, s.start]))
    const queue = [...this.seen].filter(([pid, start]) => alive.get(pid) === start).map(([pid]) => pid)
    while (queue.length) {
      for (const c of children.get(queue.pop()!) ?? []) {
        if (this.seen.get(c.pid) === c.start) continue
        this.seen.set(c.pid, c.start)
        queue.push(c.pid)
      }
    }
  }

  /** Every live (not zombie) process of the phase, found any of the ways: one pass over /proc. */
  members(): number[] {
    if (this.root === undefined) return []
    if (!isLinux) return []
    const stats = liveStats()
    this.sample(stats)
    const found = new Set<number>()
    if (this.cgroup) {
      try {
        for (const p of fs.readFileSync(path.join(this.cgroup, 'cgroup.procs'), 'utf8').split('\n')) if (p) found.add(Number(p))
      } catch {
        // removed already
      }
    }
    // Only a process started since the phase's shell can carry its marker: the environment of
    // the rest of the machine is not read.
    const since = Number(this.seen.get(this.root)) || 0
    for (const s of stats) {
      if (s.pgid === this.root || this.seen.get(s.pid) === s.start || (Number(s.start) >= since && carriesMarker(s.pid, this.marker))) found.add(s.pid)
    }
    const byPid = new Map(stats.map((s) => [s.pid, s]))
    return [...found].filter((pid) => {
      const s = byPid.get(pid) ?? readStat(pid)
      return s !== null && s.state !== 'Z'
    })
  }

  private groupAlive(): boolean {
    if (this.root === undefined || isWindows) return false
    try {
      process.kill(-this.root, 0)
      return true
    } catch {
      return false
    }
  }

  private signalAll(live: number[], sig: NodeJS.Signals): void {
    if (this.root === undefined) return
    if (isWindows) {
      spawn('taskkill', ['/pid', String(this.root), '/T', '/F'], { stdio: 'ignore' }).on('error', () => {})
      return
    }
    signal(-this.root, sig)
    for (const pid of live) signal(pid, sig)
    if (sig === 'SIGKILL' && this.cgroup) {
      try {
        fs.writeFileSync(path.join(this.cgroup, 'cgroup.kill'), '1')
      } catch {
        // kernels before 5.14 have no cgroup.kill: the signals did it
      }
    }
  }

  /**
   * Stops every process of the phase: SIGTERM, then SIGKILL for what is left after `graceMs`.
   * Returns what was running (on a timeout, the phase's shell itself included).
   */
  async stop(graceMs: number): Promise<StoppedProcess[]> {
    if (this.root === undefined) {
      this.release()
      return []
    }
    if (isWindows) {
      // taskkill /T takes the tree down at once; Windows has no process groups to wait on.
      this.signalAll([], 'SIGKILL')
      return []
    }
    const stopped = new Map<number, string>()
    // Elsewhere than Linux only the process group is known.
    const live = () => {
      const found = isLinux ? this.members() : this.groupAlive() ? [this.root!] : []
      for (const pid of found) if (!stopped.has(pid)) stopped.set(pid, isLinux ? commandOf(pid) : '')
      return found
    }
    let now = live()
    if (now.length || this.groupAlive()) {
      this.signalAll(now, 'SIGTERM')
      const termed = new Set(now)
      const deadline = Date.now() + graceMs
      while (now.length && Date.now() < deadline) {
        await sleep(50)
        now = live()
        // A process started during shutdown gets the same treatment.
        const fresh = now.filter((p) => !termed.has(p))
        for (const p of fresh) termed.add(p)
        if (fresh.length) this.signalAll(fresh, 'SIGTERM')
      }
      for (let i = 0; i < 40 && (now.length || this.groupAlive()); i++) {
        this.signalAll(now, 'SIGKILL')
        await sleep(50)
        now = live()
      }
    }
    this.release()
    return [...stopped].map(([pid, command]) => ({ pid, command }))
  }

  /** Stops sampling and removes the cgroup (empty by now). */
  private release(): void {
    clearInterval(this.sampler)
    if (!this.cgroup) return
    try {
      fs.rmdirSync(this.cgroup)
    } catch (e) {
      core.debug(`Could not remove ${this.cgroup}: ${(e as Error).message}`)
    }
    this.cgroup = null
  }
}
