// Escaping for the job summary: nothing a command printed may become markdown or HTML there.
// No attribute values are ever built from text, so quotes can stay as they are.
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** At most `max` characters, with a mark where it was cut. */
export function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max)}… (${s.length - max} more characters)`
}

/**
 * Inline text: HTML-escaped, and every character of markdown's inline syntax (links, images,
 * emphasis, code, tables, escapes) written as an entity, so text from an index or a command
 * shows as it is and never becomes a link or formatting.
 */
export function inline(s: string): string {
  return escapeHtml(s).replace(/[[\]*_~`\\!|#]/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** Longest text in a table cell: a reason quoting a page must not fill the summary. */
const CELL_LIMIT = 2000

/** A table cell: inline text, one line, bounded. */
export function cell(s: string, max = CELL_LIMIT): string {
  return inline(clip(s, max)).replace(/\r?\n/g, ' ')
}

/** A list of at most `max` lines, the rest counted: "… and N more". */
export function boundedList(lines: string[], max: number): string {
  return lines.length <= max ? lines.join('\n') : `${lines.slice(0, max).join('\n')}\n… and ${lines.length - max} more`
}

/**
 * Slack text: `&`, `<` and `>` escaped as Slack documents, so nothing from an index or a command
 * becomes a mention (`<!channel>`, `<!here>`, `<@U123>`) or a link with a made-up label.
 */
function slackText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** Every value of a flat Slack payload made inert. */
export function slackSafe(payload: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(payload).map(([k, v]) => [k, slackText(v)]))
}

/** A folded block of raw text, shown verbatim. */
export function foldedPre(title: string, body: string): string {
  return `<details><summary>${escapeHtml(title)}</summary>\n\n<pre>${escapeHtml(body)}</pre>\n\n</details>\n`
}

export const EMOJI = { compatible: '✅', 'needs-recording': '🟡', 'not-installable': '🚧', incompatible: '❌', error: '⚠️' } as const

export const OUTCOME_WORDS = { compatible: 'compatible', 'needs-recording': 'needs recording', 'not-installable': 'not installable', incompatible: 'incompatible', error: 'error' } as const

/** GitHub drops a step summary larger than 1 MiB entirely. */
export const SUMMARY_LIMIT = 1024 * 1024
/** What the phases' commands may add to the step summary (src/io/command-files.ts)... */
export const COMMAND_SUMMARY_LIMIT = 192 * 1024
/** ...so the action's own summary keeps to the rest, with room to spare. */
export const OWN_SUMMARY_LIMIT = SUMMARY_LIMIT - COMMAND_SUMMARY_LIMIT - 16 * 1024

/** Untrusted text shown inline as code: HTML-escaped, markdown punctuation backslash-escaped, one line. */
export function inlineCode(s: string): string {
  return `<code>${escapeHtml(s)
    .replace(/[\\`*_[\]~|]/g, '\\$&')
    .replace(/\r?\n/g, ' ')}</code>`
}
