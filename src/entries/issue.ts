// Entry of the `issue` sub-action: the legs' result files in, one tracking issue per failing leg
// kept current on GitHub. Decisions come from src/core/tracking-issue.ts; this file reads the
// inputs and files, carries the decisions out in a safe order, and reports.
import * as core from '@actions/core'
import * as fs from 'node:fs/promises'
import { loadIssueInputs, type IssueInputs } from '../inputs'
import { readResultFiles } from '../io/result-files'
import { registerSecrets, mask } from '../io/secrets'
import { UserError } from '../core/vocabulary'
import { escapeHtml } from '../core/markdown'
import { stage } from '../stages/stage'
import { decide, findLegIssue, legFacts, type IssueAction, type LegFacts } from '../core/tracking-issue'
import { GitHubError, githubClient, type Issue, type IssueClient } from '../io/github'
import { mapStack } from '../io/source-map'

interface Done {
  opened: string[]
  updated: string[]
  closed: string[]
  numbers: Record<string, number>
  /** Issue number → its page, for links in the job summary. */
  urls: Map<number, string>
  /** One line per leg for the log and the job summary. */
  lines: string[]
}

/**
 * Carries out one leg's decision. The body is written first; a comment only after it succeeded,
 * so a failed run never leaves a comment about a body GitHub does not show.
 */
