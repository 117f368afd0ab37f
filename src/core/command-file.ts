// The runner's command files (GITHUB_OUTPUT, GITHUB_ENV) hold records: `name=value` lines and
// `name<<DELIMITER` ... `DELIMITER` blocks. A command killed mid-write leaves a block open, and
// an open block swallows whatever is appended after it, so only whole records are passed on.

export interface CompleteRecords {
  /** The whole records, as written, each ending in a newline. */
  text: string
  /** Why the rest was left out, naming the record (never its value). */
  dropped: string[]
}

/** Splits a command file into the records the runner would accept and what it would not. */
export function completeRecords(file: string): CompleteRecords {
  const lines = file.split('\n')
  if (lines.at(-1) === '') lines.pop()
  const kept: string[] = []
  const dropped: string[] = []
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    const bare = line.replace(/\r$/, '')
    if (!bare.trim()) continue
    // As the runner reads it: `<<` before any `=` opens a block.
    const eq = bare.indexOf('=')
    const heredoc = bare.indexOf('<<')
    if (heredoc > 0 && (eq < 0 || heredoc < eq)) {
      const name = bare.slice(0, heredoc)
      const delimiter = bare.slice(heredoc + 2)
      const end = lines.findIndex((l, j) => j > i && l.replace(/\r$/, '') === delimiter)
      if (!delimiter || end === -1) {
        dropped.push(`'${name}' (its ${delimiter ? `'${delimiter}' block never ends` : 'block has no delimiter'})`)
        break
      }
      kept.push(...lines.slice(i, end + 1))
      i = end
    } else if (eq > 0) {
      kept.push(line)
    } else {
      dropped.push(`a line that is neither name=value nor name<<DELIMITER (line ${i + 1})`)
    }
  }
  return { text: kept.map((l) => `${l}\n`).join(''), dropped }
}
