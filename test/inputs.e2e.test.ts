// Bad inputs, through the bundled action: outcome error, one clear message, everything written.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import { runAction } from './harness/action'
import { assertErrorRun } from './harness/assertions'

const valid = { package: 'llama-stack', 'replay-command': 'true' }

const bad: [string, Record<string, string>, RegExp][] = [
  ['unknown channel', { channel: 'nightly' }, /'channel'.*'nightly'.*'stable', 'dev', 'pre', 'pinned'/],
  ['version not PEP 440', { version: '1.0;touch pwned' }, /'version'.*'1\.0;touch pwned'.*PEP 440/],
  ['version-env not a name', { 'version-env': '1BAD-NAME' }, /'version-env'.*'1BAD-NAME'.*letters, digits/],
  ['version-env PATH', { 'version-env': 'PATH' }, /'version-env'.*'PATH'/],
  ['invalid pinned-pattern', { 'pinned-file': 'Makefile', 'pinned-pattern': 'VERSION = ([' }, /'pinned-pattern'.*valid JavaScript regular expression/],
  ['pinned-pattern without group', { 'pinned-file': 'Makefile', 'pinned-pattern': 'VERSION = \\S+' }, /'pinned-pattern'.*capture group/],
  ['non-numeric timeout', { 'replay-timeout-minutes': 'soon' }, /'replay-timeout-minutes'.*'soon'.*positive number of minutes/],
  ['zero timeout', { 'record-timeout-minutes': '0' }, /'record-timeout-minutes'.*'0'/],
  ['unknown fail-on word', { 'fail-on': 'incompatible,flaky' }, /'fail-on'.*'flaky'.*'compatible', 'needs-recording', 'not-installable', 'incompatible', 'error'/],
  ['replay-attempts 0', { 'replay-attempts': '0' }, /'replay-attempts' has the value '0'.*from 1 to 10/],
  ['could-not-test-exit-code not a number', { 'could-not-test-exit-code': 'seventy' }, /'could-not-test-exit-code' has the value 'seventy'.*from 1 to 255/],
  ['stale-after-days negative', { 'stale-after-days': '-1' }, /'stale-after-days' has the value '-1'.*0 to turn the warning off/],
  ['record-on-fork not a boolean', { 'record-on-fork': 'yes' }, /'record-on-fork'.*'yes'.*'true' or 'false'/],
  ['install-timeout-minutes 0', { 'install-timeout-minutes': '0' }, /'install-timeout-minutes'.*'0'.*positive number of minutes/],
  ['bisect-on an outcome with no first bad build', { 'bisect-on': 'incompatible,error' }, /'bisect-on' has the value 'error'.*'incompatible', 'needs-recording' or both/],
  ['missing package', { package: '' }, /'package' is required/],
  ['missing replay-command', { 'replay-command': '' }, /'replay-command' is required/],
  ['pinned without pinned-file', { channel: 'pinned' }, /'channel' is 'pinned' but 'pinned-file' is empty/],
  ['bad prefetch-wheels', { 'prefetch-wheels': 'sometimes' }, /'prefetch-wheels'.*'sometimes'.*'auto', 'true', 'false'/],
  ['bad cache-wheels', { 'cache-wheels': 'yes' }, /'cache-wheels'.*'yes'.*'true' or 'false'/],
  ['bad uv-version', { 'uv-version': 'newest' }, /'uv-version'.*'newest'/],
  ['bad index-url', { 'index-url': 'ftp://example/simple' }, /'index-url'.*http/],
  ['bad package name', { package: 'llama stack;rm' }, /'package'.*distribution name/],
]

for (const [name, override, message] of bad) {
  test(`bad input: ${name}`, async () => {
    const r = await runAction({ ...valid, ...override })
    assertErrorRun(r, message)
    assert.equal(r.outputs['replay-result'], 'skipped')
  })
}

test('an invalid channel leaves the channel output empty and names the result file unknown', async () => {
  const r = await runAction({ ...valid, channel: 'weekly' })
  assert.equal(r.outputs.channel, '')
  assert.equal(r.outputs.version, '')
  assert.match(r.outputs['result-file']!, /compat-sentinel-result-llama-stack-unknown\.json$/)
  assert.ok(fs.existsSync(r.outputs['result-file']!))
})

test('fail-on without error: a bad input still reports error but the step passes', async () => {
  const r = await runAction({ ...valid, channel: 'weekly', 'fail-on': 'incompatible' })
  assert.equal(r.outputs.outcome, 'error')
  assert.equal(r.exitCode, 0)
  assert.match(r.stdout, /::warning::/)
})

test('a missing working-directory is an error naming it', async () => {
  const r = await runAction({ ...valid, 'working-directory': 'no/such/dir', 'uv-version': 'system' })
  assertErrorRun(r, /'working-directory' .*no\/such\/dir does not exist/)
})
