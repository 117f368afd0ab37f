// The job summary of one run: the verdict at a glance, the facts behind it, the log tails folded.
import type { History, PhaseReport, ResultFile } from './vocabulary'
import { EMOJI, OWN_SUMMARY_LIMIT, boundedList, cell, clip, escapeHtml, foldedPre, inline } from './markdown'
import { renderRecordingsSection } from './recordings/render'
import { formatBytes } from './bytes'

/** Fixture changes listed in the summary; the result file has them all. */
const MAX_FIXTURES_LISTED = 500

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`

function phaseCell(p: PhaseReport): string {
  if (p.result === 'skipped') return 'skipped'
  const exit = p.signal ? `, ${p.signal}` : p.exitCode !== null && p.result === 'failure' ? `, exit ${p.exitCode}` : ''
  return `${p.result} (${seconds(p.durationMs)}${exit})`
}

const day = (iso: string) => iso.slice(0, 10)

/** A version with its build date: nightlies that reuse one version differ only by it. */
const versionWithBuild = (version: string, uploadTime: string) => (version || '—') + (uploadTime ? ` (built ${day(uploadTime)})` : '')

/** The leg's story: a strip of the last runs, since when it fails, the runs folded in a table. */
export function historySection(h: History): string {
  let md = '### History\n\n'
  if (!h.available) return `${md}No earlier run of this leg is remembered (a first run, a cache miss, or \`history: false\`).\n\n`
  md += `${h.recent.map((r) => EMOJI[r.outcome]).join(' ')} (last ${h.recent.length} runs, oldest first)\n\n`
  const facts: string[] = []
  if (h.statusChanged) facts.push(`changed: ${EMOJI[h.previousOutcome as keyof typeof EMOJI]} ${h.previousOutcome} → ${EMOJI[h.recent.at(-1)!.outcome]} ${h.recent.at(-1)!.outcome}`)
  const f = h.failingSince
  if (f) facts.push(`failing since ${day(f.date)} (${[f.version, `${f.runs} run${f.runs === 1 ? '' : 's'}`].filter(Boolean).join(', ')})`)
  if (h.lastGoodVersion) facts.push(`last good version: ${h.lastGoodVersion}`)
  if (h.firstBadVersion) facts.push(`first bad version: ${h.firstBadVersion}`)
  const [previous, current] = h.recent.slice(-2)
  if (previous && current?.version && previous.version === current.version && current.uploadTime && previous.uploadTime !== current.uploadTime) {
    facts.push(`new build of ${current.version}: built ${day(current.uploadTime)}${previous.uploadTime ? `, the previous run tested the build of ${day(previous.uploadTime)}` : ''}`)
  }
  if (facts.length) md += `${facts.map((f) => `- ${escapeHtml(f)}`).join('\n')}\n\n`
  const rows = [...h.recent].reverse().map((r) => {
    const run = /^https?:\/\//.test(r.runUrl) ? `[run](${encodeURI(r.runUrl)})` : '—'
    return `| ${EMOJI[r.outcome]} | ${cell(r.date.replace('T', ' ').slice(0, 16))} | ${cell(versionWithBuild(r.version, r.uploadTime))} | ${run} |`
  })
  md += `<details><summary>Last ${h.recent.length} runs (newest first)</summary>\n\n| | Date (UTC) | Version | Run |\n|---|---|---|---|\n${rows.join('\n')}\n\n</details>\n\n`
  return md
}

