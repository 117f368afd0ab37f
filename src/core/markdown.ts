// Escaping for the job summary: nothing a command printed may become markdown or HTML there.
// No attribute values are ever built from text, so quotes can stay as they are.
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** A table cell: HTML-escaped, pipes and backticks neutralised, one line. */
export function cell(s: string): string {
  return escapeHtml(s).replace(/\|/g, '&#124;').replace(/`/g, '&#96;').replace(/\r?\n/g, ' ')
}

/** A folded block of raw text, shown verbatim. */
export function foldedPre(title: string, body: string): string {
  return `<details><summary>${escapeHtml(title)}</summary>\n\n<pre>${escapeHtml(body)}</pre>\n\n</details>\n`
}

export const EMOJI = { compatible: '✅', 'needs-recording': '🟡', 'not-installable': '🚧', incompatible: '❌', error: '⚠️' } as const

export const OUTCOME_WORDS = { compatible: 'compatible', 'needs-recording': 'needs recording', 'not-installable': 'not installable', incompatible: 'incompatible', error: 'error' } as const

/** GitHub drops a step summary larger than 1 MiB entirely. */
export const SUMMARY_LIMIT = 1024 * 1024

/** Untrusted text shown inline as code: HTML-escaped, markdown punctuation backslash-escaped, one line. */
export function inlineCode(s: string): string {
  return `<code>${escapeHtml(s).replace(/[\\`*_[\]~|]/g, '\\$&').replace(/\r?\n/g, ' ')}</code>`
}
