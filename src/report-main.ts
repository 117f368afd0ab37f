// Entry of the `report` sub-action.
import { runReport } from './combine'

void runReport()
