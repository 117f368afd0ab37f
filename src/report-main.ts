// Entry of the `report` sub-action.
import { runReport } from './combine'

// Stack traces with src/ file names, without NODE_OPTIONS on the runner (see io/source-map.ts).
process.setSourceMapsEnabled(true)
void runReport()
