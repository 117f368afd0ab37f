// Fetches one project's page from a simple index (PEP 691 JSON preferred, PEP 503 HTML accepted).
import { HttpStatusError, TlsError, TooLargeError, cause, get, readChunks, readText } from './http'
import { formatBytes } from '../core/bytes'
import { normalizeName } from '../core/names'
import { IndexFormatError, JsonPageStream, SIMPLE_ACCEPT, WHOLE_BODY_BYTES, parseHtmlPage, type ProjectPage } from '../core/simple-api'
import { UserError } from '../core/vocabulary'
import { redactUrl } from './secrets'
import { restrainHeapGrowth } from './heap-growth'

export const PYPI = 'https://pypi.org/simple/'
export const TEST_PYPI = 'https://test.pypi.org/simple/'

const withSlash = (u: string) => (u.endsWith('/') ? u : `${u}/`)

function projectUrl(indexUrl: string, project: string): string {
  return new URL(`${normalizeName(project)}/`, withSlash(indexUrl)).toString()
}

/** Same index, spelled with or without a trailing slash. */
export function sameIndex(a: string, b: string): boolean {
  return withSlash(a) === withSlash(b)
}

/**
 * Frees a chunk's memory now rather than at the next garbage collection, when the chunk is the
 * whole of its buffer (as the HTTP client hands them out) and has been parsed: the page's
 * parser copies what it keeps. Without this, a 30 MB page's chunks pile up until V8 collects.
 */
function release(chunk: Uint8Array): void {
  // ES2024's ArrayBuffer.prototype.transfer, which Node 24 has (the project's types stop at ES2023).
  const buffer = chunk.buffer as ArrayBuffer & { readonly detached: boolean; transfer(length: number): ArrayBuffer }
  if (chunk.byteOffset === 0 && chunk.byteLength === buffer.byteLength && !buffer.detached) buffer.transfer(0)
}

// One project's page; PyPI's largest (thousands of files) are a few MiB.
const PAGE_MAX_BYTES = 64 * 2 ** 20

/** The project's page on the index; `input` names the input that set the index, for messages. */
export async function fetchProject(indexUrl: string, project: string, input = 'index-url'): Promise<ProjectPage> {
  const url = projectUrl(indexUrl, project)
  try {
    return await get(url, { accept: SIMPLE_ACCEPT, deadline: true }, async (res, meta, reportProgress) => {
      if (meta.contentLength !== undefined && meta.contentLength > PAGE_MAX_BYTES) throw new TooLargeError(meta.url, PAGE_MAX_BYTES, false)
      // A page over WHOLE_BODY_BYTES (declared, or once that much has arrived) keeps tens of MB
      // alive while it is parsed and selected from: V8 is asked to grow its heap as little as it can.
      const large = meta.contentLength !== undefined && meta.contentLength > WHOLE_BODY_BYTES
      const restrain = () => restrainHeapGrowth(`${project}'s index page is over ${formatBytes(WHOLE_BODY_BYTES)}`)
      if (large) restrain()
      let received = 0
      const progress = (bytes: number) => {
        reportProgress(bytes)
        received += bytes
        if (received > WHOLE_BODY_BYTES) restrain()
      }
      if (!meta.contentType.toLowerCase().includes('json')) return parseHtmlPage(await readText(res, meta.url, PAGE_MAX_BYTES, progress), meta.url, project)
      // JSON is parsed as it arrives: the biggest projects' pages never sit in memory whole. A page
      // that says it is large is split from its first byte, rather than kept whole up to the limit.
      const page = new JsonPageStream(meta.url, project, large ? 0 : WHOLE_BODY_BYTES)
      await readChunks(res, meta.url, PAGE_MAX_BYTES, progress, (chunk) => {
        page.write(chunk)
        release(chunk)
      })
      return page.end()
    })
  } catch (e) {
    if (e instanceof HttpStatusError && e.status === 404) {
      const names = input === 'index-url' ? "'package', 'companion-packages' and 'index-url'" : `'${input}'`
      throw new UserError(`Package '${project}' was not found on ${redactUrl(indexUrl)} (HTTP 404 for ${redactUrl(url)}): check ${names}.`)
    }
    if (e instanceof HttpStatusError && (e.status === 401 || e.status === 403)) {
      throw new UserError(
        `The index ${redactUrl(indexUrl)} refused access to '${project}' (HTTP ${e.status} for ${e.url}): put the credentials in '${input}' (https://user:password@host/simple/ or https://token@host/simple/), from a secret.`,
      )
    }
    if (e instanceof HttpStatusError) {
      const retried = e.status === 429 || e.status >= 500 ? ', also after retries' : ''
      throw new UserError(`The index ${redactUrl(indexUrl)} answered HTTP ${e.status} for '${project}' (${e.url})${retried}: try again later or check '${input}'.`)
    }
    if (e instanceof IndexFormatError) {
      throw new UserError(`The index page ${redactUrl(url)} could not be read: ${e.message}. Check that '${input}' is the root of a simple index (PEP 503/691).`)
    }
    if (e instanceof TooLargeError) {
      throw new UserError(`The index page ${e.url} sent more than ${formatBytes(e.limitBytes)}, far more than one project's page: check that '${input}' is the root of a simple index (PEP 503/691).`)
    }
    if (e instanceof TlsError) {
      throw new UserError(
        `The index ${redactUrl(indexUrl)} could not be read: ${e.message}. Give the server a certificate the runner trusts (a private CA goes in NODE_EXTRA_CA_CERTS), or fix '${input}'.`,
      )
    }
    const why = cause(e)
    if (why !== null) throw new UserError(`could not reach ${redactUrl(url)}: ${why}. Check '${input}', the network, or try again later.`)
    throw e
  }
}
