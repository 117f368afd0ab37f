// uv installation end to end: the real uv binary, packed as a uv release and served on loopback,
// through the action's own download → verify → extract → version check → tool cache path.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { World } from './harness/world'
import { sha256, wheel } from './harness/dists'
import { tempDir } from './harness/action'
import { IndexServer, type Fault } from './harness/index-server'
import { assertErrorRun } from './harness/assertions'
import { uvTarget, wheelFits, type Platform } from '../src/core/platform'

const PKG = 'demo-upstream'
let world: World
before(async () => {
  world = await new World().start()
  world.server.add(PKG, wheel(PKG, '1.0.0'))
})
after(() => world.close())

/** Everything the tool cache holds for uv (empty when nothing was cached). */
const cachedUv = (toolCache: string) => (fs.existsSync(path.join(toolCache, 'uv')) ? fs.readdirSync(path.join(toolCache, 'uv')) : [])
const downloads = (prefix: string) => world.server.count(new RegExp(`^${prefix}/.*\\.tar\\.gz$`))

describe('tool cache', () => {
  test('first run downloads, verifies and caches; the second makes no download', async () => {
    const toolCache = tempDir('cs-tc-')
    const mirror = world.serveUv(world.server, world.uv.archive, { prefix: '/cache-test' })
    // The command proves uv is first on PATH and is the verified one.
    const cmd = 'test "$(command -v uv)" = "$EXPECTED_UV" && uv --version'
    const first = await world.run({ package: PKG, 'uv-download-url': mirror, 'replay-command': 'uv --version' }, { toolCache })
    const uvPath = first.outputs['uv-path']!
    assert.equal(first.outputs.outcome, 'compatible', first.stdout)
    assert.match(first.result.replay.logTail, new RegExp(`^uv ${world.uv.version.replace(/\./g, '\\.')}`))
    assert.equal(first.outputs['uv-version'], world.uv.version, first.stdout)
    assert.ok(uvPath.startsWith(toolCache), `uv-path ${uvPath} is in the tool cache`)
    assert.ok(fs.statSync(uvPath).isFile())
    assert.deepEqual(first.addedPaths, [path.dirname(uvPath)], 'uv folder exported to later steps')
    assert.doesNotMatch(first.stderr, /Warning/, "no library warnings in the user's log")
    assert.equal(downloads('/cache-test'), 1)
    assert.match(first.stdout, /Downloaded and verified .*sha256 [0-9a-f]{64}/)

    const second = await world.run({ package: PKG, 'uv-download-url': mirror, 'replay-command': cmd }, { toolCache, env: { EXPECTED_UV: uvPath } })
    assert.equal(second.outputs.outcome, 'compatible', second.stdout)
    assert.equal(second.outputs['uv-path'], uvPath)
    assert.match(second.stdout, /found in the tool cache/)
    assert.equal(downloads('/cache-test'), 1, 'no second download')
    assert.equal(world.server.count(/^\/cache-test\/.*\.sha256$/), 1, 'no second checksum fetch either')
  })
})

test('a .tar.gz its server declares `Content-Encoding: gzip` (Apache AddEncoding) is kept as stored and verifies', async () => {
  const mirror = world.serveUv(world.server, world.uv.archive, { prefix: '/apache' })
  // The body is the archive as stored; the header only says it is gzip, which it is.
  world.server.inject(/^\/apache\/.*\.tar\.gz$/, { headers: { 'content-encoding': 'gzip' } })
  const r = await world.run({ package: PKG, 'uv-download-url': mirror, 'replay-command': 'uv --version' }, { toolCache: tempDir('cs-tc-') })
  assert.equal(r.outputs.outcome, 'compatible', r.stdout)
  assert.match(r.stdout, /Downloaded and verified .*sha256 [0-9a-f]{64}/)
  const asked = world.server.requests.filter((q) => /^\/apache\/.*\.tar\.gz$/.test(q.path))
  assert.deepEqual(
    asked.map((q) => q.acceptEncoding),
    ['identity'],
    'one download, asking for the file as stored',
  )
  world.server.clearFaults()
})

