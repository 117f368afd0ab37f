// One log group per stage, closed with how long it took (what `npm run bench` reads, too).
import * as core from '@actions/core'

const open: string[] = []

/** The stage the run is in, for a message when it stops unexpectedly ('' between stages). */
export function currentStage(): string {
  return open.at(-1) ?? ''
}

export async function stage<T>(title: string, fn: () => Promise<T>): Promise<T> {
  core.startGroup(title)
  open.push(title)
  const started = performance.now()
  try {
    return await fn()
  } finally {
    open.splice(open.lastIndexOf(title), 1)
    core.info(`stage took ${Math.round(performance.now() - started)} ms`)
    core.endGroup()
  }
}
