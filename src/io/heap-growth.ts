// Two V8 habits that double a run's peak memory while a page of 100,000 files is parsed and kept
// (measured with `npm run bench`: about 300 MB without these, about 140 MB with them):
//   - V8 doubles its young generation (up to 64 MB of semi-spaces on a runner's heap limit) when
//     much of what it allocates survives, which is exactly what parsing and keeping a page does;
//     the heap then holds about 3x what is alive. --semi-space-growth-factor=1 keeps it at its
//     start size (more, smaller scavenges: no measurable time here).
//   - optimising compilers on background threads leave their memory in those threads' malloc
//     arenas: 1 run in 10 peaked 40 MB higher. --no-concurrent-recompilation compiles on the
//     main thread (no measurable time here either).
// An action cannot pass flags to `node`; these two are among the few that V8 reads when it
// grows the heap or optimises a function, so setting them at run time works (others, such as
// --max-semi-space-size, are read only at start-up and have no effect). An unknown flag only
// prints a line; nothing else depends on them.
import * as core from '@actions/core'
import { setFlagsFromString } from 'node:v8'

let restrained = false

/** From now on, for the rest of the run: the heap grows as little as it can. */
export function restrainHeapGrowth(why: string): void {
  if (restrained) return
  restrained = true
  setFlagsFromString('--semi-space-growth-factor=1')
  setFlagsFromString('--no-concurrent-recompilation')
  core.debug(`Heap growth restrained from here on (${why})`)
}
