// The job summary of one run: the verdict at a glance, the facts behind it, the log tails folded.
import type { PhaseReport, ResultFile } from './vocabulary'
import { EMOJI, SUMMARY_LIMIT, cell, escapeHtml, foldedPre } from './markdown'
import { formatBytes } from './units'

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

function render(r: ResultFile, summary: string, tails: { replay: string; record: string }, note = ''): string {
  const pinned = r.pinnedVersion ? `${r.pinnedVersion} (${r.isPinned ? 'same as tested' : 'differs from tested'})` : '—'
  const rows: [string, string][] = [
    ['Package', r.package + (r.companions.length ? ` (+ ${r.companions.join(', ')})` : '')],
    ['Channel', r.channel || '—'],
    ['Tested version', r.version || '—'],
    ['Pinned version', pinned],
    ['Replay', phaseCell(r.replay)],
    ['Record', phaseCell(r.record)],
    ['Reason', r.reason],
    ['uv', r.uv.version || '—'],
    ['Wheels', r.wheels.dir ? `${r.wheels.files.length} file(s)${r.wheels.cacheHit ? ', from cache' : ''}` : 'not prefetched'],
    ['uv cache', uvCacheCell(r.uvCache)],
    ['Fixtures changed', String(r.fixturesChanged.length)],
  ]
  let md = `## ${EMOJI[r.outcome]} ${escapeHtml(summary)}\n\n| | |\n|---|---|\n`
  md += rows.map(([k, v]) => `| ${k} | ${cell(v)} |`).join('\n') + '\n\n'
  if (r.fixturesChanged.length) {
    md += foldedPre(`Fixtures changed (${r.fixturesChanged.length})`, r.fixturesChanged.map((c) => `${c.change.padEnd(8)} ${c.path}`).join('\n'))
  }
  if (tails.replay) md += foldedPre('Replay log (tail)', tails.replay)
  if (tails.record) md += foldedPre('Record log (tail)', tails.record)
  if (note) md += `\n_${escapeHtml(note)}_\n`
  if (r.run.url) md += `\n[Workflow run](${encodeURI(r.run.url)})\n`
  return md
}

/** The summary markdown, kept under GitHub's 1 MiB by cutting the log tails first. */
export function jobSummary(r: ResultFile, summary: string): string {
  let tails = { replay: r.replay.logTail, record: r.record.logTail }
  let md = render(r, summary, tails)
  while (Buffer.byteLength(md) > SUMMARY_LIMIT - 1024 && (tails.replay || tails.record)) {
    // Keep the ends of the tails: that is where the failure is.
    const cut = (s: string) => s.slice(Math.floor(s.length / 2))
    tails = { replay: cut(tails.replay), record: cut(tails.record) }
    if (tails.replay.length < 64 && tails.record.length < 64) tails = { replay: '', record: '' }
    md = render(r, summary, tails, 'Log tails were shortened to keep this summary under 1 MiB; the full output is in the step log.')
  }
  return md
}
