// The one HTTP client of the action: index pages, wheels and uv archives all go through it, so
// every request gets the same timeouts, retries, proxy handling, size limits and credential rules.
// It throws the typed errors of ./http-errors and never phrases a user message: callers do.
import * as core from '@actions/core'
import { createHash, randomBytes } from 'node:crypto'
import { createWriteStream, rmSync } from 'node:fs'
import { rename, rm, statfs } from 'node:fs/promises'
import * as path from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { Dispatcher, EnvHttpProxyAgent, Response } from 'undici'
import { formatBytes } from '../core/bytes'
import { ChecksumError, DeadlineError, HttpStatusError, NetworkError, RequestError, TlsError, TooLargeError, WriteError } from './http-errors'
import { redactUrl } from './secrets'

export { ChecksumError, DeadlineError, HttpStatusError, NetworkError, RequestError, TlsError, TooLargeError, WriteError, cause } from './http-errors'

export interface RequestOptions {
  accept?: string
  /**
   * A URL whose `user:password@` (or bare `token@`) may be sent along: only when the request
   * goes to the same origin (scheme, host, port). Files an index lists on another host never get
   * the index's credentials.
   */
  credentialsFrom?: string
  /** Whole-request deadline (headers and body), for pages: a server that trickles cannot hold the run. */
  deadline?: boolean
  /** Minimum transfer rate, for files: large downloads may take long, but must keep moving. */
  minRate?: boolean
  /** The bytes as the server stores them, never decoded (files: their checksum is of those bytes). */
  asStored?: boolean
}

export interface Fetched {
  /** The URL after redirects: relative links on the page resolve against it. */
  url: string
  contentType: string
  /** Content-Length when the server sent one. */
  contentLength?: number
}

// Tunables read from the environment so tests and slow networks can change them without new
// inputs. Defaults suit github.com runners talking to PyPI.
const envNumber = (name: string, fallback: number) => Number(process.env[name]) || fallback
const timeoutMs = () => envNumber('COMPAT_SENTINEL_HTTP_TIMEOUT_MS', 30_000)
const deadlineMs = () => envNumber('COMPAT_SENTINEL_HTTP_DEADLINE_MS', 120_000)
const minBytesPerSecond = () => envNumber('COMPAT_SENTINEL_HTTP_MIN_RATE_BPS', 10 * 1024)
const rateWindowMs = () => envNumber('COMPAT_SENTINEL_HTTP_RATE_WINDOW_MS', 60_000)
const retries = () => {
  const raw = process.env.COMPAT_SENTINEL_HTTP_RETRIES
  const n = Number(raw)
  return raw && Number.isInteger(n) && n >= 0 ? n : 3
}
const backoffBaseMs = () => envNumber('COMPAT_SENTINEL_HTTP_BACKOFF_MS', 500)
// Opening a connection gives up after this long (COMPAT_SENTINEL_HTTP_TIMEOUT_MS, when shorter,
// still wins through Watch): a server that never accepts is named as such.
const CONNECT_TIMEOUT_MS = 10_000
const MAX_REDIRECTS = 20 // as fetch
const MAX_RETRY_AFTER_MS = 60_000

// undici 8, not Node's own fetch: the undici inside Node 24 (7.x) intermittently fails an
// internal assertion (`!this.paused`) when a close-delimited HTTP/1.0 body ends while the reader
// is paused, as with `python -m http.server` mirrors (test/uv.e2e.test.ts), and it ignores
// HTTPS_PROXY unless Node was started with NODE_USE_ENV_PROXY, which an action cannot ask for.
// EnvHttpProxyAgent honours HTTPS_PROXY / HTTP_PROXY / NO_PROXY (either case). The idle timeout,
// the deadline and the minimum rate are Watch's. Loaded at the first request, not at start-up:
// a run that fails on its inputs (or needs no network) starts in a blink.
//
// Files go through undici's request() instead, which never decodes a body: a server that sends a
// .tar.gz with `Content-Encoding: gzip` (Apache's AddEncoding) describes the file itself, and
// fetch would gunzip it, so its checksum could never match. Its redirect interceptor follows
// redirects as fetch does (authorization dropped on another origin).
interface Client {
  undici: typeof import('undici')
  agent: EnvHttpProxyAgent
  files: Dispatcher
}
let client: Promise<Client> | undefined
function http(): Promise<Client> {
  client ??= import('undici').then((undici) => {
    const agent = new undici.EnvHttpProxyAgent({ connectTimeout: CONNECT_TIMEOUT_MS })
    return { undici, agent, files: agent.compose(undici.interceptors.redirect({ maxRedirections: MAX_REDIRECTS, throwOnMaxRedirect: true })) }
  })
  return client
}

