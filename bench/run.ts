// `npm run bench`: what the action costs a run, on loopback servers, against the shell steps it
// replaces (and the physical limit) measured in the same run. Medians of BENCH_RUNS runs (5);
// one table printed, the same written to bench/results.json. Never a test assertion.
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process'
import { promisify } from 'node:util'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { World } from '../test/harness/world'
import { wheel } from '../test/harness/dists'
import { MAIN, REPORT, ROOT, runnerEnv, tempDir, type RunnerDirs } from '../test/harness/action'
import { PYTHON as VENV_PYTHON } from '../test/harness/python'
import { CacheServer } from '../test/harness/cache-server'

const execFileAsync = promisify(execFile)
const RUNS = Number(process.env.BENCH_RUNS) || 5
const DEPENDENCIES = 30
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
  // 100,000 files in 10,000 releases, one page: the scale of PyPI's biggest projects.
  const huge = []
  for (let i = 0; i < 100_000; i++) {
    const v = `${Math.floor(i / 1000)}.${Math.floor(i / 100) % 10}.${Math.floor(i / 10) % 10}.dev${i % 10}`
    huge.push({ filename: `bench_huge-${v}-py3-none-${plats[i % 10]}.whl`, content: Buffer.from(v) })
  }
  world.server.add('bench-huge', ...huge)
  // A server package with dependencies, the shape of a consumer's `uv run --with <server>`.
  const deps = Array.from({ length: DEPENDENCIES }, (_, i) => `bench-dep${i}`)
  for (const d of deps) world.server.add(d, wheel(d, '1.0.0', { padding: 256 * 1024 }))
  world.server.add('bench-server', wheel('bench-server', '1.0.0', { requires: deps.map((d) => `${d}==1.0.0`) }))
  const many = Array.from({ length: 20 }, (_, i) => `bench-p${i}`)
  for (const p of many) world.server.add(p, wheel(p, '1.0.0', { padding: 5 * 2 ** 20 }))
  const index = world.server.indexUrl

  // 1. Cold start: the whole process failing on a missing input, against `node -e ''`.
  console.log('cold start')
  const missingInput = () => actionEnv(world, { package: '', 'replay-command': 'true' }, runnerDirs())
  const coldRuns = await repeat(RUNS, () => measure([node, MAIN], missingInput()))
  const bareRuns = await repeat(RUNS, () => measure([node, '-e', '']))
  const coldMs = median(coldRuns.map((s) => s.ms))
  const coldPeak = Math.max(...coldRuns.map((s) => s.peakMb))
  row({
    scenario: 'cold start: fail on a missing input',
    ours: 'node dist/index.js, whole process',
    oursMs: coldMs,
    baseline: "node -e ''",
    baselineMs: median(bareRuns.map((s) => s.ms)),
    peakMb: coldPeak,
    goal: '<= 3x',
    met: coldMs <= 3 * median(bareRuns.map((s) => s.ms)),
  })
  const firstLine = median(await repeat(RUNS, () => timeToFirstOutput(node, [MAIN], { ...process.env, ...missingInput() })))
  const bareFirst = median(await repeat(RUNS, () => timeToFirstOutput(node, ['-e', 'console.log(1)'], process.env)))
  row({
    scenario: 'cold start: first log line',
    ours: 'node dist/index.js',
    oursMs: firstLine,
    baseline: "node -e 'console.log(1)'",
    baselineMs: bareFirst,
    peakMb: coldPeak,
    goal: '<= 3x',
    met: firstLine <= 3 * bareFirst,
  })

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
  row({
    scenario: 'warm pipeline (replay `true`)',
    ours: 'whole action run',
    oursMs: warmMs,
    baseline: 'curl | jq + pip download --no-deps + true',
    baselineMs: shellMs,
    peakMb: Math.max(...warm.map((s) => s.peakMb)),
    goal: '<= 0.25x',
    met: warmMs <= 0.25 * shellMs,
  })
  const uvWarm = median(warm.map((s) => stageMs(s.log, 'Install uv')))
  row({
    scenario: 'uv stage, warm (tool-cache hit)',
    ours: 'Install uv stage',
    oursMs: uvWarm,
    baseline: '—',
    baselineMs: null,
    peakMb: Math.max(...warm.map((s) => s.peakMb)),
    goal: '< 50 ms',
    met: uvWarm < 50,
  })

  // 3. Resolution, whole process against curl | jq: 1,000 releases x 10 files, then a
  // 100,000-file page (the size of the biggest projects on PyPI) for peak memory.
  for (const [project, label, memoryGoalMb] of [
    ['bench-big', '1,000 releases x 10 files', 100],
    ['bench-huge', '100,000-file JSON page', 150],
  ] as const) {
    console.log(`resolution of ${label}`)
    const resolveRuns = await repeat(RUNS, () =>
      measure([node, MAIN], actionEnv(world, { package: project, channel: 'dev', 'prefetch-wheels': 'false', 'cache-uv': 'false', 'replay-command': 'true' }, runnerDirs(toolCache))),
    )
    if (resolveRuns.some((s) => s.exit !== 0)) throw new Error(`resolution run failed:\n${resolveRuns.find((s) => s.exit !== 0)!.log.slice(-3000)}`)
    const jqRuns = await repeat(RUNS, () => measure(['bash', '-c', `curl -s -H 'Accept: application/vnd.pypi.simple.v1+json' "${index}${project}/" | jq -r '[.files[].filename] | sort | last'`]))
    const resolveMs = median(resolveRuns.map((s) => s.ms))
    const resolvePeak = Math.max(...resolveRuns.map((s) => s.peakMb))
    const jqMs = median(jqRuns.map((s) => s.ms))
    const ours = `whole action run (Resolve stage ${median(resolveRuns.map((s) => stageMs(s.log, 'Resolve the upstream version'))).toFixed(0)} ms)`
    // Time and memory are separate goals, judged separately.
    row({ scenario: `resolve ${label}`, ours, oursMs: resolveMs, baseline: 'curl -s <json> | jq sort', baselineMs: jqMs, peakMb: resolvePeak, goal: '<= 1.5x', met: resolveMs <= 1.5 * jqMs })
    row({
      scenario: `resolve ${label}: peak memory`,
      ours,
      oursMs: resolveMs,
      baseline: '—',
      baselineMs: null,
      peakMb: resolvePeak,
      goal: `< ${memoryGoalMb} MB`,
      met: resolvePeak < memoryGoalMb,
    })
  }

  // 4. Prefetch of 20 wheels of 5 MB, whole process: against pip download, and against a raw parallel download.
  console.log('prefetch 20 x 5 MB')
  const companions = many.slice(1).join(',')
  const prefetchRuns = await repeat(RUNS, () =>
    measure([node, MAIN], actionEnv(world, { package: many[0]!, 'companion-packages': companions, 'prefetch-wheels': 'true', 'replay-command': 'true' }, runnerDirs(toolCache))),
  )
  if (prefetchRuns.some((s) => s.exit !== 0)) throw new Error(`prefetch run failed:\n${prefetchRuns.find((s) => s.exit !== 0)!.log.slice(-3000)}`)
  const prefetchMs = median(prefetchRuns.map((s) => s.ms))
  const pipRuns = await repeat(RUNS, () =>
    measure([PYTHON, '-m', 'pip', 'download', '--no-deps', '--quiet', '--disable-pip-version-check', '--index-url', index, '-d', tempDir('bench-pip-'), ...many.map((p) => `${p}==1.0.0`)]),
  )
  const urls = many.map((p) => `${world.server.url}/files/${p.replace(/-/g, '_')}-1.0.0-py3-none-any.whl`)
  // The loopback limit: node:http, all 20 at once, streamed straight to files, nothing checked.
  const raw = `const http=require('http'),fs=require('fs');const d=process.argv[1];Promise.all(process.argv.slice(2).map((u,i)=>new Promise((ok,ko)=>http.get(u,(r)=>r.pipe(fs.createWriteStream(d+'/'+i)).on('finish',ok)).on('error',ko))))`
  const rawRuns = await repeat(RUNS, () => measure([node, '-e', raw, tempDir('bench-raw-'), ...urls]))
  const pipMs = median(pipRuns.map((s) => s.ms))
  const rawMs = median(rawRuns.map((s) => s.ms))
  const prefetchPeak = Math.max(...prefetchRuns.map((s) => s.peakMb))
  row({
    scenario: 'prefetch 20 x 5 MB vs pip',
    ours: 'whole action run',
    oursMs: prefetchMs,
    baseline: 'pip download --no-deps',
    baselineMs: pipMs,
    peakMb: prefetchPeak,
    goal: '<= 0.5x',
    met: prefetchMs * 2 <= pipMs,
  })
  row({
    scenario: 'prefetch 20 x 5 MB vs raw',
    ours: 'whole action run',
    oursMs: prefetchMs,
    baseline: 'raw parallel node:http to files',
    baselineMs: rawMs,
    peakMb: prefetchPeak,
    goal: '<= 1.5x',
    met: prefetchMs <= 1.5 * rawMs,
  })

  // 5. uv cold (empty tool cache), whole process, against curl | tar of the same archive.
  console.log('uv cold')
  const coldUv = await repeat(RUNS, () =>
    measure([node, MAIN], actionEnv(world, { package: 'bench-upstream', 'prefetch-wheels': 'false', 'cache-uv': 'false', 'replay-command': 'true' }, runnerDirs())),
  )
  const uvUrl = `${world.server.url}/uv/${world.uv.version}/${world.uv.asset}`
  const curlTar = await repeat(RUNS, () => measure(['bash', '-c', `curl -s "${uvUrl}" | tar xz -C "${tempDir('bench-tar-')}"`]))
  const uvColdMs = median(coldUv.map((s) => s.ms))
  const curlTarMs = median(curlTar.map((s) => s.ms))
  row({
    scenario: 'uv cold (download, verify, extract, cache)',
    ours: `whole action run (Install uv stage ${median(coldUv.map((s) => stageMs(s.log, 'Install uv'))).toFixed(0)} ms)`,
    oursMs: uvColdMs,
    baseline: 'curl | tar xz',
    baselineMs: curlTarMs,
    peakMb: Math.max(...coldUv.map((s) => s.peakMb)),
    goal: '<= 1.5x',
    met: uvColdMs <= 1.5 * curlTarMs,
  })

  // 6. uv's cache across runs: a consumer whose replay installs an upstream with dependencies
  // through `uv run --with`, first run (cold) against a second run on a fresh runner whose uv
  // cache came back from the (loopback) Actions cache.
  console.log("uv's cache across runs")
  const cacheService = await new CacheServer().start()
  const uvConsumer = { package: 'bench-server', 'prefetch-wheels': 'false', 'replay-command': 'uv run --no-project --with "bench-server==$UPSTREAM_VERSION" python -c "import bench_server"' }
  const uvEnv = { UV_DEFAULT_INDEX: index, UV_PYTHON_DOWNLOADS: 'never', UV_NO_CONFIG: '1', ...cacheService.env() }
  const firstRuns: Sample[] = []
  const secondRuns: Sample[] = []
  for (let i = 0; i < RUNS; i++) {
    cacheService.entries.length = 0
    // One RUNNER_TEMP path (as on a runner), emptied between runs: a fresh machine each time.
    const temp = path.join(tempDir('bench-uvc-'), '_temp')
    const dirs = { ...runnerDirs(toolCache), runnerTemp: temp }
    firstRuns.push(await measure([node, MAIN], { ...actionEnv(world, uvConsumer, dirs), ...uvEnv }))
    fs.rmSync(temp, { recursive: true, force: true })
    secondRuns.push(await measure([node, MAIN], { ...actionEnv(world, uvConsumer, { ...dirs, workspace: tempDir('bench-ws-') }), ...uvEnv }))
  }
  await cacheService.close()
  const bad = [...firstRuns, ...secondRuns].find((s) => s.exit !== 0 || !/uv's cache/.test(s.log))
  if (bad) throw new Error(`uv cache run failed:\n${bad.log.slice(-3000)}`)
  const firstMs = median(firstRuns.map((s) => stageMs(s.log, 'Replay')))
  const secondMs = median(secondRuns.map((s) => stageMs(s.log, 'Replay')))
  row({
    scenario: `uv run --with a server of ${DEPENDENCIES} dependencies: replay with a restored uv cache`,
    ours: 'Replay stage, second run',
    oursMs: secondMs,
    baseline: 'Replay stage, first run (cold uv cache)',
    baselineMs: firstMs,
    peakMb: Math.max(...secondRuns.map((s) => s.peakMb)),
    goal: '< 1x',
    met: secondMs < firstMs,
  })

  await world.close()

  // 6. What the bundle costs on disk, and which chunks every run loads: those a run that fails on
  // its inputs reads (Node's compile-cache debug log names each file it loads after the entry).
  const size = (f: string) => fs.statSync(f).size / 2 ** 20
  const chunks = fs.readdirSync(path.dirname(MAIN)).filter((f) => /^\d+\.index\.js$/.test(f))
  const startup = spawnSync(node, [MAIN], { env: { ...process.env, ...missingInput(), NODE_DEBUG_NATIVE: 'COMPILE_CACHE' }, encoding: 'utf8' })
  const loaded = new Set([...startup.stderr.matchAll(/for ESM file:\/\/\S*\/dist\/(\d+\.index\.js)/g)].map((m) => m[1]!))
  const startupMb = size(MAIN) + [...loaded].reduce((sum, c) => sum + size(path.join(path.dirname(MAIN), c)), 0)
  const sizes = {
    [STARTUP]: startupMb,
    'dist/index.js': size(MAIN),
    ...Object.fromEntries(chunks.map((c) => [`dist/${c} (${loaded.has(c) ? 'start-up' : 'loaded on demand'})`, size(path.join(path.dirname(MAIN), c))])),
    'dist/report/index.js': size(REPORT),
  }

  printTable(sizes)
  const out = path.join(ROOT, 'bench/results.json')
  fs.writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, platform: `${process.platform}/${process.arch}`, runs: RUNS, rows, distMb: sizes }, null, 2)}\n`)
  console.log(`\nwritten to ${path.relative(ROOT, out)}`)
}

const STARTUP = 'start-up: dist/index.js and the chunks every run loads'

function printTable(sizes: Record<string, number>): void {
  const fmt = (ms: number | null) => (ms === null ? '—' : `${ms.toFixed(0)} ms`)
  const esc = (s: string) => s.replace(/\|/g, '\\|')
  const lines = [
    '| scenario | ours | baseline | ratio | peak memory | goal | met |',
    '|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${esc(r.scenario)} | ${fmt(r.oursMs)} (${esc(r.ours)}) | ${r.baselineMs === null ? '—' : `${fmt(r.baselineMs)} (${esc(r.baseline)})`} | ${r.ratio === null ? '—' : `${r.ratio.toFixed(2)}x`} | ${r.peakMb.toFixed(0)} MB | ${esc(r.goal)} | ${r.met ? 'yes' : '**no**'} |`,
    ),
    '',
    '| bundle | size | goal |',
    '|---|---|---|',
    ...Object.entries(sizes).map(([k, v]) => `| ${k} | ${v.toFixed(2)} MB | ${k === STARTUP ? `< 2 MB: ${v < 2 ? 'yes' : '**no**'}` : '—'} |`),
  ]
  console.log(`\n${lines.join('\n')}`)
}

await main()
