// A regular expression from an input, run on a file's text with a deadline. JavaScript regexes
// backtrack, so a pattern such as (a+)+$ can take hours on a short text and block the event loop
// (then not even cancellation runs). It runs in a worker thread that is terminated at the
// deadline. The worker's code is inline (`eval`), with the pattern and text passed as data, so
// the bundle needs no extra file and nothing from the input is ever turned into code.
import { Worker } from 'node:worker_threads'

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
const m = new RegExp(workerData.source, workerData.flags).exec(workerData.text)
parentPort.postMessage(m ? Array.from(m, (g) => (g === undefined ? null : g)) : null)
`

export class RegexTimeout extends Error {
  override name = 'RegexTimeout'
}

export const REGEX_DEADLINE_MS = Number(process.env.COMPAT_SENTINEL_REGEX_TIMEOUT_MS) || 5_000

/** `re.exec(text)`'s groups (undefined ones as null), or null; RegexTimeout past the deadline. */
export async function execWithDeadline(re: RegExp, text: string, deadlineMs = REGEX_DEADLINE_MS): Promise<(string | null)[] | null> {
  const worker = new Worker(WORKER, { eval: true, workerData: { source: re.source, flags: re.flags, text } })
  let timer: NodeJS.Timeout | undefined
  try {
    return await new Promise((resolve, reject) => {
      worker.once('message', resolve)
      worker.once('error', reject)
      worker.once('exit', (code) => reject(new Error(`the pattern's worker exited (${code}) before it answered`)))
      timer = setTimeout(() => reject(new RegexTimeout(`no answer within ${deadlineMs / 1000} s`)), deadlineMs)
    })
  } finally {
    clearTimeout(timer)
    await worker.terminate()
  }
}
