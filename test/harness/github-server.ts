// A loopback stand-in for the GitHub REST endpoints the `issue` sub-action uses: list a repo's
// issues by label (paginated with Link headers), create, update (edit, close, reopen) and
// comment. It keeps issues and comments in memory, records every call, checks the token, and
// fails on demand with the status codes and message bodies GitHub really sends, so the real
// @octokit/core client can be pointed at it through GITHUB_API_URL.
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'

export interface StoredIssue {
  number: number
  title: string
  body: string
  state: 'open' | 'closed'
  state_reason: string | null
  labels: string[]
  created_at: string
  updated_at: string
  closed_at: string | null
  /** A pull request shares the issue numbering and shows up in the issue list. */
  pull_request?: boolean
}

export interface StoredComment {
  id: number
  issue: number
  body: string
  created_at: string
}

export interface Call {
  method: string
  /** Path and query, as sent. */
  path: string
  body: unknown
  authorization: string
  /** When the request arrived (ms since the epoch), to check waits between retries. */
  at: number
  /** The status the stand-in answered with; 0 for a dropped connection. */
  status: number
}

/** What one injected failure does. */
export type Fault =
  | { status: 401 | 403 | 404 | 422 | 500 | 502 | 503; message?: string }
  /** A secondary rate limit: 403 with `retry-after: <seconds>`. */
  | { rateLimit: number }
  /** The primary limit used up: 403, `x-ratelimit-remaining: 0`, reset in this many seconds. */
  | { primaryRateLimit: number }
  /** The connection ends before an answer: the request was not handled. */
  | { drop: true }
  /** The request is handled, then the connection ends before the answer: a lost answer. */
  | { dropAfter: true }

interface QueuedFault {
  fault: Fault
  method?: string
  path?: RegExp
  /** How many matching calls it applies to; Infinity for "from now on". */
  times: number
}

const DOCS = 'https://docs.github.com/rest'
const BODY_LIMIT = 65_536

/** GitHub's own messages for the statuses tests ask for. */
const MESSAGES: Record<number, string> = {
  401: 'Bad credentials',
  403: 'Resource not accessible by integration',
  404: 'Not Found',
  422: 'Validation Failed',
  500: 'Server Error',
  502: 'Server Error',
  503: 'Service Unavailable',
}

export class GitHubServer {
  url = ''
  readonly issues: StoredIssue[] = []
  readonly comments: StoredComment[] = []
  readonly calls: Call[] = []
  /** GitHub drops labels the caller may not set, without an error. */
  dropLabels = false
  /** Page size when the client does not ask for one (GitHub's default is 30). */
  defaultPerPage = 30
  private faults: QueuedFault[] = []
  private server = http.createServer((req, res) => void this.handle(req, res))

