// The job summary's "What changed in the recordings": added and removed calls, then shape changes
// (what code notices), value changes folded (usually model noise). Bounded in size; everything
// that came from a recording is escaped.
import { escapeHtml, inlineCode } from '../markdown'
import type { FixtureDiff, InteractionChange } from './types'

/** Kept well below GitHub's 1 MiB for the whole summary. */
const SECTION_BUDGET = 48 * 1024

const isRequest = (p: string) => p.startsWith('request.')
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`

function where(e: InteractionChange): string {
  const moved = e.previousFile && e.previousFile !== e.file ? ` (was ${inlineCode(e.previousFile)})` : ''
  const same = e.identity === e.file
  return (same ? inlineCode(e.file) : `${inlineCode(e.identity)} in ${inlineCode(e.file)}`) + moved + (e.note ? `: ${escapeHtml(e.note)}` : '')
}

/** Appends lines until the budget is spent, then says how many were left out. */
class Budget {
  private lines: string[] = []
  private bytes = 0
  private dropped = 0
  constructor(private readonly limit: number) {}
  push(...lines: string[]): void {
    for (const line of lines) {
      const size = Buffer.byteLength(line) + 1
      if (this.bytes + size > this.limit) {
        this.dropped++
        continue
      }
      this.lines.push(line)
      this.bytes += size
    }
  }
  /** Structure that must close what was opened (e.g. `</details>`), whatever the budget. */
  always(...lines: string[]): void {
    this.lines.push(...lines)
  }
  text(): string {
    if (this.dropped) this.lines.push('', `_${plural(this.dropped, 'more line')} not shown to keep the summary small; the result file lists them._`)
    return `${this.lines.join('\n')}\n`
  }
}

function counts(d: FixtureDiff): string {
  const c = d.counts
  const parts = [
    c.requestChanged && `${plural(c.requestChanged, 'request')} changed`,
    c.responseChanged && `${plural(c.responseChanged, 'response')} changed`,
    c.added && `${plural(c.added, 'interaction')} added`,
    c.removed && `${plural(c.removed, 'interaction')} removed`,
  ].filter(Boolean)
  return `${parts.length ? parts.join(', ') : 'no interaction changed'} (${plural(c.files, 'file')}).`
}

export function renderRecordingsSection(d: FixtureDiff, patchFile: string, budget = SECTION_BUDGET): string {
  const out = new Budget(budget)
  out.push('### What changed in the recordings', '')
  out.push(counts(d))
  if (d.patchNote) out.push('', `**No patch:** ${escapeHtml(d.patchNote)}.`)
  else if (patchFile) out.push('', `**Patch:** ${inlineCode(patchFile.split(/[\\/]/).pop() ?? patchFile)} (output \`fixtures-patch\`): \`git apply\` it from the repository root.`)

  const list = (title: string, entries: InteractionChange[], total: number, paths: (e: InteractionChange) => string[]) => {
    if (!entries.length) return
    out.push('', `**${title}** (${total})`, '')
    for (const e of entries) {
      out.push(`- ${where(e)}`)
      for (const p of paths(e)) out.push(`  - ${inlineCode(p)}`)
      if (e.omittedPaths && paths(e).length) out.push(`  - _${plural(e.omittedPaths, 'more field')}_`)
    }
  }
  list('Added', d.added, d.counts.added, () => [])
  list('Removed', d.removed, d.counts.removed, () => [])
  // What the code sends is never noise: a changed request shows all its fields, values too.
  list('Requests changed', d.requestChanged, d.counts.requestChanged, (e) => [...e.shape, ...e.value.filter(isRequest)])
  const reshaped = d.responseChanged.filter((e) => e.shape.length || e.note)
  list('Responses changed shape', reshaped, reshaped.length, (e) => e.shape)

  const folded = (e: InteractionChange) => e.value.filter((p) => !isRequest(p) || !d.requestChanged.includes(e))
  const valued = [...d.requestChanged, ...d.responseChanged].filter((e) => folded(e).length)
  if (valued.length) {
    out.always('', `<details><summary>Value changes: same shape, other text or numbers, usually model noise (${plural(valued.length, 'interaction')})</summary>`, '')
    for (const e of valued) {
      out.push(`- ${where(e)}`)
      for (const p of folded(e)) out.push(`  - ${inlineCode(p)}`)
    }
    out.always('', '</details>')
  }
  if (d.omittedInteractions)
    out.push('', `_${plural(d.omittedInteractions, 'more interaction')} not listed (the result file keeps ${d.added.length + d.removed.length + d.requestChanged.length + d.responseChanged.length})._`)
  return out.text()
}
