// The README's workflow examples (its ```yaml blocks), which users copy: the workflow-lint test
// and CI's actionlint/zizmor job lint them as files.
//   node scripts/readme-workflows.mjs <out-dir>   writes readme-example-<n>.yml and lists them
// Built-ins only, so CI can run it before `npm ci`.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

export const README = join(dirname(fileURLToPath(import.meta.url)), '..', 'README.md')

/** Every ```yaml block of `markdown`, numbered from 1 in reading order. */
export function readmeWorkflows(markdown = readFileSync(README, 'utf8')) {
  return [...markdown.matchAll(/^```yaml\n([\s\S]*?)^```/gm)].map((m, i) => ({ name: `readme-example-${i + 1}.yml`, yaml: m[1] }))
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const out = process.argv[2]
  if (!out) {
    console.error('usage: node scripts/readme-workflows.mjs <out-dir>')
    process.exit(2)
  }
  mkdirSync(out, { recursive: true })
  for (const { name, yaml } of readmeWorkflows()) {
    writeFileSync(join(out, name), yaml)
    console.log(join(out, name))
  }
}
