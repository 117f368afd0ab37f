// The GitHub REST calls of the `issue` sub-action, through @octokit/core: list a repo's issues by
// label, create, edit (close, reopen) and comment. Retries 5xx, dropped connections and secondary
// rate limits (honouring retry-after) a bounded number of times; turns every other failure into
// a GitHubError whose message says what to do. The token goes only into the Authorization header.
import * as core from '@actions/core'
import { Octokit } from '@octokit/core'
import { proxyAwareFetch } from './http'

export interface Issue {
  number: number
  title: string
  body: string
  state: 'open' | 'closed'
  /** ISO date, or null while open. */
  closedAt: string | null
  updatedAt: string
  url: string
  labels: string[]
}

export interface IssueEdit {
  title?: string
  body?: string
  state?: 'open' | 'closed'
  stateReason?: 'completed' | 'reopened' | 'not_planned'
}

export type GitHubErrorKind = 'permission' | 'not-found' | 'invalid' | 'rate-limit' | 'server' | 'network'

export class GitHubError extends Error {
  override name = 'GitHubError'
  constructor(
    message: string,
    readonly kind: GitHubErrorKind,
    readonly status: number,
  ) {
    super(message)
  }
}

const PERMISSION_MESSAGE = 'the token cannot write issues: add `permissions: issues: write` to this job'

// Tunables shared with the index client (src/http.ts), so tests and slow networks set them once.
const timeoutMs = () => Number(process.env.COMPAT_SENTINEL_HTTP_TIMEOUT_MS) || 30_000
const retries = () => {
  const n = Number(process.env.COMPAT_SENTINEL_HTTP_RETRIES)
  return Number.isInteger(n) && n >= 2 ? n : 3
}
const backoffBaseMs = () => Number(process.env.COMPAT_SENTINEL_HTTP_BACKOFF_MS) || 1000
/** A secondary rate limit asking for longer than this is not waited out: the job would hang. */
const MAX_RETRY_AFTER_MS = 120_000
/** Pages of 100 issues read at most when listing (a repo with more tracking issues is unusual). */
const MAX_PAGES = 20

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

interface OctokitFailure {
  status?: number
  message?: string
  name?: string
  response?: { headers?: Record<string, string | undefined>; data?: unknown }
}

/**
 * How long GitHub asks us to wait: `retry-after` (secondary rate limits), else, when the primary
 * limit is used up, until `x-ratelimit-reset`.
 */
function retryAfterMs(e: OctokitFailure): number | undefined {
  const headers = e.response?.headers ?? {}
  const secs = Number(headers['retry-after'] ?? NaN)
  if (Number.isFinite(secs) && secs >= 0) return secs * 1000
  const reset = Number(headers['x-ratelimit-reset'] ?? NaN)
  if (headers['x-ratelimit-remaining'] === '0' && Number.isFinite(reset)) return Math.max(reset * 1000 - Date.now(), 0)
  return undefined
}

function isRateLimit(e: OctokitFailure): boolean {
  if (e.status !== 403 && e.status !== 429) return false
  return e.response?.headers?.['retry-after'] !== undefined || e.response?.headers?.['x-ratelimit-remaining'] === '0' || /rate limit/i.test(e.message ?? '')
}

/** A dropped connection or timeout reaches us as a status-500 RequestError without a response. */
const isNetwork = (e: OctokitFailure) => e.name === 'AbortError' || e.name === 'TimeoutError' || (e.status === 500 && !e.response)

function classify(e: OctokitFailure, what: string): GitHubError {
  const status = e.status ?? 0
  const said = typeof (e.response?.data as { message?: unknown })?.message === 'string' ? (e.response!.data as { message: string }).message : (e.message ?? String(e))
  if (isNetwork(e)) return new GitHubError(`${what}: the connection to the GitHub API failed (${said}). Check GITHUB_API_URL and the network, or re-run the job.`, 'network', status)
  if (isRateLimit(e)) {
    const wait = retryAfterMs(e)
    const when = wait !== undefined && wait > MAX_RETRY_AFTER_MS ? ` GitHub asks to wait ${Math.ceil(wait / 60_000)} min, longer than this step waits.` : ''
    return new GitHubError(`${what}: GitHub's rate limit was hit (${said}).${when} Re-run the job later.`, 'rate-limit', status)
  }
  if (status === 401 || status === 403) return new GitHubError(`${PERMISSION_MESSAGE} (${what}: HTTP ${status}, "${said}")`, 'permission', status)
  if (status === 404)
    return new GitHubError(
      `${what}: HTTP 404 (${said}). Check that the repository exists, that the token can see it (GitHub answers 404, not 403, for a private repository the token cannot read: add \`permissions: issues: write\` to this job), and that GITHUB_API_URL points at its API.`,
      'not-found',
      status,
    )
  if (status === 410) return new GitHubError(`${what}: HTTP 410 (${said}). Issues are disabled in this repository: enable them in its settings.`, 'not-found', status)
  if (status === 422) {
    const errors = (e.response?.data as { errors?: { field?: string; message?: string; code?: string }[] })?.errors ?? []
    const detail = errors.map((x) => [x.field, x.message ?? x.code].filter(Boolean).join(': ')).join('; ')
    return new GitHubError(`${what}: GitHub refused the request (HTTP 422, ${said}${detail ? `: ${detail}` : ''}). Check the 'labels' and 'title-template' inputs.`, 'invalid', status)
  }
  return new GitHubError(`${what}: the GitHub API answered HTTP ${status} (${said}). Re-run the job; if it persists, check https://www.githubstatus.com.`, 'server', status)
}

const retryable = (e: OctokitFailure) => isNetwork(e) || isRateLimit(e) || (e.status !== undefined && e.status >= 500)

