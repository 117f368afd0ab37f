// Node compiles every chunk of the bundle at each start (about 35 ms for a warm run, mostly
// undici's chunk). Node's module compile cache keeps the compiled code on disk, keyed by the
// file's content and the Node version, so a runner that keeps its tool cache (self-hosted, or
// several runs on one machine) compiles each chunk once. Beside uv in the tool cache, since
// it is as trusted and as long-lived; NODE_COMPILE_CACHE, if set, wins (Node enabled it at
// start-up) and NODE_DISABLE_COMPILE_CACHE=1 turns it off. It never throws: a folder it cannot
// write only means compiling as before.
import { enableCompileCache } from 'node:module'
import * as os from 'node:os'
import * as path from 'node:path'

export function keepCompiledCode(): void {
  enableCompileCache(path.join(process.env.RUNNER_TOOL_CACHE || os.tmpdir(), 'compat-sentinel-compile-cache'))
}
