// A loopback index server for tests: PEP 691 JSON or PEP 503 HTML by Accept header, file
// downloads with real sha256, yanked files, upload times, redirects for non-normalised names,
// static assets (uv releases), a request log, and switches to inject faults.
import * as http from 'node:http'
import * as https from 'node:https'
import type { AddressInfo } from 'node:net'
import { sha256, type Dist } from './dists'

export interface HostedFile extends Dist {
  yanked?: boolean | string
  uploadTime?: string
  requiresPython?: string
  /** PEP 740 provenance object, served at /provenance/<filename> and linked from the listing. */
  provenance?: object
}

export interface Fault {
  status?: number
  /** Extra headers; on a file's normal answer too (e.g. `content-encoding: gzip` for a .tar.gz, as Apache's AddEncoding sends). */
  headers?: Record<string, string>
  /** Replaces the body (with status 200 unless `status` is set). */
  body?: string | Buffer
  contentType?: string
  /** Waits before answering (then answers normally unless other fields say otherwise). */
  delayMs?: number
  /** Sends the true Content-Length, then only this many bytes, then drops the connection. */
  truncateAt?: number
  /** Drops the connection without answering. */
  reset?: boolean
  /** Never answers. */
  hang?: boolean
  /** Answers with a redirect to this location. */
  redirectTo?: string
  /** Serves a wrong sha256 for files in the index listing. */
  wrongHash?: boolean
  /** Streams this many bytes of filler (never held in memory) as a 200 answer. */
  hugeBody?: number
  /** Sends the true headers, then the body one byte every this many ms. */
  trickleMs?: number
  /** Sends the true headers and this many bytes of the body, then nothing more (the connection stays open). */
  stallAfter?: number
  /** Declares this PEP 700 `size` for every file in the JSON listing instead of the true one. */
  declaredSize?: number
}

export interface IndexServerOptions {
  /** `user:password` (or `token:`) the server wants as HTTP Basic auth on every request. */
  basicAuth?: string
  /** Serve over HTTPS with this key and certificate (PEM). */
  tls?: { key: string; cert: string }
  /** Links files under this origin (e.g. another server) instead of the index's own. */
  filesBase?: string
}

interface FaultRule {
  match: RegExp
  fault: Fault
  remaining: number
}

export type Mode = 'auto' | 'json' | 'html'

const normalize = (n: string) => n.toLowerCase().replace(/[-_.]+/g, '-')
const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

export class IndexServer {
  url = ''
  mode: Mode = 'auto'
  readonly projects = new Map<string, HostedFile[]>()
  readonly statics = new Map<string, { body: Buffer; contentType: string }>()
  readonly requests: { path: string; accept: string; acceptEncoding: string; authorization?: string }[] = []
  /** TCP connections accepted (TLS handshakes that fail never show up in `requests`). */
  connections = 0
  private rules: FaultRule[] = []
  private server: http.Server
  private sockets = new Set<import('node:net').Socket>()

  constructor(readonly options: IndexServerOptions = {}) {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => void this.handle(req, res)
    this.server = options.tls ? https.createServer(options.tls, handler) : http.createServer(handler)
  }

  get indexUrl(): string {
    return `${this.url}/simple/`
  }

