// A loopback stand-in for the Actions cache service (the v1 REST protocol @actions/cache speaks
// when ACTIONS_CACHE_URL is set): look up, reserve, upload in ranges, commit, download.
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'

interface Entry {
  key: string
  version: string
  chunks: { start: number; data: Buffer }[]
  archive?: Buffer
}

export class CacheServer {
  url = ''
  readonly entries: Entry[] = []
  readonly log: string[] = []
  private server = http.createServer((req, res) => void this.handle(req, res))

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`
    return this
  }

  close(): Promise<void> {
    this.server.closeAllConnections()
    return new Promise((r) => this.server.close(() => r()))
  }

  /** What a runner puts in the environment for the cache client. */
  env(): Record<string, string> {
    return { ACTIONS_CACHE_URL: this.url, ACTIONS_RUNTIME_TOKEN: 'runtime-token-for-tests' }
  }

  /**
   * As the real service looks up: the primary key exactly; then each restore key exactly, then as
   * a prefix, the newest entry first. Only committed entries of the same version (paths and
   * compression) count.
   */
  private lookup(keys: string[], version: string): Entry | undefined {
    const ready = this.entries.filter((e) => e.archive && e.version === version && !this.evicted.has(e.key)).reverse()
    for (const [i, key] of keys.entries()) {
      const hit = ready.find((e) => e.key === key) ?? (i > 0 ? ready.find((e) => e.key.startsWith(key)) : undefined)
      if (hit) return hit
    }
    return undefined
  }

  /** Keys the service no longer serves, as after eviction. */
  readonly evicted = new Set<string>()

  /** Adds a committed entry as if some run had saved it. */
  plant(key: string, version: string, archive: Buffer): void {
    this.entries.push({ key, version, chunks: [], archive })
  }

  /** When set, requests whose path matches are never answered (a hung service). */
  hang: RegExp | null = null

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body: Buffer[] = []
    for await (const chunk of req) body.push(chunk as Buffer)
    const data = Buffer.concat(body)
    const u = new URL(req.url ?? '/', this.url)
    this.log.push(`${req.method} ${u.pathname}`)
    if (this.hang?.test(`${req.method} ${u.pathname}`)) return
    const json = (status: number, value?: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(value === undefined ? '' : JSON.stringify(value))
    }
    const api = '/_apis/artifactcache/'
    if (req.method === 'GET' && u.pathname === `${api}cache`) {
      const hit = this.lookup((u.searchParams.get('keys') ?? '').split(','), u.searchParams.get('version') ?? '')
      return hit ? json(200, { cacheKey: hit.key, archiveLocation: `${this.url}archives/${this.entries.indexOf(hit)}` }) : json(204)
    }
    if (req.method === 'POST' && u.pathname === `${api}caches`) {
      const { key, version } = JSON.parse(data.toString()) as { key: string; version: string }
      if (this.entries.some((e) => e.key === key && e.version === version)) return json(409, { message: 'already exists' })
      this.entries.push({ key, version, chunks: [] })
      // Ids start at 1: the client takes a cacheId of 0 for none.
      return json(201, { cacheId: this.entries.length })
    }
    const id = /caches\/(\d+)$/.exec(u.pathname)
    const entry = id ? this.entries[Number(id[1]) - 1] : undefined
    if (req.method === 'PATCH' && entry) {
      const start = Number(/bytes (\d+)-/.exec(String(req.headers['content-range']))?.[1] ?? 0)
      entry.chunks.push({ start, data })
      return json(204)
    }
    if (req.method === 'POST' && entry) {
      const size = entry.chunks.reduce((n, c) => Math.max(n, c.start + c.data.length), 0)
      const archive = Buffer.alloc(size)
      for (const c of entry.chunks) c.data.copy(archive, c.start)
      entry.archive = archive
      return json(204)
    }
    const dl = /^\/archives\/(\d+)$/.exec(u.pathname)
    const archive = dl ? this.entries[Number(dl[1])]?.archive : undefined
    if (req.method === 'GET' && archive) {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(archive.length) })
      return void res.end(archive)
    }
    json(404, { message: 'not found' })
  }
}
