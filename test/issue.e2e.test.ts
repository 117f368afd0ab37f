// The issue sub-action end to end: dist/issue/index.js run as a runner would, against a loopback
// GitHub API (test/harness/github-server.ts), over sequences of runs built from result files.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { ISSUE, runAction, tempDir, type RunResult } from './harness/action'
import { resultOf } from './harness/results'
import { ForwardProxy } from './harness/forward-proxy'
import { GitHubServer } from './harness/github-server'
import type { History, Outcome, ResultFile } from '../src/core/vocabulary'

const ISSUE_OUTPUTS = ['opened', 'updated', 'closed', 'issue-numbers']
const DAY_MS = 86_400_000

/** A result file as the action writes it (v2), run `run` of a nightly series. */
function v2(outcome: Outcome, over: Partial<ResultFile> = {}, run = 1): ResultFile {
  return resultOf(outcome, { run: { repository: 'org/repo', ref: 'refs/heads/main', sha: 'abc', url: `https://github.com/org/repo/actions/runs/${run}` }, ...over })
}

/** The same leg as an older action wrote it: schema @1, none of the @2 fields. */
function v1(outcome: Outcome, run = 1): Record<string, unknown> {
  const { leg, flaky, install, build, history, bisect, fixtureDiff, fixturesPatch, provenance, uvCache, ...rest } = v2(outcome, {}, run)
  return { ...rest, schema: 'compat-sentinel/result@1' }
}

/** One run of the issue step over these result files. */
async function runIssue(gh: GitHubServer, legs: (ResultFile | Record<string, unknown>)[], inputs: Record<string, string> = {}, env: Record<string, string> = {}): Promise<RunResult> {
  const workspace = tempDir('cs-issue-')
  legs.forEach((leg, i) => {
    const file = path.join(workspace, `artifacts/leg-${i}/compat-sentinel-result-${leg.package}-${leg.channel}.json`)
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, JSON.stringify(leg, null, 2))
  })
  const r = await runAction({ 'github-token': gh.token, ...inputs }, { entry: ISSUE, workspace, env: { GITHUB_API_URL: gh.url, ...env } })
  for (const name of ISSUE_OUTPUTS) assert.ok(name in r.outputs, `output ${name} is set\n${r.stdout}`)
  assert.ok(r.summary.trim(), 'a job summary line')
  return r
}

async function withServer(fn: (gh: GitHubServer) => Promise<void>): Promise<void> {
  const gh = await new GitHubServer().start()
  try {
    await fn(gh)
  } finally {
    await gh.close()
  }
}

const numbers = (r: RunResult) => JSON.parse(r.outputs['issue-numbers']!) as Record<string, number>
const balanced = (md: string, open: string, close: string) => (md.match(new RegExp(open, 'g')) ?? []).length === (md.match(new RegExp(close, 'g')) ?? []).length