test('release assets that redirect to another host (as GitHub releases do) are followed', async () => {
  const storage = new IndexServer()
  await storage.start()
  try {
    // The "release" host answers every asset with a 302 to a storage host, as github.com does.
    const storageBase = world.serveUv(storage, world.uv.archive, { prefix: '/objects' })
    const releases = new IndexServer()
    await releases.start()
    const storageHost = storageBase.replace('127.0.0.1', 'localhost')
    for (const suffix of ['', '.sha256']) {
      const asset = `${world.uv.version}/${world.uv.asset}${suffix}`
      releases.inject(new RegExp(`^/download/${asset.replace(/\./g, '\\.')}$`), { redirectTo: `${storageHost}/${asset}` })
    }
    const toolCache = tempDir('cs-tc-')
    const r = await world.run({ package: PKG, 'uv-download-url': `${releases.url}/download`, 'replay-command': 'uv --version' }, { toolCache })
    await releases.close()
    assert.equal(r.outputs.outcome, 'compatible', r.stdout)
    assert.equal(storage.count(/\.tar\.gz$/), 1, 'the archive came from the storage host')
    assert.equal(storage.count(/\.sha256$/), 1, 'and its checksum too')
  } finally {
    await storage.close()
  }
})

test('a plain static mirror (python -m http.server: HTTP/1.0, connection close) works', async () => {
  const root = tempDir('cs-mirror-')
  fs.mkdirSync(path.join(root, world.uv.version))
  fs.writeFileSync(path.join(root, world.uv.version, world.uv.asset), world.uv.archive)
  fs.writeFileSync(path.join(root, world.uv.version, `${world.uv.asset}.sha256`), `${sha256(world.uv.archive)}  ${world.uv.asset}\n`)
  const server = spawn('python3', ['-u', '-m', 'http.server', '0', '--bind', '127.0.0.1', '--directory', root], { stdio: ['ignore', 'pipe', 'ignore'] })
  try {
    const port = await new Promise<string>((resolve, reject) => {
      server.stdout.on('data', (d: Buffer) => {
        const m = /port (\d+)/.exec(d.toString())
        if (m) resolve(m[1]!)
      })
      server.on('exit', () => reject(new Error('python -m http.server exited')))
    })
    const r = await world.run({ package: PKG, 'uv-download-url': `http://127.0.0.1:${port}`, 'replay-command': 'uv --version' }, { toolCache: tempDir('cs-tc-') })
    assert.equal(r.outputs.outcome, 'compatible', r.stdout + r.stderr)
    assert.equal(r.outputs['uv-version'], world.uv.version)
  } finally {
    server.kill()
  }
})

