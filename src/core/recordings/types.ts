// The vocabulary of "what changed in the recordings": parsed interactions, and the diff that the
// result file (`fixtureDiff`) and the job summary carry.

/** What a recording file turned out to be, decided by its content, not its name. */
export type RecordingFormat = 'llama-stack' | 'vcr' | 'json' | 'yaml' | 'file'

/** The fields that say which call an interaction is, whatever its answer was. */
export interface Identity {
  method: string
  /** Path of the URL (with the host for VCR cassettes, whose hosts are the real providers). */
  path: string
  model: string
  testId: string
}

/** One request and its response, normalised so that equal calls compare equal. */
export interface Interaction {
  identity: Identity
  /** The request as sent (JSON bodies parsed); undefined for a plain document. */
  request: unknown
  /** The response (JSON bodies parsed), or the whole document for a plain JSON/YAML file. */
  response: unknown
}

export interface ParsedRecording {
  format: RecordingFormat
  interactions: Interaction[]
  /** Why the file could only be compared as bytes (format `file`), e.g. "larger than 5 MB". */
  note?: string
}

/** One interaction in `fixtureDiff`: where it is, which call it is, and which fields changed. */
export interface InteractionChange {
  format: RecordingFormat
  /** File it is in after record (before record for a removed one), relative to the repository's `fixtures-path` as given. */
  file: string
  /** The file it was in before record, when that differs (Llama Stack names files by request hash). */
  previousFile?: string
  /** e.g. `POST /v1/chat/completions · model gpt-4o · test tests/test_chat.py::test_hello`. */
  identity: string
  /** Keys added or removed, types changed: what code notices. */
  shape: string[]
  /** Same shape, other text or numbers: usually model noise. */
  value: string[]
  /** Paths not listed because of the per-interaction cap. */
  omittedPaths: number
  note?: string
}

export interface FixtureDiff {
  /** True totals, before any cap. */
  counts: { added: number; removed: number; requestChanged: number; responseChanged: number; files: number }
  added: InteractionChange[]
  removed: InteractionChange[]
  requestChanged: InteractionChange[]
  responseChanged: InteractionChange[]
  /** Interactions not listed because of the overall cap (value-only ones are dropped first). */
  omittedInteractions: number
  /** Why there is no patch although files changed, e.g. a secret found in a recording; '' otherwise. */
  patchNote: string
}

export const LIMITS = {
  /** Files larger than this are compared by hash only. */
  maxFileBytes: 5 * 1024 * 1024,
  maxInteractions: 200,
  maxPathsPerInteraction: 50,
  /** A single path line (with its old and new value) is cut to this many characters. */
  maxPathChars: 300,
} as const

/** The one note that also goes into the run's reason: the patch exists but must not be published. */
export const SECRET_NOTE = 'patch withheld: a recording contains the value of a secret'

/** A diff with nothing in it yet. */
export function emptyFixtureDiff(): FixtureDiff {
  return {
    counts: { added: 0, removed: 0, requestChanged: 0, responseChanged: 0, files: 0 },
    added: [],
    removed: [],
    requestChanged: [],
    responseChanged: [],
    omittedInteractions: 0,
    patchNote: '',
  }
}

/** What the reason says when the patch was withheld. */
export function patchNoteForReason(diff: FixtureDiff | null): string {
  return diff?.patchNote === SECRET_NOTE ? `; ${SECRET_NOTE}` : ''
}