// Statuses whose response has no body (a Response refuses one).
const NULL_BODY_STATUS = new Set([204, 205, 304])

/** GET as stored: `Accept-Encoding: identity`, and whatever Content-Encoding says, no decoding. */
async function getAsStored({ undici, files }: Client, url: string, headers: Record<string, string>, signal: AbortSignal): Promise<Response> {
  const res = await undici.request(url, { dispatcher: files, headers: { ...headers, 'accept-encoding': 'identity' }, signal })
  // A file needs a body, and a Response takes only statuses 200 to 599: any other answer (204, a
  // 304 to a request that asked for none, a 999) is an HTTP error naming the status, as fetch's would
  // be. The dropped body's own abort error is nobody's business (unheard, it would crash the run).
  if (NULL_BODY_STATUS.has(res.statusCode) || res.statusCode < 200 || res.statusCode > 599) {
    res.body.on('error', () => {}).destroy()
    throw new HttpStatusError(url, res.statusCode)
  }
  const list = Object.entries(res.headers).flatMap(([name, value]) => (value === undefined ? [] : [value].flat().map((v): [string, string] => [name, v])))
  // The requested URL stands for the file in messages (request() does not say where redirects ended).
  // undici's Response takes an async iterable (the Node stream itself): cancelling it ends the request.
  return new undici.Response(res.body as unknown as AsyncIterable<Uint8Array>, { status: res.statusCode, headers: list }) as unknown as Response
}

function retryAfter(res: Response): number | undefined {
  const h = res.headers.get('retry-after')
  if (!h) return undefined
  const secs = Number(h)
  const ms = Number.isFinite(secs) ? secs * 1000 : Date.parse(h) - Date.now()
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS) : undefined
}

/** A `fetch` for other clients (Octokit) with the action's proxy handling (HTTPS_PROXY, NO_PROXY). */
export const proxyAwareFetch: typeof globalThis.fetch = async (input, init) => {
  const { undici, agent } = await http()
  return (await undici.fetch(input as Parameters<typeof undici.fetch>[0], { ...(init as Parameters<typeof undici.fetch>[1]), dispatcher: agent })) as unknown as Response
}

/** Makes the global `fetch` (which libraries such as @sigstore/tuf use) go through the action's proxy handling. */
export async function shareProxySettingsWithGlobalFetch(): Promise<void> {
  const { undici, agent } = await http()
  undici.setGlobalDispatcher(agent)
}

// Failures worth another attempt: the network or the server may be fine a moment later.
// Anything else (a certificate, a host that does not exist, a 4xx) fails at once.
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENETDOWN',
  'EHOSTDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
])
const isTlsCode = (code: string) => /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|HOSTNAME_MISMATCH|^ERR_TLS_|^ERR_SSL_/.test(code)

/** The innermost error with a `code` in undici's chain (fetch failed → cause → cause). */
function rootCause(e: unknown): { code: string; message: string } {
  let c = e as { code?: unknown; message?: string; cause?: unknown } | undefined
  for (let i = 0; i < 5 && c; i++) {
    if (typeof c.code === 'string') return { code: c.code, message: c.message ?? '' }
    c = c.cause as typeof c
  }
  const inner = (e as { cause?: { message?: string } })?.cause?.message
  return { code: '', message: inner ?? (e as Error)?.message ?? String(e) }
}

function describe(code: string, message: string): string {
  if (code === 'ECONNREFUSED') return 'connection refused'
  if (code === 'ENOTFOUND') return 'host name not found'
  if (code === 'EAI_AGAIN') return 'host name not found (temporary DNS failure)'
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return `connection closed by the server (${message || code})`
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return `the server did not accept the connection within ${CONNECT_TIMEOUT_MS / 1000} s`
  if (/TIMEOUT|ETIMEDOUT/.test(code)) return `timed out after ${timeoutMs() / 1000} s without data`
  return message + (code ? ` (${code})` : '')
}

