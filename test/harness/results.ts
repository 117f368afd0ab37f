// Result files as the action writes them, for tests of the summary and the report sub-action.
import * as fs from 'node:fs'
import * as path from 'node:path'
import type { PhaseReport, ResultFile } from '../../src/core/vocabulary'
import { noHistory } from '../../src/core/history'

const phase = (result: PhaseReport['result'], exitCode: number | null, logTail = ''): PhaseReport => ({ result, exitCode, durationMs: result === 'skipped' ? 0 : 4200, logTail })

const shapes: Record<ResultFile['outcome'], Pick<ResultFile, 'reason' | 'replay' | 'record'>> = {
  compatible: { reason: 'replay passed', replay: phase('success', 0, '12 passed'), record: phase('skipped', null) },
  'needs-recording': {
    reason: 'replay failed (exit 2); record succeeded; 2 fixtures changed',
    replay: phase('failure', 2, 'FAILED test_chat: recording not found'),
    record: phase('success', 0, '12 passed, 2 recorded'),
  },
  incompatible: {
    reason: 'replay failed (exit 2); record failed (exit 1)',
    replay: phase('failure', 2, 'FAILED test_chat'),
    record: phase('failure', 1, "KeyError: 'choices'"),
  },
  'not-installable': {
    reason: 'replay failed (exit 1): could not install: × No solution found when resolving `--with` dependencies:; record not run',
    replay: phase('failure', 1, '  × No solution found when resolving `--with` dependencies:'),
    record: phase('skipped', null),
  },
  error: { reason: "Package 'llama-stack' was not found on https://test.pypi.org/simple/ (HTTP 404)", replay: phase('skipped', null), record: phase('skipped', null) },
}

export function resultOf(outcome: ResultFile['outcome'], over: Partial<ResultFile> = {}): ResultFile {
  const r: Omit<ResultFile, 'leg'> & { leg?: string } = {
    schema: 'compat-sentinel/result@2',
    package: 'llama-stack',
    companions: ['llama-stack-api'],
    channel: 'dev',
    version: outcome === 'error' ? '' : '0.7.2.dev20260423',
    pinnedVersion: '0.7.1',
    isPinned: false,
    outcome,
    ...shapes[outcome],
    install: phase('skipped', null),
    flaky: false,
    fixturesChanged:
      outcome === 'needs-recording'
        ? [
            { path: 'tests/recordings/ab12.json', change: 'modified' },
            { path: 'tests/recordings/cd34.json', change: 'added' },
          ]
        : [],
    fixtureDiff: null,
    fixturesPatch: '',
    uv: { version: '0.13.9', path: '/opt/hostedtoolcache/uv/0.13.9/x64/uv' },
    wheels: { dir: '/tmp/wheels', files: ['llama_stack-0.7.2.dev20260423-py3-none-any.whl'], cacheHit: false },
    uvCache: {
      hit: true,
      dir: '/tmp/uv-cache',
      key: 'compat-sentinel-uv-v1-linux-x64-llama-stack-dev-none-0.7.2.dev20260423',
      restoredKey: 'compat-sentinel-uv-v1-linux-x64-llama-stack-dev-none-0.7.2.dev20260422',
      restoredBytes: 52428800,
      savedBytes: 53477376,
    },
    run: { repository: 'org/repo', ref: 'refs/heads/main', sha: 'abc', url: 'https://github.com/org/repo/actions/runs/1' },
    startedAt: '2026-04-23T06:30:00Z',
    finishedAt: '2026-04-23T06:33:00Z',
    build: { sha256: '', uploadTime: '' },
    history: noHistory(),
    bisect: null,
    provenance: { status: '', publisher: '', detail: '' },
    ...over,
  }
  return { ...r, leg: r.leg ?? `${r.package}-${r.channel}` }
}

/** Writes result files the way downloaded artifacts land: one folder per leg. */
export function writeLegs(root: string, legs: (ResultFile | Record<string, unknown>)[]): string[] {
  return legs.map((leg, i) => {
    const file = path.join(root, `artifacts/leg-${i}/compat-sentinel-result-${leg.leg ?? `${leg.package}-${leg.channel}`}.json`)
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, JSON.stringify(leg, null, 2))
    return file
  })
}
