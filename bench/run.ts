// `npm run bench`: what the action costs a run, on loopback servers, against the shell steps it
// replaces (and the physical limit) measured in the same run. Medians of BENCH_RUNS runs (5);
// one table printed, the same written to bench/results.json. Never a test assertion.
import { execFile, execFileSync, spawn } from 'node:child_process'
import { promisify } from 'node:util'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { World } from '../test/harness/world'
import { wheel } from '../test/harness/dists'
import { MAIN, REPORT, ROOT, runnerEnv, tempDir, type RunnerDirs } from '../test/harness/action'
import { PYTHON as VENV_PYTHON } from '../test/harness/python'

const execFileAsync = promisify(execFile)
const RUNS = Number(process.env.BENCH_RUNS) || 5
const MEASURE = path.join(ROOT, 'bench/measure.py')
const PYTHON = process.env.PYTHON || VENV_PYTHON

interface Sample {
  ms: number
  peakMb: number
  exit: number
  log: string
}

/**
 * Runs a command under measure.py: wall time, peak RSS of its tree, its output. Asynchronous:
 * the servers it talks to live in this process.
 */
async function measure(cmd: string[], env: Record<string, string> = {}, cwd = ROOT): Promise<Sample> {
  const log = path.join(tempDir('bench-log-'), 'out')
  const { stdout } = await execFileAsync(PYTHON, [MEASURE, log, ...cmd], { cwd, env: { ...process.env, ...env }, encoding: 'utf8' })
  return { ...(JSON.parse(stdout) as Omit<Sample, 'log'>), log: fs.readFileSync(log, 'utf8') }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

/** Runs `fn` n times, one after the other (never overlapping, so timings do not interfere). */
async function repeat<T>(n: number, fn: () => Promise<T>): Promise<T[]> {
  const out: T[] = []
  for (let i = 0; i < n; i++) out.push(await fn())
  return out
}

/** The duration the action logged for a stage ("stage took N ms" closing its group). */
function stageMs(log: string, title: string): number {
  const start = log.indexOf(`::group::${title}`)
  if (start < 0) throw new Error(`stage '${title}' not in the log:\n${log.slice(-3000)}`)
  const m = /stage took (\d+) ms/.exec(log.slice(start))
  if (!m) throw new Error(`no timing for stage '${title}'`)
  return Number(m[1])
}

interface Row {
  scenario: string
  ours: string
  oursMs: number
  baseline: string
  baselineMs: number | null
  ratio: number | null
  peakMb: number
  goal: string
  met: boolean
}
const rows: Row[] = []
function row(r: Omit<Row, 'ratio'>): void {
  const ratio = r.baselineMs ? r.oursMs / r.baselineMs : null
  rows.push({ ...r, ratio })
  console.log(`  ${r.scenario}: ${r.oursMs.toFixed(0)} ms vs ${r.baselineMs?.toFixed(0) ?? '—'} ms (${r.met ? 'goal met' : 'GOAL MISSED'})`)
}

/** Spawns `cmd` and resolves with the time to its first byte of output. */
function timeToFirstOutput(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'ignore'] })
    let done = false
    const finish = () => {
      if (done) return
      done = true
      resolve(performance.now() - started)
    }
    child.stdout.once('data', finish)
    child.on('exit', finish)
    child.on('error', reject)
  })
}

function actionEnv(world: World, inputs: Record<string, string>, dirs: RunnerDirs): Record<string, string> {
  // A runner's files too: writing outputs and the summary is part of what a run costs.
  return { ...runnerEnv(dirs, tempDir('bench-files-'), world.inputs(inputs)).env, UV_NO_CONFIG: '1' }
}

const runnerDirs = (toolCache = tempDir('bench-tc-')): RunnerDirs => ({ workspace: tempDir('bench-ws-'), runnerTemp: tempDir('bench-rt-'), toolCache })

