// Assertions shared by the end-to-end suites: what every failed run must leave behind.
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import { spawn } from 'node:child_process'
import * as net from 'node:net'
import { MAIN_OUTPUTS, type RunResult } from './action'
import { PYTHON } from './python'

/** An `error` run: one clear message everywhere a user looks, every output set, no stack trace. */
export function assertErrorRun(r: RunResult, message: RegExp): void {
  assert.equal(r.outputs.outcome, 'error', r.stdout + r.stderr)
  for (const o of MAIN_OUTPUTS) assert.ok(o in r.outputs, `output ${o} is set`)
  assert.match(r.outputs.summary!, message)
  assert.ok(r.result, 'result file written')
  assert.equal(r.result.outcome, 'error')
  assert.match(r.result.reason, message)
  assert.match(r.summary, /⚠️/)
  assert.match(shownText(r.summary), message, 'the job summary says it, as a reader sees it')
  assert.match(r.stdout, /::error::/)
  assert.equal(r.exitCode, 1)
  assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at .*\.js:\d+/, 'no stack trace')
}

/** A loopback port nothing listens on: bound once by us, then released. */
export async function closedPort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Whether a process is running: it exists and is not a zombie waiting to be reaped (Linux). */
export function running(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

/** The text a reader sees of summary markdown or a Slack value: character entities decoded. */
export function shownText(md: string): string {
  return md
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
}

/**
 * Samples the peak resident memory (VmHWM) of the process whose pid `onStart` receives, for a
 * run of the action: `{ onStart, stop() }`, where stop() ends sampling and gives the peak in kB.
 */
export function peakMemorySampler(): { onStart: (pid: number) => void; stop: () => number } {
  let peakKb = 0
  let pid = 0
  const sampler = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
      if (m) peakKb = Math.max(peakKb, Number(m[1]))
    } catch {
      // not started yet, or gone
    }
  }, 20)
  return {
    onStart: (p) => (pid = p),
    stop: () => {
      clearInterval(sampler)
      return peakKb
    },
  }
}

/**
 * A loopback port where connecting hangs, as with an overloaded server: its listener never
 * accepts and its accept queue is full, so the kernel drops new SYNs. Python, because Node
 * accepts every connection itself.
 */
export async function unacceptingPort(): Promise<{ port: number; close(): Promise<void> }> {
  const script = 'import socket, sys\ns = socket.socket()\ns.bind(("127.0.0.1", 0))\ns.listen(0)\nprint(s.getsockname()[1], flush=True)\nsys.stdin.read()'
  const py = spawn(PYTHON, ['-c', script], { stdio: ['pipe', 'pipe', 'inherit'] })
  const port = await new Promise<number>((resolve, reject) => {
    py.stdout.once('data', (d) => resolve(Number(String(d).trim())))
    py.once('error', reject)
  })
  // A backlog of 0 queues one connection: ours fill it (the later ones hang, as the action's will).
  const fillers = [1, 2, 3].map(() => net.connect(port, '127.0.0.1').on('error', () => {}))
  await new Promise((r) => setTimeout(r, 200))
  return {
    port,
    close: async () => {
      for (const f of fillers) f.destroy()
      py.kill()
    },
  }
}
