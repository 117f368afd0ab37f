// For .github/workflows/self-test.yml: the test harness's loopback world as a long-running server.
// A default index with demo-upstream's stable release and the `uv` project (for `latest`), the
// real uv packed as a uv release, and a second "dev" index with a dev build. Writes the URLs to
// self-test.env (or $SELFTEST_ENV_FILE) once ready, then serves until killed.
import * as fs from 'node:fs'
import { World } from '../test/harness/world'
import { IndexServer } from '../test/harness/index-server'
import { wheel } from '../test/harness/dists'

const world = await new World().start()
world.server.add('demo-upstream', wheel('demo-upstream', '1.0.0'))
const dev = await new IndexServer().start()
dev.add('demo-upstream', wheel('demo-upstream', '1.0.0'), wheel('demo-upstream', '1.1.0.dev1'))

const env = {
  SELFTEST_INDEX_URL: world.server.indexUrl,
  SELFTEST_DEV_INDEX_URL: dev.indexUrl,
  SELFTEST_UV_URL: `${world.server.url}/uv`,
  SELFTEST_UV_VERSION: world.uv.version,
}
fs.writeFileSync(
  process.env.SELFTEST_ENV_FILE || 'self-test.env',
  Object.entries(env)
    .map(([k, v]) => `${k}=${v}\n`)
    .join(''),
)
console.log('self-test servers ready', env)
