// Recording parsers, chosen by content: a Llama Stack recording (one request/response per JSON
// file), a VCR cassette (vcrpy, pytest-recording, go-vcr: `interactions` of request/response),
// else the whole JSON or YAML document. Anything else is compared as bytes.
import YAML from 'yaml'
import type { Identity, Interaction, ParsedRecording } from './types'

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)
const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '')

/** JSON first (any name), YAML for .yaml/.yml names; undefined when neither parses. */
function parseDocument(file: string, text: string): { doc: unknown; syntax: 'json' | 'yaml' } | undefined {
  try {
    return { doc: JSON.parse(text), syntax: 'json' }
  } catch {
    // not JSON; maybe YAML
  }
  if (!/\.ya?ml$/i.test(file)) return undefined
  try {
    // Silent: vcrpy may write tags such as !!python/unicode, which stay plain strings.
    return { doc: YAML.parse(text, { logLevel: 'silent', maxAliasCount: 100 }), syntax: 'yaml' }
  } catch {
    return undefined
  }
}

/** A body as its structure when it is JSON text (or UTF-8 bytes of it), else as it is. */
function bodyValue(body: unknown): unknown {
  if (body instanceof Uint8Array) {
    try {
      body = new TextDecoder('utf-8', { fatal: true }).decode(body)
    } catch {
      return `<${(body as Uint8Array).length} bytes of binary data>`
    }
  }
  if (typeof body === 'string' && /^\s*[[{]/.test(body)) {
    try {
      return JSON.parse(body)
    } catch {
      return body
    }
  }
  return body
}

/** Host and path of a URL, or just the path; never the query (that stays in the request diff). */
function urlPath(url: string, withHost: boolean): string {
  try {
    const u = new URL(url)
    return withHost ? `${u.host}${u.pathname}` : u.pathname
  } catch {
    return url.split('?')[0] ?? ''
  }
}

function modelOf(body: unknown): string {
  return isObj(body) ? str(body.model) : ''
}

function isLlamaStack(doc: unknown): doc is Obj & { request: Obj; response: Obj } {
  return (
    isObj(doc) &&
    isObj(doc.request) &&
    isObj(doc.response) &&
    typeof doc.request.method === 'string' &&
    (typeof doc.request.url === 'string' || typeof doc.request.endpoint === 'string') &&
    ('body' in doc.response || 'is_streaming' in doc.response)
  )
}

function isVcr(doc: unknown): doc is Obj & { interactions: Obj[] } {
  return isObj(doc) && Array.isArray(doc.interactions) && doc.interactions.length > 0 && doc.interactions.every((i) => isObj(i) && isObj(i.request) && isObj(i.response))
}

function llamaStack(doc: Obj & { request: Obj; response: Obj }): Interaction {
  const req = doc.request
  const identity: Identity = {
    method: str(req.method).toUpperCase(),
    path: str(req.endpoint) || urlPath(str(req.url), false),
    model: str(req.model) || modelOf(req.body),
    testId: str(doc.test_id),
  }
  // Other top-level fields (e.g. id_normalization_mapping) are bookkeeping of the recorder.
  return { identity, request: req, response: doc.response }
}

function vcrInteraction(i: Obj): Interaction {
  const req = i.request as Obj
  const res = i.response as Obj
  // vcrpy: uri, response.body.string, status {code, message}; go-vcr v4: url, body as string, code.
  const url = str(req.uri) || str(req.url)
  const reqBody = bodyValue(req.body)
  const resBody = bodyValue(isObj(res.body) && 'string' in res.body ? res.body.string : res.body)
  const identity: Identity = { method: str(req.method).toUpperCase(), path: urlPath(url, true), model: modelOf(reqBody), testId: '' }
  return { identity, request: { ...req, body: reqBody }, response: { ...res, body: resBody } }
}

/** Parses one file's text; `format: 'file'` when it is neither JSON nor YAML. */
export function parseRecording(file: string, text: string): ParsedRecording {
  const parsed = parseDocument(file, text)
  if (!parsed) return { format: 'file', interactions: [], note: 'not JSON or YAML: compared as bytes' }
  const { doc, syntax } = parsed
  if (isLlamaStack(doc)) return { format: 'llama-stack', interactions: [llamaStack(doc)] }
  if (isVcr(doc)) return { format: 'vcr', interactions: doc.interactions.map(vcrInteraction) }
  return { format: syntax, interactions: [{ identity: { method: '', path: '', model: '', testId: '' }, request: undefined, response: doc }] }
}

/** One line naming the call; a plain document is named by its file. */
export function identityLabel(id: Identity, file: string): string {
  if (!id.method && !id.path) return file
  const parts = [[id.method, id.path].filter(Boolean).join(' ')]
  if (id.model) parts.push(`model ${id.model}`)
  if (id.testId) parts.push(`test ${id.testId}`)
  return parts.join(' · ')
}

/** Equal for the same call: what pairs a deleted recording with its re-keyed replacement. */
export function identityKey(id: Identity): string {
  return JSON.stringify([id.method, id.path, id.model, id.testId])
}
