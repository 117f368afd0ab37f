// V8 doubles its young generation (up to 64 MB of semi-spaces on a runner's heap limit) when
// much of what it allocates survives, which is exactly what parsing a page of 100,000 files and
// keeping them does; the heap then holds about 3x what is alive, and a run's peak memory doubles.
// Keeping the young generation at its start size costs no measurable time here (more, smaller
// scavenges) and keeps such a run near 150 MB. An action cannot pass Node flags, and
// --semi-space-growth-factor is one of the few V8 reads when it grows, not only at start-up.
import * as core from '@actions/core'
import { setFlagsFromString } from 'node:v8'

let small = false

/** From now on, for the rest of the run: the young generation does not grow. */
export function keepYoungGenerationSmall(why: string): void {
  if (small) return
  small = true
  setFlagsFromString('--semi-space-growth-factor=1')
  core.debug(`Young generation kept at its start size from here on (${why})`)
}
