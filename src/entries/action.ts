// Entry of the main action (action.yml → dist/index.js). The pipeline lives in src/main.ts, which
// only exports `run`, so other runners (such as @github/local-action) can call it themselves.
import { run } from '../main'

// Stack traces with src/ file names, without NODE_OPTIONS on the runner (see io/source-map.ts).
process.setSourceMapsEnabled(true)
void run()
