// Stage "What changed in the recordings", the part that touches files: keep a copy of the recordings
// before record, then compare, write the patch, and guard both against secrets.
// Memory stays bounded: files are read one at a time, large ones only hashed, the copy and the
// patch live on disk.
import * as core from '@actions/core'
import { createReadStream } from 'node:fs'
import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import type { Content, FileChange, Side } from '../core/recordings/compare'
import { LIMITS, SECRET_NOTE, type FixtureDiff } from '../core/recordings/types'
import { diffSnapshots, type Snapshot } from './fixtures'
import { sentinelTemp, workspace } from '../io/runner'
import { mask, secretValues } from '../io/secrets'
import { repositoryRoot, writePatch } from '../io/fixtures-patch'

/** The recordings as they were before record, and where patch paths start. */
export interface KeptRecordings {
  fixturesDir: string
  /** The repository root (or the fixtures folder itself when it lies outside any). */
  root: string
  /** The fixtures folder relative to `root`, with `/`; `.` when it is the root. */
  rel: string
  /** Temporary folder: `before/<rel>` is the copy, `git/` the throwaway repository. */
  work: string
}

/** Follows symlinks as far as the path exists, so git's real toplevel and ours compare. */
async function realish(p: string): Promise<string> {
  try {
    return await fs.realpath(p)
  } catch {
    const parent = path.dirname(p)
    return parent === p ? p : path.join(await realish(parent), path.basename(p))
  }
}

/** Copies the recordings folder aside before record; null (and a warning) if that fails. */
export async function keepRecordings(fixturesDir: string, workingDirectory: string, tempDir = sentinelTemp()): Promise<KeptRecordings | null> {
  try {
    const dir = await realish(fixturesDir)
    const top = (await repositoryRoot(workingDirectory)) ?? workspace()
    const root = await realish(top)
    let rel = path.relative(root, dir).split(path.sep).join('/')
    const inside = rel !== '..' && !rel.startsWith('../') && !path.isAbsolute(rel)
    core.debug(`recordings: patch paths relative to ${inside ? root : dir}`)
    if (!inside) rel = ''
    await fs.mkdir(tempDir, { recursive: true })
    const work = await fs.mkdtemp(path.join(tempDir, 'recordings-'))
    const copy = path.join(work, 'before', rel)
    await fs.mkdir(copy, { recursive: true })
    // Streams file by file (copyFile). Files over the size limit are compared by hash only and
    // never go into a patch, so they are not copied: a 2 GiB fixture costs no second 2 GiB.
    const small = async (src: string) => {
      const st = await fs.lstat(src)
      return !st.isFile() || st.size <= LIMITS.maxFileBytes
    }
    if (await fs.stat(dir).catch(() => null)) await fs.cp(dir, copy, { recursive: true, verbatimSymlinks: true, filter: small })
    return { fixturesDir: dir, root: inside ? root : dir, rel: rel || '.', work }
  } catch (e) {
    core.warning(`Could not keep a copy of the recordings before record, so what changed in them is not described: ${(e as Error).message}`)
    return null
  }
}