// The Fetch standard's "bad ports" are refused before any connection, with no error code; uv and pip reach them.
const BAD_PORT = `its port (or a redirect's) is one that fetch refuses to connect to (a "bad port" of the Fetch standard, such as 6000 or 10080); serve it on another port`

/** A failure as a typed error, and whether another attempt may help. */
function judge(e: unknown, url: string, attempt: number): { error: unknown; transient: boolean } {
  if (e instanceof HttpStatusError) return { error: e, transient: e.status === 429 || e.status >= 500 }
  if (e instanceof DeadlineError) return { error: e, transient: true }
  if (e instanceof RequestError || e instanceof WriteError) return { error: e, transient: false }
  const { code, message } = rootCause(e)
  if (/redirect count exceeded/i.test(message) || code === 'UND_ERR_REDIRECT_MAX')
    return { error: new NetworkError(url, `redirects in a loop (more than ${MAX_REDIRECTS} redirects)`, attempt, 'REDIRECT_LOOP'), transient: false }
  if (/^Redirect loop detected/.test(message)) return { error: new NetworkError(url, 'redirects in a loop (back to a URL it had already been sent to)', attempt, 'REDIRECT_LOOP'), transient: false }
  if (isTlsCode(code)) return { error: new TlsError(url, code, message), transient: false }
  if (!code && message === 'bad port') return { error: new NetworkError(url, BAD_PORT, attempt, 'BAD_PORT'), transient: false }
  if (/scheme must be a HTTP\(S\) scheme|^Invalid URL protocol/i.test(message))
    return { error: new NetworkError(url, 'it redirected to a URL that is not http(s)', attempt, 'REDIRECT_SCHEME'), transient: false }
  // llhttp's HTTPParserError carries no code: a server (or a proxy) whose answer breaks HTTP/1.1.
  const notHttp = /^Response does not match the HTTP\/1\.1 protocol \((.*)\)$/.exec(message)
  if (notHttp) return { error: new NetworkError(url, `its answer is not valid HTTP (${notHttp[1]})`, attempt, 'HTTP_PARSE'), transient: false }
  if (!code) return { error: e, transient: false } // not a network failure: a bug, reported as such
  return { error: new NetworkError(url, describe(code, message), attempt, code), transient: TRANSIENT_CODES.has(code) }
}

/** `user:password@` or a bare `token@` as a Basic Authorization header (fetch refuses them in the URL). */
function splitCredentials(raw: string): { url: string; authorization?: string } {
  const u = new URL(raw)
  if (!u.username && !u.password) return { url: raw }
  const token = Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')
  u.username = ''
  u.password = ''
  return { url: u.toString(), authorization: `Basic ${token}` }
}

function credentials(rawUrl: string, from: string | undefined): { url: string; authorization?: string } {
  const own = splitCredentials(rawUrl)
  if (own.authorization || !from) return own
  const index = splitCredentials(from)
  return index.authorization && new URL(index.url).origin === new URL(own.url).origin ? { url: own.url, authorization: index.authorization } : own
}

/** A server that sent nothing for the idle timeout: judged like a network failure (worth a retry). */
class IdleTimeout extends Error {
  constructor(readonly code: 'UND_ERR_HEADERS_TIMEOUT' | 'UND_ERR_BODY_TIMEOUT') {
    super('no data within the timeout')
  }
}

/**
 * One attempt's clocks, any of which aborts the request: the idle timeout (no headers, or no body
 * bytes, for COMPAT_SENTINEL_HTTP_TIMEOUT_MS), the whole-request deadline and the minimum rate.
 */
class Watch {
  private readonly ctl = new AbortController()
  private readonly timers: NodeJS.Timeout[] = []
  private readonly idle: NodeJS.Timeout
  private idleCode: IdleTimeout['code'] = 'UND_ERR_HEADERS_TIMEOUT'
  private bytes = 0
  reason: DeadlineError | IdleTimeout | undefined

  constructor(
    private readonly url: string,
    private readonly opts: RequestOptions,
  ) {
    const ms = deadlineMs()
    if (opts.deadline) this.timers.push(setTimeout(() => this.abort(new DeadlineError(url, 'deadline', ms)), ms))
    this.idle = setTimeout(() => this.abort(new IdleTimeout(this.idleCode)), timeoutMs())
    this.timers.push(this.idle)
  }

