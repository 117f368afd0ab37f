// Entry of the main action (action.yml → dist/index.js). The pipeline lives in src/main.ts, which
// only exports `run`, so other runners (such as @github/local-action) can call it themselves.
// It is loaded after the compile cache is on, so that its own chunk is cached too.
import { keepCompiledCode } from './compile-cache'

keepCompiledCode()
void import('../main').then(({ run }) => run())