/** "first bad build: X (uploaded D); last good: Y", with the compare link and each probe folded. */
function bisectSection(b: NonNullable<ResultFile['bisect']>): string {
  const uploaded = (v: string) => b.probes.find((p) => p.version === v)?.uploadTime
  const when = (v: string) => (uploaded(v) ? ` (uploaded ${day(uploaded(v)!)})` : '')
  let md = '### First bad build\n\n'
  md += escapeHtml(`first bad build: ${b.firstBadVersion}${when(b.firstBadVersion)}; last good: ${b.lastGoodVersion}${when(b.lastGoodVersion)}`)
  md += b.exact ? ' (adjacent builds: exact)\n\n' : `\n\n${escapeHtml(`A range, not exact: ${b.note || 'builds between were not probed'}.`)}\n\n`
  if (/^https?:\/\//.test(b.compareUrl)) md += `[Compare ${escapeHtml(b.lastGoodVersion)}...${escapeHtml(b.firstBadVersion)}](${b.compareUrl.replace(/[()\s<>]/g, encodeURIComponent)})\n\n`
  if (b.probes.length) {
    const rows = b.probes.map((p) => `| ${cell(p.version)} | ${cell(p.uploadTime ? day(p.uploadTime) : '—')} | ${p.result} | ${seconds(p.durationMs)} |`)
    md += `<details><summary>${b.probes.length} probe(s), replay only, never record</summary>\n\n| Build | Uploaded | Result | Took |\n|---|---|---|---|\n${rows.join('\n')}\n\n</details>\n\n`
  } else md += 'No probe was needed: the history already knew the builds around the break.\n\n'
  return md
}

function uvCacheCell(c: ResultFile['uvCache']): string {
  if (!c.key) return 'not kept across runs'
  const restored = c.hit ? `restored ${formatBytes(c.restoredBytes)}${c.restoredKey === c.key ? '' : ' (fallback)'}` : 'cold (no entry yet)'
  return c.savedBytes ? `${restored}; saved ${formatBytes(c.savedBytes)}` : restored
}

const PROVENANCE_WORDS = { verified: '🔏 verified', absent: 'absent', mismatch: 'mismatch', '': 'not checked' } as const

/** The `expected-publisher` check, in one cell: who published, or which check failed. */
function provenanceCell(p: ResultFile['provenance']): string {
  const by = p.publisher ? `, published by ${p.publisher}` : ''
  return p.status === 'verified' ? `${PROVENANCE_WORDS.verified}${by}` : `${PROVENANCE_WORDS[p.status]}${by}: ${p.detail}`
}

function render(r: ResultFile, summary: string, tails: { replay: string; record: string }, note = '', notes: string[] = []): string {
  const pinned = r.pinnedVersion ? `${r.pinnedVersion} (${r.isPinned ? 'same as tested' : 'differs from tested'})` : '—'
  const rows: [string, string][] = [
    ['Package', r.package + (r.companions.length ? ` (+ ${r.companions.join(', ')})` : '')],
    ['Leg', r.leg],
    ['Channel', r.channel || '—'],
    ['Tested version', r.version ? versionWithBuild(r.version, r.build.uploadTime) : '—'],
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
  if (r.provenance.status) rows.push(['Provenance', provenanceCell(r.provenance)])
  let md = `## ${EMOJI[r.outcome]} ${inline(clip(summary, 1000))}\n\n`
  // Warnings a reader must not miss (a stale upstream), above the facts.
  for (const n of notes) md += `> [!WARNING]\n> ${cell(n)}\n\n`
  if (r.flaky) md += `> [!NOTE]\n> Replay failed, then passed on a later attempt: counted as compatible, but a test is flaky. See the replay log.\n\n`
  md += '| | |\n|---|---|\n'
  md += `${rows.map(([k, v]) => `| ${k} | ${cell(v)} |`).join('\n')}\n\n`
  md += historySection(r.history)
  if (r.bisect) md += bisectSection(r.bisect)
  if (r.fixturesChanged.length) {
    md += foldedPre(
      `Fixtures changed (${r.fixturesChanged.length})`,
      boundedList(
        r.fixturesChanged.map((c) => `${c.change.padEnd(8)} ${clip(c.path, 300)}`),
        MAX_FIXTURES_LISTED,
      ),
    )
  }
  if (r.fixtureDiff?.counts.files) md += `\n${renderRecordingsSection(r.fixtureDiff, r.fixturesPatch)}\n`
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
