// The one HTTP client of the action: index pages, wheels and uv archives all go through it, so
// every request gets the same timeout, retries, proxy handling and size limits.
import * as core from '@actions/core'
import { createHash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { rename, rm } from 'node:fs/promises'
import { once } from 'node:events'
import { EnvHttpProxyAgent, fetch, setGlobalDispatcher, type Response } from 'undici'
import { UserError } from '../core/vocabulary'
import { redactUrl } from './secrets'

export interface RequestOptions {
  accept?: string
  /** Larger bodies are refused (and not kept in memory). */
  maxBytes?: number
}

export interface Fetched {
  /** The URL after redirects: relative links on the page resolve against it. */
  url: string
  status: number
  contentType: string
  headers: Headers
}

// Tunables read from the environment so tests and slow networks can change them without new
// inputs. Defaults suit github.com runners talking to PyPI.
const timeoutMs = () => Number(process.env.COMPAT_SENTINEL_HTTP_TIMEOUT_MS) || 30_000
const retries = () => {
  const n = Number(process.env.COMPAT_SENTINEL_HTTP_RETRIES)
  return Number.isInteger(n) && n >= 2 ? n : 3
}
const backoffBaseMs = () => Number(process.env.COMPAT_SENTINEL_HTTP_BACKOFF_MS) || 500
const MAX_RETRY_AFTER_MS = 60_000

let agent: EnvHttpProxyAgent | undefined
function dispatcher(): EnvHttpProxyAgent {
  // Honours HTTPS_PROXY / HTTP_PROXY / NO_PROXY (either case). headersTimeout and bodyTimeout
  // are idle timeouts, so a large download is not cut while bytes keep arriving.
  agent ??= new EnvHttpProxyAgent({ connectTimeout: timeoutMs(), headersTimeout: timeoutMs(), bodyTimeout: timeoutMs() })
  return agent
}

class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly url: string,
    readonly retryAfterMs: number | undefined,
  ) {
    super(`HTTP ${status} from ${redactUrl(url)}`)
  }
}

const retryableStatus = (s: number) => s === 429 || s >= 500

function retryAfter(res: Response): number | undefined {
  const h = res.headers.get('retry-after')
  if (!h) return undefined
  const secs = Number(h)
  const ms = Number.isFinite(secs) ? secs * 1000 : Date.parse(h) - Date.now()
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS) : undefined
}

/**
 * Makes the global `fetch` (which libraries such as @sigstore/tuf use) go through the same proxy
 * handling and timeouts as the action's own requests; Node's fetch ignores HTTPS_PROXY otherwise.
 */
export function shareProxySettingsWithGlobalFetch(): void {
  setGlobalDispatcher(dispatcher())
}

/** Why a request failed, in words, from undici's error and its cause. */
export function describeNetworkError(e: unknown): string {
  const err = e as { message?: string; cause?: { code?: string; message?: string } }
  const cause = err.cause
  if (cause?.code === 'ECONNREFUSED') return 'connection refused'
  if (cause?.code === 'ENOTFOUND' || cause?.code === 'EAI_AGAIN') return 'host name not found'
  if (cause?.code && /TIMEOUT/i.test(cause.code)) return `timed out after ${timeoutMs() / 1000} s`
  if (cause?.message) return cause.message + (cause.code ? ` (${cause.code})` : '')
  return err.message ?? String(e)
}

const isRedirectLoop = (e: unknown) => /redirect count exceeded/i.test(String((e as { cause?: Error }).cause?.message ?? ''))

