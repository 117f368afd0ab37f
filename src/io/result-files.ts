// Reads the result files that matrix legs uploaded: for the report and issue sub-actions.
import * as glob from '@actions/glob'
import * as fs from 'node:fs/promises'
import { validateResult } from '../core/combine'
import { UserError, type ResultFile } from '../core/vocabulary'

export async function readResultFiles(patterns: string): Promise<ResultFile[]> {
  const globber = await glob.create(patterns, { matchDirectories: false })
  const files = (await globber.glob()).sort()
  if (!files.length) throw new UserError(`No result files match ${JSON.stringify(patterns)}: download the legs' artifacts before this step, or fix 'results'.`)
  const legs: ResultFile[] = []
  for (const file of files) {
    let data: unknown
    try {
      data = JSON.parse(await fs.readFile(file, 'utf8'))
    } catch (e) {
      throw new UserError(`Result file ${file} could not be read as JSON (${(e as Error).message}).`)
    }
    legs.push(validateResult(data, file))
  }
  return legs
}