/** True when any secret value occurs in the file; read in chunks that overlap by a secret's length. */
async function fileHasSecret(file: string, secrets: readonly Buffer[]): Promise<boolean> {
  if (!secrets.length) return false
  const keep = Math.max(...secrets.map((s) => s.length)) - 1
  let carry = Buffer.alloc(0)
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) {
    const buf = Buffer.concat([carry, chunk as Buffer])
    if (secrets.some((s) => buf.includes(s))) return true
    carry = buf.subarray(Math.max(0, buf.length - keep))
  }
  return false
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`

/** One file's text for the parsers, masked before anything is taken from it; or why not. */
async function load(file: string): Promise<Content> {
  const stat = await fs.stat(file).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return null
    throw e
  })
  // A large file was not kept before record (see keepRecordings).
  if (!stat) return { skipped: `larger than ${mb(LIMITS.maxFileBytes)}: compared by hash only` }
  if (stat.size > LIMITS.maxFileBytes) return { skipped: `larger than ${mb(LIMITS.maxFileBytes)} (${mb(stat.size)}): compared by hash only` }
  const buf = await fs.readFile(file)
  // git's rule: a NUL byte early on means binary.
  if (buf.subarray(0, 8000).includes(0)) return { skipped: 'binary: compared by hash only' }
  return { text: mask(buf.toString('utf8')) }
}

const toChange = (c: { path: string; change: 'added' | 'modified' | 'deleted' }): FileChange => ({ file: c.path, change: c.change })

export interface RecordingsReport {
  fixtureDiff: FixtureDiff | null
  fixturesPatch: string
}

/**
 * Compares the kept copy with the folder after record: the interaction-level diff, and the patch
 * in `patchFile` unless nothing changed or a recording holds a secret. Never throws: this
 * describes a verdict, it must not turn one into an error.
 */
export async function describeRecordings(kept: KeptRecordings | null, before: Snapshot, after: Snapshot, shownPrefix: string, patchFile: string): Promise<RecordingsReport> {
  await fs.rm(patchFile, { force: true }).catch(() => undefined)
  if (!kept) return { fixtureDiff: null, fixturesPatch: '' }
  const beforeDir = path.join(kept.work, 'before', kept.rel)
  try {
    const changes = diffSnapshots(before, after).map(toChange)
    const prefix = shownPrefix.replace(/\/+$/, '')
    const label = (f: string) => (prefix ? `${prefix}/${f}` : f)
    const from = (side: Side, f: string) => path.join(side === 'before' ? beforeDir : kept.fixturesDir, ...f.split('/'))
    // The parsers (YAML, a JSON diff) load only on a run that recorded: most runs never do.
    const { compareRecordings } = await import('../core/recordings/compare')
    const diff = await compareRecordings(changes, (side, f) => load(from(side, f)), label)
    core.info(
      `${diff.counts.files} file(s) changed: ${diff.counts.requestChanged} request(s) and ${diff.counts.responseChanged} response(s) changed, ${diff.counts.added} interaction(s) added, ${diff.counts.removed} removed`,
    )
    for (const e of diff.requestChanged) if (e.previousFile) core.debug(`paired ${e.previousFile} (deleted) with ${e.file} (added): same call, ${e.identity}`)
    if (!changes.length) return { fixtureDiff: diff, fixturesPatch: '' }

    // A patch carries recordings a reviewer can read: none over the size limit (also not kept before record).
    for (const c of changes) {
      const size = c.change === 'deleted' ? 0 : (await fs.stat(from('after', c.file))).size
      if (size > LIMITS.maxFileBytes || (c.change !== 'added' && !(await fs.stat(from('before', c.file)).catch(() => null)))) {
        core.info(`No patch of the recordings: ${label(c.file)} is larger than ${mb(LIMITS.maxFileBytes)}; commit the recordings from the runner's workspace instead.`)
        return { fixtureDiff: { ...diff, patchNote: `no patch: ${label(c.file)} is larger than ${mb(LIMITS.maxFileBytes)}` }, fixturesPatch: '' }
      }
    }
    const secrets = secretValues().map((s) => Buffer.from(s))
    for (const c of changes) {
      if (c.change !== 'deleted' && (await fileHasSecret(from('after', c.file), secrets))) {
        core.warning(`${label(c.file)} contains the value of a secret environment variable: no patch is written. Remove it from the recording (most recorders can filter headers) and record again.`)
        return { fixtureDiff: { ...diff, patchNote: SECRET_NOTE }, fixturesPatch: '' }
      }
    }

    let written: boolean
    try {
      written = await writePatch(
        { beforeRoot: path.join(kept.work, 'before'), afterRoot: kept.root, rel: kept.rel, beforeHasFiles: before.size > 0, afterHasFiles: after.size > 0 },
        kept.work,
        patchFile,
      )
    } catch (e) {
      await fs.rm(patchFile, { force: true }).catch(() => undefined)
      const why = mask((e as Error).message).split('\n')[0]
      core.warning(`Could not write the patch of the recordings (is git installed?): ${why}`)
      return { fixtureDiff: { ...diff, patchNote: `no patch: git failed (${why})` }, fixturesPatch: '' }
    }
    if (!written) return { fixtureDiff: diff, fixturesPatch: '' }
    // The before side too: a secret committed earlier must not travel in a new artifact.
    if (await fileHasSecret(patchFile, secrets)) {
      await fs.rm(patchFile, { force: true })
      core.warning('The fixtures patch contains the value of a secret environment variable: it was deleted, not published.')
      return { fixtureDiff: { ...diff, patchNote: SECRET_NOTE }, fixturesPatch: '' }
    }
    core.info(`Patch of the recordings: ${patchFile} (git apply it from ${kept.root})`)
    return { fixtureDiff: diff, fixturesPatch: patchFile }
  } catch (e) {
    await fs.rm(patchFile, { force: true }).catch(() => undefined)
    core.warning(`Could not describe what changed in the recordings: ${mask((e as Error).message)}`)
    return { fixtureDiff: null, fixturesPatch: '' }
  } finally {
    // The copy and the throwaway repository may hold what the recordings hold: gone when done.
    await fs.rm(kept.work, { recursive: true, force: true }).catch(() => undefined)
  }
}
