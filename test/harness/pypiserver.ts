// A real PyPI-compatible server (pypiserver) on loopback, with its fallback to pypi.org off.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import * as fs from 'node:fs'
import * as net from 'node:net'
import * as path from 'node:path'
import { tempDir } from './action'
import type { Dist } from './dists'
import { PYTHON, SETUP_HINT } from './python'

async function freePort(): Promise<number> {
  const srv = net.createServer()
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  const port = (srv.address() as net.AddressInfo).port
  await new Promise((r) => srv.close(r))
  return port
}

function pypiServerCommand(): string[] {
  try {
    execFileSync(PYTHON, ['-c', 'import pypiserver'], { stdio: 'ignore' })
    return [PYTHON, '-m', 'pypiserver']
  } catch {
    throw new Error(`pypiserver is not installed for ${PYTHON}. ${SETUP_HINT}`)
  }
}

export class PypiServer {
  readonly dir = tempDir('pypiserver-')
  url = ''
  private proc?: ChildProcess

  constructor(dists: Dist[]) {
    for (const d of dists) fs.writeFileSync(path.join(this.dir, d.filename), d.content)
  }

  get indexUrl(): string {
    return `${this.url}/simple/`
  }

  async start(): Promise<this> {
    const [cmd, ...args] = pypiServerCommand()
    const port = await freePort()
    this.proc = spawn(cmd!, [...args, 'run', '-p', String(port), '-i', '127.0.0.1', '--disable-fallback', '-a', '.', '-P', '.', '--hash-algo', 'sha256', this.dir], { stdio: 'ignore' })
    this.url = `http://127.0.0.1:${port}`
    const deadline = Date.now() + 30_000
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null) throw new Error(`pypiserver exited with ${this.proc.exitCode}`)
      try {
        const res = await fetch(`${this.url}/simple/`)
        if (res.ok) return this
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new Error('pypiserver did not start within 30 s')
  }

  async close(): Promise<void> {
    this.proc?.kill('SIGTERM')
    fs.rmSync(this.dir, { recursive: true, force: true })
  }
}