/** `user:password@` in a URL becomes a Basic Authorization header (fetch refuses it in the URL). */
function splitCredentials(raw: string): { url: string; headers: Record<string, string> } {
  const u = new URL(raw)
  if (!u.username && !u.password) return { url: raw, headers: {} }
  const token = Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')
  u.username = ''
  u.password = ''
  return { url: u.toString(), headers: { authorization: `Basic ${token}` } }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * GET `url`, retrying connection errors, 5xx and 429 (honouring Retry-After) with backoff, then
 * hand the successful response to `consume`. Errors in `consume` that are network errors are
 * retried too (a body cut mid-way); a UserError from `consume` is final.
 */
export async function get<T>(rawUrl: string, opts: RequestOptions, consume: (res: Response, meta: Fetched) => Promise<T>): Promise<T> {
  const { url, headers } = splitCredentials(rawUrl)
  if (opts.accept) headers.accept = opts.accept
  const attempts = retries() + 1
  let lastError: unknown
  for (let attempt = 1; attempt <= attempts; attempt++) {
    let waitMs = backoffBaseMs() * 2 ** (attempt - 1)
    try {
      const res = await fetch(url, { headers, dispatcher: dispatcher(), redirect: 'follow' })
      if (!res.ok) {
        await res.body?.cancel().catch(() => {})
        throw new HttpStatusError(res.status, res.url || url, retryAfter(res))
      }
      const meta: Fetched = { url: res.url || url, status: res.status, contentType: res.headers.get('content-type') ?? '', headers: res.headers as unknown as Headers }
      return await consume(res, meta)
    } catch (e) {
      lastError = e
      if (e instanceof UserError) throw e
      if (e instanceof HttpStatusError) {
        if (!retryableStatus(e.status)) throw e
        if (e.retryAfterMs !== undefined) waitMs = e.retryAfterMs
      } else if (isRedirectLoop(e)) {
        throw new UserError(`${redactUrl(rawUrl)} redirects in a loop (more than 20 redirects): check the URL or the server's configuration.`)
      }
      if (attempt < attempts) {
        const why = e instanceof HttpStatusError ? `HTTP ${e.status}${e.retryAfterMs !== undefined ? ', Retry-After' : ''}` : describeNetworkError(e)
        core.info(`${redactUrl(rawUrl)}: ${why}; retry ${attempt} of ${attempts - 1} in ${(waitMs / 1000).toFixed(1)} s`)
        await sleep(waitMs)
      }
    }
  }
  if (lastError instanceof HttpStatusError) {
    throw new HttpStatusError(lastError.status, lastError.url, undefined)
  }
  throw new NetworkError(`could not reach ${redactUrl(rawUrl)}: ${describeNetworkError(lastError)} (${attempts} attempts)`)
}

export class NetworkError extends Error {
  override name = 'NetworkError'
}

export { HttpStatusError }

/** Reads a whole body as text, refusing more than `maxBytes`. */
export async function readText(res: Response, url: string, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of res.body ?? []) {
    size += chunk.byteLength
    if (size > maxBytes) {
      await res.body?.cancel().catch(() => {})
      throw new UserError(`${redactUrl(url)} sent more than ${Math.round(maxBytes / 2 ** 20)} MiB; that is not an index page. Check the URL.`)
    }
    chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)) // a view, not a copy
  }
  return Buffer.concat(chunks).toString('utf8')
}

export async function getText(url: string, opts: RequestOptions = {}): Promise<{ text: string } & Fetched> {
  return get(url, opts, async (res, meta) => ({ ...meta, text: await readText(res, url, opts.maxBytes ?? 64 * 2 ** 20) }))
}

export interface Downloaded {
  sha256: string
  bytes: number
}

/**
 * Streams `url` into `dest` through a temp file beside it, hashing as it goes. The file appears
 * under its name only complete and, when `expectedSha256` is given, verified; on any failure no
 * file is left behind.
 */
export async function downloadFile(url: string, dest: string, expectedSha256?: string): Promise<Downloaded> {
  const tmp = `${dest}.part-${process.pid}-${Math.random().toString(36).slice(2)}`
  try {
    const result = await get(url, {}, async (res) => {
      const hash = createHash('sha256')
      let bytes = 0
      const out = createWriteStream(tmp)
      try {
        for await (const chunk of res.body ?? []) {
          hash.update(chunk)
          bytes += chunk.byteLength
          if (!out.write(chunk)) await once(out, 'drain')
        }
      } finally {
        out.end()
        await once(out, 'close')
      }
      return { sha256: hash.digest('hex'), bytes }
    })
    if (expectedSha256 && result.sha256 !== expectedSha256.toLowerCase()) {
      throw new UserError(`sha256 mismatch for ${redactUrl(url)}: expected ${expectedSha256.toLowerCase()}, got ${result.sha256} (${result.bytes} bytes). Nothing was kept; the server or a proxy altered the file, or the checksum is wrong.`)
    }
    await rename(tmp, dest)
    return result
  } finally {
    await rm(tmp, { force: true })
  }
}