  async start(): Promise<this> {
    this.server.on('connection', (s: import('node:net').Socket) => {
      this.connections++
      this.sockets.add(s)
      s.on('close', () => this.sockets.delete(s))
    })
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r))
    this.url = `${this.options.tls ? 'https' : 'http'}://127.0.0.1:${(this.server.address() as AddressInfo).port}`
    return this
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    await new Promise((r) => this.server.close(r))
  }

  add(project: string, ...files: HostedFile[]): this {
    const key = normalize(project)
    this.projects.set(key, [...(this.projects.get(key) ?? []), ...files])
    return this
  }

  addStatic(urlPath: string, body: Buffer | string, contentType = 'application/octet-stream'): this {
    this.statics.set(urlPath, { body: Buffer.from(body), contentType })
    return this
  }

  /** Applies `fault` to the next `times` requests whose path matches. */
  inject(match: RegExp, fault: Fault, times = Infinity): this {
    this.rules.push({ match, fault, remaining: times })
    return this
  }

  clearFaults(): void {
    this.rules = []
  }

  count(match: RegExp): number {
    return this.requests.filter((r) => match.test(r.path)).length
  }

  private takeFault(path: string): Fault | undefined {
    const rule = this.rules.find((r) => r.remaining > 0 && r.match.test(path))
    if (!rule) return undefined
    rule.remaining--
    return rule.fault
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
    this.requests.push({ path, accept: String(req.headers.accept ?? ''), acceptEncoding: String(req.headers['accept-encoding'] ?? ''), authorization: req.headers.authorization })
    const want = this.options.basicAuth
    if (want && req.headers.authorization !== `Basic ${Buffer.from(want).toString('base64')}`) {
      return void res.writeHead(401, { 'www-authenticate': 'Basic realm="index"', 'content-type': 'text/plain' }).end('unauthorized')
    }
    const fault = this.takeFault(path)
    if (fault?.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs))
    if (fault?.hang) return
    if (fault?.reset) return void req.socket.destroy()
    if (fault?.hugeBody !== undefined) return this.streamFiller(res, fault.hugeBody, fault.contentType)
    if (fault?.redirectTo) return void res.writeHead(fault.status ?? 302, { location: fault.redirectTo }).end()
    if (fault && (fault.status !== undefined || fault.body !== undefined)) {
      res.writeHead(fault.status ?? 200, { 'content-type': fault.contentType ?? 'text/plain', ...fault.headers })
      return void res.end(fault.body ?? '')
    }
    const found = this.route(path, String(req.headers.accept ?? ''), fault)
    if (!found) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found')
    if ('redirect' in found) return void res.writeHead(301, { location: found.redirect }).end()
    // Files are immutable, and say so as PyPI's file host does: clients (uv) may keep them.
    const immutable = /\.(whl|tar\.gz|zip)$/.test(path) ? { 'cache-control': 'max-age=365000000, immutable, public' } : {}
    res.writeHead(200, { 'content-type': found.contentType, 'content-length': String(found.body.length), ...immutable, ...fault?.headers })
    if (fault?.trickleMs !== undefined) return this.trickle(res, found.body, fault.trickleMs)
    if (fault?.stallAfter !== undefined) return void res.write(found.body.subarray(0, fault.stallAfter))
    if (fault?.truncateAt !== undefined) {
      res.write(found.body.subarray(0, fault.truncateAt))
      return void setTimeout(() => req.socket.destroy(), 20)
    }
    res.end(found.body)
  }

  private trickle(res: http.ServerResponse, body: Buffer, everyMs: number): void {
    let sent = 0
    const timer = setInterval(() => {
      if (sent >= body.length) {
        clearInterval(timer)
        return void res.end()
      }
      res.write(body.subarray(sent, ++sent))
    }, everyMs)
    res.on('close', () => clearInterval(timer))
  }

  private streamFiller(res: http.ServerResponse, bytes: number, contentType = 'text/html'): void {
    res.writeHead(200, { 'content-type': contentType, 'content-length': String(bytes) })
    const chunk = Buffer.alloc(64 * 1024, 'a')
    let left = bytes
    const pump = () => {
      while (left > 0) {
        const n = Math.min(left, chunk.length)
        left -= n
        if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void res.once('drain', pump)
      }
      res.end()
    }
    res.on('close', () => (left = 0))
    pump()
  }

  private route(path: string, accept: string, fault?: Fault): { body: Buffer; contentType: string } | { redirect: string } | null {
    const stat = this.statics.get(path)
    if (stat) return stat
    const file = /^\/files\/([^/]+)$/.exec(path)
    if (file) {
      for (const files of this.projects.values()) {
        const f = files.find((x) => x.filename === file[1])
        if (f) return { body: f.content, contentType: 'application/octet-stream' }
      }
      return null
    }
    const provenance = /^\/provenance\/([^/]+)$/.exec(path)
    if (provenance) {
      const f = [...this.projects.values()].flat().find((x) => x.filename === provenance[1] && x.provenance)
      return f ? { body: Buffer.from(JSON.stringify(f.provenance)), contentType: 'application/vnd.pypi.integrity.v1+json' } : null
    }
    const page = /^\/simple\/([^/]+)\/?$/.exec(path)
    if (!page) return null
    const name = page[1]!
    if (name !== normalize(name) || !path.endsWith('/')) return { redirect: `/simple/${normalize(name)}/` }
    const files = this.projects.get(name)
    if (!files) return null
    const json = this.mode === 'json' || (this.mode === 'auto' && accept.includes('application/vnd.pypi.simple.v1+json'))
    const hash = (f: HostedFile) => (fault?.wrongHash ? sha256(Buffer.from('not the file')) : sha256(f.content))
    const fileUrl = (f: HostedFile) => (this.options.filesBase ? `${this.options.filesBase}/files/${f.filename}` : `../../files/${f.filename}`)
    if (json) {
      const body = {
        meta: { 'api-version': '1.1' },
        name,
        files: files.map((f) => ({
          filename: f.filename,
          url: fileUrl(f),
          hashes: { sha256: hash(f) },
          size: fault?.declaredSize ?? f.content.length,
          yanked: f.yanked ?? false,
          ...(f.requiresPython ? { 'requires-python': f.requiresPython } : {}),
          ...(f.uploadTime ? { 'upload-time': f.uploadTime } : {}),
          provenance: f.provenance ? `../../provenance/${f.filename}` : null,
        })),
      }
      return { body: Buffer.from(JSON.stringify(body)), contentType: 'application/vnd.pypi.simple.v1+json' }
    }
    const links = files.map((f) => {
      const y = f.yanked === undefined || f.yanked === false ? '' : f.yanked === true ? ' data-yanked' : ` data-yanked="${escapeAttr(f.yanked)}"`
      const rp = f.requiresPython ? ` data-requires-python="${escapeAttr(f.requiresPython)}"` : ''
      const prov = f.provenance ? ` data-provenance="../../provenance/${f.filename}"` : ''
      return `    <a href="${fileUrl(f)}#sha256=${hash(f)}"${rp}${y}${prov}>${f.filename}</a><br/>`
    })
    const html = `<!DOCTYPE html>\n<html><head><meta name="pypi:repository-version" content="1.0"><title>Links for ${name}</title></head>\n<body><h1>Links for ${name}</h1>\n${links.join('\n')}\n</body></html>\n`
    return { body: Buffer.from(html), contentType: 'text/html; charset=utf-8' }
  }
}
