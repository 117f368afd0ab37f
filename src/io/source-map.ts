// Stack traces of the bundled action, mapped back to src/ files through the source maps ncc
// writes beside dist/*.js: every frame of a logged stack, the start-up bundle's and the chunks'
// alike. Done here, only when a stack is logged, rather than by process.setSourceMapsEnabled(true),
// which makes Node read and parse the map of every chunk as it loads (about 20 ms of a warm run),
// so a run without a bug pays nothing.
import { readFileSync } from 'node:fs'
import { SourceMap } from 'node:module'
import { fileURLToPath } from 'node:url'

const maps = new Map<string, SourceMap | null>()

function sourceMapOf(file: string): SourceMap | null {
  if (!maps.has(file)) {
    try {
      maps.set(file, new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8'))))
    } catch {
      maps.set(file, null) // not bundled (tsx, local-action), or no map: the frame stays as it is
    }
  }
  return maps.get(file) ?? null
}

/**
 * `src/main.ts`, `node_modules/undici/lib/core/util.js`: ncc writes the sources relative to the
 * entry's folder, not to the map, so they are shown from the repository root rather than resolved.
 */
function shortName(source: string): string {
  const name = source.startsWith('file:') ? fileURLToPath(source) : source
  return name
    .replace(/\\/g, '/')
    .replace(/^(\.\.?\/)+/, '') // chunks' maps say `.././src/…`
    .replace(/^.*?(?=node_modules\/)/, '')
}

/** `stack` with each `file:///…/x.js:line:column` that has a source map replaced by its original file, line and column. */
export function mapStack(stack: string): string {
  return stack.replace(/(file:\/\/[^\s()]+?\.[cm]?js):(\d+):(\d+)/g, (frame, url: string, line: string, column: string) => {
    const file = fileURLToPath(url)
    const entry = sourceMapOf(file)?.findEntry(Number(line) - 1, Number(column) - 1)
    if (!entry || !('originalSource' in entry) || !entry.originalSource) return frame
    return `${shortName(entry.originalSource)}:${entry.originalLine + 1}:${entry.originalColumn + 1}`
  })
}
