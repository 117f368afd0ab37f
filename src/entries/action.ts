// Entry of the main action (action.yml → dist/index.js). The pipeline lives in src/main.ts, which
// only exports `run`, so other runners (such as @github/local-action) can call it themselves.
import { run } from '../main'

void run()
