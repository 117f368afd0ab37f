// What can go wrong with a request, as types. The HTTP client throws these and never phrases a
// user message: the caller knows what it was reading (an index page, a wheel, uv's checksum)
// and how to fix it, so it builds the message from `cause(e)` plus its own words.
import { formatBytes } from '../core/bytes'
import { redactUrl } from './secrets'

/** Base of every typed request failure; `url` is already redacted. */
export abstract class RequestError extends Error {
  readonly url: string
  constructor(url: string, message: string) {
    super(message)
    this.url = redactUrl(url)
  }
}

/** The server answered, but not with 2xx (after the retries 429/5xx get). */
export class HttpStatusError extends RequestError {
  override name = 'HttpStatusError'
  constructor(
    url: string,
    readonly status: number,
    readonly retryAfterMs?: number,
  ) {
    super(url, `HTTP ${status}`)
  }
}

/** The body is longer than the limit: the size the index declared, or a cap. */
export class TooLargeError extends RequestError {
  override name = 'TooLargeError'
  constructor(
    url: string,
    readonly limitBytes: number,
    /** true when the limit is the size the index declared for this file. */
    readonly declared: boolean,
  ) {
    super(url, declared ? `longer than the ${formatBytes(limitBytes)} the index declared` : `more than ${formatBytes(limitBytes)}`)
  }
}

/** A whole-request deadline (pages) or a minimum transfer rate (files) was not met. */
export class DeadlineError extends RequestError {
  override name = 'DeadlineError'
  constructor(
    url: string,
    readonly kind: 'deadline' | 'rate',
    readonly ms: number,
    readonly minBytesPerSecond = 0,
  ) {
    super(url, kind === 'deadline' ? `no complete answer within ${seconds(ms)}` : `slower than ${formatBytes(minBytesPerSecond)}/s for ${seconds(ms)}`)
  }
}

/** The TLS handshake failed: an untrusted, expired or mismatched certificate. Never retried. */
export class TlsError extends RequestError {
  override name = 'TlsError'
  constructor(
    url: string,
    readonly code: string,
    readonly detail: string,
  ) {
    super(url, `TLS certificate problem: ${detail}${code ? ` (${code})` : ''}`)
  }
}

/** The server could not be reached or the connection broke; `attempts` were made. */
export class NetworkError extends RequestError {
  override name = 'NetworkError'
  constructor(
    url: string,
    readonly why: string,
    readonly attempts: number,
    readonly code = '',
  ) {
    super(url, `${why} (${attempts} attempt${attempts === 1 ? '' : 's'})`)
  }
}

/** Writing the downloaded file failed (disk full, quota, file-size limit, I/O error), or would. */
export class WriteError extends Error {
  override name = 'WriteError'
  constructor(
    readonly file: string,
    readonly code: string,
    readonly detail: string,
  ) {
    super(detail)
  }
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`
}

/**
 * The cause of a request failure in a few words, for the caller's message: "HTTP 503",
 * "connection refused (4 attempts)", "TLS certificate problem: self-signed certificate (...)".
 * null when `e` is not a request failure (the caller rethrows it).
 */
export function cause(e: unknown): string | null {
  if (e instanceof RequestError || e instanceof WriteError) return e.message
  return null
}

/** The downloaded bytes do not have the sha256 they should have; nothing was kept. */
export class ChecksumError extends RequestError {
  override name = 'ChecksumError'
  constructor(
    url: string,
    readonly expected: string,
    readonly actual: string,
    readonly bytes: number,
  ) {
    super(url, `sha256 mismatch for ${redactUrl(url)}: expected ${expected}, got ${actual} (${bytes} bytes)`)
  }
}
