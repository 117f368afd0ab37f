// The job summary of one run: the verdict at a glance, the facts behind it, the log tails folded.
import type { PhaseReport, ResultFile } from './vocabulary'
import { EMOJI, OWN_SUMMARY_LIMIT, boundedList, cell, clip, escapeHtml, foldedPre, inline } from './markdown'
import { renderRecordingsSection } from './recordings/render'
import { formatBytes } from './units'

/** Fixture changes listed in the summary; the result file has them all. */
const MAX_FIXTURES_LISTED = 500

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`

function phaseCell(p: PhaseReport): string {
  if (p.result === 'skipped') return 'skipped'
  const exit = p.signal ? `, ${p.signal}` : p.exitCode !== null && p.result === 'failure' ? `, exit ${p.exitCode}` : ''
  return `${p.result} (${seconds(p.durationMs)}${exit})`
}

function uvCacheCell(c: ResultFile['uvCache']): string {
  if (!c.key) return 'not kept across runs'
  const restored = c.hit ? `restored ${formatBytes(c.restoredBytes)}${c.restoredKey === c.key ? '' : ' (fallback)'}` : 'cold (no entry yet)'
  return c.savedBytes ? `${restored}; saved ${formatBytes(c.savedBytes)}` : restored
}

function render(r: ResultFile, summary: string, tails: { replay: string; record: string }, note = '', notes: string[] = []): string {
  const pinned = r.pinnedVersion ? `${r.pinnedVersion} (${r.isPinned ? 'same as tested' : 'differs from tested'})` : '—'
  const rows: [string, string][] = [
    ['Package', r.package + (r.companions.length ? ` (+ ${r.companions.join(', ')})` : '')],
    ['Channel', r.channel || '—'],
    ['Tested version', r.version || '—'],
    ['Pinned version', pinned],
    ...(r.install && r.install.result !== 'skipped' ? [['Install', phaseCell(r.install)] as [string, string]] : []),
    ['Replay', phaseCell(r.replay) + (r.flaky ? ' — flaky: an earlier attempt failed' : '')],
    ['Record', phaseCell(r.record)],
    ['Reason', r.reason],
    ['uv', r.uv.version || '—'],
    ['Wheels', r.wheels.dir ? `${r.wheels.files.length} file(s)${r.wheels.cacheHit ? ', from cache' : ''}` : 'not prefetched'],
    ['uv cache', uvCacheCell(r.uvCache)],
    ['Fixtures changed', String(r.fixturesChanged.length)],
  ]
  let md = `## ${EMOJI[r.outcome]} ${inline(clip(summary, 1000))}\n\n`
  // Warnings a reader must not miss (a stale upstream), above the facts.
  for (const n of notes) md += `> [!WARNING]\n> ${cell(n)}\n\n`
  if (r.flaky) md += `> [!NOTE]\n> Replay failed, then passed on a later attempt: counted as compatible, but a test is flaky. See the replay log.\n\n`
  md += '| | |\n|---|---|\n'
  md += rows.map(([k, v]) => `| ${k} | ${cell(v)} |`).join('\n') + '\n\n'
  if (r.fixturesChanged.length) {
    md += foldedPre(`Fixtures changed (${r.fixturesChanged.length})`, boundedList(r.fixturesChanged.map((c) => `${c.change.padEnd(8)} ${clip(c.path, 300)}`), MAX_FIXTURES_LISTED))
  }
  if (r.fixtureDiff?.counts.files) md += '\n' + renderRecordingsSection(r.fixtureDiff, r.fixturesPatch) + '\n'
  if (r.install && r.install.result !== 'skipped' && r.install.logTail) md += foldedPre('Install log (tail)', r.install.logTail.slice(-16 * 1024))
  if (tails.replay) md += foldedPre('Replay log (tail)', tails.replay)
  if (tails.record) md += foldedPre('Record log (tail)', tails.record)
  if (note) md += `\n_${escapeHtml(note)}_\n`
  if (r.run.url) md += `\n[Workflow run](${encodeURI(r.run.url)})\n`
  return md
}

/** The summary markdown, kept under GitHub's 1 MiB (with the commands' own share) by cutting the log tails first. */
export function jobSummary(r: ResultFile, summary: string, notes: string[] = []): string {
  let tails = { replay: r.replay.logTail, record: r.record.logTail }
  let md = render(r, summary, tails, '', notes)
  while (Buffer.byteLength(md) > OWN_SUMMARY_LIMIT && (tails.replay || tails.record)) {
    // Keep the ends of the tails: that is where the failure is.
    const cut = (s: string) => s.slice(Math.floor(s.length / 2))
    tails = { replay: cut(tails.replay), record: cut(tails.record) }
    if (tails.replay.length < 64 && tails.record.length < 64) tails = { replay: '', record: '' }
    md = render(r, summary, tails, 'Log tails were shortened to keep this summary under 1 MiB; the full output is in the step log.', notes)
  }
  return md
}
