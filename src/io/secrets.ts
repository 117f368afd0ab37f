// Secret hygiene: values of secret-looking environment variables (and of the names given in
// `mask-env`) are registered with the runner and replaced by *** in everything the action writes
// itself (log lines, tails, summary, result file, outputs), in every form a command may print
// them: as they are, URL-encoded, JSON-escaped, base64-encoded, and line by line.
import * as core from '@actions/core'

/** Words of a variable name (split on `_`) that make its value a secret. */
const SECRET_WORDS = new Set(['KEY', 'KEYS', 'APIKEY', 'TOKEN', 'TOKENS', 'SECRET', 'SECRETS', 'PASSWORD', 'PASSWORDS', 'PASSWD', 'CREDENTIAL', 'CREDENTIALS'])
/** Words that name a secret only as the last word (`GH_PAT`, not `PAT_HOME`). */
const SECRET_LAST_WORDS = new Set(['PAT'])
const MIN_SECRET_LENGTH = 6

/** Whole words only: `API_KEY` and `GITHUB_TOKEN` are secrets, `UV_KEYRING_PROVIDER` and `MONKEY` are not. */
function isSecretName(name: string): boolean {
  const words = name.toUpperCase().split('_').filter(Boolean)
  return words.some((w) => SECRET_WORDS.has(w)) || SECRET_LAST_WORDS.has(words.at(-1) ?? '')
}

/** Values that cannot be secrets and would eat the log if masked: short ones, booleans, numbers. */
function isPlainlyNotSecret(value: string): boolean {
  const v = value.trim()
  return v.length < MIN_SECRET_LENGTH || /^(true|false|yes|no|on|off|null|none)$/i.test(v) || /^[+-]?\d+(\.\d+)?$/.test(v)
}

/**
 * Every form in which a value can appear in text: itself, each line of a multi-line value,
 * URL-encoded, JSON-escaped, and base64 at each of the 3 byte alignments (as the runner's own
 * masker does: only the characters that do not depend on the bytes around the value).
 */
function encodedForms(value: string): string[] {
  const forms = new Set<string>([value])
  for (const line of value.split(/\r?\n/)) if (line.trim().length >= MIN_SECRET_LENGTH) forms.add(line)
  for (const v of [...forms]) {
    forms.add(encodeURIComponent(v))
    forms.add(encodeURIComponent(v).replace(/%20/g, '+'))
    forms.add(JSON.stringify(v).slice(1, -1))
  }
  const bytes = Buffer.from(value, 'utf8')
  for (let shift = 0; shift < 3; shift++) {
    const aligned = bytes.subarray(shift)
    const whole = aligned.subarray(0, aligned.length - (aligned.length % 3))
    const b64 = whole.toString('base64')
    // Short fragments would mask ordinary words.
    if (b64.length >= 8) forms.add(b64)
  }
  return [...forms].filter((f) => f.length >= Math.min(MIN_SECRET_LENGTH, value.length))
}

let forms: string[] | undefined
const values = new Set<string>()

function addValue(value: string): void {
  if (values.has(value)) return
  values.add(value)
  const fresh = encodedForms(value).filter((f) => !forms!.includes(f))
  for (const f of fresh) core.setSecret(f)
  // Longest first, so a value is masked whole before any of its lines.
  forms = [...forms!, ...fresh].sort((a, b) => b.length - a.length)
}

/** Collects secret values from the environment, by name, and registers every form of them. */
export function registerSecrets(env: NodeJS.ProcessEnv = process.env): void {
  forms ??= []
  for (const [name, value] of Object.entries(env)) {
    if (value && isSecretName(name) && !isPlainlyNotSecret(value)) addValue(value)
  }
}

/**
 * The values of `mask-env`'s names, from then on masked like the rest. Returns the names whose
 * values were left unmasked because they are empty or plainly not secrets, for a warning.
 */
function registerSecretNames(names: string[], env: NodeJS.ProcessEnv = process.env): string[] {
  if (forms === undefined) registerSecrets(env)
  const skipped: string[] = []
  for (const name of names) {
    const value = env[name]
    if (!value || isPlainlyNotSecret(value)) skipped.push(name)
    else addValue(value)
  }
  return skipped
}

/** `mask-env`: from now on, everything written masks these variables' values too. */
export function maskNamedVariables(names: string[], env: NodeJS.ProcessEnv = process.env): void {
  const skipped = registerSecretNames(names, env)
  if (skipped.length) {
    core.warning(
      `'mask-env' names ${skipped.join(', ')}, but ${skipped.length === 1 ? 'its value is' : 'their values are'} empty, shorter than ${MIN_SECRET_LENGTH} characters, a boolean or a number, so not masked (masking it would hide every such word in the log).`,
    )
  }
  if (names.length) core.debug(`mask-env: masking ${names.length - skipped.length} more variable(s)`)
}

export function mask(text: string): string {
  if (forms === undefined) registerSecrets()
  let out = text
  for (const s of forms!) if (out.includes(s)) out = out.split(s).join('***')
  return redactUrl(out)
}

/** The longest form a secret can take, so a reader of a stream knows how much to hold back. */
export function longestSecretForm(): number {
  if (forms === undefined) registerSecrets()
  return forms![0]?.length ?? 0
}

/**
 * Where a line may be cut near `at` without cutting a secret in two: `at`, or the start of the
 * secret form that spans it.
 */
export function safeCut(text: string, at: number): number {
  if (forms === undefined) registerSecrets()
  let cut = at
  for (let changed = true; changed; ) {
    changed = false
    for (const s of forms!) {
      // An occurrence spanning the cut starts in (cut - s.length, cut).
      for (let j = text.indexOf(s, Math.max(0, cut - s.length + 1)); j !== -1 && j < cut; j = text.indexOf(s, j + 1)) {
        if (j + s.length > cut) {
          cut = j
          changed = true
          break
        }
      }
    }
  }
  return cut
}

/**
 * URLs with their whole userinfo replaced, for messages: `user:password@`, a bare `token@`, and a
 * password holding a raw `@` (the userinfo runs to the last `@` before the path) all become `***@`.
 */
export function redactUrl(value: string): string {
  return value.replace(/(\/\/)[^/?#\s@]*(?:@[^/?#\s@]*)*@/g, '$1***@')
}

/** The values `mask` replaces (every form of every secret), longest first: what must never be written into a file either. */
export function secretValues(): readonly string[] {
  if (forms === undefined) registerSecrets()
  return forms!
}