describe('verification fails closed', () => {
  const broken: [string, string, (prefix: string) => string, RegExp][] = [
    [
      'tampered archive',
      '/tampered',
      (prefix) => {
        const tampered = Buffer.from(world.uv.archive)
        tampered[tampered.length - 100]! ^= 0xff
        return world.serveUv(world.server, tampered, { prefix, checksum: sha256(world.uv.archive) })
      },
      /sha256 mismatch for http:\/\/127\.0\.0\.1:\d+\/tampered\/.*uv-.*\.tar\.gz: expected [0-9a-f]{64}, got [0-9a-f]{64}/,
    ],
    ['wrong .sha256', '/wrong-sum', (prefix) => world.serveUv(world.server, world.uv.archive, { prefix, checksum: 'ab'.repeat(32) }), /sha256 mismatch for .*\/wrong-sum\/.*: expected (ab){32}/],
    [
      'missing .sha256',
      '/no-sum',
      (prefix) => world.serveUv(world.server, world.uv.archive, { prefix, checksum: null }),
      /checksum http:\/\/127\.0\.0\.1:\d+\/no-sum\/.*\.tar\.gz\.sha256 is missing \(HTTP 404\); uv is never run unverified/,
    ],
    [
      'checksum file without a hash',
      '/bad-sum',
      (prefix) => world.serveUv(world.server, world.uv.archive, { prefix, checksum: 'not-a-hash' }),
      /checksum file .*\/bad-sum\/.*\.sha256 holds no sha256/,
    ],
    [
      '404 for the archive',
      '/gone',
      (prefix) => {
        const url = world.serveUv(world.server, world.uv.archive, { prefix })
        world.server.statics.delete(`${prefix}/${world.uv.version}/${world.uv.asset}`)
        return url
      },
      /Downloading uv .* failed: HTTP 404 for http:\/\/127\.0\.0\.1:\d+\/gone\/.*\.tar\.gz/,
    ],
    [
      'truncated download',
      '/truncated',
      (prefix) => {
        world.server.inject(new RegExp(`^${prefix}/.*\\.tar\\.gz$`), { truncateAt: 1000 })
        return world.serveUv(world.server, world.uv.archive, { prefix })
      },
      /http:\/\/127\.0\.0\.1:\d+\/truncated\/.*\.tar\.gz.*(closed|terminated).*\(4 attempts\)/,
    ],
    [
      'the archive redirects to itself',
      '/loop',
      (prefix) => {
        const url = world.serveUv(world.server, world.uv.archive, { prefix })
        world.server.inject(new RegExp(`^${prefix}/.*\\.tar\\.gz$`), { redirectTo: `${prefix}/${world.uv.version}/${world.uv.asset}` })
        return url
      },
      /Downloading uv .* failed: .*\/loop\/.*\.tar\.gz.*redirects in a loop/,
    ],
    [
      'the archive redirects a long way round',
      '/round',
      (prefix) => {
        const url = world.serveUv(world.server, world.uv.archive, { prefix })
        // Each hop a new URL: only the count can stop it.
        let hop = 0
        world.server.inject(new RegExp(`^${prefix}/.*\\.tar\\.gz$`), {
          get redirectTo() {
            return `${prefix}/hop${++hop}/${world.uv.asset}`
          },
        } as Fault)
        return url
      },
      /Downloading uv .* failed: .*\/round\/.*\.tar\.gz.*redirects in a loop \(more than 20 redirects\)/,
    ],
    [
      'the archive redirects to a URL that is not http(s)',
      '/ftp',
      (prefix) => {
        const url = world.serveUv(world.server, world.uv.archive, { prefix })
        world.server.inject(new RegExp(`^${prefix}/.*\\.tar\\.gz$`), { redirectTo: `ftp://127.0.0.1${prefix}/uv.tar.gz` })
        return url
      },
      /Downloading uv .* failed: .*\/ftp\/.*\.tar\.gz.*it redirected to a URL that is not http\(s\)/,
    ],
  ]
  for (const [name, prefix, serve, message] of broken) {
    test(name, async () => {
      const toolCache = tempDir('cs-tc-')
      const mirror = serve(prefix)
      const marker = path.join(tempDir(), 'ran')
      const r = await world.run({ package: PKG, 'uv-download-url': mirror, 'replay-command': `touch ${marker}` }, { toolCache })
      assertErrorRun(r, message)
      assert.deepEqual(cachedUv(toolCache), [], 'nothing in the tool cache')
      assert.equal(fs.existsSync(marker), false, 'no command ran')
      assert.equal(r.outputs['uv-path'], '')
      const leftovers = fs.readdirSync(r.runnerTemp).filter((f) => f.startsWith('uv-'))
      assert.deepEqual(leftovers, [], 'no download left in RUNNER_TEMP')
    })
  }

  test('a binary that reports another version', async () => {
    const toolCache = tempDir('cs-tc-')
    const mirror = world.serveUv(world.server, world.uv.archive, { prefix: '/liar', version: '0.0.1' })
    const r = await world.run({ package: PKG, 'uv-version': '0.0.1', 'uv-download-url': mirror, 'replay-command': 'true' }, { toolCache })
    assertErrorRun(r, new RegExp(`uv binary from .*/liar/0\\.0\\.1/.* reports version ${world.uv.version.replace(/\./g, '\\.')}, not the 0\\.0\\.1 asked for`))
    assert.deepEqual(cachedUv(toolCache), [])
  })
})

