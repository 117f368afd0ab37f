// Credentials written into a URL input (`https://user:password@host/`, or a bare
// `https://token@host/` as some private indexes want) are secrets: registered with the runner,
// so the log masks them wherever they appear. Everything the action writes itself also passes
// through redactUrl, which hides the whole userinfo.
import * as core from '@actions/core'

export function registerUrlCredentials(value: string): void {
  let u: URL
  try {
    u = new URL(value)
  } catch {
    return
  }
  // With a password, the user name is usually not secret (and short names would mask common
  // words everywhere); without one, the user part is the token.
  const secret = u.password || u.username
  if (!secret) return
  for (const form of new Set([secret, safeDecode(secret)])) core.setSecret(form)
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}
