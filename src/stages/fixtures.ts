// What a record run did to the recordings folder: a content-hash snapshot before and after.
import * as fs from 'node:fs/promises'
import * as path from 'node:path'
import type { FixtureChange } from '../core/vocabulary'
import { sha256File } from '../io/hash'

export type Snapshot = Map<string, string>

/** Relative path (with /) to sha256 of every regular file below `dir`; empty if `dir` is missing. */
export async function snapshot(dir: string): Promise<Snapshot> {
  const out: Snapshot = new Map()
  async function walk(rel: string): Promise<void> {
    let entries: import('node:fs').Dirent[]
    try {
      entries = await fs.readdir(path.join(dir, rel), { withFileTypes: true })
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return
      throw e
    }
    for (const ent of entries) {
      const child = rel ? `${rel}/${ent.name}` : ent.name
      if (ent.isDirectory()) await walk(child)
      else if (ent.isFile()) out.set(child, await sha256File(path.join(dir, child)))
    }
  }
  await walk('')
  return out
}

export function diffSnapshots(before: Snapshot, after: Snapshot, prefix = ''): FixtureChange[] {
  const changes: FixtureChange[] = []
  const p = (f: string) => (prefix ? `${prefix.replace(/\/+$/, '')}/${f}` : f)
  for (const [file, hash] of after) {
    const old = before.get(file)
    if (old === undefined) changes.push({ path: p(file), change: 'added' })
    else if (old !== hash) changes.push({ path: p(file), change: 'modified' })
  }
  for (const file of before.keys()) if (!after.has(file)) changes.push({ path: p(file), change: 'deleted' })
  return changes.sort((a, b) => a.path.localeCompare(b.path))
}