  get signal(): AbortSignal {
    return this.ctl.signal
  }

  /** Starts the rate check once the body begins: bytes per window below the minimum abort it. */
  bodyStarted(): void {
    this.idleCode = 'UND_ERR_BODY_TIMEOUT'
    this.idle.refresh()
    if (!this.opts.minRate) return
    const window = rateWindowMs()
    const min = minBytesPerSecond()
    let seen = 0
    this.timers.push(
      setInterval(() => {
        if (this.bytes - seen < (min * window) / 1000) this.abort(new DeadlineError(this.url, 'rate', window, min))
        seen = this.bytes
      }, window),
    )
  }

  readonly progress = (n: number): void => {
    this.bytes += n
    this.idle.refresh()
  }

  private abort(reason: DeadlineError | IdleTimeout): void {
    if (this.reason) return
    this.reason = reason
    this.ctl.abort(reason)
  }

  /** Drops whatever is left of a failed attempt's body, so its connection is not kept busy. */
  release(): void {
    if (!this.ctl.signal.aborted) this.ctl.abort()
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t)
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

type Consume<T> = (res: Response, meta: Fetched, progress: (bytes: number) => void) => Promise<T>

/**
 * GET `url`, retrying transient failures (connection errors, timeouts, 429 honouring Retry-After,
 * 5xx) with backoff, then hand the successful response to `consume`. Failures in `consume` are
 * judged the same way (a body cut mid-way is retried; a size limit is final).
 */
export async function get<T>(rawUrl: string, opts: RequestOptions, consume: Consume<T>): Promise<T> {
  const { url, authorization } = credentials(rawUrl, opts.credentialsFrom)
  const headers: Record<string, string> = {}
  if (authorization) headers.authorization = authorization
  if (opts.accept) headers.accept = opts.accept
  const attempts = retries() + 1
  for (let attempt = 1; ; attempt++) {
    const watch = new Watch(url, opts)
    try {
      const client = await http()
      const res = opts.asStored
        ? await getAsStored(client, url, headers, watch.signal)
        : await client.undici.fetch(url, { headers, dispatcher: client.agent, redirect: 'follow', signal: watch.signal })
      if (!res.ok) {
        await res.body?.cancel().catch(() => {})
        throw new HttpStatusError(res.url || url, res.status, retryAfter(res))
      }
      const length = Number(res.headers.get('content-length') ?? NaN)
      const meta: Fetched = { url: res.url || url, contentType: res.headers.get('content-type') ?? '', contentLength: Number.isFinite(length) ? length : undefined }
      watch.bodyStarted()
      return await consume(res, meta, watch.progress)
    } catch (e) {
      watch.release()
      const { error, transient } = judge(watch.reason ?? e, url, attempt)
      if (!transient || attempt >= attempts) throw error
      const retryAfterMs = error instanceof HttpStatusError ? error.retryAfterMs : undefined
      const waitMs = retryAfterMs ?? backoffBaseMs() * 2 ** (attempt - 1)
      const why = error instanceof HttpStatusError ? `HTTP ${error.status}${retryAfterMs !== undefined ? ', Retry-After' : ''}` : (error as Error).message
      core.info(`${redactUrl(rawUrl)}: ${why}; retry ${attempt} of ${attempts - 1} in ${(waitMs / 1000).toFixed(1)} s`)
      await sleep(waitMs)
    } finally {
      watch.stop()
    }
  }
}

/** Hands a body to `onChunk` as it arrives, refusing more than `maxBytes`. */
export async function readChunks(res: Response, url: string, maxBytes: number, progress: (n: number) => void, onChunk: (chunk: Uint8Array) => void): Promise<void> {
  let size = 0
  for await (const chunk of res.body ?? []) {
    size += chunk.byteLength
    progress(chunk.byteLength)
    if (size > maxBytes) {
      await res.body?.cancel().catch(() => {})
      throw new TooLargeError(url, maxBytes, false)
    }
    onChunk(chunk)
  }
}

/** Reads a whole body as text, refusing more than `maxBytes` (and not keeping it in memory). */
export async function readText(res: Response, url: string, maxBytes: number, progress: (n: number) => void = () => {}): Promise<string> {
  const chunks: Buffer[] = []
  await readChunks(res, url, maxBytes, progress, (chunk) => chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))) // views, not copies
  return Buffer.concat(chunks).toString('utf8')
}