export interface GitHubClientOptions {
  token: string
  /** `owner/name`. */
  repository: string
  /** GITHUB_API_URL; https://api.github.com on github.com. */
  baseUrl: string
}

export interface IssueClient {
  /** Every issue (not pull request) carrying all of `labels`, open or closed. */
  listByLabels(labels: string[]): Promise<Issue[]>
  /** `sameAs` recognises the new issue, should a lost answer leave it unclear whether it was made. */
  create(issue: { title: string; body: string; labels: string[] }, sameAs: (i: Issue) => boolean): Promise<Issue>
  edit(number: number, edit: IssueEdit): Promise<Issue>
  comment(number: number, body: string): Promise<void>
}

interface RawIssue {
  number: number
  title: string
  body?: string | null
  state: string
  closed_at: string | null
  updated_at: string
  html_url: string
  labels?: (string | { name?: string })[]
  pull_request?: unknown
}

const toIssue = (r: RawIssue): Issue => ({
  number: r.number,
  title: r.title,
  body: r.body ?? '',
  state: r.state === 'closed' ? 'closed' : 'open',
  closedAt: r.closed_at,
  updatedAt: r.updated_at,
  url: r.html_url,
  labels: (r.labels ?? []).map((l) => (typeof l === 'string' ? l : (l.name ?? ''))),
})

/** The URL of the next page from a Link header, or undefined on the last page. */
function nextPage(link: string | undefined): string | undefined {
  return link
    ?.split(',')
    .map((part) => /<([^>]+)>\s*;\s*rel="?next"?/.exec(part)?.[1])
    .find(Boolean)
}

export function githubClient(opts: GitHubClientOptions): IssueClient {
  const [owner, repo] = opts.repository.split('/') as [string, string]
  const octokit = new Octokit({
    auth: opts.token,
    baseUrl: opts.baseUrl.replace(/\/+$/, ''),
    userAgent: 'compat-sentinel-issue',
    // Through the runner's proxy (HTTPS_PROXY, NO_PROXY) like every other request of the action.
    request: { fetch: proxyAwareFetch },
    // Octokit's own warnings (deprecations) go to the log; it never logs headers.
    log: { debug: () => {}, info: () => {}, warn: (m: string) => core.warning(m), error: (m: string) => core.warning(m) },
  })

  /**
   * One call, retried on 5xx, dropped connections and rate limits; `what` names it in messages.
   * `landed` is asked before a retry whether the failed attempt took effect after all (a create
   * whose answer was lost), so a retry never makes a duplicate.
   */
  async function call<T>(what: string, route: string, params: Record<string, unknown>, landed?: () => Promise<T | undefined>): Promise<{ data: T; headers: Record<string, string | undefined> }> {
    const attempts = retries() + 1
    for (let attempt = 1; ; attempt++) {
      try {
        if (attempt > 1 && landed) {
          const done = await landed()
          if (done !== undefined) {
            core.info(`${what}: the previous attempt had gone through; not repeating it`)
            return { data: done, headers: {} }
          }
        }
        const res = await octokit.request(route, { ...params, request: { signal: AbortSignal.timeout(timeoutMs()) } })
        return { data: res.data as T, headers: res.headers as Record<string, string | undefined> }
      } catch (err) {
        const e = err as OctokitFailure
        const after = retryAfterMs(e)
        if (!retryable(e) || attempt >= attempts || (after !== undefined && after > MAX_RETRY_AFTER_MS)) throw classify(e, what)
        const waitMs = after ?? backoffBaseMs() * 2 ** (attempt - 1)
        const why = isNetwork(e) ? 'connection failed' : after !== undefined ? `HTTP ${e.status}, retry-after ${after / 1000} s` : `HTTP ${e.status}`
        core.info(`${what}: ${why}; retry ${attempt} of ${attempts - 1} in ${(waitMs / 1000).toFixed(1)} s`)
        await sleep(waitMs)
      }
    }
  }

  return {
    async listByLabels(labels) {
      const issues: Issue[] = []
      const what = `listing the issues labelled ${labels.join(', ')}`
      let page = await call<RawIssue[]>(what, 'GET /repos/{owner}/{repo}/issues', { owner, repo, labels: labels.join(','), state: 'all', per_page: 100 })
      for (let n = 1; ; n++) {
        issues.push(...page.data.filter((r) => !r.pull_request).map(toIssue))
        const next = nextPage(page.headers.link)
        if (!next || n >= MAX_PAGES) break
        // The Link URL is absolute and carries every parameter; Octokit takes it as the route.
        page = await call<RawIssue[]>(what, `GET ${next}`, {})
      }
      return issues
    },
    async create(issue, sameAs) {
      // Found again among the open issues with the first label, as the caller would find it.
      const landed = async () => (await this.listByLabels(issue.labels.slice(0, 1))).find((i) => i.state === 'open' && sameAs(i))
      const { data } = await call<RawIssue | Issue>('creating an issue', 'POST /repos/{owner}/{repo}/issues', { owner, repo, ...issue }, landed)
      return 'html_url' in data ? toIssue(data) : data
    },
    async edit(number, edit) {
      const body: Record<string, unknown> = { owner, repo, issue_number: number }
      if (edit.title !== undefined) body.title = edit.title
      if (edit.body !== undefined) body.body = edit.body
      if (edit.state !== undefined) body.state = edit.state
      if (edit.stateReason !== undefined) body.state_reason = edit.stateReason
      const { data } = await call<RawIssue>(`updating issue #${number}`, 'PATCH /repos/{owner}/{repo}/issues/{issue_number}', body)
      return toIssue(data)
    },
    async comment(number, body) {
      await call(`commenting on issue #${number}`, 'POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { owner, repo, issue_number: number, body })
    },
  }
}
