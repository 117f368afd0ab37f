// Each phase gets its own GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH and GITHUB_STEP_SUMMARY, so a
// command killed mid-write cannot corrupt the action's own outputs. After the phase, what is
// complete is appended to the runner's files: whole records only (an open heredoc is dropped
// with a warning), and a bounded, masked share of the job summary.
import * as core from '@actions/core'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import { completeRecords } from '../core/command-file'
import { COMMAND_SUMMARY_LIMIT } from '../core/markdown'
import { mask } from './secrets'

const COMMAND_FILES = ['GITHUB_OUTPUT', 'GITHUB_ENV', 'GITHUB_PATH', 'GITHUB_STEP_SUMMARY'] as const
export type CommandFiles = Record<(typeof COMMAND_FILES)[number], string>

let summaryUsed = 0

/** Fresh, empty command files for one phase, in `dir`. */
export async function phaseCommandFiles(dir: string): Promise<CommandFiles> {
  await fs.mkdir(dir, { recursive: true })
  const files = {} as CommandFiles
  for (const name of COMMAND_FILES) {
    files[name] = path.join(dir, name.toLowerCase())
    await fs.writeFile(files[name], '')
  }
  return files
}

async function append(target: string | undefined, text: string, what: string): Promise<void> {
  if (!text) return
  if (!target) {
    core.debug(`No runner file for ${what}; not passed on`)
    return
  }
  await fs.appendFile(target, text).catch((e: Error) => core.warning(`Could not pass on ${what} to ${target}: ${e.message}`))
}

/** Appends what the phase wrote, where complete, to the runner's own files; removes the phase's. */
export async function forwardCommandFiles(files: CommandFiles, phase: string, runner: NodeJS.ProcessEnv = process.env): Promise<void> {
  const read = (f: string) => fs.readFile(f, 'utf8').catch(() => '')
  for (const name of ['GITHUB_OUTPUT', 'GITHUB_ENV'] as const) {
    const { text, dropped } = completeRecords(await read(files[name]))
    for (const d of dropped) core.warning(`The ${phase} command left an incomplete record in ${name}: ${d}. It was dropped; the records before it were kept.`)
    await append(runner[name], text, `the ${phase} command's ${name}`)
  }
  const paths = (await read(files.GITHUB_PATH)).split('\n').filter((l) => l.trim())
  await append(runner.GITHUB_PATH, paths.map((p) => `${p}\n`).join(''), `the ${phase} command's GITHUB_PATH`)

  let summary = mask(await read(files.GITHUB_STEP_SUMMARY))
  if (summary) {
    const room = Math.max(0, COMMAND_SUMMARY_LIMIT - summaryUsed)
    if (Buffer.byteLength(summary) > room) {
      const cut = Buffer.from(summary)
        .subarray(0, room)
        .toString('utf8')
        .replace(/\uFFFD$/, '')
      summary = `${cut.slice(0, cut.lastIndexOf('\n') + 1)}\n_compat-sentinel: the ${phase} command's job summary was cut at ${COMMAND_SUMMARY_LIMIT / 1024} KiB to keep the whole summary under GitHub's 1 MiB._\n`
      core.warning(`The ${phase} command wrote more than ${COMMAND_SUMMARY_LIMIT / 1024} KiB of job summary; it was cut.`)
    }
    summaryUsed += Buffer.byteLength(summary)
    await append(runner.GITHUB_STEP_SUMMARY, summary.endsWith('\n') ? summary : `${summary}\n`, `the ${phase} command's job summary`)
  }
  await fs.rm(path.dirname(files.GITHUB_OUTPUT), { recursive: true, force: true })
}
