// V8 doubles its young generation (up to 64 MB of semi-spaces on a runner's heap limit) when much
// of what it allocates survives, which is exactly what parsing a page of 100,000 files and
// keeping them does: the heap then holds about 3x what is alive, and such a run peaked at 300 MB.
// --semi-space-growth-factor=1 keeps the young generation at its start size (more, smaller
// scavenges: no measurable time here); with it such a run peaks near 140 MB (`npm run bench`).
// An action cannot pass flags to `node`; this one is read when V8 grows the heap, so setting it
// at run time works (--max-semi-space-size, read only at start-up, has no effect). An unknown
// flag only prints a line; nothing else depends on it.
import * as core from '@actions/core'
import { setFlagsFromString } from 'node:v8'

let restrained = false

/** From now on, for the rest of the run: the heap grows as little as it can. */
export function restrainHeapGrowth(why: string): void {
  if (restrained) return
  restrained = true
  setFlagsFromString('--semi-space-growth-factor=1')
  core.debug(`Heap growth restrained from here on (${why})`)
}
