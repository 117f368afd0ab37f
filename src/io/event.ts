// The workflow event that started the run, as far as the action needs it: is this a pull
// request from a fork? There, secrets are not passed (pull_request) or must not be trusted with
// the fork's code (pull_request_target), so a paid record run has nothing to run with.
import * as fs from 'node:fs'

const PR_EVENTS = new Set(['pull_request', 'pull_request_target'])

interface RepoRef {
  full_name?: string
  fork?: boolean
}

/** Pure: the event name and its payload (as GITHUB_EVENT_PATH holds it) → from a fork or not. */
export function isForkPullRequest(eventName: string, payload: unknown): boolean {
  if (!PR_EVENTS.has(eventName)) return false
  const pr = (payload as { pull_request?: { head?: { repo?: RepoRef | null }; base?: { repo?: RepoRef } } } | null)?.pull_request
  if (!pr) return false
  const head = pr.head?.repo
  // A deleted fork leaves head.repo null: still not this repository.
  if (head === null) return true
  const base = pr.base?.repo?.full_name
  if (head?.full_name && base) return head.full_name.toLowerCase() !== base.toLowerCase()
  return head?.fork === true
}

/** Reads GITHUB_EVENT_NAME and GITHUB_EVENT_PATH; an unreadable payload is "not a fork". */
export function runIsForkPullRequest(env: NodeJS.ProcessEnv = process.env): boolean {
  const name = env.GITHUB_EVENT_NAME ?? ''
  if (!PR_EVENTS.has(name) || !env.GITHUB_EVENT_PATH) return false
  try {
    return isForkPullRequest(name, JSON.parse(fs.readFileSync(env.GITHUB_EVENT_PATH, 'utf8')))
  } catch {
    return false
  }
}