async function apply(client: IssueClient, leg: LegFacts, action: IssueAction, inputs: IssueInputs, done: Done, existing: Issue | undefined): Promise<void> {
  const name = leg.leg
  if (existing) done.urls.set(existing.number, existing.url)
  switch (action.kind) {
    case 'none':
      core.debug(`${name}: nothing to do (${action.why})`)
      if (existing?.state === 'open') done.numbers[name] = existing.number
      done.lines.push(`${name}: ${leg.outcome}, no change${existing ? ` (#${existing.number})` : ''}`)
      return
    case 'open': {
      const issue = await client.create({ title: action.title, body: action.body, labels: inputs.labels }, (i) => findLegIssue([i], name) !== undefined)
      done.urls.set(issue.number, issue.url)
      done.opened.push(name)
      done.numbers[name] = issue.number
      done.lines.push(`${name}: ${leg.outcome}, opened #${issue.number}`)
      // GitHub drops labels a token may not set, silently; without the label the next run would
      // not find this issue and open another one.
      // (Label names compare without case on GitHub: an existing `Compat-Sentinel` is applied as is.)
      if (!issue.labels.some((l) => l.toLowerCase() === inputs.labels[0]!.toLowerCase())) {
        throw new GitHubError(
          `issue #${issue.number} was opened without the label '${inputs.labels[0]}' (GitHub dropped it), so the next run could not find it: create the label in the repository, or give the token permission to set labels.`,
          'invalid',
          0,
        )
      }
      return
    }
    case 'reopen':
      await client.edit(action.number, { title: action.title, body: action.body, state: 'open' })
      done.opened.push(name)
      done.numbers[name] = action.number
      await client.comment(action.number, action.comment)
      done.lines.push(`${name}: ${leg.outcome}, reopened #${action.number}`)
      return
    case 'update':
      await client.edit(action.number, { title: action.title, body: action.body })
      done.updated.push(name)
      done.numbers[name] = action.number
      if (action.comment) await client.comment(action.number, action.comment)
      done.lines.push(`${name}: ${leg.outcome}, updated #${action.number}${action.comment ? ' with a comment' : ''}`)
      return
    case 'recovered':
      await client.edit(action.number, { body: action.body })
      done.updated.push(name)
      done.numbers[name] = action.number
      if (action.comment) await client.comment(action.number, action.comment)
      done.lines.push(`${name}: ${leg.outcome}, updated #${action.number} (kept open: close-on-recovery is false)`)
      return
    case 'settle':
      await client.edit(action.number, { body: action.body })
      done.lines.push(`${name}: ${leg.outcome}, #${action.number} (closed by hand while failing) now says it passes`)
      return
    case 'close':
      await client.edit(action.number, { body: action.body, state: 'closed', stateReason: 'completed' })
      done.closed.push(name)
      done.numbers[name] = action.number
      await client.comment(action.number, action.comment)
      done.lines.push(`${name}: ${leg.outcome}, closed #${action.number}`)
      return
  }
}

async function publish(done: Done, failure: string): Promise<void> {
  core.setOutput('opened', done.opened.join(','))
  core.setOutput('updated', done.updated.join(','))
  core.setOutput('closed', done.closed.join(','))
  core.setOutput('issue-numbers', JSON.stringify(done.numbers))
  for (const line of done.lines) core.info(line)
  let md = `## ${failure ? '⚠️' : '📋'} compat-sentinel issues: ${failure ? 'failed' : `${done.opened.length} opened, ${done.updated.length} updated, ${done.closed.length} closed`}\n\n`
  // `#7` becomes a link to the issue (a job summary does not link issue numbers by itself).
  const linked = (line: string) => escapeHtml(line).replace(/#(\d+)/g, (all, n: string) => (done.urls.get(Number(n)) ? `[${all}](${encodeURI(done.urls.get(Number(n))!)})` : all))
  if (done.lines.length) md += `${done.lines.map((l) => `- ${linked(l)}`).join('\n')}\n\n`
  if (failure) md += `${escapeHtml(failure)}\n`
  if (process.env.GITHUB_STEP_SUMMARY) await fs.appendFile(process.env.GITHUB_STEP_SUMMARY, mask(md)).catch((e: Error) => core.warning(`Could not write the job summary: ${e.message}`))
}

export async function runIssue(): Promise<void> {
  registerSecrets()
  const done: Done = { opened: [], updated: [], closed: [], numbers: {}, urls: new Map(), lines: [] }
  const failures: string[] = []
  try {
    const inputs = await stage('Inputs', async () => loadIssueInputs())
    const legs = await stage('Result files', async () => {
      const facts = (await readResultFiles(inputs.results)).map(legFacts)
      const seen = new Set<string>()
      for (const f of facts) {
        if (seen.has(f.leg)) throw new UserError(`Two result files are for leg '${f.leg}': give each matrix leg its own 'leg' input, or narrow 'results'.`)
        seen.add(f.leg)
      }
      core.info(`${facts.length} leg(s): ${facts.map((f) => `${f.leg} (${f.outcome})`).join(', ')}`)
      return facts
    })
    const client = githubClient({ token: inputs.token, repository: inputs.repository, baseUrl: inputs.apiUrl })
    // One listing for every leg; the first label is the one every tracking issue carries.
    const issues = await stage('Existing issues', async () => {
      const found = await client.listByLabels(inputs.labels.slice(0, 1))
      core.info(`${found.length} issue(s) labelled ${inputs.labels[0]}`)
      return found
    })
    await stage('Issues', async () => {
      const now = new Date()
      for (const leg of legs) {
        const existing = findLegIssue(issues, leg.leg)
        const action = decide(leg, existing, { openOn: inputs.openOn, closeOnRecovery: inputs.closeOnRecovery, titleTemplate: inputs.titleTemplate, now })
        core.debug(`${leg.leg}: ${leg.outcome}; existing issue ${existing ? `#${existing.number} (${existing.state})` : 'none'}; action ${action.kind}`)
        try {
          await apply(client, leg, action, inputs, done, existing)
        } catch (e) {
          if (!(e instanceof GitHubError)) throw e
          failures.push(`${leg.leg}: ${e.message}`)
          done.lines.push(`${leg.leg}: ${leg.outcome}, not written (${e.kind})`)
          // Without permission (or with the service down), the next legs would fail the same way.
          if (e.kind === 'permission' || e.kind === 'network' || e.kind === 'rate-limit') break
        }
      }
    })
  } catch (e) {
    if (!(e instanceof UserError || e instanceof GitHubError)) core.error(mapStack((e as Error).stack ?? String(e)), { title: 'compat-sentinel issue: unexpected internal error' })
    failures.push(e instanceof UserError || e instanceof GitHubError ? e.message : `unexpected internal error: ${(e as Error).message}. Please report it with this log.`)
  }
  const failure = mask(failures.join('\n'))
  await publish(done, failure)
  if (failure) core.setFailed(failure)
}

void runIssue()