describe('uv-version system and latest', () => {
  test('system: the uv on PATH is used, nothing downloaded', async () => {
    const before = world.server.count(/^\/uv\//)
    const r = await world.run(
      { package: PKG, 'uv-version': 'system', 'replay-command': 'test "$(command -v uv)" = "$EXPECTED"' },
      { env: { PATH: `${path.dirname(world.uv.binary)}:/usr/bin:/bin`, EXPECTED: world.uv.binary } },
    )
    assert.equal(r.outputs.outcome, 'compatible', r.stdout)
    assert.equal(r.outputs['uv-path'], world.uv.binary)
    assert.equal(r.outputs['uv-version'], world.uv.version)
    assert.equal(world.server.count(/^\/uv\//), before)
  })

  test('system without uv on PATH is an error that says what to do', async () => {
    const bin = tempDir('cs-bin-')
    fs.symlinkSync('/bin/bash', path.join(bin, 'bash'))
    const r = await world.run({ package: PKG, 'uv-version': 'system', 'replay-command': 'true' }, { env: { PATH: bin } })
    assertErrorRun(r, /'uv-version' is 'system' but there is no uv on PATH: install uv in an earlier step/)
  })

  test('latest: the newest final uv release on the index, pre-releases ignored', async () => {
    const r = await world.run({ package: PKG, 'uv-version': 'latest', 'replay-command': 'true' }, { toolCache: tempDir('cs-tc-') })
    assert.equal(r.outputs.outcome, 'compatible', r.stdout)
    assert.equal(r.outputs['uv-version'], world.uv.version)
    assert.match(r.stdout, new RegExp(`Latest uv on http://127\\.0\\.0\\.1:\\d+/simple/: ${world.uv.version.replace(/\./g, '\\.')}`))
    assert.ok(world.server.count(/^\/simple\/uv\/$/) >= 1)
  })
})

describe('platform mapping (pure)', () => {
  const cases: [Platform, string | null][] = [
    [{ os: 'linux', arch: 'x64', libc: 'gnu' }, 'x86_64-unknown-linux-gnu.tar.gz'],
    [{ os: 'linux', arch: 'arm64', libc: 'gnu' }, 'aarch64-unknown-linux-gnu.tar.gz'],
    [{ os: 'linux', arch: 'x64', libc: 'musl' }, 'x86_64-unknown-linux-musl.tar.gz'],
    [{ os: 'linux', arch: 'arm64', libc: 'musl' }, 'aarch64-unknown-linux-musl.tar.gz'],
    [{ os: 'darwin', arch: 'x64' }, 'x86_64-apple-darwin.tar.gz'],
    [{ os: 'darwin', arch: 'arm64' }, 'aarch64-apple-darwin.tar.gz'],
    [{ os: 'win32', arch: 'x64' }, 'x86_64-pc-windows-msvc.zip'],
    [{ os: 'win32', arch: 'arm64' }, 'aarch64-pc-windows-msvc.zip'],
    [{ os: 'freebsd', arch: 'x64' }, null],
    [{ os: 'linux', arch: 'ia32', libc: 'gnu' }, null],
  ]
  for (const [p, expected] of cases) {
    test(`${p.os}/${p.arch}${p.libc ? `/${p.libc}` : ''} → ${expected}`, () => {
      const t = uvTarget(p)
      assert.equal(t ? `${t.target}.${t.ext}` : null, expected)
    })
  }

  const linux: Platform = { os: 'linux', arch: 'x64', libc: 'gnu' }
  const wheels: [string, Platform, boolean][] = [
    ['pkg-1.0-py3-none-any.whl', linux, true],
    ['numpy-2.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl', linux, true],
    ['numpy-2.0-cp312-cp312-manylinux_2_17_aarch64.whl', linux, false],
    ['numpy-2.0-cp312-cp312-musllinux_1_1_x86_64.whl', linux, false],
    ['numpy-2.0-cp312-cp312-musllinux_1_1_x86_64.whl', { ...linux, libc: 'musl' }, true],
    ['numpy-2.0-cp312-cp312-macosx_14_0_arm64.whl', { os: 'darwin', arch: 'arm64' }, true],
    ['numpy-2.0-cp312-cp312-macosx_10_9_universal2.whl', { os: 'darwin', arch: 'x64' }, true],
    ['numpy-2.0-cp312-cp312-macosx_14_0_arm64.whl', { os: 'darwin', arch: 'x64' }, false],
    ['numpy-2.0-cp312-cp312-win_amd64.whl', { os: 'win32', arch: 'x64' }, true],
    ['numpy-2.0-cp312-cp312-win_amd64.whl', linux, false],
    ['pkg-1.0.tar.gz', linux, false],
  ]
  for (const [file, p, fits] of wheels) {
    test(`${file} ${fits ? 'fits' : 'does not fit'} ${p.os}/${p.arch}${p.libc ? `/${p.libc}` : ''}`, () => assert.equal(wheelFits(file, p), fits))
  }
})