  constructor(
    readonly token = 'ghs_testtoken0123456789abcdefghijklmnop',
    readonly repository = 'org/repo',
    /** Where the API lives on the host: '' as on api.github.com, `/api/v3` as on GitHub Enterprise Server. */
    readonly apiPath = '',
  ) {}

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${this.apiPath}`
    return this
  }

  close(): Promise<void> {
    this.server.closeAllConnections()
    return new Promise((r) => this.server.close(() => r()))
  }

  /** Fails the next `times` calls that match (method and path regex, both optional). */
  fail(fault: Fault, match: { method?: string; path?: RegExp; times?: number } = {}): void {
    this.faults.push({ fault, method: match.method, path: match.path, times: match.times ?? 1 })
  }

  clearFaults(): void {
    this.faults = []
  }

  /** Calls that change something (everything but GET). */
  writes(): Call[] {
    return this.calls.filter((c) => c.method !== 'GET' && c.status >= 200 && c.status < 300)
  }

  commentsOn(issue: number): StoredComment[] {
    return this.comments.filter((c) => c.issue === issue)
  }

  /** Adds an issue as if someone had filed it, e.g. one closed some days ago. */
  seed(issue: Partial<StoredIssue> & Pick<StoredIssue, 'title' | 'body'>): StoredIssue {
    const now = new Date().toISOString()
    const stored: StoredIssue = { number: this.issues.length + 1, state: 'open', state_reason: null, labels: [], created_at: now, updated_at: now, closed_at: null, ...issue }
    this.issues.push(stored)
    return stored
  }

  private issueJson(i: StoredIssue): Record<string, unknown> {
    const base = `${this.url}/repos/${this.repository}/issues/${i.number}`
    return {
      id: 1000 + i.number,
      node_id: `I_${i.number}`,
      url: base,
      html_url: `https://github.com/${this.repository}/${i.pull_request ? 'pull' : 'issues'}/${i.number}`,
      number: i.number,
      title: i.title,
      body: i.body,
      state: i.state,
      state_reason: i.state_reason,
      locked: false,
      labels: i.labels.map((name, n) => ({ id: n + 1, name, color: 'ededed', default: false })),
      user: { login: 'github-actions[bot]', type: 'Bot' },
      comments: this.commentsOn(i.number).length,
      created_at: i.created_at,
      updated_at: i.updated_at,
      closed_at: i.closed_at,
      ...(i.pull_request ? { pull_request: { url: `${this.url}/repos/${this.repository}/pulls/${i.number}` } } : {}),
    }
  }

  private takeFault(method: string, path: string): Fault | undefined {
    const q = this.faults.find((f) => f.times > 0 && (!f.method || f.method === method) && (!f.path || f.path.test(path)))
    if (!q) return undefined
    q.times--
    return q.fault
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const raw = Buffer.concat(chunks).toString('utf8')
    let body: unknown
    try {
      body = raw ? JSON.parse(raw) : undefined
    } catch {
      body = raw
    }
    const method = req.method ?? 'GET'
    const call: Call = { method, path: req.url ?? '/', body, authorization: String(req.headers.authorization ?? ''), at: Date.now(), status: 0 }
    this.calls.push(call)
    const send = (status: number, value: unknown, headers: Record<string, string> = {}) => {
      call.status = status
      res.writeHead(status, {
        'content-type': 'application/json; charset=utf-8',
        'x-github-request-id': `TEST:${this.calls.length}`,
        'x-ratelimit-limit': '5000',
        'x-ratelimit-remaining': '4999',
        'x-ratelimit-resource': 'core',
        ...headers,
      })
      res.end(value === undefined ? '' : JSON.stringify(value))
    }
    const error = (status: number, message = MESSAGES[status] ?? 'Error', extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
      send(status, { message, ...extra, documentation_url: DOCS, status: String(status) }, headers)

    const u = new URL(call.path, this.url)
    if (!u.pathname.startsWith(`${this.apiPath}/`)) return error(404)
    // Routes below are matched without the API's own path.
    const route = u.pathname.slice(this.apiPath.length)
    const fault = this.takeFault(method, route)
    if (fault && 'drop' in fault) {
      // The connection ends without an answer, as when a proxy or load balancer gives up.
      req.socket.destroy()
      return
    }
    if (fault && 'rateLimit' in fault) {
      return error(
        403,
        'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID TEST.',
        {},
        { 'retry-after': String(fault.rateLimit) },
      )
    }
    if (fault && 'primaryRateLimit' in fault) {
      const reset = String(Math.floor(Date.now() / 1000) + fault.primaryRateLimit)
      return error(403, 'API rate limit exceeded for installation ID 1.', {}, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset })
    }
    if (fault && !('dropAfter' in fault)) {
      const extra = fault.status === 422 ? { errors: [{ resource: 'Issue', code: 'custom', field: 'body', message: 'injected validation failure' }] } : {}
      return error(fault.status, fault.message, extra)
    }

    if (fault && 'dropAfter' in fault) {
      // Handle it for real, but never let the answer out.
      const swallow = res.writeHead.bind(res)
      res.writeHead = ((...args: Parameters<typeof res.writeHead>) => {
        req.socket.destroy()
        return swallow(...args)
      }) as typeof res.writeHead
    }
    const auth = /^(?:token|bearer) (.+)$/i.exec(call.authorization)?.[1]
    if (auth !== this.token) return error(401)

    const prefix = `/repos/${this.repository}/issues`
    const now = new Date().toISOString()
    if (method === 'GET' && route === prefix) return this.list(u, send)
    if (method === 'POST' && route === prefix) {
      const b = (body ?? {}) as { title?: string; body?: string; labels?: string[] }
      if (!b.title) return error(422, 'Validation Failed', { errors: [{ resource: 'Issue', code: 'missing_field', field: 'title' }] })
      if ((b.body ?? '').length > BODY_LIMIT)
        return error(422, 'Validation Failed', { errors: [{ resource: 'Issue', code: 'custom', field: 'body', message: `body is too long (maximum is ${BODY_LIMIT} characters)` }] })
      const issue = this.seed({ title: b.title, body: b.body ?? '', labels: this.dropLabels ? [] : (b.labels ?? []).map(String), created_at: now, updated_at: now })
      return send(201, this.issueJson(issue))
    }
    const one = new RegExp(`^${prefix}/(\\d+)(/comments)?$`).exec(route)
    const issue = one ? this.issues.find((i) => i.number === Number(one[1])) : undefined
    if (one && !issue) return error(404)
    if (issue && !one![2] && method === 'GET') return send(200, this.issueJson(issue))
    if (issue && !one![2] && method === 'PATCH') {
      const b = (body ?? {}) as Partial<Pick<StoredIssue, 'title' | 'body' | 'state' | 'state_reason' | 'labels'>>
      if (b.body !== undefined && b.body.length > BODY_LIMIT)
        return error(422, 'Validation Failed', { errors: [{ resource: 'Issue', code: 'custom', field: 'body', message: `body is too long (maximum is ${BODY_LIMIT} characters)` }] })
      if (b.state !== undefined && b.state !== 'open' && b.state !== 'closed') return error(422, 'Validation Failed', { errors: [{ resource: 'Issue', code: 'invalid', field: 'state' }] })
      if (b.title !== undefined) issue.title = b.title
      if (b.body !== undefined) issue.body = b.body
      if (b.labels !== undefined) issue.labels = b.labels.map(String)
      if (b.state && b.state !== issue.state) {
        issue.state = b.state
        issue.closed_at = b.state === 'closed' ? now : null
        issue.state_reason = b.state === 'closed' ? (b.state_reason ?? 'completed') : 'reopened'
      }
      issue.updated_at = now
      return send(200, this.issueJson(issue))
    }
    if (issue && one![2] && method === 'POST') {
      const b = (body ?? {}) as { body?: string }
      if (!b.body) return error(422, 'Validation Failed', { errors: [{ resource: 'IssueComment', code: 'missing_field', field: 'body' }] })
      if (b.body.length > BODY_LIMIT)
        return error(422, 'Validation Failed', { errors: [{ resource: 'IssueComment', code: 'custom', field: 'body', message: `body is too long (maximum is ${BODY_LIMIT} characters)` }] })
      const comment: StoredComment = { id: this.comments.length + 1, issue: issue.number, body: b.body, created_at: now }
      this.comments.push(comment)
      issue.updated_at = now
      return send(201, { id: comment.id, body: comment.body, html_url: `https://github.com/${this.repository}/issues/${issue.number}#issuecomment-${comment.id}`, created_at: now })
    }
    error(404)
  }

  /** GET /repos/{owner}/{repo}/issues: filtered by every label given, ignoring case (as GitHub does), newest first. */
  private list(u: URL, send: (status: number, value: unknown, headers?: Record<string, string>) => void): void {
    const labels = (u.searchParams.get('labels') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
    const state = u.searchParams.get('state') ?? 'open'
    const perPage = Math.min(Number(u.searchParams.get('per_page')) || this.defaultPerPage, 100)
    const page = Math.max(Number(u.searchParams.get('page')) || 1, 1)
    const matching = this.issues
      .filter((i) => (state === 'all' || i.state === state) && labels.every((l) => i.labels.some((x) => x.toLowerCase() === l.toLowerCase())))
      .sort((a, b) => b.number - a.number)
    const pages = Math.max(Math.ceil(matching.length / perPage), 1)
    const link = (p: number, rel: string) => {
      const next = new URL(u)
      next.searchParams.set('page', String(p))
      return `<${next}>; rel="${rel}"`
    }
    const rels: string[] = []
    if (page < pages) rels.push(link(page + 1, 'next'), link(pages, 'last'))
    if (page > 1) rels.push(link(1, 'first'), link(page - 1, 'prev'))
    send(
      200,
      matching.slice((page - 1) * perPage, page * perPage).map((i) => this.issueJson(i)),
      rels.length ? { link: rels.join(', ') } : {},
    )
  }
}