describe('issue sub-action: one leg over several nightly runs', () => {
  test('open, update quietly, comment on a new version, close on recovery, reopen, then a new issue after 7 days', () =>
    withServer(async (gh) => {
      const leg = 'llama-stack-dev'
      // 1. First failure (a v1 file: the leg defaults to <package>-<channel>).
      let r = await runIssue(gh, [v1('incompatible', 1)])
      assert.equal(r.exitCode, 0, r.stdout)
      assert.equal(r.outputs.opened, leg)
      assert.equal(r.outputs.updated, '')
      assert.deepEqual(numbers(r), { [leg]: 1 })
      assert.equal(gh.issues.length, 1)
      const issue = gh.issues[0]!
      assert.equal(issue.title, 'llama-stack dev: incompatible since 2026-04-23')
      assert.deepEqual(issue.labels, ['compat-sentinel'])
      assert.match(issue.body, /^## ❌ llama-stack 0\.7\.2\.dev20260423 \(dev\): incompatible$/m)
      assert.match(issue.body, /\| Tested version \| 0\.7\.2\.dev20260423 \|/)
      assert.match(issue.body, /\| Pinned version \| 0\.7\.1 \|/)
      assert.match(issue.body, /<pre>KeyError: &#39;choices&#39;<\/pre>|<pre>KeyError: 'choices'<\/pre>/, 'the decisive line')
      assert.match(issue.body, /<summary>Record log \(tail\)<\/summary>/)
      assert.match(issue.body, /\[Workflow run\]\(https:\/\/github\.com\/org\/repo\/actions\/runs\/1\)/)
      assert.match(issue.body, /^<!-- compat-sentinel:leg=llama-stack-dev -->$/m)
      assert.equal(gh.comments.length, 0)
      assert.match(r.summary, /llama-stack-dev: incompatible, opened \[#1\]\(https:\/\/github\.com\/org\/repo\/issues\/1\)/)

      // 2. Still failing on the same version: the body is rewritten, no comment.
      r = await runIssue(gh, [v2('incompatible', {}, 2)])
      assert.equal(r.outputs.opened, '')
      assert.equal(r.outputs.updated, leg)
      assert.equal(gh.issues.length, 1)
      assert.match(gh.issues[0]!.body, /actions\/runs\/2\)/)
      assert.equal(gh.comments.length, 0, 'nothing changed: no comment')

      // 3. A new dev build, still failing: one comment, the failure keeps its start date.
      r = await runIssue(gh, [v2('incompatible', { version: '0.7.2.dev20260424', finishedAt: '2026-04-24T06:33:00Z' }, 3)])
      assert.equal(r.outputs.updated, leg)
      assert.equal(gh.comments.length, 1)
      assert.match(gh.comments[0]!.body, /Still ❌ \*\*incompatible\*\*, now with 0\.7\.2\.dev20260424 \(was 0\.7\.2\.dev20260423\)/)
      assert.equal(gh.issues[0]!.title, 'llama-stack dev: incompatible since 2026-04-23')
      assert.match(gh.issues[0]!.body, /\| Failing since \| 2026-04-23 \(0\.7\.2\.dev20260423\) \|/)
      // The body went out before the comment.
      const writes = gh.writes().map((c) => c.method)
      assert.deepEqual(writes.slice(-2), ['PATCH', 'POST'])

      // 4. It passes again: comment and close.
      r = await runIssue(gh, [v2('compatible', { version: '0.7.2.dev20260425', finishedAt: '2026-04-25T06:33:00Z' }, 4)])
      assert.equal(r.exitCode, 0, r.stdout)
      assert.equal(r.outputs.closed, leg)
      assert.equal(gh.issues[0]!.state, 'closed')
      assert.match(gh.comments.at(-1)!.body, /Passing again with 0\.7\.2\.dev20260425 since \[this run\]\(https:\/\/github\.com\/org\/repo\/actions\/runs\/4\)/)
      assert.match(gh.issues[0]!.body, /was failing from 2026-04-23 until 2026-04-25/)

      // 5. Still passing: nothing to say.
      const before = gh.writes().length
      r = await runIssue(gh, [v2('compatible', { version: '0.7.2.dev20260426' }, 5)])
      assert.equal(gh.writes().length, before)
      assert.deepEqual([r.outputs.opened, r.outputs.updated, r.outputs.closed], ['', '', ''])

      // 6. Failing again two days after the close: the same issue is reopened.
      r = await runIssue(gh, [v2('incompatible', { version: '0.7.2.dev20260427' }, 6)])
      assert.equal(r.outputs.opened, leg)
      assert.equal(gh.issues.length, 1)
      assert.equal(gh.issues[0]!.state, 'open')
      assert.deepEqual(numbers(r), { [leg]: 1 })
      assert.match(gh.comments.at(-1)!.body, /❌ \*\*incompatible\*\* again with 0\.7\.2\.dev20260427 .*reopened/)

      // 7. Recovers, and the issue was closed 8 days ago when it breaks next: a new issue.
      await runIssue(gh, [v2('compatible', {}, 7)])
      assert.equal(gh.issues[0]!.state, 'closed')
      gh.issues[0]!.closed_at = new Date(Date.now() - 8 * DAY_MS).toISOString()
      r = await runIssue(gh, [v2('incompatible', { version: '0.7.2.dev20260510' }, 8)])
      assert.equal(r.outputs.opened, leg)
      assert.equal(gh.issues.length, 2)
      assert.equal(gh.issues[0]!.state, 'closed', 'the old issue stays closed')
      assert.deepEqual(numbers(r), { [leg]: 2 })
      assert.match(gh.issues[1]!.body, /Previous issue: #1/)
    }))

  test('the run history decides "failing since", last good and first bad; an outcome change is commented', () =>
    withServer(async (gh) => {
      const history: History = {
        available: true,
        previousOutcome: 'incompatible',
        previousVersion: '0.7.2.dev20260421',
        statusChanged: false,
        failingSince: { date: '2026-04-21T06:30:00Z', version: '0.7.2.dev20260421', runs: 3 },
        lastGoodVersion: '0.7.2.dev20260420',
        firstBadVersion: '0.7.2.dev20260421',
        notify: false,
        recent: [],
      }
      let r = await runIssue(gh, [v2('incompatible', { history }, 1)], {
        'open-on': 'incompatible,error',
        'title-template': '[{leg}] {outcome} on {version}, last good {last_good}, first bad {first_bad}',
      })
      assert.equal(r.exitCode, 0, r.stdout)
      const issue = gh.issues[0]!
      assert.equal(issue.title, '[llama-stack-dev] incompatible on 0.7.2.dev20260423, last good 0.7.2.dev20260420, first bad 0.7.2.dev20260421')
      assert.match(issue.body, /\| Last good version \| 0\.7\.2\.dev20260420 \|/)
      assert.match(issue.body, /\| First bad version \| 0\.7\.2\.dev20260421 \|/)
      assert.match(issue.body, /\| Failing since \| 2026-04-21 \(0\.7\.2\.dev20260421, 3 runs\) \|/)

      r = await runIssue(gh, [v2('error', { history, reason: 'the index answered HTTP 503' }, 2)], { 'open-on': 'incompatible,error' })
      assert.equal(r.outputs.updated, 'llama-stack-dev')
      assert.equal(gh.comments.length, 1)
      assert.match(gh.comments[0]!.body, /⚠️ \*\*error\*\* now \(was incompatible\)/)
      assert.match(gh.comments[0]!.body, /Reason: the index answered HTTP 503/)
    }))

  test('an outcome outside open-on that could not test leaves the issue alone', () =>
    withServer(async (gh) => {
      await runIssue(gh, [v2('incompatible', {}, 1)])
      const before = gh.writes().length
      const r = await runIssue(gh, [v2('not-installable', { reason: 'the wheel needs Python 3.13' }, 2)])
      assert.equal(r.exitCode, 0, r.stdout)
      assert.equal(gh.writes().length, before)
      assert.equal(gh.issues[0]!.state, 'open')
      assert.deepEqual(numbers(r), { 'llama-stack-dev': 1 })
    }))

  test('an issue closed by hand while failing stays closed; after a pass, a new failure reopens it', () =>
    withServer(async (gh) => {
      await runIssue(gh, [v2('incompatible', {}, 1)])
      Object.assign(gh.issues[0]!, { state: 'closed', state_reason: 'not_planned', closed_at: new Date().toISOString() })
      const before = gh.writes().length
      let r = await runIssue(gh, [v2('incompatible', { version: '0.7.2.dev20260424' }, 2)])
      assert.equal(r.exitCode, 0, r.stdout)
      assert.equal(gh.writes().length, before, 'not reopened, not commented')
      assert.equal(gh.issues[0]!.state, 'closed')
      r = await runIssue(gh, [v2('compatible', {}, 3)])
      assert.equal(gh.comments.length, 0, 'no comment on a closed issue')
      assert.match(gh.issues[0]!.body, /^## ✅/m, 'the body says it passes')
      r = await runIssue(gh, [v2('incompatible', {}, 4)])
      assert.equal(r.outputs.opened, 'llama-stack-dev')
      assert.equal(gh.issues.length, 1)
      assert.equal(gh.issues[0]!.state, 'open')
    }))

  test('close-on-recovery false: one comment, the issue stays open', () =>
    withServer(async (gh) => {
      await runIssue(gh, [v2('incompatible', {}, 1)], { 'close-on-recovery': 'false' })
      let r = await runIssue(gh, [v2('compatible', {}, 2)], { 'close-on-recovery': 'false' })
      assert.equal(r.outputs.closed, '')
      assert.equal(r.outputs.updated, 'llama-stack-dev')
      assert.equal(gh.issues[0]!.state, 'open')
      assert.equal(gh.comments.length, 1)
      r = await runIssue(gh, [v2('compatible', {}, 3)], { 'close-on-recovery': 'false' })
      assert.equal(gh.comments.length, 1, 'said once')
    }))
})

describe('issue sub-action: several legs, finding issues again', () => {
  test('two legs get two issues; only the one that recovers is closed', () =>
    withServer(async (gh) => {
      const stable = (o: Outcome, run: number) => v2(o, { channel: 'stable', leg: 'llama-stack-stable', version: '0.7.1' }, run)
      let r = await runIssue(gh, [stable('incompatible', 1), v2('incompatible', {}, 1)])
      assert.equal(r.exitCode, 0, r.stdout)
      assert.deepEqual(r.outputs.opened!.split(',').sort(), ['llama-stack-dev', 'llama-stack-stable'])
      assert.equal(gh.issues.length, 2)
      assert.deepEqual(Object.keys(numbers(r)).sort(), ['llama-stack-dev', 'llama-stack-stable'])
      r = await runIssue(gh, [stable('compatible', 2), v2('incompatible', {}, 2)])
      assert.equal(r.outputs.closed, 'llama-stack-stable')
      assert.equal(r.outputs.updated, 'llama-stack-dev')
      const byLeg = numbers(r)
      assert.equal(gh.issues.find((i) => i.number === byLeg['llama-stack-stable'])!.state, 'closed')
      assert.equal(gh.issues.find((i) => i.number === byLeg['llama-stack-dev'])!.state, 'open')
    }))

  test('GitHub Enterprise Server: the API under /api/v3, from GITHUB_API_URL', async () => {
    const gh = await new GitHubServer(undefined, undefined, '/api/v3').start()
    try {
      assert.match(gh.url, /\/api\/v3$/)
      await runIssue(gh, [v2('incompatible', {}, 1)])
      const r = await runIssue(gh, [v2('incompatible', { version: '0.7.2.dev20260424' }, 2)])
      assert.equal(r.exitCode, 0, r.stdout)
      assert.equal(r.outputs.updated, 'llama-stack-dev')
      assert.equal(gh.comments.length, 1)
      assert.ok(
        gh.calls.every((c) => c.path.startsWith('/api/v3/repos/org/repo/issues')),
        JSON.stringify(gh.calls.map((c) => c.path)),
      )
    } finally {
      await gh.close()
    }
  })

  test('HTTP_PROXY carries the GitHub API calls, as it does the index requests', () =>
    withServer(async (gh) => {
      const proxy = await new ForwardProxy().start()
      try {
        const r = await runIssue(gh, [v2('incompatible')], {}, { HTTP_PROXY: proxy.url, NO_PROXY: '' })
        assert.equal(r.outputs.opened, 'llama-stack-dev', r.stdout)
        const port = new URL(gh.url).port
        assert.ok(
          proxy.seen.some((s) => s.includes(`127.0.0.1:${port}/repos/org/repo/issues`)),
          `the proxy saw the API: ${JSON.stringify(proxy.seen)}`,
        )
        assert.ok(
          proxy.seen.every((s) => !s.includes(gh.token)),
          'the token is a header, never in a URL',
        )
      } finally {
        await proxy.close()
      }
    }))

  test('several labels: all are put on the issue, the first finds it again', () =>
    withServer(async (gh) => {
      await runIssue(gh, [v2('incompatible', {}, 1)], { labels: 'upstream-nightly, needs-triage' })
      assert.deepEqual(gh.issues[0]!.labels, ['upstream-nightly', 'needs-triage'])
      gh.issues[0]!.labels = ['upstream-nightly'] // someone triaged it
      const r = await runIssue(gh, [v2('incompatible', {}, 2)], { labels: 'upstream-nightly, needs-triage' })
      assert.equal(r.outputs.updated, 'llama-stack-dev')
      assert.equal(gh.issues.length, 1)
      assert.ok(gh.calls.some((c) => c.method === 'GET' && /labels=upstream-nightly&/.test(c.path)))
    }))

  test('the issue is found on a later page among many labelled issues; pull requests are ignored', () =>
    withServer(async (gh) => {
      await runIssue(gh, [v2('incompatible', {}, 1)])
      // A pull request quoting the marker must not be taken for the issue.
      gh.seed({ title: 'PR', body: gh.issues[0]!.body, labels: ['compat-sentinel'], pull_request: true })
      for (let i = 0; i < 150; i++) gh.seed({ title: `other ${i}`, body: `<!-- compat-sentinel:leg=other-${i} -->`, labels: ['compat-sentinel'], state: 'closed', closed_at: new Date().toISOString() })
      const r = await runIssue(gh, [v2('incompatible', { version: '0.7.2.dev20260424' }, 2)])
      assert.equal(r.outputs.updated, 'llama-stack-dev', r.stdout)
      assert.deepEqual(numbers(r), { 'llama-stack-dev': 1 })
      assert.ok(
        gh.calls.some((c) => c.method === 'GET' && /[?&]page=2\b/.test(c.path)),
        'followed the Link header',
      )
      assert.equal(gh.issues.filter((i) => !i.pull_request && i.state === 'open').length, 1)
    }))
})

describe('issue sub-action: failures', () => {
  test('403 on writing: the permission message, step failed, nothing written', () =>
    withServer(async (gh) => {
      gh.fail({ status: 403 }, { method: 'POST', times: Infinity })
      gh.fail({ status: 403 }, { method: 'PATCH', times: Infinity })
      const r = await runIssue(gh, [v2('incompatible', {}, 1), v2('incompatible', { channel: 'stable', leg: 'llama-stack-stable' }, 1)])
      assert.equal(r.exitCode, 1)
      assert.match(r.stdout, /::error::.*the token cannot write issues: add `permissions: issues: write` to this job/)
      assert.match(r.stdout, /Resource not accessible by integration/)
      assert.equal(gh.writes().length, 0)
      assert.equal(gh.calls.filter((c) => c.method === 'POST').length, 1, 'stopped after the first refusal')
      assert.deepEqual([r.outputs.opened, r.outputs.updated, r.outputs.closed, r.outputs['issue-numbers']], ['', '', '', '{}'])
      assert.match(r.summary, /the token cannot write issues/)
    }))

  test('403 on the body update: no comment is written', () =>
    withServer(async (gh) => {
      await runIssue(gh, [v2('incompatible', {}, 1)])
      gh.fail({ status: 403 }, { method: 'PATCH' })
      const r = await runIssue(gh, [v2('incompatible', { version: '0.7.2.dev20260424' }, 2)])
      assert.equal(r.exitCode, 1)
      assert.equal(gh.comments.length, 0)
      assert.equal(gh.calls.filter((c) => c.method === 'POST' && /comments/.test(c.path)).length, 0)
      assert.equal(r.outputs.updated, '')
      // The next run, with permission, still sees the version change and comments once.
      const again = await runIssue(gh, [v2('incompatible', { version: '0.7.2.dev20260424' }, 3)])
      assert.equal(again.exitCode, 0, again.stdout)
      assert.equal(gh.comments.length, 1)
    }))

  test('labels dropped by GitHub: the step fails saying why, rather than opening a duplicate each night', () =>
    withServer(async (gh) => {
      gh.dropLabels = true
      const r = await runIssue(gh, [v2('incompatible')])
      assert.equal(r.exitCode, 1)
      assert.match(r.stdout, /::error::llama-stack-dev: issue #1 was opened without the label 'compat-sentinel' \(GitHub dropped it\)/)
      assert.equal(r.outputs.opened, 'llama-stack-dev', 'the issue exists, and the outputs say so')
    }))

  test('a wrong token (401): the permission message', () =>
    withServer(async (gh) => {
      const r = await runIssue(gh, [v2('incompatible')], { 'github-token': 'ghs_not_the_right_token_123456' })
      assert.equal(r.exitCode, 1)
      assert.match(r.stdout, /::error::.*the token cannot write issues: add `permissions: issues: write` to this job.*Bad credentials/)
      assert.equal(gh.writes().length, 0)
    }))

  test('500 then success: retried, one issue', () =>
    withServer(async (gh) => {
      gh.fail({ status: 500 }, { method: 'GET' })
      gh.fail({ status: 502 }, { method: 'POST' })
      const r = await runIssue(gh, [v2('incompatible')])
      assert.equal(r.exitCode, 0, r.stdout)
      assert.equal(r.outputs.opened, 'llama-stack-dev')
      assert.equal(gh.issues.length, 1)
      // Before the second POST, a look whether the first had made the issue after all.
      assert.deepEqual(
        gh.calls.map((c) => `${c.method} ${c.status}`),
        ['GET 500', 'GET 200', 'POST 502', 'GET 200', 'POST 201'],
      )
    }))

  test('a dropped connection is retried', () =>
    withServer(async (gh) => {
      gh.fail({ drop: true }, { method: 'POST' })
      const r = await runIssue(gh, [v2('incompatible')])
      assert.equal(r.exitCode, 0, r.stdout)
      assert.equal(gh.issues.length, 1)
    }))

  test('the answer to a create is lost: the retry finds the issue instead of making a second one', () =>
    withServer(async (gh) => {
      gh.fail({ dropAfter: true }, { method: 'POST' })
      const r = await runIssue(gh, [v2('incompatible')])
      assert.equal(r.exitCode, 0, r.stdout)
      assert.equal(gh.issues.length, 1, 'no duplicate')
      assert.equal(gh.calls.filter((c) => c.method === 'POST').length, 1)
      assert.deepEqual(numbers(r), { 'llama-stack-dev': 1 })
      assert.equal(r.outputs.opened, 'llama-stack-dev')
      assert.match(r.stdout, /the previous attempt had gone through/)
    }))

  test('a secondary rate limit: retry-after is waited out', () =>
    withServer(async (gh) => {
      gh.fail({ rateLimit: 1 }, { method: 'POST' })
      const r = await runIssue(gh, [v2('incompatible')])
      assert.equal(r.exitCode, 0, r.stdout)
      const posts = gh.calls.filter((c) => c.method === 'POST')
      assert.deepEqual(
        posts.map((c) => c.status),
        [403, 201],
      )
      assert.ok(posts[1]!.at - posts[0]!.at >= 950, `waited ${posts[1]!.at - posts[0]!.at} ms for retry-after: 1`)
      assert.match(r.stdout, /retry-after 1 s/)
    }))

  const refusals: [string, Parameters<GitHubServer['fail']>, RegExp][] = [
    [
      '404 on listing (repository not visible)',
      [{ status: 404 }, { method: 'GET' }],
      /::error::listing the issues labelled compat-sentinel: HTTP 404 \(Not Found\)\. Check that the repository exists, that the token can see it/,
    ],
    [
      '422 on creating',
      [{ status: 422 }, { method: 'POST' }],
      /::error::llama-stack-dev: creating an issue: GitHub refused the request \(HTTP 422, Validation Failed: body: injected validation failure\)/,
    ],
  ]
  for (const [name, fault, message] of refusals) {
    test(`${name}: not retried, one message, nothing written`, () =>
      withServer(async (gh) => {
        gh.fail(...fault)
        const r = await runIssue(gh, [v2('incompatible')])
        assert.equal(r.exitCode, 1)
        assert.match(r.stdout, message)
        assert.equal(gh.calls.filter((c) => c.status >= 400).length, 1, 'a refusal is final')
        assert.equal(gh.issues.length, 0)
      }))
  }

  test('the primary rate limit used up for an hour: no waiting, one message', () =>
    withServer(async (gh) => {
      gh.fail({ primaryRateLimit: 3600 }, { times: Infinity })
      const r = await runIssue(gh, [v2('incompatible')])
      assert.equal(r.exitCode, 1)
      assert.equal(gh.calls.length, 1)
      assert.match(
        r.stdout,
        /::error::listing the issues labelled compat-sentinel: GitHub's rate limit was hit \(API rate limit exceeded for installation ID 1\.\)\. GitHub asks to wait 60 min, longer than this step waits/,
      )
    }))

  test('500 every time: a bounded number of attempts, then one message, nothing written', () =>
    withServer(async (gh) => {
      gh.fail({ status: 500 }, { method: 'POST', times: Infinity })
      const r = await runIssue(gh, [v2('incompatible')], {}, { COMPAT_SENTINEL_HTTP_RETRIES: '2' })
      assert.equal(r.exitCode, 1)
      assert.equal(gh.calls.filter((c) => c.method === 'POST').length, 3)
      assert.match(r.stdout, /::error::llama-stack-dev: creating an issue: the GitHub API answered HTTP 500/)
      assert.equal(gh.issues.length, 0)
    }))

  const badInputs: [string, Record<string, string>, RegExp][] = [
    ['an unknown outcome in open-on', { 'open-on': 'incompatible,broken' }, /Input 'open-on' has the value 'broken'/],
    ['an unknown placeholder', { 'title-template': '{package} {when}' }, /Input 'title-template'.*unknown: \{when\}/],
    ['a bad close-on-recovery', { 'close-on-recovery': 'maybe' }, /Input 'close-on-recovery' has the value 'maybe'/],
    ['no result files', { results: 'nothing/*.json' }, /No result files match "nothing\/\*\.json"/],
    ['an empty github-token', { 'github-token': '' }, /Input 'github-token' is empty: leave it at its default/],
  ]
  for (const [name, inputs, message] of badInputs) {
    test(`${name}: step failed with one message, every output set, nothing asked of GitHub`, () =>
      withServer(async (gh) => {
        const r = await runIssue(gh, [v2('incompatible')], inputs)
        assert.equal(r.exitCode, 1)
        assert.match(r.stdout, new RegExp(`::error::${message.source}`))
        assert.match(r.summary, message)
        assert.equal(gh.calls.length, 0)
      }))
  }
})

describe('issue sub-action: size and secrets', () => {
  test('a body that would pass 65,536 characters is cut, tails first, and stays valid', () =>
    withServer(async (gh) => {
      const hostile = '```\n</pre></details>\n<details><pre>\n'
      const tail = (end: string) => `${hostile}${Array.from({ length: 3000 }, (_, i) => `line ${i} ${'x'.repeat(40)} & <tag>`).join('\n')}\n${end}`
      const leg = v2('incompatible', {
        replay: { result: 'failure', exitCode: 2, durationMs: 1, logTail: tail('END OF REPLAY') },
        record: { result: 'failure', exitCode: 1, durationMs: 1, logTail: tail('Error: END OF RECORD') },
        fixturesChanged: Array.from({ length: 2000 }, (_, i) => ({ path: `tests/recordings/${i}-${'r'.repeat(30)}.json`, change: 'modified' as const })),
      })
      const r = await runIssue(gh, [leg])
      assert.equal(r.exitCode, 0, r.stdout)
      const body = gh.issues[0]!.body
      assert.ok(body.length <= 60_000, `${body.length} characters`)
      assert.ok(/END OF REPLAY/.test(body) && /END OF RECORD/.test(body), 'the ends of the tails are kept')
      assert.match(body, /Log tails were shortened/)
      assert.match(body, /<summary>Fixtures changed \(2000\)<\/summary>/)
      assert.match(body, /… and 1800 more/)
      assert.match(body, /^## ❌/m, 'the verdict survives')
      assert.match(body, /<!-- compat-sentinel:leg=llama-stack-dev -->\n<!-- compat-sentinel:state /, 'the markers survive')
      assert.ok(balanced(body, '<details>', '</details>'), 'every <details> closed')
      assert.ok(balanced(body, '<pre>', '</pre>'), 'every <pre> closed')
      assert.doesNotMatch(body, /^```/m, 'no fence from the log')
      // Found again by its marker on the next run.
      await runIssue(gh, [leg])
      assert.equal(gh.issues.length, 1)
    }))

  test('the token appears in no output, log, summary or body, on success and on failure', () =>
    withServer(async (gh) => {
      const ok = await runIssue(gh, [v2('incompatible')])
      gh.fail({ status: 403 }, { method: 'PATCH', times: Infinity })
      const failed = await runIssue(gh, [v2('incompatible', { version: '0.7.2.dev20260424' }, 2)])
      assert.equal(failed.exitCode, 1)
      for (const r of [ok, failed]) {
        // ::add-mask:: is how the runner learns what to hide; it never shows that line.
        const log = r.stdout
          .split('\n')
          .filter((l) => !l.startsWith('::add-mask::'))
          .join('\n')
        const seen = [log, r.stderr, r.summary, JSON.stringify(r.outputs)].join('\n')
        assert.ok(!seen.includes(gh.token), 'token leaked')
        assert.ok(!seen.includes(gh.token.slice(4, 20)), 'part of the token leaked')
      }
      assert.match(failed.stdout, /::add-mask::/, 'the token was registered with the runner')
      for (const i of gh.issues) assert.ok(!i.body.includes(gh.token))
      // It was used, as the Authorization header.
      assert.ok(gh.calls.every((c) => c.authorization === `token ${gh.token}`))
    }))
})
