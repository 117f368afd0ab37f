// One log group per stage, closed with how long it took (what `npm run bench` reads, too).
import * as core from '@actions/core'

export async function stage<T>(title: string, fn: () => Promise<T>): Promise<T> {
  core.startGroup(title)
  const started = performance.now()
  try {
    return await fn()
  } finally {
    core.info(`stage took ${Math.round(performance.now() - started)} ms`)
    core.endGroup()
  }
}