async function main(): Promise<void> {
  for (const tool of ['curl', 'jq', 'tar']) {
    try {
      execFileSync('bash', ['-c', `command -v ${tool}`], { stdio: 'ignore' })
    } catch {
      throw new Error(`The shell baselines need ${tool}: install it (e.g. apt-get install ${tool}) and run again.`)
    }
  }
  console.log(`compat-sentinel benchmarks: medians of ${RUNS} runs, loopback servers, Node ${process.version}\n`)
  const world = await new World().start()
  const node = process.execPath

  // Fixtures: a small upstream, a project with 1,000 releases x 10 files, 20 packages of 5 MB.
  world.server.add('bench-upstream', wheel('bench-upstream', '1.0.0'))
  const plats = ['any', 'manylinux_2_17_x86_64', 'manylinux_2_17_aarch64', 'musllinux_1_2_x86_64', 'macosx_11_0_arm64', 'macosx_10_9_x86_64', 'win_amd64', 'win_arm64', 'win32', 'linux_armv7l']
  const big = []
  for (let i = 0; i < 1000; i++) {
    const v = `${Math.floor(i / 100)}.${Math.floor(i / 10) % 10}.${i % 10}${i % 3 === 0 ? `.dev${i}` : ''}`
    for (const p of plats) big.push({ filename: `bench_big-${v}-py3-none-${p}.whl`, content: Buffer.from(`${v}-${p}`) })
  }
  world.server.add('bench-big', ...big)
  const many = Array.from({ length: 20 }, (_, i) => `bench-p${i}`)
  for (const p of many) world.server.add(p, wheel(p, '1.0.0', { padding: 5 * 2 ** 20 }))
  const index = world.server.indexUrl

  // 1. Cold start: dist/index.js to its first log line, against `node -e ''`.
  console.log('cold start')
  const coldEnv = { ...process.env, ...actionEnv(world, { package: '', 'replay-command': 'true' }, runnerDirs()) }
  const ours = median(await repeat(RUNS, () => timeToFirstOutput(node, [MAIN], coldEnv)))
  const bare = median(await repeat(RUNS, () => timeToFirstOutput(node, ['-e', ''], process.env)))
  const coldPeak = (await measure([node, MAIN], actionEnv(world, { package: '', 'replay-command': 'true' }, runnerDirs()))).peakMb
  row({ scenario: 'cold start to first log line', ours: 'node dist/index.js', oursMs: ours, baseline: "node -e ''", baselineMs: bare, peakMb: coldPeak, goal: '< 150 ms', met: ours < 150 && coldPeak < 100 })

  // 2. Warm whole pipeline: uv cached, wheels already in wheels-dir, replay `true`.
  console.log('warm pipeline')
  const toolCache = tempDir('bench-tc-')
  const warmDirs = runnerDirs(toolCache)
  const warmInputs = { package: 'bench-upstream', 'replay-command': 'true', 'wheels-dir': 'wheels', 'prefetch-wheels': 'true' }
  await measure([node, MAIN], actionEnv(world, warmInputs, warmDirs)) // primes the tool cache and wheels-dir
  const warm = await repeat(RUNS, () => measure([node, MAIN], actionEnv(world, warmInputs, warmDirs)))
  if (warm.some((s) => s.exit !== 0)) throw new Error(`warm run failed:\n${warm.find((s) => s.exit !== 0)!.log}`)
  const shellDir = tempDir('bench-shell-')
  const shell = `set -euo pipefail
v=$(curl -s -H 'Accept: application/vnd.pypi.simple.v1+json' "${index}bench-upstream/" | jq -r '[.files[].filename | capture("^[^-]+-(?<v>[^-]+)-").v] | sort | last')
${PYTHON} -m pip download --no-deps --quiet --disable-pip-version-check --index-url "${index}" -d "${shellDir}" "bench-upstream==$v"
true`
  const shellRuns = await repeat(RUNS, () => measure(['bash', '-c', shell]))
  const warmMs = median(warm.map((s) => s.ms))
  const shellMs = median(shellRuns.map((s) => s.ms))
  row({ scenario: 'warm pipeline (replay `true`)', ours: 'whole action run', oursMs: warmMs, baseline: 'curl | jq + pip download --no-deps + true', baselineMs: shellMs, peakMb: Math.max(...warm.map((s) => s.peakMb)), goal: '< 500 ms and faster than shell', met: warmMs < 500 && warmMs < shellMs })
  const uvWarm = median(warm.map((s) => stageMs(s.log, 'Install uv')))
  row({ scenario: 'uv stage, warm (tool-cache hit)', ours: 'Install uv stage', oursMs: uvWarm, baseline: '—', baselineMs: null, peakMb: Math.max(...warm.map((s) => s.peakMb)), goal: '< 50 ms', met: uvWarm < 50 })

  // 3. Resolution of 1,000 releases x 10 files.
  console.log('resolution of 1,000 releases')
  const resolveRuns = await repeat(RUNS, () => measure([node, MAIN], actionEnv(world, { package: 'bench-big', channel: 'dev', 'prefetch-wheels': 'false', 'replay-command': 'true' }, runnerDirs(toolCache))))
  const jqRuns = await repeat(RUNS, () => measure(['bash', '-c', `curl -s -H 'Accept: application/vnd.pypi.simple.v1+json' "${index}bench-big/" | jq -r '[.files[].filename] | sort | last'`]))
  const resolveMs = median(resolveRuns.map((s) => stageMs(s.log, 'Resolve the upstream version')))
  const resolvePeak = Math.max(...resolveRuns.map((s) => s.peakMb))
  const jqMs = median(jqRuns.map((s) => s.ms))
  row({ scenario: 'resolve 1,000 releases x 10 files', ours: 'Resolve stage', oursMs: resolveMs, baseline: 'curl -s <json> | jq sort', baselineMs: jqMs, peakMb: resolvePeak, goal: '<= baseline, < 100 MB', met: resolveMs <= jqMs && resolvePeak < 100 })

  // 4. Prefetch of 20 wheels of 5 MB: against pip download, and against a raw parallel download.
  console.log('prefetch 20 x 5 MB')
  const companions = many.slice(1).join(',')
  const prefetchRuns = await repeat(RUNS, () => measure([node, MAIN], actionEnv(world, { package: many[0]!, 'companion-packages': companions, 'prefetch-wheels': 'true', 'replay-command': 'true' }, runnerDirs(toolCache))))
  if (prefetchRuns.some((s) => s.exit !== 0)) throw new Error(`prefetch run failed:\n${prefetchRuns.find((s) => s.exit !== 0)!.log.slice(-3000)}`)
  const prefetchMs = median(prefetchRuns.map((s) => stageMs(s.log, 'Prefetch wheels')))
  const pipRuns = await repeat(RUNS, () => measure([PYTHON, '-m', 'pip', 'download', '--no-deps', '--quiet', '--disable-pip-version-check', '--index-url', index, '-d', tempDir('bench-pip-'), ...many.map((p) => `${p}==1.0.0`)]))
  const urls = many.map((p) => `${world.server.url}/files/${p.replace(/-/g, '_')}-1.0.0-py3-none-any.whl`)
  // The loopback limit: node:http, all 20 at once, streamed straight to files, nothing checked.
  const raw = `const http=require('http'),fs=require('fs');const d=process.argv[1];Promise.all(process.argv.slice(2).map((u,i)=>new Promise((ok,ko)=>http.get(u,(r)=>r.pipe(fs.createWriteStream(d+'/'+i)).on('finish',ok)).on('error',ko))))`
  const rawRuns = await repeat(RUNS, () => measure([node, '-e', raw, tempDir('bench-raw-'), ...urls]))
  const pipMs = median(pipRuns.map((s) => s.ms))
  const rawMs = median(rawRuns.map((s) => s.ms))
  const prefetchPeak = Math.max(...prefetchRuns.map((s) => s.peakMb))
  row({ scenario: 'prefetch 20 x 5 MB vs pip', ours: 'Prefetch stage', oursMs: prefetchMs, baseline: 'pip download --no-deps', baselineMs: pipMs, peakMb: prefetchPeak, goal: '>= 2x faster than pip', met: prefetchMs * 2 <= pipMs })
  row({ scenario: 'prefetch 20 x 5 MB vs raw', ours: 'Prefetch stage', oursMs: prefetchMs, baseline: 'raw parallel node:http to files', baselineMs: rawMs, peakMb: prefetchPeak, goal: '<= 1.5x raw', met: prefetchMs <= 1.5 * rawMs })

  // 5. uv stage cold (empty tool cache) against curl | tar of the same archive.
  console.log('uv cold')
  const coldUv = await repeat(RUNS, () => measure([node, MAIN], actionEnv(world, { package: 'bench-upstream', 'prefetch-wheels': 'false', 'replay-command': 'true' }, runnerDirs())))
  const uvUrl = `${world.server.url}/uv/${world.uv.version}/${world.uv.asset}`
  const curlTar = await repeat(RUNS, () => measure(['bash', '-c', `curl -s "${uvUrl}" | tar xz -C "${tempDir('bench-tar-')}"`]))
  const uvColdMs = median(coldUv.map((s) => stageMs(s.log, 'Install uv')))
  const curlTarMs = median(curlTar.map((s) => s.ms))
  row({ scenario: 'uv stage, cold (download, verify, extract, cache)', ours: 'Install uv stage', oursMs: uvColdMs, baseline: 'curl | tar xz', baselineMs: curlTarMs, peakMb: Math.max(...coldUv.map((s) => s.peakMb)), goal: '<= 1.2x curl | tar', met: uvColdMs <= 1.2 * curlTarMs })

  await world.close()

  // 6. What the bundle costs on disk.
  const size = (f: string) => fs.statSync(f).size / 2 ** 20
  const chunks = fs.readdirSync(path.dirname(MAIN)).filter((f) => /^\d+\.index\.js$/.test(f))
  const sizes = { 'dist/index.js': size(MAIN), ...Object.fromEntries(chunks.map((c) => [`dist/${c} (Actions cache client, loaded on demand)`, size(path.join(path.dirname(MAIN), c))])), 'dist/report/index.js': size(REPORT) }

  printTable(sizes)
  const out = path.join(ROOT, 'bench/results.json')
  fs.writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, platform: `${process.platform}/${process.arch}`, runs: RUNS, rows, distMb: sizes }, null, 2) + '\n')
  console.log(`\nwritten to ${path.relative(ROOT, out)}`)
}

function printTable(sizes: Record<string, number>): void {
  const fmt = (ms: number | null) => (ms === null ? '—' : `${ms.toFixed(0)} ms`)
  const esc = (s: string) => s.replace(/\|/g, '\\|')
  const lines = [
    '| scenario | ours | baseline | ratio | peak memory | goal | met |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${esc(r.scenario)} | ${fmt(r.oursMs)} (${esc(r.ours)}) | ${r.baselineMs === null ? '—' : `${fmt(r.baselineMs)} (${esc(r.baseline)})`} | ${r.ratio === null ? '—' : `${r.ratio.toFixed(2)}x`} | ${r.peakMb.toFixed(0)} MB | ${esc(r.goal)} | ${r.met ? 'yes' : '**no**'} |`),
    '',
    '| bundle | size | goal |',
    '|---|---|---|',
    ...Object.entries(sizes).map(([k, v]) => `| ${k} | ${v.toFixed(2)} MB | ${k === 'dist/index.js' ? `< 2 MB: ${v < 2 ? 'yes' : '**no**'}` : '—'} |`),
  ]
  console.log('\n' + lines.join('\n'))
}

await main()
