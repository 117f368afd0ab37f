// Secret hygiene: values of secret-looking environment variables are registered with the
// runner and replaced by *** in everything the action writes itself (tails, summary, files).
import * as core from '@actions/core'

const SECRET_NAME = /KEY|TOKEN|SECRET|PASSWORD/i
const MIN_SECRET_LENGTH = 6

let secrets: string[] | undefined

/** Collects secret values from the environment once, longest first, and registers them. */
export function registerSecrets(env: NodeJS.ProcessEnv = process.env): void {
  const found = new Set<string>()
  for (const [name, value] of Object.entries(env)) {
    if (value && value.length >= MIN_SECRET_LENGTH && SECRET_NAME.test(name)) found.add(value)
  }
  secrets = [...found].sort((a, b) => b.length - a.length)
  for (const s of secrets) core.setSecret(s)
}

export function mask(text: string): string {
  if (secrets === undefined) registerSecrets()
  let out = text
  for (const s of secrets!) if (out.includes(s)) out = out.split(s).join('***')
  return redactUrl(out)
}

/**
 * URLs with their whole userinfo replaced, for messages: `user:password@`, a bare `token@`, and a
 * password holding a raw `@` (the userinfo runs to the last `@` before the path) all become `***@`.
 */
export function redactUrl(value: string): string {
  return value.replace(/(\/\/)[^/?#\s@]*(?:@[^/?#\s@]*)*@/g, '$1***@')
}

/** The values `mask` replaces, longest first: what must never be written into a file either. */
export function secretValues(): readonly string[] {
  if (secrets === undefined) registerSecrets()
  return secrets!
}