/** A page (index page, checksum file): bounded in size and in total time. */
export async function getText(url: string, opts: RequestOptions & { maxBytes: number }): Promise<{ text: string } & Fetched> {
  return get(url, { deadline: true, ...opts }, async (res, meta, progress) => {
    if (meta.contentLength !== undefined && meta.contentLength > opts.maxBytes) throw new TooLargeError(meta.url, opts.maxBytes, false)
    return { ...meta, text: await readText(res, meta.url, opts.maxBytes, progress) }
  })
}

export interface Downloaded {
  sha256: string
  bytes: number
}

export interface DownloadOptions {
  /** Verified before the file appears under its name. */
  sha256?: string
  /** The size the index declared: the body may not be longer, and the disk must have room for it. */
  size?: number
  /** The cap when no size is declared. */
  maxBytes: number
  credentialsFrom?: string
}

// Temp files of downloads in flight, removed on any exit (a cancelled run exits mid-download).
const partials = new Set<string>()
let exitCleanup = false
function removeOnExit(file: string): void {
  partials.add(file)
  if (exitCleanup) return
  exitCleanup = true
  process.on('exit', () => {
    for (const p of partials) rmSync(p, { force: true })
  })
}

/** Refuses to start a download the disk has no room for. */
async function ensureSpace(dest: string, size: number): Promise<void> {
  const dir = path.dirname(dest)
  const fsInfo = await statfs(dir).catch(() => null)
  if (!fsInfo) return
  const free = fsInfo.bavail * fsInfo.bsize
  if (size > free) throw new WriteError(dest, 'ENOSPC', `it is ${formatBytes(size)}, but only ${formatBytes(free)} is free in ${dir}`)
}

/**
 * Streams `url` into `dest` through a short-named temp file beside it, hashing as it goes. The
 * file appears under its name only complete and, when `sha256` is given, verified; on any
 * failure (network, size, disk, checksum, cancellation) no file is left behind.
 */
export async function downloadFile(url: string, dest: string, want: DownloadOptions): Promise<Downloaded> {
  const limit = want.size ?? want.maxBytes
  const declared = want.size !== undefined
  if (declared) await ensureSpace(dest, want.size!)
  // Short, so a 248-character file name still leaves room under the 255-byte limit of a name.
  const tmp = path.join(path.dirname(dest), `.part-${randomBytes(6).toString('hex')}`)
  removeOnExit(tmp)
  try {
    const result = await get(url, { credentialsFrom: want.credentialsFrom, minRate: true, asStored: true }, async (res, meta, progress) => {
      if (meta.contentLength !== undefined && meta.contentLength > limit) throw new TooLargeError(meta.url, limit, declared)
      const hash = createHash('sha256')
      let bytes = 0
      const measure = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          bytes += chunk.length
          if (bytes > limit) return done(new TooLargeError(meta.url, limit, declared))
          hash.update(chunk)
          progress(chunk.length)
          done(null, chunk)
        },
      })
      // The file's own errors carry a syscall; a failing source destroys `out` with its error too.
      let writeFailure: NodeJS.ErrnoException | undefined
      const out = createWriteStream(tmp).on('error', (e: NodeJS.ErrnoException) => {
        if (e.syscall) writeFailure ??= e
      })
      try {
        // pipeline settles on the first error of any side (a write error included) and closes both.
        await pipeline(res.body ?? [], measure, out)
      } catch (e) {
        if (writeFailure) throw new WriteError(dest, writeFailure.code ?? '', writeFailure.message)
        throw e
      }
      return { sha256: hash.digest('hex'), bytes }
    })
    if (want.sha256 && result.sha256 !== want.sha256.toLowerCase()) throw new ChecksumError(url, want.sha256.toLowerCase(), result.sha256, result.bytes)
    await rename(tmp, dest).catch((e: NodeJS.ErrnoException) => {
      throw new WriteError(dest, e.code ?? '', e.message)
    })
    return result
  } finally {
    await rm(tmp, { force: true })
    partials.delete(tmp)
  }
}
