export const id = 314;
export const ids = [314];
export const modules = {

/***/ 34797:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   b1: () => (/* binding */ LIMITS),
/* harmony export */   kP: () => (/* binding */ emptyFixtureDiff),
/* harmony export */   o$: () => (/* binding */ patchNoteForReason),
/* harmony export */   wA: () => (/* binding */ SECRET_NOTE)
/* harmony export */ });
// The vocabulary of "what changed in the recordings": parsed interactions, and the diff that the
// result file (`fixtureDiff`) and the job summary carry.
const LIMITS = {
    /** Files larger than this are compared by hash only. */
    maxFileBytes: 5 * 1024 * 1024,
    maxInteractions: 200,
    maxPathsPerInteraction: 50,
    /** A single path line (with its old and new value) is cut to this many characters. */
    maxPathChars: 300,
};
/** The one note that also goes into the run's reason: the patch exists but must not be published. */
const SECRET_NOTE = 'patch withheld: a recording contains the value of a secret';
/** A diff with nothing in it yet. */
function emptyFixtureDiff() {
    return {
        counts: { added: 0, removed: 0, requestChanged: 0, responseChanged: 0, files: 0 },
        added: [],
        removed: [],
        requestChanged: [],
        responseChanged: [],
        omittedInteractions: 0,
        patchNote: '',
    };
}
/** What the reason says when the patch was withheld. */
function patchNoteForReason(diff) {
    return diff?.patchNote === SECRET_NOTE ? `; ${SECRET_NOTE}` : '';
}


/***/ }),

/***/ 87314:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  run: () => (/* binding */ main_run)
});

// EXTERNAL MODULE: ./node_modules/@actions/core/lib/core.js + 7 modules
var lib_core = __webpack_require__(33838);
// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(51455);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(76760);
// EXTERNAL MODULE: ./node_modules/@renovatebot/pep440/index.js + 4 modules
var pep440 = __webpack_require__(99687);
;// CONCATENATED MODULE: ./src/core/vocabulary.ts
const vocabulary_OUTCOMES = ['compatible', 'needs-recording', 'not-installable', 'incompatible', 'error'];
const CHANNELS = ['stable', 'dev', 'pre', 'pinned'];
const skippedPhase = () => ({ result: 'skipped', exitCode: null, durationMs: 0, logTail: '' });
const vocabulary_RESULT_SCHEMA = 'compat-sentinel/result@2';
/** The schema before leg, history and the v1.1 additions; readers still accept it. */
const vocabulary_RESULT_SCHEMA_V1 = 'compat-sentinel/result@1';
/**
 * An error whose message is meant for the user as it is: what was wrong and how to fix it.
 * Anything else that escapes a stage is reported as an unexpected internal error.
 */
class vocabulary_UserError extends Error {
    name = 'UserError';
}

;// CONCATENATED MODULE: ./src/core/names.ts
// PEP 503 name normalisation: runs of -, _ and . become one -, lower case.
function names_normalizeName(name) {
    return name.toLowerCase().replace(/[-_.]+/g, '-');
}
/** What a leg name may hold: it becomes part of a file name and of Slack keys. */
const LEG_NAME = /^[A-Za-z0-9._-]{1,100}$/;
/**
 * The default `leg`: `<package>-<channel>`, plus the runner OS (lower case) when it is not Linux,
 * so a macOS and a Linux leg of one channel are two legs. `unknown` stands for what is not known.
 */
function names_defaultLeg(pkg, channel, runnerOs = '') {
    const os = runnerOs && runnerOs.toLowerCase() !== 'linux' ? `-${runnerOs.toLowerCase()}` : '';
    return `${pkg || 'unknown'}-${channel || 'unknown'}${os}`.replace(/[^A-Za-z0-9._-]/g, '_');
}

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(77598);
;// CONCATENATED MODULE: ./src/core/history.ts
// A leg's memory across runs: the stored file of its past runs (untrusted when read back), and
// what those runs say about this one (previous verdict, since when it fails, whether to notify).


const HISTORY_SCHEMA = 'compat-sentinel/history@1';
/** Runs kept per leg: a nightly's three months. */
const MAX_ENTRIES = 100;
/** Runs shown in the result file and the summary strip. */
const RECENT_RUNS = 14;
/** A history file larger than this is not read: 100 runs take about 30 kB. */
const HISTORY_FILE_LIMIT = 1024 * 1024;
const NOTIFY_ON = ['change', 'failure', 'always'];
/**
 * The cache key prefix of a leg: a schema word, then a short hash of what makes the leg's story
 * one story. It ends in `-`, so one leg's prefix is never the start of another's.
 */
function historyKeyPrefix(pkg, leg, indexUrl) {
    const hash = (0,external_node_crypto_.createHash)('sha256')
        .update(JSON.stringify([pkg, leg, indexUrl]))
        .digest('hex')
        .slice(0, 16);
    return `compat-sentinel-history-v1-${hash}-`;
}
/** Nothing remembered: a first run. Without memory a run cannot say "nothing changed", so `change` notifies. */
function noHistory(notify = true) {
    return { available: false, previousOutcome: '', previousVersion: '', statusChanged: false, failingSince: null, lastGoodVersion: '', firstBadVersion: '', notify, recent: [] };
}
// What an entry's strings may look like: they reach the summary, links included.
const VERSION = /^([A-Za-z0-9][A-Za-z0-9.+!_-]{0,99})?$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const URL_TEXT = /^(https?:\/\/[^\s<>()[\]|`"'\\]{1,500})?$/;
const SHA256 = /^([0-9a-f]{64})?$/;
const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
/** The entry when every field is of the expected form, else null. */
function validEntry(v) {
    if (!isObject(v))
        return null;
    const { version, outcome, date, runUrl, sha256, uploadTime } = v;
    const ok = typeof version === 'string' &&
        VERSION.test(version) &&
        vocabulary_OUTCOMES.includes(outcome) &&
        typeof date === 'string' &&
        ISO_DATE.test(date) &&
        typeof runUrl === 'string' &&
        URL_TEXT.test(runUrl) &&
        typeof sha256 === 'string' &&
        SHA256.test(sha256) &&
        typeof uploadTime === 'string' &&
        (uploadTime === '' || ISO_DATE.test(uploadTime));
    return ok ? { version, outcome: outcome, date, runUrl, sha256, uploadTime } : null;
}
/**
 * A bisection probe's verdict on one build, kept so the next run does not probe it again:
 * `good` (replay passed), `bad` (replay failed), `not-installable` (says nothing about the code).
 */
const PROBE_RESULTS = ['good', 'bad', 'not-installable'];
/** Probes kept per leg. */
const MAX_PROBES = 200;
/** The probe when every field is of the expected form, else null. */
function validProbe(v) {
    if (!isObject(v))
        return null;
    const { version, result, date, sha256, uploadTime } = v;
    const ok = typeof version === 'string' &&
        version !== '' &&
        VERSION.test(version) &&
        PROBE_RESULTS.includes(result) &&
        typeof date === 'string' &&
        ISO_DATE.test(date) &&
        typeof sha256 === 'string' &&
        SHA256.test(sha256) &&
        typeof uploadTime === 'string' &&
        (uploadTime === '' || ISO_DATE.test(uploadTime));
    return ok ? { version, result: result, date, sha256, uploadTime } : null;
}
/** Reads a stored history file. It comes from a cache anyone with a workflow could write: check everything. */
function parseHistory(text, expect) {
    if (Buffer.byteLength(text) > HISTORY_FILE_LIMIT)
        return { ok: false, problem: `it is larger than ${HISTORY_FILE_LIMIT} bytes` };
    let data;
    try {
        data = JSON.parse(text);
    }
    catch (e) {
        return { ok: false, problem: `it is not JSON (${e.message})` };
    }
    if (!isObject(data))
        return { ok: false, problem: 'it is not a JSON object' };
    if (data.schema !== HISTORY_SCHEMA)
        return { ok: false, problem: `its schema is ${JSON.stringify(data.schema)?.slice(0, 80)}, not "${HISTORY_SCHEMA}"` };
    if (data.package !== expect.package || data.leg !== expect.leg)
        return { ok: false, problem: 'it belongs to another leg' };
    if (!Array.isArray(data.runs))
        return { ok: false, problem: 'it has no list of runs' };
    const entries = data.runs.map(validEntry).filter((e) => e !== null);
    // Probes came later: a history without them has none.
    const rawProbes = Array.isArray(data.probes) ? data.probes : [];
    const probes = rawProbes.map(validProbe).filter((p) => p !== null);
    return { ok: true, entries: entries.slice(-MAX_ENTRIES), probes: probes.slice(-MAX_PROBES), dropped: data.runs.length - entries.length + rawProbes.length - probes.length };
}
/** The file to store: the past runs plus this one, the newest MAX_ENTRIES, and the newest MAX_PROBES probes. */
function serializeHistory(identity, past, current, probes = []) {
    return `${JSON.stringify({ schema: HISTORY_SCHEMA, package: identity.package, leg: identity.leg, runs: [...past, current].slice(-MAX_ENTRIES), probes: probes.slice(-MAX_PROBES) }, null, 1)}\n`;
}
/**
 * What this leg already knows about builds, for a bisection: a past run's outcome (replay passed:
 * good; replay failed: bad) or a past probe's result, newest first wins; never "not installable". A build whose sha256 is
 * known and differs from today's file is another build of that version: nothing is known of it.
 */
function knownResults(past, probes, sha256Of) {
    const known = new Map();
    const fromRun = (o) => (o === 'compatible' ? 'good' : o === 'incompatible' || o === 'needs-recording' ? 'bad' : o === 'not-installable' ? 'not-installable' : null);
    const sameBuild = (version, sha256) => !sha256 || !sha256Of(version) || sha256 === sha256Of(version);
    const all = [
        ...past.map((e) => ({ version: e.version, result: fromRun(e.outcome), date: e.date, sha256: e.sha256 })),
        ...probes.map((p) => ({ ...p })),
    ].sort((a, b) => a.date.localeCompare(b.date));
    // "Could not install" is not kept from one run to the next: it may have been a network failure of
    // the moment, or a wheel for this platform uploaded since; either way it says nothing about the code.
    for (const e of all)
        if (e.version && e.result && e.result !== 'not-installable' && sameBuild(e.version, e.sha256))
            known.set(e.version, e.result);
    return known;
}
/** `2026-04-10 (0.7.2.dev20260410)`; empty when the leg is not failing. */
function formatFailingSince(f) {
    if (!f)
        return '';
    return `${f.date.slice(0, 10)}${f.version ? ` (${f.version})` : ''}`;
}
/** What the past runs (oldest first) say about the current run. */
function computeHistory(past, current, notifyOn) {
    const all = [...past, current];
    const previous = past.at(-1);
    const statusChanged = previous !== undefined && previous.outcome !== current.outcome;
    let streakStart = all.length;
    while (streakStart > 0 && all[streakStart - 1].outcome !== 'compatible')
        streakStart--;
    const streak = all.slice(streakStart);
    const first = streak[0];
    const failingSince = first ? { date: first.date, version: first.version, runs: streak.length } : null;
    const lastGood = all.findLast((e) => e.outcome === 'compatible');
    const notify = notifyOn === 'always' ? true : notifyOn === 'failure' ? current.outcome !== 'compatible' : statusChanged || previous === undefined;
    return {
        available: previous !== undefined,
        previousOutcome: previous?.outcome ?? '',
        previousVersion: previous?.version ?? '',
        statusChanged,
        failingSince,
        lastGoodVersion: lastGood?.version ?? '',
        firstBadVersion: first?.version ?? '',
        notify,
        recent: all.slice(-RECENT_RUNS).map(({ version, outcome, date, runUrl, uploadTime }) => ({ version, outcome, date, runUrl, uploadTime })),
    };
}
/** The previous run tested the same version as a different build (a nightly that reuses its version). */
function newBuildOfSameVersion(previous, current) {
    if (!previous || !current.version || previous.version !== current.version)
        return false;
    if (previous.sha256 && current.sha256)
        return previous.sha256 !== current.sha256;
    return Boolean(previous.uploadTime && current.uploadTime && previous.uploadTime !== current.uploadTime);
}

;// CONCATENATED MODULE: ./src/io/secrets.ts
// Secret hygiene: values of secret-looking environment variables (and of the names given in
// `mask-env`) are registered with the runner and replaced by *** in everything the action writes
// itself (log lines, tails, summary, result file, outputs), in every form a command may print
// them: as they are, URL-encoded, JSON-escaped, base64-encoded, and line by line.

/** Words of a variable name (split on `_`) that make its value a secret. */
const SECRET_WORDS = new Set(['KEY', 'KEYS', 'APIKEY', 'TOKEN', 'TOKENS', 'SECRET', 'SECRETS', 'PASSWORD', 'PASSWORDS', 'PASSWD', 'CREDENTIAL', 'CREDENTIALS']);
/** Words that name a secret only as the last word (`GH_PAT`, not `PAT_HOME`). */
const SECRET_LAST_WORDS = new Set(['PAT']);
const MIN_SECRET_LENGTH = 6;
/** Whole words only: `API_KEY` and `GITHUB_TOKEN` are secrets, `UV_KEYRING_PROVIDER` and `MONKEY` are not. */
function isSecretName(name) {
    const words = name.toUpperCase().split('_').filter(Boolean);
    return words.some((w) => SECRET_WORDS.has(w)) || SECRET_LAST_WORDS.has(words.at(-1) ?? '');
}
/** Values that cannot be secrets and would eat the log if masked: short ones, booleans, numbers. */
function isPlainlyNotSecret(value) {
    const v = value.trim();
    return v.length < MIN_SECRET_LENGTH || /^(true|false|yes|no|on|off|null|none)$/i.test(v) || /^[+-]?\d+(\.\d+)?$/.test(v);
}
/**
 * Every form in which a value can appear in text: itself, each line of a multi-line value,
 * URL-encoded, JSON-escaped, and base64 at each of the 3 byte alignments (as the runner's own
 * masker does: only the characters that do not depend on the bytes around the value).
 */
function encodedForms(value) {
    const forms = new Set([value]);
    for (const line of value.split(/\r?\n/))
        if (line.trim().length >= MIN_SECRET_LENGTH)
            forms.add(line);
    for (const v of [...forms]) {
        forms.add(encodeURIComponent(v));
        forms.add(encodeURIComponent(v).replace(/%20/g, '+'));
        forms.add(JSON.stringify(v).slice(1, -1));
    }
    const bytes = Buffer.from(value, 'utf8');
    for (let shift = 0; shift < 3; shift++) {
        const aligned = bytes.subarray(shift);
        const whole = aligned.subarray(0, aligned.length - (aligned.length % 3));
        const b64 = whole.toString('base64');
        // Short fragments would mask ordinary words.
        if (b64.length >= 8)
            forms.add(b64);
    }
    return [...forms].filter((f) => f.length >= Math.min(MIN_SECRET_LENGTH, value.length));
}
let secrets_forms;
const values = new Set();
function addValue(value) {
    if (values.has(value))
        return;
    values.add(value);
    const fresh = encodedForms(value).filter((f) => !secrets_forms.includes(f));
    for (const f of fresh)
        lib_core/* setSecret */.Pq(f);
    // Longest first, so a value is masked whole before any of its lines.
    secrets_forms = [...secrets_forms, ...fresh].sort((a, b) => b.length - a.length);
}
/** Collects secret values from the environment, by name, and registers every form of them. */
function registerSecrets(env = process.env) {
    secrets_forms ??= [];
    for (const [name, value] of Object.entries(env)) {
        if (value && isSecretName(name) && !isPlainlyNotSecret(value))
            addValue(value);
    }
}
/**
 * The values of `mask-env`'s names, from then on masked like the rest. Returns the names whose
 * values were left unmasked because they are empty or plainly not secrets, for a warning.
 */
function registerSecretNames(names, env = process.env) {
    if (secrets_forms === undefined)
        registerSecrets(env);
    const skipped = [];
    for (const name of names) {
        const value = env[name];
        if (!value || isPlainlyNotSecret(value))
            skipped.push(name);
        else
            addValue(value);
    }
    return skipped;
}
/** `mask-env`: from now on, everything written masks these variables' values too. */
function maskNamedVariables(names, env = process.env) {
    const skipped = registerSecretNames(names, env);
    if (skipped.length) {
        lib_core/* warning */.$e(`'mask-env' names ${skipped.join(', ')}, but ${skipped.length === 1 ? 'its value is' : 'their values are'} empty, shorter than ${MIN_SECRET_LENGTH} characters, a boolean or a number, so not masked (masking it would hide every such word in the log).`);
    }
    if (names.length)
        lib_core/* debug */.Yz(`mask-env: masking ${names.length - skipped.length} more variable(s)`);
}
function mask(text) {
    if (secrets_forms === undefined)
        registerSecrets();
    let out = text;
    for (const s of secrets_forms)
        if (out.includes(s))
            out = out.split(s).join('***');
    return secrets_redactUrl(out);
}
/** The longest form a secret can take, so a reader of a stream knows how much to hold back. */
function longestSecretForm() {
    if (secrets_forms === undefined)
        registerSecrets();
    return secrets_forms[0]?.length ?? 0;
}
/**
 * Where a line may be cut near `at` without cutting a secret in two: `at`, or the start of the
 * secret form that spans it.
 */
function safeCut(text, at) {
    if (secrets_forms === undefined)
        registerSecrets();
    let cut = at;
    for (let changed = true; changed;) {
        changed = false;
        for (const s of secrets_forms) {
            // An occurrence spanning the cut starts in (cut - s.length, cut).
            for (let j = text.indexOf(s, Math.max(0, cut - s.length + 1)); j !== -1 && j < cut; j = text.indexOf(s, j + 1)) {
                if (j + s.length > cut) {
                    cut = j;
                    changed = true;
                    break;
                }
            }
        }
    }
    return cut;
}
/**
 * URLs with their whole userinfo replaced, for messages: `user:password@`, a bare `token@`, and a
 * password holding a raw `@` (the userinfo runs to the last `@` before the path) all become `***@`.
 */
function secrets_redactUrl(value) {
    return value.replace(/(\/\/)[^/?#\s@]*(?:@[^/?#\s@]*)*@/g, '$1***@');
}
/** The values `mask` replaces (every form of every secret), longest first: what must never be written into a file either. */
function secretValues() {
    if (secrets_forms === undefined)
        registerSecrets();
    return secrets_forms;
}

// EXTERNAL MODULE: external "node:os"
var external_node_os_ = __webpack_require__(48161);
;// CONCATENATED MODULE: ./src/io/runner.ts
// The runner's folders and the run's identity, read from the environment a runner sets. Outside
// Actions (local runs, tests) sane defaults apply.



function workspace() {
    return process.env.GITHUB_WORKSPACE || process.cwd();
}
function runnerTemp() {
    // Absolute, so the result-file output still points at the file from another directory.
    return external_node_path_.resolve(process.env.RUNNER_TEMP || external_node_path_.join(external_node_os_.tmpdir(), 'compat-sentinel-runner-temp'));
}
/** Where the action keeps what it writes for this run (result file, wheels by default). */
function sentinelTemp() {
    return external_node_path_.join(runnerTemp(), 'compat-sentinel');
}
/**
 * RUNNER_TEMP and RUNNER_TOOL_CACHE, which every runner sets: outside Actions (local runs) they
 * default to folders under the system temp folder; inside Actions a missing one is a broken
 * runner or container setup, said so instead of failing later inside a library.
 */
function checkRunnerFolders(env = process.env) {
    for (const name of ['RUNNER_TEMP', 'RUNNER_TOOL_CACHE']) {
        if (env[name])
            continue;
        if (env.GITHUB_ACTIONS === 'true') {
            throw new vocabulary_UserError(`${name} is not set, but every GitHub Actions runner sets it: the runner or the job's container removed it. Set it in the job's env to a writable folder, e.g. ${name}: /tmp/${name === 'RUNNER_TEMP' ? 'runner-temp' : 'tool-cache'}.`);
        }
        env[name] = name === 'RUNNER_TEMP' ? runnerTemp() : external_node_path_.join(external_node_os_.tmpdir(), 'compat-sentinel-tool-cache');
    }
}
function runInfo(env = process.env) {
    const repository = env.GITHUB_REPOSITORY ?? '';
    const server = env.GITHUB_SERVER_URL || 'https://github.com';
    return {
        repository,
        ref: env.GITHUB_REF ?? '',
        sha: env.GITHUB_SHA ?? '',
        url: repository && env.GITHUB_RUN_ID ? `${server}/${repository}/actions/runs/${env.GITHUB_RUN_ID}` : '',
    };
}
/** The event that started the run (`schedule`, `pull_request`, …), '' outside Actions. */
function eventName(env = process.env) {
    return env.GITHUB_EVENT_NAME ?? '';
}
/** This run attempt's unique part of a cache key; a timestamp outside Actions. */
function runAttemptId(env = process.env) {
    return env.GITHUB_RUN_ID ? `${env.GITHUB_RUN_ID}-${env.GITHUB_RUN_ATTEMPT || '1'}` : `local-${Date.now()}`;
}

;// CONCATENATED MODULE: ./src/io/url-credentials.ts
// Credentials written into a URL input (`https://user:password@host/`, or a bare
// `https://token@host/` as some private indexes want) are secrets: registered with the runner,
// so the log masks them wherever they appear. Everything the action writes itself also passes
// through redactUrl, which hides the whole userinfo.

function registerUrlCredentials(value) {
    let u;
    try {
        u = new URL(value);
    }
    catch {
        return;
    }
    // With a password, the user name is usually not secret (and short names would mask common
    // words everywhere); without one, the user part is the token.
    const secret = u.password || u.username;
    if (!secret)
        return;
    for (const form of new Set([secret, safeDecode(secret)]))
        lib_core/* setSecret */.Pq(form);
}
function safeDecode(s) {
    try {
        return decodeURIComponent(s);
    }
    catch {
        return s;
    }
}

;// CONCATENATED MODULE: ./src/core/provenance.ts
// PEP 740 provenance, the pure half: what `expected-publisher` means, what a provenance object
// holds, how one attestation becomes a Sigstore bundle, and the checks after the signature
// (statement names this file with this digest; certificate names the expected publisher).
// The signature and certificate chain themselves are checked by @sigstore/verify in
// src/stages/provenance.ts; nothing here touches the network or the disk.

const OWNER = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})';
const REPO = '[A-Za-z0-9._-]{1,100}';
const WORKFLOW = '[A-Za-z0-9._-]+\\.ya?ml';
const EXPECTED = new RegExp(`^github:(${OWNER}/${REPO})(?:/\\.github/workflows/(${WORKFLOW}))?$`);
/** Parses the `expected-publisher` input; null when it is not one of the accepted forms. */
function parseExpectedPublisher(value) {
    const m = EXPECTED.exec(value.trim());
    if (!m || m[1].endsWith('/.') || m[1].endsWith('/..'))
        return null;
    return { repository: m[1], workflow: m[2] ?? '' };
}
/** Text from an index or a certificate, made safe to print in one line of a message. */
function printable(s, max = 200) {
    const clean = s.replace(/[^\x20-\x7e]/g, '?');
    return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
function describeExpected(p) {
    return `github:${p.repository}${p.workflow ? `/.github/workflows/${p.workflow}` : ''}`;
}
class ProvenanceFormatError extends Error {
    name = 'ProvenanceFormatError';
}
const provenance_isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const str = (v) => (typeof v === 'string' ? v : '');
function attestation(a, where) {
    if (!provenance_isObject(a) || a.version !== 1)
        throw new ProvenanceFormatError(`${where} is not a version 1 attestation`);
    const vm = a.verification_material;
    const env = a.envelope;
    if (!provenance_isObject(vm) || !provenance_isObject(env))
        throw new ProvenanceFormatError(`${where} lacks verification_material or envelope`);
    const fields = {
        certificate: vm.certificate,
        statement: env.statement,
        signature: env.signature,
    };
    for (const [name, value] of Object.entries(fields)) {
        if (typeof value !== 'string' || !BASE64.test(value))
            throw new ProvenanceFormatError(`${where}: ${name} is not base64`);
    }
    if (!Array.isArray(vm.transparency_entries) || vm.transparency_entries.length === 0 || !vm.transparency_entries.every(provenance_isObject)) {
        throw new ProvenanceFormatError(`${where} has no transparency log entry`);
    }
    return {
        certificate: fields.certificate,
        statement: fields.statement,
        signature: fields.signature,
        transparencyEntries: vm.transparency_entries,
    };
}
/** Parses a provenance object; throws ProvenanceFormatError with what is wrong. */
function parseProvenance(body) {
    let data;
    try {
        data = JSON.parse(body);
    }
    catch (e) {
        throw new ProvenanceFormatError(`it is not JSON (${e.message.slice(0, 100)})`);
    }
    if (!provenance_isObject(data) || data.version !== 1 || !Array.isArray(data.attestation_bundles)) {
        throw new ProvenanceFormatError('it is not a version 1 provenance object with "attestation_bundles"');
    }
    return data.attestation_bundles.map((b, i) => {
        if (!provenance_isObject(b) || !Array.isArray(b.attestations))
            throw new ProvenanceFormatError(`attestation bundle ${i + 1} has no "attestations" list`);
        const p = provenance_isObject(b.publisher) ? b.publisher : {};
        return {
            publisher: {
                kind: str(p.kind),
                repository: str(p.repository),
                workflow: str(p.workflow),
            },
            attestations: b.attestations.map((a, j) => attestation(a, `attestation ${j + 1} of bundle ${i + 1}`)),
        };
    });
}
const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
const SIGSTORE_BUNDLE_V03 = 'application/vnd.dev.sigstore.bundle.v0.3+json';
/**
 * The Sigstore bundle (v0.3, JSON form) that a PEP 740 attestation stands for: its leaf
 * certificate, its first transparency log entry (already in the bundle's JSON shape), and a DSSE
 * envelope holding the statement as an in-toto payload with its one signature.
 */
function toSigstoreBundleJson(a) {
    return {
        mediaType: SIGSTORE_BUNDLE_V03,
        verificationMaterial: {
            certificate: { rawBytes: a.certificate },
            tlogEntries: [a.transparencyEntries[0]],
            timestampVerificationData: { rfc3161Timestamps: [] },
        },
        dsseEnvelope: {
            payload: a.statement,
            payloadType: IN_TOTO_PAYLOAD_TYPE,
            signatures: [{ sig: a.signature, keyid: '' }],
        },
    };
}
// ---------------------------------------------------------------------------------------------
// The statement inside a verified envelope.
const ATTESTATION_TYPES = ['https://docs.pypi.org/attestations/publish/v1', 'https://slsa.dev/provenance/v1'];
const STATEMENT_TYPES = ['https://in-toto.io/Statement/v1', 'https://in-toto.io/Statement/v0.1'];
/**
 * A distribution filename in one spelling for comparison: the project part normalised, the
 * version lower-cased, and compressed wheel tag sets (`py2.py3`) sorted; signers need not
 * spell a filename exactly as the index does.
 */
function canonicalFilename(filename) {
    const lower = filename.toLowerCase();
    if (lower.endsWith('.whl')) {
        const parts = lower.slice(0, -4).split('-');
        if (parts.length !== 5 && parts.length !== 6)
            return lower;
        const [name, version, ...rest] = parts;
        const tags = rest.slice(-3).map((t) => t.split('.').sort().join('.'));
        const build = rest.length === 4 ? [rest[0]] : [];
        return `${[names_normalizeName(name).replace(/-/g, '_'), version, ...build, ...tags].join('-')}.whl`;
    }
    const ext = ['.tar.gz', '.zip'].find((e) => lower.endsWith(e));
    if (!ext)
        return lower;
    const stem = lower.slice(0, -ext.length);
    const dash = stem.lastIndexOf('-');
    return dash > 0 ? `${names_normalizeName(stem.slice(0, dash)).replace(/-/g, '_')}-${stem.slice(dash + 1)}${ext}` : lower;
}
/** Why the statement does not vouch for this file, or null when it does. */
function statementProblem(payload, file) {
    let s;
    try {
        s = JSON.parse(payload);
    }
    catch {
        return 'the attestation statement is not JSON';
    }
    if (!provenance_isObject(s) || !STATEMENT_TYPES.includes(str(s._type)))
        return 'the attestation statement is not an in-toto statement';
    if (!ATTESTATION_TYPES.includes(str(s.predicateType)))
        return `the attestation is of an unknown type (${printable(str(s.predicateType), 100) || 'none'})`;
    if (!Array.isArray(s.subject) || s.subject.length !== 1 || !provenance_isObject(s.subject[0]))
        return 'the attestation statement must name exactly one subject';
    const subject = s.subject[0];
    if (canonicalFilename(str(subject.name)) !== canonicalFilename(file.filename)) {
        return `the attestation is for another file (${printable(str(subject.name)) || 'no name'})`;
    }
    const digest = provenance_isObject(subject.digest) ? str(subject.digest.sha256).toLowerCase() : '';
    if (!digest || digest !== file.sha256.toLowerCase())
        return 'attestation subject digest does not match the file';
    return null;
}
// ---------------------------------------------------------------------------------------------
// The signer: Fulcio certificate extensions, as @sigstore/verify reports them.
const GITHUB_ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com';
/** Fulcio's OIDs (https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md). */
const FULCIO_OID = {
    issuerV1: '1.3.6.1.4.1.57264.1.1',
    issuer: '1.3.6.1.4.1.57264.1.8',
    sourceRepositoryUri: '1.3.6.1.4.1.57264.1.12',
    sourceRepositoryRef: '1.3.6.1.4.1.57264.1.14',
    buildConfigUri: '1.3.6.1.4.1.57264.1.18',
};
/** A raw OID value → text: extensions from .8 on are DER UTF8Strings, the older ones raw bytes. */
function oidText(value) {
    const b = Buffer.from(value);
    if (b[0] === 0x0c && b.length >= 2) {
        let len = b[1];
        let start = 2;
        if (len & 0x80) {
            const n = len & 0x7f;
            len = 0;
            for (let i = 0; i < n; i++)
                len = len * 256 + (b[2 + i] ?? 0);
            start = 2 + n;
        }
        if (start + len === b.length)
            return b.subarray(start).toString('utf8');
    }
    return b.toString('utf8');
}
/** The identity fields we check, from the SAN and the OID/value pairs @sigstore/verify returns. */
function signerIdentity(san, oids = []) {
    const byOid = new Map();
    for (const o of oids)
        if (o.oid)
            byOid.set(o.oid.id.join('.'), oidText(o.value));
    return {
        subjectAlternativeName: san ?? '',
        issuer: byOid.get(FULCIO_OID.issuer) ?? byOid.get(FULCIO_OID.issuerV1) ?? '',
        sourceRepositoryUri: byOid.get(FULCIO_OID.sourceRepositoryUri) ?? '',
        buildConfigUri: byOid.get(FULCIO_OID.buildConfigUri) ?? '',
    };
}
const WORKFLOW_URI = /^https:\/\/github\.com\/([^/]+\/[^/]+)\/\.github\/workflows\/([^@/]+)@.+$/;
/**
 * The GitHub publisher a certificate names: repository from the Source Repository URI, workflow
 * from the Build Config URI (the workflow that started the run, which is what a Trusted
 * Publisher is registered for), each falling back to the SAN for certificates without them.
 * Null when the certificate is not from GitHub Actions.
 */
function githubPublisher(id) {
    if (id.issuer !== GITHUB_ACTIONS_ISSUER)
        return null;
    const fromSan = WORKFLOW_URI.exec(id.subjectAlternativeName);
    const fromConfig = WORKFLOW_URI.exec(id.buildConfigUri) ?? fromSan;
    const repoUri = /^https:\/\/github\.com\/([^/]+\/[^/]+)$/.exec(id.sourceRepositoryUri);
    const repository = repoUri?.[1] ?? fromSan?.[1];
    if (!repository)
        return null;
    return {
        repository,
        workflow: fromConfig && fromConfig[1].toLowerCase() === repository.toLowerCase() ? fromConfig[2] : '',
    };
}
/** How a signer is named in messages and the result file. */
function describeSigner(id) {
    const gh = githubPublisher(id);
    if (gh)
        return describeExpected(gh);
    return `${printable(id.subjectAlternativeName) || 'an unnamed identity'} (issuer ${printable(id.issuer, 100) || 'unknown'})`;
}
/** GitHub owner and repository names are case-insensitive; workflow file names are not. */
function publisherMatches(expected, id) {
    const gh = githubPublisher(id);
    if (!gh || gh.repository.toLowerCase() !== expected.repository.toLowerCase())
        return false;
    return !expected.workflow || gh.workflow === expected.workflow;
}
/**
 * Whether to recommend `expected-publisher`: a dev or pre build from TestPyPI, where anyone can
 * register a project name the upstream never claimed there.
 */
function shouldRecommendPublisher(channel, indexUrl) {
    if (channel !== 'dev' && channel !== 'pre')
        return false;
    try {
        return new URL(indexUrl).hostname.toLowerCase() === 'test.pypi.org';
    }
    catch {
        return false;
    }
}
/** The run's status from each file's: any mismatch wins, then any absence. */
function combineStatus(statuses) {
    if (statuses.includes('mismatch'))
        return 'mismatch';
    if (statuses.includes('absent'))
        return 'absent';
    return statuses.length ? 'verified' : '';
}

;// CONCATENATED MODULE: ./src/core/markdown.ts
// Escaping for the job summary: nothing a command printed may become markdown or HTML there.
// No attribute values are ever built from text, so quotes can stay as they are.
function markdown_escapeHtml(s) {
    return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
/** At most `max` characters, with a mark where it was cut. */
function clip(s, max) {
    return s.length <= max ? s : `${s.slice(0, max)}… (${s.length - max} more characters)`;
}
/**
 * Inline text: HTML-escaped, and every character of markdown's inline syntax (links, images,
 * emphasis, code, tables, escapes) written as an entity, so text from an index or a command
 * shows as it is and never becomes a link or formatting.
 */
function inline(s) {
    return markdown_escapeHtml(s).replace(/[[\]*_~`\\!|#]/g, (c) => `&#${c.charCodeAt(0)};`);
}
/** Longest text in a table cell: a reason quoting a page must not fill the summary. */
const CELL_LIMIT = 2000;
/** A table cell: inline text, one line, bounded. */
function markdown_cell(s, max = CELL_LIMIT) {
    return inline(clip(s, max)).replace(/\r?\n/g, ' ');
}
/** A list of at most `max` lines, the rest counted: "… and N more". */
function boundedList(lines, max) {
    return lines.length <= max ? lines.join('\n') : `${lines.slice(0, max).join('\n')}\n… and ${lines.length - max} more`;
}
/**
 * Slack text: `&`, `<` and `>` escaped as Slack documents, so nothing from an index or a command
 * becomes a mention (`<!channel>`, `<!here>`, `<@U123>`) or a link with a made-up label.
 */
function slackText(s) {
    return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
/** Every value of a flat Slack payload made inert. */
function slackSafe(payload) {
    return Object.fromEntries(Object.entries(payload).map(([k, v]) => [k, slackText(v)]));
}
/** A folded block of raw text, shown verbatim. */
function markdown_foldedPre(title, body) {
    return `<details><summary>${markdown_escapeHtml(title)}</summary>\n\n<pre>${markdown_escapeHtml(body)}</pre>\n\n</details>\n`;
}
const markdown_EMOJI = { compatible: '✅', 'needs-recording': '🟡', 'not-installable': '🚧', incompatible: '❌', error: '⚠️' };
const OUTCOME_WORDS = { compatible: 'compatible', 'needs-recording': 'needs recording', 'not-installable': 'not installable', incompatible: 'incompatible', error: 'error' };
/** GitHub drops a step summary larger than 1 MiB entirely. */
const SUMMARY_LIMIT = 1024 * 1024;
/** What the phases' commands may add to the step summary (src/io/command-files.ts)... */
const COMMAND_SUMMARY_LIMIT = 192 * 1024;
/** ...so the action's own summary keeps to the rest, with room to spare. */
const OWN_SUMMARY_LIMIT = SUMMARY_LIMIT - COMMAND_SUMMARY_LIMIT - 16 * 1024;
/** Untrusted text shown inline as code: HTML-escaped, markdown punctuation backslash-escaped, one line. */
function inlineCode(s) {
    return `<code>${markdown_escapeHtml(s)
        .replace(/[\\`*_[\]~|]/g, '\\$&')
        .replace(/\r?\n/g, ' ')}</code>`;
}

;// CONCATENATED MODULE: ./src/core/tracking-issue.ts


function legFacts(r) {
    // An @1 file, or a run with `history: false`, has no memory: its fields are defaults then.
    const h = r.history.available ? r.history : undefined;
    return {
        leg: r.leg,
        package: r.package,
        channel: r.channel,
        outcome: r.outcome,
        version: r.version,
        pinnedVersion: r.pinnedVersion,
        reason: r.reason,
        install: r.install.result !== 'skipped' ? r.install : null,
        replay: r.replay,
        record: r.record,
        fixturesChanged: r.fixturesChanged,
        failingSince: h?.failingSince ?? null,
        // A bisection names the exact builds; the history only the runs it saw.
        lastGoodVersion: r.bisect?.lastGoodVersion || h?.lastGoodVersion || '',
        firstBadVersion: r.bisect?.firstBadVersion || h?.firstBadVersion || '',
        compareUrl: r.bisect?.compareUrl ?? '',
        runUrl: r.run.url,
        finishedAt: r.finishedAt || r.startedAt,
    };
}
// ---------------------------------------------------------------------------------------------
// Markers: how an issue is found again (never by search, which lags and makes duplicates).
const MARKER_PREFIX = '<!-- compat-sentinel:';
/** A leg name cannot end the HTML comment early or break the line. */
const safeLeg = (leg) => leg.replace(/[<>\r\n%]/g, (c) => encodeURIComponent(c));
function legMarker(leg) {
    return `${MARKER_PREFIX}leg=${safeLeg(leg)} -->`;
}
function stateMarker(s) {
    // JSON with < and > escaped cannot close the comment.
    return `${MARKER_PREFIX}state ${JSON.stringify(s).replace(/</g, '\\u003c').replace(/>/g, '\\u003e')} -->`;
}
function readState(body) {
    const m = /<!-- compat-sentinel:state (\{.*\}) -->/.exec(body);
    if (!m)
        return null;
    try {
        const s = JSON.parse(m[1]);
        return { outcome: String(s.outcome ?? ''), version: String(s.version ?? ''), since: String(s.since ?? ''), sinceVersion: String(s.sinceVersion ?? '') };
    }
    catch {
        return null;
    }
}
/** The issue of this leg among those carrying the label: an open one first, else the last closed. */
function findLegIssue(issues, leg) {
    const marker = legMarker(leg);
    const mine = issues.filter((i) => i.body.split('\n').some((line) => line.trim() === marker));
    const open = mine.filter((i) => i.state === 'open').sort((a, b) => a.number - b.number);
    if (open.length)
        return open[0];
    return mine.sort((a, b) => Date.parse(b.closedAt ?? '') - Date.parse(a.closedAt ?? '') || b.number - a.number)[0];
}
// ---------------------------------------------------------------------------------------------
// Titles.
const tracking_issue_TITLE_PLACEHOLDERS = (/* unused pure expression or super */ null && (['leg', 'package', 'channel', 'outcome', 'version', 'failing_since', 'last_good', 'first_bad']));
const tracking_issue_DEFAULT_TITLE_TEMPLATE = '{package} {channel}: {outcome} since {failing_since}';
/** GitHub refuses longer titles. */
const TITLE_LIMIT = 256;
/** Placeholders in `template` that are not known, for the input check. */
function tracking_issue_unknownPlaceholders(template) {
    const names = [...template.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1]);
    return names.filter((n) => !tracking_issue_TITLE_PLACEHOLDERS.includes(n));
}
function renderTitle(template, leg, since) {
    const values = {
        leg: leg.leg,
        package: leg.package,
        channel: leg.channel,
        outcome: leg.outcome,
        version: leg.version || 'unknown version',
        failing_since: since.date || 'unknown',
        last_good: leg.lastGoodVersion || 'unknown',
        first_bad: leg.firstBadVersion || 'unknown',
    };
    const title = template
        .replace(/\{([a-z_]+)\}/g, (all, name) => values[name] ?? all)
        .replace(/\s+/g, ' ')
        .trim();
    return [...title].length > TITLE_LIMIT ? `${[...title].slice(0, TITLE_LIMIT - 1).join('')}…` : title;
}
// ---------------------------------------------------------------------------------------------
// Bodies.
/** Our own cap; GitHub refuses bodies over 65,536 characters. */
const BODY_LIMIT = 60_000;
const emoji = (outcome) => EMOJI[outcome] ?? '❔';
const day = (iso) => /^\d{4}-\d{2}-\d{2}/.exec(iso)?.[0] ?? '';
const orDash = (s) => s || '—';
function phaseText(p) {
    if (p.result === 'skipped')
        return 'skipped';
    const exit = p.signal ? `, ${p.signal}` : p.exitCode !== null && p.result === 'failure' ? `, exit ${p.exitCode}` : '';
    return `${p.result}${exit}`;
}
/** The decisive line of the phase that failed last (record, else replay, else install); '' when none. */
function failingLine(leg) {
    const failed = [leg.record, leg.replay, leg.install].find((p) => p && (p.result === 'failure' || p.result === 'timeout') && p.logTail);
    return failed ? decisiveLine(failed.logTail) : '';
}
function renderContent(leg, view, p) {
    const head = `${leg.package}${leg.version ? ` ${leg.version}` : ''} (${leg.channel})`;
    let md = `## ${emoji(leg.outcome)} ${escapeHtml(head)}: ${leg.outcome}\n\n`;
    const since = view.since;
    const failingSince = since.date
        ? `${since.date}${since.version ? ` (${since.version}${leg.failingSince?.runs ? `, ${leg.failingSince.runs} runs` : ''})` : ''}`
        : view.wasFailing
            ? `— (was failing from ${view.wasFailing})`
            : '';
    const rows = [
        ['Leg', leg.leg],
        ['Verdict', leg.outcome],
        ['Tested version', orDash(leg.version)],
        ['Pinned version', orDash(leg.pinnedVersion)],
        ['Last good version', orDash(leg.lastGoodVersion)],
        ['First bad version', orDash(leg.firstBadVersion)],
        ['Failing since', orDash(failingSince)],
        ...(leg.install ? [['Install', phaseText(leg.install)]] : []),
        ['Replay', phaseText(leg.replay)],
        ['Record', phaseText(leg.record)],
        ['Reason', p.reason],
    ];
    md += `| | |\n|---|---|\n${rows.map(([k, v]) => `| ${k} | ${cell(v)} |`).join('\n')}\n\n`;
    if (leg.compareUrl)
        md += `[Changes between the last good and the first bad version](${encodeURI(leg.compareUrl)})\n\n`;
    // The reason often quotes it already (classify puts it there); then once is enough.
    const decisive = failingLine(leg);
    if (decisive && !leg.reason.includes(decisive))
        md += `**Decisive line**\n\n<pre>${escapeHtml(decisive)}</pre>\n\n`;
    if (p.tails.install)
        md += `${foldedPre('Install log (tail)', p.tails.install)}\n`;
    if (p.tails.replay)
        md += `${foldedPre('Replay log (tail)', p.tails.replay)}\n`;
    if (p.tails.record)
        md += `${foldedPre('Record log (tail)', p.tails.record)}\n`;
    if (leg.fixturesChanged.length) {
        const more = leg.fixturesChanged.length - p.fixtures.length;
        const list = p.fixtures.map((c) => `${c.change.padEnd(8)} ${c.path}`).join('\n') + (more ? `\n… and ${more} more` : '');
        md += `${foldedPre(`Fixtures changed (${leg.fixturesChanged.length})`, list)}\n`;
    }
    if (p.note)
        md += `_${escapeHtml(p.note)}_\n\n`;
    if (leg.runUrl)
        md += `[Workflow run](${encodeURI(leg.runUrl)})\n\n`;
    if (view.previous)
        md += `Previous issue: #${view.previous}\n\n`;
    md += '<sub>Kept up to date by compat-sentinel: this text is rewritten on every run; a comment is added when the outcome or the tested version changes.</sub>\n';
    return md;
}
/**
 * Cuts markdown to `limit` characters and closes what the cut left open (a ``` fence, <pre>,
 * <details>), so the rest of the page still renders. Never splits an HTML entity, a tag or a
 * surrogate pair.
 */
function capMarkdown(md, limit) {
    if (md.length <= limit)
        return md;
    const notice = "\n\n_…cut to stay under GitHub's size limit._\n";
    let cut = md.slice(0, Math.max(limit - notice.length - 64, 0));
    cut = cut
        .replace(/[\uD800-\uDBFF]$/, '')
        .replace(/&[#\w]*$/, '')
        .replace(/<[^<>]*$/, '');
    const open = [];
    let fence = false;
    for (const m of cut.matchAll(/^ {0,3}(```|~~~)|<(\/?)(pre|details)\b[^>]*>/gm)) {
        if (m[1]) {
            if (!open.includes('<pre>'))
                fence = !fence;
        }
        else if (!fence) {
            const tag = `<${m[3]}>`;
            if (m[2]) {
                const i = open.lastIndexOf(tag);
                if (i >= 0)
                    open.splice(i, 1);
            }
            else
                open.push(tag);
        }
    }
    let closing = fence ? '\n```\n' : '';
    for (const tag of open.reverse())
        closing += tag === '<pre>' ? '</pre>\n' : '\n</details>\n';
    return cut + closing + notice;
}
const MAX_FIXTURES_LISTED = 200;
const MAX_REASON = 2000;
/** Title and body for the leg, the body capped at BODY_LIMIT by cutting the log tails first. */
function renderBody(leg, view, state, limit = BODY_LIMIT) {
    const markers = `${legMarker(leg.leg)}\n${stateMarker(state)}\n`;
    const room = limit - markers.length;
    const parts = {
        tails: { install: leg.install?.logTail ?? '', replay: leg.replay.logTail, record: leg.record.logTail },
        // Nobody reads more than this in an issue; the tails matter more than a long list.
        fixtures: leg.fixturesChanged.slice(0, MAX_FIXTURES_LISTED),
        reason: leg.reason.length > MAX_REASON ? `${leg.reason.slice(0, MAX_REASON)}…` : leg.reason,
        note: '',
    };
    let md = renderContent(leg, view, parts);
    // Keep the ends of the tails: that is where the failure is.
    const keepEnd = (s) => (s.length < 64 ? '' : s.slice(Math.floor(s.length / 2)));
    while (md.length > room && (parts.tails.install || parts.tails.replay || parts.tails.record)) {
        parts.tails = { install: keepEnd(parts.tails.install), replay: keepEnd(parts.tails.replay), record: keepEnd(parts.tails.record) };
        parts.note = 'Log tails were shortened to fit the issue; the full output is in the workflow run.';
        md = renderContent(leg, view, parts);
    }
    return `${capMarkdown(md, room)}\n${markers}`;
}
const REOPEN_DAYS = 7;
const DAY_MS = 86_400_000;
/** Outcomes that mean "it works" when they are not in open-on; error and not-installable do not. */
const RECOVERED = new Set(['compatible', 'needs-recording']);
function runRef(leg) {
    return leg.runUrl ? `[this run](${encodeURI(leg.runUrl)})` : `the run of ${day(leg.finishedAt) || 'today'}`;
}
function decide(leg, existing, opts) {
    const failing = opts.openOn.has(leg.outcome);
    const prev = existing ? readState(existing.body) : null;
    const version = leg.version || 'an unknown version';
    const what = (o) => `${emoji(o)} **${o}**`;
    if (failing) {
        // Failing since: the run history knows best; else what the open issue remembered; else now.
        const carried = existing?.state === 'open' && prev?.since ? { date: prev.since, version: prev.sinceVersion } : null;
        const since = leg.failingSince
            ? { date: day(leg.failingSince.date), version: leg.failingSince.version }
            : (carried ?? { date: day(leg.finishedAt) || day(opts.now.toISOString()), version: leg.version });
        const state = { outcome: leg.outcome, version: leg.version, since: since.date, sinceVersion: since.version };
        const title = renderTitle(opts.titleTemplate, leg, since);
        const body = renderBody(leg, { since }, state);
        if (!existing)
            return { kind: 'open', title, body };
        if (existing.state === 'closed') {
            // We close only on recovery, so a closed issue that still says "failing" was closed by a
            // person: reopening it every morning would fight them. It stays closed until a pass.
            if (prev && opts.openOn.has(prev.outcome))
                return { kind: 'none', why: `issue #${existing.number} was closed while failing; it stays closed until the leg passes again` };
            const closedMs = opts.now.getTime() - Date.parse(existing.closedAt ?? '');
            const window = (opts.reopenWithinDays ?? REOPEN_DAYS) * DAY_MS;
            if (!(closedMs < window))
                return { kind: 'open', title, body: renderBody(leg, { since, previous: existing.number }, state) };
            const days = Math.max(Math.floor(closedMs / DAY_MS), 0);
            return {
                kind: 'reopen',
                number: existing.number,
                title,
                body,
                comment: `${what(leg.outcome)} again with ${version} in ${runRef(leg)}; reopened (closed ${days === 0 ? 'today' : days === 1 ? '1 day ago' : `${days} days ago`}).`,
            };
        }
        let comment = '';
        if (prev && prev.outcome !== leg.outcome)
            comment = `${what(leg.outcome)} now (was ${prev.outcome}) with ${version} in ${runRef(leg)}.`;
        else if (prev && prev.version !== leg.version)
            comment = `Still ${what(leg.outcome)}, now with ${version} (was ${prev.version || 'unknown'}) in ${runRef(leg)}.`;
        if (comment)
            comment += `\n\nReason: ${cell(leg.reason)}`;
        if (!comment && existing.title === title && existing.body === body)
            return { kind: 'none', why: `issue #${existing.number} already says this` };
        return { kind: 'update', number: existing.number, title, body, comment };
    }
    if (!RECOVERED.has(leg.outcome)) {
        return { kind: 'none', why: existing?.state === 'open' ? `this run could not test (${leg.outcome}); issue #${existing.number} stays as it is` : `${leg.outcome} is not in open-on` };
    }
    if (!existing)
        return { kind: 'none', why: `${leg.outcome}: nothing to report` };
    const state = { outcome: leg.outcome, version: leg.version, since: '', sinceVersion: '' };
    const until = day(leg.finishedAt) || day(opts.now.toISOString());
    const body = renderBody(leg, { since: { date: '', version: '' }, wasFailing: prev?.since ? `${prev.since} until ${until}` : undefined }, state);
    if (existing.state === 'closed') {
        // Closed by hand while failing: record the pass, so the next failure counts as "failing again".
        return prev && opts.openOn.has(prev.outcome) ? { kind: 'settle', number: existing.number, body } : { kind: 'none', why: `${leg.outcome}: nothing to report` };
    }
    // Recovered, with an open issue.
    const words = leg.outcome === 'compatible' ? `Passing again with ${version} since ${runRef(leg)}.` : `No longer failing: ${what(leg.outcome)} with ${version} since ${runRef(leg)} (re-record the fixtures).`;
    if (opts.closeOnRecovery)
        return { kind: 'close', number: existing.number, body, comment: `${emoji(leg.outcome)} ${words} Closing.` };
    if (prev && !opts.openOn.has(prev.outcome) && RECOVERED.has(prev.outcome)) {
        // Already said it recovered: only keep the body current.
        return existing.body === body ? { kind: 'none', why: `issue #${existing.number} already says this` } : { kind: 'recovered', number: existing.number, body, comment: '' };
    }
    return { kind: 'recovered', number: existing.number, body, comment: `${emoji(leg.outcome)} ${words}` };
}

;// CONCATENATED MODULE: ./src/inputs.ts
// Reads every input of action.yml once, validates it, and returns one typed object.
// Nothing else in the action calls core.getInput. Defaults are applied here too, because a
// runner is not the only caller (local runs and tests set INPUT_* themselves).











/** The runner's OS as the runner names it (`Linux`, `macOS`, `Windows`), '' outside Actions. */
const runnerOs = () => process.env.RUNNER_OS ?? '';
/** Input `leg`, or the default made of what is known; a bad value throws. */
function readLeg(pkg, channel) {
    const leg = read('leg');
    if (!leg)
        return names_defaultLeg(pkg, channel, runnerOs());
    if (!LEG_NAME.test(leg))
        throw bad('leg', leg.slice(0, 120), "use letters, digits, '.', '_' and '-' only (at most 100), e.g. 'dev-macos-py312'");
    return leg;
}
const read = (name, fallback = '') => lib_core/* getInput */.V4(name).trim() || fallback;
function bad(name, value, accepted) {
    return new vocabulary_UserError(`Input '${name}' has the value '${value}', which is not accepted: ${accepted}.`);
}
function oneOf(name, value, allowed) {
    if (allowed.includes(value))
        return value;
    throw bad(name, value, `use one of ${allowed.map((a) => `'${a}'`).join(', ')}`);
}
/** A job runs at most 6 hours on GitHub-hosted runners; beyond that a timer would only mislead (and Node fires delays over 2^31 ms at once). */
const MAX_TIMEOUT_MINUTES = 360;
function minutes(name, value) {
    // Number('') is 0 and Number('1e3') parses: accept only plain decimal numbers.
    if (!/^\d+(\.\d+)?$/.test(value) || Number(value) <= 0) {
        throw bad(name, value, 'use a positive number of minutes, e.g. 30 or 0.5');
    }
    if (Number(value) > MAX_TIMEOUT_MINUTES) {
        throw bad(name, value, `use at most ${MAX_TIMEOUT_MINUTES} minutes (6 hours, a job's own limit); for a longer wait, set the job's timeout-minutes instead`);
    }
    return Math.round(Number(value) * 60_000);
}
/** A whole number in [min, max]. */
function integer(name, value, min, max, accepted) {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max)
        throw bad(name, value, accepted);
    return Number(value);
}
function bool(name, value) {
    const v = value.toLowerCase();
    if (v === 'true')
        return true;
    if (v === 'false')
        return false;
    throw bad(name, value, "use 'true' or 'false'");
}
/** A list given comma- or newline-separated. */
function splitList(value) {
    return value
        .split(/[,\n]/)
        .map((s) => s.trim())
        .filter(Boolean);
}
// Names the commands or the action itself rely on, or that change what a shell, the dynamic
// linker, Node or Python load: letting `version-env` set them would break the run in confusing
// ways, or run code chosen by whoever controls the version string.
const RESERVED_ENV = new Set(['PATH', 'HOME', 'SHELL', 'UV_FIND_LINKS', 'PIP_FIND_LINKS', 'BASH_ENV', 'ENV', 'LD_PRELOAD', 'LD_LIBRARY_PATH', 'NODE_OPTIONS', 'PYTHONPATH', 'PYTHONSTARTUP']);
const RESERVED_PREFIXES = ['COMPAT_SENTINEL_', 'GITHUB_', 'RUNNER_'];
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
function pattern(value) {
    if (!value)
        return null;
    let re;
    try {
        re = new RegExp(value, 'm');
    }
    catch (e) {
        throw bad('pinned-pattern', value, `write a valid JavaScript regular expression (${e.message})`);
    }
    // A regex with N groups matches '' with N+1 entries in the result, or none at all.
    const groups = new RegExp(`${value}|`, 'm').exec('').length - 1;
    if (groups < 1) {
        throw bad('pinned-pattern', value, 'include one capture group around the version, e.g. VERSION \\?= (\\S+)');
    }
    return re;
}
const FAIL_ON_DEFAULT = 'incompatible,error';
/** A list of outcome words; `none` alone means the empty set (an empty input means the default, as on a runner). */
function readOutcomes(name, fallback) {
    const words = splitList(read(name, fallback));
    if (words.length === 1 && words[0] === 'none')
        return new Set();
    for (const word of words) {
        if (!vocabulary_OUTCOMES.includes(word))
            throw bad(name, word, `use a comma-separated list of ${vocabulary_OUTCOMES.map((o) => `'${o}'`).join(', ')}, or 'none'`);
    }
    return new Set(words);
}
const readFailOn = () => readOutcomes('fail-on', FAIL_ON_DEFAULT);
/** `expected-legs`: a number of result files, or a list of legs or channels. */
function readExpectedLegs() {
    const value = read('expected-legs');
    if (!value)
        return null;
    if (/^\d+$/.test(value))
        return { count: integer('expected-legs', value, 1, 1000, 'use a number of legs, e.g. 2, or a comma- or newline-separated list of legs or channels, e.g. stable, dev') };
    const names = splitList(value);
    for (const n of names)
        if (!/^[A-Za-z0-9._-]+$/.test(n))
            throw bad('expected-legs', n, 'use a number, or leg names or channels made of letters, digits, ".", "_", "-"');
    return { names };
}
/** The inputs of the report sub-action (report/action.yml); `failOn` is known even when they are bad. */
function loadReportInputs() {
    const failOn = failOnOrDefault();
    try {
        return { ok: true, inputs: { results: read('results', '**/compat-sentinel-result-*.json'), failOn: readFailOn(), expectedLegs: readExpectedLegs() }, failOn };
    }
    catch (error) {
        return { ok: false, error, failOn };
    }
}
/** Outcomes an issue can be opened for: every one but `compatible`. */
const ISSUE_OUTCOMES = vocabulary_OUTCOMES.filter((o) => o !== 'compatible');
/** The inputs of the issue sub-action (issue/action.yml), and the runner context it needs. */
function loadIssueInputs() {
    const token = core.getInput('github-token').trim();
    // Registered first, so no later message can show it.
    if (token)
        core.setSecret(token);
    if (!token)
        throw new UserError("Input 'github-token' is empty: leave it at its default (${{ github.token }}) or pass a token that can write issues.");
    const openOn = splitList(read('open-on', 'incompatible'));
    if (!openOn.length)
        throw bad('open-on', '', `use a comma-separated list of ${ISSUE_OUTCOMES.map((o) => `'${o}'`).join(', ')}`);
    for (const o of openOn)
        if (!ISSUE_OUTCOMES.includes(o))
            throw bad('open-on', o, `use a comma-separated list of ${ISSUE_OUTCOMES.map((o) => `'${o}'`).join(', ')}`);
    const labels = splitList(read('labels', 'compat-sentinel'));
    if (!labels.length)
        throw bad('labels', '', "give at least one label, e.g. 'compat-sentinel': it is how the issues are found again");
    for (const l of labels)
        if (l.length > 50)
            throw bad('labels', l, 'use labels of at most 50 characters (a GitHub limit)');
    const titleTemplate = read('title-template', DEFAULT_TITLE_TEMPLATE);
    const unknown = unknownPlaceholders(titleTemplate);
    if (unknown.length)
        throw bad('title-template', titleTemplate, `use only the placeholders ${TITLE_PLACEHOLDERS.map((p) => `{${p}}`).join(' ')} (unknown: ${unknown.map((u) => `{${u}}`).join(' ')})`);
    const repository = process.env.GITHUB_REPOSITORY ?? '';
    if (!/^[\w.-]+\/[\w.-]+$/.test(repository))
        throw new UserError(`GITHUB_REPOSITORY is ${JSON.stringify(repository)}, not owner/name: run this step in a GitHub Actions job (or set it when running locally).`);
    const apiUrl = process.env.GITHUB_API_URL || 'https://api.github.com';
    if (!/^https?:\/\/[^/\s]+/.test(apiUrl))
        throw new UserError(`GITHUB_API_URL is ${JSON.stringify(redactUrl(apiUrl))}, not an http(s) URL: leave it to the runner (it points at github.com or your GitHub Enterprise Server).`);
    return {
        results: read('results', '**/compat-sentinel-result-*.json'),
        token,
        openOn: new Set(openOn),
        labels,
        titleTemplate,
        closeOnRecovery: bool('close-on-recovery', read('close-on-recovery', 'true')),
        repository,
        apiUrl,
    };
}
/** `fail-on` on its own, so a run whose other inputs are bad still fails (or not) as configured. */
function failOnOrDefault() {
    try {
        return readFailOn();
    }
    catch {
        return new Set(splitList(FAIL_ON_DEFAULT));
    }
}
/** Reads every input once. Bad inputs do not throw: the run still needs a name and `fail-on` to report. */
function loadInputs() {
    try {
        return { ok: true, inputs: readInputs() };
    }
    catch (error) {
        return { ok: false, error, partial: { ...partialIdentity(), failOn: failOnOrDefault() } };
    }
}
/** The package and channel as far as they can be read, for naming the result file on errors. */
function partialIdentity() {
    const pkg = read('package');
    const channel = read('channel', 'stable');
    const version = read('version');
    const identity = {
        package: /^[A-Za-z0-9._-]+$/.test(pkg) ? names_normalizeName(pkg) : '',
        channel: version ? 'explicit' : CHANNELS.includes(channel) ? channel : '',
    };
    let leg;
    try {
        leg = readLeg(identity.package, identity.channel);
    }
    catch {
        leg = names_defaultLeg(identity.package, identity.channel, runnerOs());
    }
    return { ...identity, leg };
}
function readInputs() {
    const pkg = read('package');
    if (!pkg)
        throw new vocabulary_UserError("Input 'package' is required: set it to the upstream distribution name, e.g. 'llama-stack'.");
    // PEP 508 names: letters, digits, and . _ - inside.
    const nameRe = /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/;
    if (!nameRe.test(pkg))
        throw bad('package', pkg, 'use a Python distribution name (letters, digits, ".", "_", "-")');
    const companions = splitList(read('companion-packages'));
    for (const c of companions) {
        if (!nameRe.test(c))
            throw bad('companion-packages', c, 'use Python distribution names, comma- or newline-separated');
    }
    const channel = oneOf('channel', read('channel', 'stable'), CHANNELS);
    const version = read('version');
    if (version && !(0,pep440/* valid */.rZ)(version)) {
        throw bad('version', version, 'use a PEP 440 version, e.g. 0.7.2 or 0.7.2.dev20260423');
    }
    const indexUrl = read('index-url');
    if (indexUrl)
        httpUrl('index-url', indexUrl);
    const uvDownloadUrl = read('uv-download-url', 'https://github.com/astral-sh/uv/releases/download');
    httpUrl('uv-download-url', uvDownloadUrl);
    const uvIndexUrl = read('uv-index-url', 'https://pypi.org/simple/');
    httpUrl('uv-index-url', uvIndexUrl);
    for (const url of [indexUrl, uvDownloadUrl, uvIndexUrl])
        registerUrlCredentials(url);
    const pinnedFile = read('pinned-file');
    const pinnedPattern = pattern(read('pinned-pattern'));
    if (pinnedFile && !pinnedPattern) {
        throw new vocabulary_UserError("Input 'pinned-file' is set but 'pinned-pattern' is empty: add a pattern with one capture group, e.g. 'VERSION \\?= (\\S+)'.");
    }
    if (channel === 'pinned' && !version && !pinnedFile) {
        throw new vocabulary_UserError("Input 'channel' is 'pinned' but 'pinned-file' is empty: set 'pinned-file' and 'pinned-pattern', or choose another channel.");
    }
    const versionEnv = read('version-env', 'UPSTREAM_VERSION');
    if (!ENV_NAME.test(versionEnv) || RESERVED_ENV.has(versionEnv.toUpperCase()) || RESERVED_PREFIXES.some((p) => versionEnv.toUpperCase().startsWith(p))) {
        throw bad('version-env', versionEnv, `use an environment variable name of letters, digits and _ (not starting with a digit), other than ${[...RESERVED_ENV].join(', ')} and ${RESERVED_PREFIXES.map((p) => `${p}*`).join(', ')}`);
    }
    const maskEnv = splitList(read('mask-env'));
    for (const name of maskEnv) {
        if (!ENV_NAME.test(name))
            throw bad('mask-env', name, 'use environment variable names (letters, digits and _), comma- or newline-separated');
    }
    const replayCommand = lib_core/* getInput */.V4('replay-command').trim();
    if (!replayCommand)
        throw new vocabulary_UserError("Input 'replay-command' is required: set it to the command that runs your tests in replay mode, e.g. 'make test'.");
    const uvVersion = read('uv-version', 'latest');
    if (uvVersion !== 'latest' && uvVersion !== 'system' && !/^\d+\.\d+\.\d+$/.test(uvVersion)) {
        throw bad('uv-version', uvVersion, "use an exact uv release such as 0.9.5, 'latest' or 'system'");
    }
    const failOn = readFailOn();
    const leg = readLeg(names_normalizeName(pkg), version ? 'explicit' : channel);
    const couldNotTest = read('could-not-test-exit-code');
    const replayTimeoutMs = minutes('replay-timeout-minutes', read('replay-timeout-minutes', '30'));
    const stale = read('stale-after-days');
    const publisherInput = read('expected-publisher');
    const expectedPublisher = publisherInput ? parseExpectedPublisher(publisherInput) : null;
    if (publisherInput && !expectedPublisher) {
        throw bad('expected-publisher', publisherInput, "use 'github:owner/repo' or 'github:owner/repo/.github/workflows/<file>.yml' (the upstream's Trusted Publisher on PyPI), or leave it empty");
    }
    return {
        package: pkg,
        companions,
        channel,
        version,
        indexUrl,
        pinnedFile,
        pinnedPattern,
        versionEnv,
        replayCommand,
        recordCommand: lib_core/* getInput */.V4('record-command').trim(),
        installCommand: lib_core/* getInput */.V4('install-command').trim(),
        installTimeoutMs: minutes('install-timeout-minutes', read('install-timeout-minutes', '15')),
        couldNotTestExitCode: couldNotTest
            ? integer('could-not-test-exit-code', couldNotTest, 1, 255, 'use an exit code from 1 to 255 that your commands use only for "could not test", or leave it empty')
            : null,
        replayAttempts: integer('replay-attempts', read('replay-attempts', '1'), 1, 10, 'use a whole number from 1 to 10'),
        recordOnFork: bool('record-on-fork', read('record-on-fork', 'false')),
        staleAfterDays: stale ? integer('stale-after-days', stale, 0, 100_000, 'use a whole number of days, or 0 to turn the warning off') : null,
        workingDirectory: external_node_path_.resolve(workspace(), read('working-directory', '.')),
        replayTimeoutMs,
        recordTimeoutMs: minutes('record-timeout-minutes', read('record-timeout-minutes', '60')),
        fixturesPath: read('fixtures-path'),
        uvVersion,
        uvDownloadUrl,
        uvIndexUrl,
        prefetchWheels: oneOf('prefetch-wheels', read('prefetch-wheels', 'auto').toLowerCase(), ['auto', 'true', 'false']),
        wheelsDir: wheelsDir(read('wheels-dir')),
        cacheWheels: bool('cache-wheels', read('cache-wheels', 'true')),
        maxDownloadBytes: megabytes('max-download-mb', read('max-download-mb', '2048')),
        cacheUv: bool('cache-uv', read('cache-uv', 'true')),
        cacheDependencyGlob: dependencyGlob(read('cache-dependency-glob', DEPENDENCY_GLOB_DEFAULT)),
        pruneUvCache: bool('prune-uv-cache', read('prune-uv-cache', 'false')),
        maskEnv,
        failOn,
        expectedPublisher,
        testTrustedRoot: (process.env.COMPAT_SENTINEL_TEST_TRUSTED_ROOT ?? '').trim(),
        leg,
        history: bool('history', read('history', 'true')),
        notifyOn: oneOf('notify-on', read('notify-on', 'change').toLowerCase(), NOTIFY_ON),
        bisect: bool('bisect', read('bisect', 'false')),
        bisectOn: bisectOn(readOutcomes('bisect-on', 'incompatible')),
        bisectMaxProbes: integer('bisect-max-probes', read('bisect-max-probes', '4'), 1, 20, 'use a whole number of probes from 1 to 20'),
        // Default: twice the replay timeout (so two probes fit), within a job's own 6 hours.
        bisectTimeoutMs: minutes('bisect-timeout-minutes', read('bisect-timeout-minutes', String(Math.min(2 * replayTimeoutMs, 360 * 60_000) / 60_000))),
        compareUrlTemplate: compareTemplate(read('compare-url-template')),
    };
}
/** Only the outcomes where replay failed against a build can start a search for the build that broke it. */
function bisectOn(outcomes) {
    for (const o of outcomes) {
        if (o !== 'incompatible' && o !== 'needs-recording')
            throw bad('bisect-on', o, "use 'incompatible', 'needs-recording' or both: only a failing replay has a first bad build to find");
    }
    return outcomes;
}
/** An http(s) URL with `{good}` and `{bad}` where the versions go. */
function compareTemplate(value) {
    if (!value)
        return '';
    httpUrl('compare-url-template', value.replaceAll('{good}', 'g').replaceAll('{bad}', 'b'));
    if (!value.includes('{good}') || !value.includes('{bad}'))
        throw bad('compare-url-template', value, 'include both {good} and {bad}, e.g. https://github.com/org/repo/compare/v{good}...v{bad}');
    return value;
}
const DEPENDENCY_GLOB_DEFAULT = '**/uv.lock,**/requirements*.txt,**/pyproject.toml';
/** Glob patterns inside `working-directory`: a pattern that climbs out of it would hash the runner's files. */
function dependencyGlob(value) {
    const patterns = splitList(value);
    for (const p of patterns) {
        const bare = p.replace(/^!/, '');
        if (external_node_path_.isAbsolute(bare) || bare.split(/[\\/]/).includes('..'))
            throw bad('cache-dependency-glob', p, "use patterns relative to 'working-directory', without '..', e.g. **/uv.lock");
    }
    return patterns;
}
function httpUrl(name, value) {
    let ok = false;
    try {
        ok = ['http:', 'https:'].includes(new URL(value).protocol);
    }
    catch {
        ok = false;
    }
    // A URL that does not parse may still hold a password (with a raw '/' in it): never echo it then.
    const shown = value.includes('@') ? '(hidden: it holds an @, so perhaps credentials)' : secrets_redactUrl(value);
    if (!ok)
        throw bad(name, shown, 'use an http:// or https:// URL (characters such as / ? # @ in a password must be %-encoded)');
}
/** `wheels-dir`: a comma or a space would split it in two in UV_FIND_LINKS (comma-separated) or PIP_FIND_LINKS (space-separated). */
function wheelsDir(value) {
    if (value.includes(','))
        throw bad('wheels-dir', value, "use a folder path without ',' (UV_FIND_LINKS is a comma-separated list, so uv would read two folders)");
    if (/\s/.test(value))
        throw bad('wheels-dir', value, 'use a folder path without spaces (PIP_FIND_LINKS is a space-separated list, so pip would read two folders)');
    return value;
}
function megabytes(name, value) {
    if (!/^\d+$/.test(value) || Number(value) < 1)
        throw bad(name, value, 'use a whole number of megabytes (MiB), 1 or more, e.g. 2048');
    return Number(value) * 2 ** 20;
}

// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(73024);
// EXTERNAL MODULE: external "node:stream"
var external_node_stream_ = __webpack_require__(57075);
// EXTERNAL MODULE: external "node:stream/promises"
var external_node_stream_promises_ = __webpack_require__(46466);
;// CONCATENATED MODULE: ./src/core/bytes.ts
// Sizes in words a user reads at a glance: "512 bytes", "4 KiB", "2.5 MiB", "3 GiB".
function formatBytes(n) {
    const units = ['KiB', 'MiB', 'GiB', 'TiB'];
    if (n < 1024)
        return `${n} byte${n === 1 ? '' : 's'}`;
    let value = n;
    let unit = 'bytes';
    for (const u of units) {
        if (value < 1024)
            break;
        value /= 1024;
        unit = u;
    }
    return `${Number(value.toFixed(1))} ${unit}`;
}

;// CONCATENATED MODULE: ./src/io/http-errors.ts
// What can go wrong with a request, as types. The HTTP client throws these and never phrases a
// user message: the caller knows what it was reading (an index page, a wheel, uv's checksum)
// and how to fix it, so it builds the message from `cause(e)` plus its own words.


/** Base of every typed request failure; `url` is already redacted. */
class RequestError extends Error {
    url;
    constructor(url, message) {
        super(message);
        this.url = secrets_redactUrl(url);
    }
}
/** The server answered, but not with 2xx (after the retries 429/5xx get). */
class HttpStatusError extends RequestError {
    status;
    retryAfterMs;
    name = 'HttpStatusError';
    constructor(url, status, retryAfterMs) {
        super(url, `HTTP ${status}`);
        this.status = status;
        this.retryAfterMs = retryAfterMs;
    }
}
/** The body is longer than the limit: the size the index declared, or a cap. */
class TooLargeError extends RequestError {
    limitBytes;
    declared;
    name = 'TooLargeError';
    constructor(url, limitBytes, 
    /** true when the limit is the size the index declared for this file. */
    declared) {
        super(url, declared ? `longer than the ${formatBytes(limitBytes)} the index declared` : `more than ${formatBytes(limitBytes)}`);
        this.limitBytes = limitBytes;
        this.declared = declared;
    }
}
/** A whole-request deadline (pages) or a minimum transfer rate (files) was not met. */
class DeadlineError extends RequestError {
    kind;
    ms;
    minBytesPerSecond;
    name = 'DeadlineError';
    constructor(url, kind, ms, minBytesPerSecond = 0) {
        super(url, kind === 'deadline' ? `no complete answer within ${seconds(ms)}` : `slower than ${formatBytes(minBytesPerSecond)}/s for ${seconds(ms)}`);
        this.kind = kind;
        this.ms = ms;
        this.minBytesPerSecond = minBytesPerSecond;
    }
}
/** The TLS handshake failed: an untrusted, expired or mismatched certificate. Never retried. */
class TlsError extends RequestError {
    code;
    detail;
    name = 'TlsError';
    constructor(url, code, detail) {
        super(url, `TLS certificate problem: ${detail}${code ? ` (${code})` : ''}`);
        this.code = code;
        this.detail = detail;
    }
}
/** The server could not be reached or the connection broke; `attempts` were made. */
class NetworkError extends RequestError {
    why;
    attempts;
    code;
    name = 'NetworkError';
    constructor(url, why, attempts, code = '') {
        super(url, `${why} (${attempts} attempt${attempts === 1 ? '' : 's'})`);
        this.why = why;
        this.attempts = attempts;
        this.code = code;
    }
}
/** Writing the downloaded file failed (disk full, quota, file-size limit, I/O error), or would. */
class WriteError extends Error {
    file;
    code;
    detail;
    name = 'WriteError';
    constructor(file, code, detail) {
        super(detail);
        this.file = file;
        this.code = code;
        this.detail = detail;
    }
}
function seconds(ms) {
    return `${Number((ms / 1000).toFixed(1))} s`;
}
/**
 * The cause of a request failure in a few words, for the caller's message: "HTTP 503",
 * "connection refused (4 attempts)", "TLS certificate problem: self-signed certificate (...)".
 * null when `e` is not a request failure (the caller rethrows it).
 */
function cause(e) {
    if (e instanceof RequestError || e instanceof WriteError)
        return e.message;
    return null;
}
/** The downloaded bytes do not have the sha256 they should have; nothing was kept. */
class ChecksumError extends RequestError {
    expected;
    actual;
    bytes;
    name = 'ChecksumError';
    constructor(url, expected, actual, bytes) {
        super(url, `sha256 mismatch for ${secrets_redactUrl(url)}: expected ${expected}, got ${actual} (${bytes} bytes)`);
        this.expected = expected;
        this.actual = actual;
        this.bytes = bytes;
    }
}

;// CONCATENATED MODULE: ./src/io/http.ts
// The one HTTP client of the action: index pages, wheels and uv archives all go through it, so
// every request gets the same timeouts, retries, proxy handling, size limits and credential rules.
// It throws the typed errors of ./http-errors and never phrases a user message: callers do.











// Tunables read from the environment so tests and slow networks can change them without new
// inputs. Defaults suit github.com runners talking to PyPI.
const envNumber = (name, fallback) => Number(process.env[name]) || fallback;
const timeoutMs = () => envNumber('COMPAT_SENTINEL_HTTP_TIMEOUT_MS', 30_000);
const deadlineMs = () => envNumber('COMPAT_SENTINEL_HTTP_DEADLINE_MS', 120_000);
const minBytesPerSecond = () => envNumber('COMPAT_SENTINEL_HTTP_MIN_RATE_BPS', 10 * 1024);
const rateWindowMs = () => envNumber('COMPAT_SENTINEL_HTTP_RATE_WINDOW_MS', 60_000);
const retries = () => {
    const raw = process.env.COMPAT_SENTINEL_HTTP_RETRIES;
    const n = Number(raw);
    return raw && Number.isInteger(n) && n >= 0 ? n : 3;
};
const backoffBaseMs = () => envNumber('COMPAT_SENTINEL_HTTP_BACKOFF_MS', 500);
// Opening a connection gives up after this long (COMPAT_SENTINEL_HTTP_TIMEOUT_MS, when shorter,
// still wins through Watch): a server that never accepts is named as such.
const CONNECT_TIMEOUT_MS = 10_000;
const MAX_REDIRECTS = 20; // as fetch
const MAX_RETRY_AFTER_MS = 60_000;
let client;
function http() {
    client ??= __webpack_require__.e(/* import() */ 752).then(__webpack_require__.t.bind(__webpack_require__, 46752, 19)).then((undici) => {
        const agent = new undici.EnvHttpProxyAgent({ connectTimeout: CONNECT_TIMEOUT_MS });
        return { undici, agent, files: agent.compose(undici.interceptors.redirect({ maxRedirections: MAX_REDIRECTS, throwOnMaxRedirect: true })) };
    });
    return client;
}
// Statuses whose response has no body (a Response refuses one).
const NULL_BODY_STATUS = new Set([204, 205, 304]);
/** GET as stored: `Accept-Encoding: identity`, and whatever Content-Encoding says, no decoding. */
async function getAsStored({ undici, files }, url, headers, signal) {
    const res = await undici.request(url, { dispatcher: files, headers: { ...headers, 'accept-encoding': 'identity' }, signal });
    // A file needs a body, and a Response takes only statuses 200 to 599: any other answer (204, a
    // 304 to a request that asked for none, a 999) is an HTTP error naming the status, as fetch's would
    // be. The dropped body's own abort error is nobody's business (unheard, it would crash the run).
    if (NULL_BODY_STATUS.has(res.statusCode) || res.statusCode < 200 || res.statusCode > 599) {
        res.body.on('error', () => { }).destroy();
        throw new HttpStatusError(url, res.statusCode);
    }
    const list = Object.entries(res.headers).flatMap(([name, value]) => (value === undefined ? [] : [value].flat().map((v) => [name, v])));
    // The requested URL stands for the file in messages (request() does not say where redirects ended).
    // undici's Response takes an async iterable (the Node stream itself): cancelling it ends the request.
    return new undici.Response(res.body, { status: res.statusCode, headers: list });
}
function retryAfter(res) {
    const h = res.headers.get('retry-after');
    if (!h)
        return undefined;
    const secs = Number(h);
    const ms = Number.isFinite(secs) ? secs * 1000 : Date.parse(h) - Date.now();
    return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS) : undefined;
}
/** A `fetch` for other clients (Octokit) with the action's proxy handling (HTTPS_PROXY, NO_PROXY). */
const proxyAwareFetch = async (input, init) => {
    const { undici, agent } = await http();
    return (await undici.fetch(input, { ...init, dispatcher: agent }));
};
/** Makes the global `fetch` (which libraries such as @sigstore/tuf use) go through the action's proxy handling. */
async function shareProxySettingsWithGlobalFetch() {
    const { undici, agent } = await http();
    undici.setGlobalDispatcher(agent);
}
// Failures worth another attempt: the network or the server may be fine a moment later.
// Anything else (a certificate, a host that does not exist, a 4xx) fails at once.
const TRANSIENT_CODES = new Set([
    'ECONNRESET',
    'ECONNREFUSED',
    'ECONNABORTED',
    'EPIPE',
    'ETIMEDOUT',
    'EAI_AGAIN',
    'ENETUNREACH',
    'EHOSTUNREACH',
    'ENETDOWN',
    'EHOSTDOWN',
    'UND_ERR_SOCKET',
    'UND_ERR_CONNECT_TIMEOUT',
    'UND_ERR_HEADERS_TIMEOUT',
    'UND_ERR_BODY_TIMEOUT',
    'UND_ERR_CLOSED',
]);
const isTlsCode = (code) => /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|HOSTNAME_MISMATCH|^ERR_TLS_|^ERR_SSL_/.test(code);
/** The innermost error with a `code` in undici's chain (fetch failed → cause → cause). */
function rootCause(e) {
    let c = e;
    for (let i = 0; i < 5 && c; i++) {
        if (typeof c.code === 'string')
            return { code: c.code, message: c.message ?? '' };
        c = c.cause;
    }
    const inner = e?.cause?.message;
    return { code: '', message: inner ?? e?.message ?? String(e) };
}
function describe(code, message) {
    if (code === 'ECONNREFUSED')
        return 'connection refused';
    if (code === 'ENOTFOUND')
        return 'host name not found';
    if (code === 'EAI_AGAIN')
        return 'host name not found (temporary DNS failure)';
    if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET')
        return `connection closed by the server (${message || code})`;
    if (code === 'UND_ERR_CONNECT_TIMEOUT')
        return `the server did not accept the connection within ${CONNECT_TIMEOUT_MS / 1000} s`;
    if (/TIMEOUT|ETIMEDOUT/.test(code))
        return `timed out after ${timeoutMs() / 1000} s without data`;
    return message + (code ? ` (${code})` : '');
}
// The Fetch standard's "bad ports" are refused before any connection, with no error code; uv and pip reach them.
const BAD_PORT = `its port (or a redirect's) is one that fetch refuses to connect to (a "bad port" of the Fetch standard, such as 6000 or 10080); serve it on another port`;
/** A failure as a typed error, and whether another attempt may help. */
function judge(e, url, attempt) {
    if (e instanceof HttpStatusError)
        return { error: e, transient: e.status === 429 || e.status >= 500 };
    if (e instanceof DeadlineError)
        return { error: e, transient: true };
    if (e instanceof RequestError || e instanceof WriteError)
        return { error: e, transient: false };
    const { code, message } = rootCause(e);
    if (/redirect count exceeded/i.test(message) || code === 'UND_ERR_REDIRECT_MAX')
        return { error: new NetworkError(url, `redirects in a loop (more than ${MAX_REDIRECTS} redirects)`, attempt, 'REDIRECT_LOOP'), transient: false };
    if (/^Redirect loop detected/.test(message))
        return { error: new NetworkError(url, 'redirects in a loop (back to a URL it had already been sent to)', attempt, 'REDIRECT_LOOP'), transient: false };
    if (isTlsCode(code))
        return { error: new TlsError(url, code, message), transient: false };
    if (!code && message === 'bad port')
        return { error: new NetworkError(url, BAD_PORT, attempt, 'BAD_PORT'), transient: false };
    if (/scheme must be a HTTP\(S\) scheme|^Invalid URL protocol/i.test(message))
        return { error: new NetworkError(url, 'it redirected to a URL that is not http(s)', attempt, 'REDIRECT_SCHEME'), transient: false };
    // llhttp's HTTPParserError carries no code: a server (or a proxy) whose answer breaks HTTP/1.1.
    const notHttp = /^Response does not match the HTTP\/1\.1 protocol \((.*)\)$/.exec(message);
    if (notHttp)
        return { error: new NetworkError(url, `its answer is not valid HTTP (${notHttp[1]})`, attempt, 'HTTP_PARSE'), transient: false };
    if (!code)
        return { error: e, transient: false }; // not a network failure: a bug, reported as such
    return { error: new NetworkError(url, describe(code, message), attempt, code), transient: TRANSIENT_CODES.has(code) };
}
/** `user:password@` or a bare `token@` as a Basic Authorization header (fetch refuses them in the URL). */
function splitCredentials(raw) {
    const u = new URL(raw);
    if (!u.username && !u.password)
        return { url: raw };
    const token = Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64');
    u.username = '';
    u.password = '';
    return { url: u.toString(), authorization: `Basic ${token}` };
}
function credentials(rawUrl, from) {
    const own = splitCredentials(rawUrl);
    if (own.authorization || !from)
        return own;
    const index = splitCredentials(from);
    return index.authorization && new URL(index.url).origin === new URL(own.url).origin ? { url: own.url, authorization: index.authorization } : own;
}
/** A server that sent nothing for the idle timeout: judged like a network failure (worth a retry). */
class IdleTimeout extends Error {
    code;
    constructor(code) {
        super('no data within the timeout');
        this.code = code;
    }
}
/**
 * One attempt's clocks, any of which aborts the request: the idle timeout (no headers, or no body
 * bytes, for COMPAT_SENTINEL_HTTP_TIMEOUT_MS), the whole-request deadline and the minimum rate.
 */
class Watch {
    url;
    opts;
    ctl = new AbortController();
    timers = [];
    idle;
    idleCode = 'UND_ERR_HEADERS_TIMEOUT';
    bytes = 0;
    reason;
    constructor(url, opts) {
        this.url = url;
        this.opts = opts;
        const ms = deadlineMs();
        if (opts.deadline)
            this.timers.push(setTimeout(() => this.abort(new DeadlineError(url, 'deadline', ms)), ms));
        this.idle = setTimeout(() => this.abort(new IdleTimeout(this.idleCode)), timeoutMs());
        this.timers.push(this.idle);
    }
    get signal() {
        return this.ctl.signal;
    }
    /** Starts the rate check once the body begins: bytes per window below the minimum abort it. */
    bodyStarted() {
        this.idleCode = 'UND_ERR_BODY_TIMEOUT';
        this.idle.refresh();
        if (!this.opts.minRate)
            return;
        const window = rateWindowMs();
        const min = minBytesPerSecond();
        let seen = 0;
        this.timers.push(setInterval(() => {
            if (this.bytes - seen < (min * window) / 1000)
                this.abort(new DeadlineError(this.url, 'rate', window, min));
            seen = this.bytes;
        }, window));
    }
    progress = (n) => {
        this.bytes += n;
        this.idle.refresh();
    };
    abort(reason) {
        if (this.reason)
            return;
        this.reason = reason;
        this.ctl.abort(reason);
    }
    /** Drops whatever is left of a failed attempt's body, so its connection is not kept busy. */
    release() {
        if (!this.ctl.signal.aborted)
            this.ctl.abort();
    }
    stop() {
        for (const t of this.timers)
            clearTimeout(t);
    }
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/**
 * GET `url`, retrying transient failures (connection errors, timeouts, 429 honouring Retry-After,
 * 5xx) with backoff, then hand the successful response to `consume`. Failures in `consume` are
 * judged the same way (a body cut mid-way is retried; a size limit is final).
 */
async function get(rawUrl, opts, consume) {
    const { url, authorization } = credentials(rawUrl, opts.credentialsFrom);
    const headers = {};
    if (authorization)
        headers.authorization = authorization;
    if (opts.accept)
        headers.accept = opts.accept;
    const attempts = retries() + 1;
    for (let attempt = 1;; attempt++) {
        const watch = new Watch(url, opts);
        try {
            const client = await http();
            const res = opts.asStored
                ? await getAsStored(client, url, headers, watch.signal)
                : await client.undici.fetch(url, { headers, dispatcher: client.agent, redirect: 'follow', signal: watch.signal });
            if (!res.ok) {
                await res.body?.cancel().catch(() => { });
                throw new HttpStatusError(res.url || url, res.status, retryAfter(res));
            }
            const length = Number(res.headers.get('content-length') ?? NaN);
            const meta = { url: res.url || url, contentType: res.headers.get('content-type') ?? '', contentLength: Number.isFinite(length) ? length : undefined };
            watch.bodyStarted();
            return await consume(res, meta, watch.progress);
        }
        catch (e) {
            watch.release();
            const { error, transient } = judge(watch.reason ?? e, url, attempt);
            if (!transient || attempt >= attempts)
                throw error;
            const retryAfterMs = error instanceof HttpStatusError ? error.retryAfterMs : undefined;
            const waitMs = retryAfterMs ?? backoffBaseMs() * 2 ** (attempt - 1);
            const why = error instanceof HttpStatusError ? `HTTP ${error.status}${retryAfterMs !== undefined ? ', Retry-After' : ''}` : error.message;
            lib_core/* info */.pq(`${secrets_redactUrl(rawUrl)}: ${why}; retry ${attempt} of ${attempts - 1} in ${(waitMs / 1000).toFixed(1)} s`);
            await sleep(waitMs);
        }
        finally {
            watch.stop();
        }
    }
}
/** Hands a body to `onChunk` as it arrives, refusing more than `maxBytes`. */
async function readChunks(res, url, maxBytes, progress, onChunk) {
    let size = 0;
    for await (const chunk of res.body ?? []) {
        size += chunk.byteLength;
        progress(chunk.byteLength);
        if (size > maxBytes) {
            await res.body?.cancel().catch(() => { });
            throw new TooLargeError(url, maxBytes, false);
        }
        onChunk(chunk);
    }
}
/** Reads a whole body as text, refusing more than `maxBytes` (and not keeping it in memory). */
async function readText(res, url, maxBytes, progress = () => { }) {
    const chunks = [];
    await readChunks(res, url, maxBytes, progress, (chunk) => chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))); // views, not copies
    return Buffer.concat(chunks).toString('utf8');
}
/** A page (index page, checksum file): bounded in size and in total time. */
async function getText(url, opts) {
    return get(url, { deadline: true, ...opts }, async (res, meta, progress) => {
        if (meta.contentLength !== undefined && meta.contentLength > opts.maxBytes)
            throw new TooLargeError(meta.url, opts.maxBytes, false);
        return { ...meta, text: await readText(res, meta.url, opts.maxBytes, progress) };
    });
}
// Temp files of downloads in flight, removed on any exit (a cancelled run exits mid-download).
const partials = new Set();
let exitCleanup = false;
function removeOnExit(file) {
    partials.add(file);
    if (exitCleanup)
        return;
    exitCleanup = true;
    process.on('exit', () => {
        for (const p of partials)
            (0,external_node_fs_.rmSync)(p, { force: true });
    });
}
/** Refuses to start a download the disk has no room for. */
async function ensureSpace(dest, size) {
    const dir = external_node_path_.dirname(dest);
    const fsInfo = await (0,promises_.statfs)(dir).catch(() => null);
    if (!fsInfo)
        return;
    const free = fsInfo.bavail * fsInfo.bsize;
    if (size > free)
        throw new WriteError(dest, 'ENOSPC', `it is ${formatBytes(size)}, but only ${formatBytes(free)} is free in ${dir}`);
}
/**
 * Streams `url` into `dest` through a short-named temp file beside it, hashing as it goes. The
 * file appears under its name only complete and, when `sha256` is given, verified; on any
 * failure (network, size, disk, checksum, cancellation) no file is left behind.
 */
async function downloadFile(url, dest, want) {
    const limit = want.size ?? want.maxBytes;
    const declared = want.size !== undefined;
    if (declared)
        await ensureSpace(dest, want.size);
    // Short, so a 248-character file name still leaves room under the 255-byte limit of a name.
    const tmp = external_node_path_.join(external_node_path_.dirname(dest), `.part-${(0,external_node_crypto_.randomBytes)(6).toString('hex')}`);
    removeOnExit(tmp);
    try {
        const result = await get(url, { credentialsFrom: want.credentialsFrom, minRate: true, asStored: true }, async (res, meta, progress) => {
            if (meta.contentLength !== undefined && meta.contentLength > limit)
                throw new TooLargeError(meta.url, limit, declared);
            const hash = (0,external_node_crypto_.createHash)('sha256');
            let bytes = 0;
            const measure = new external_node_stream_.Transform({
                transform(chunk, _encoding, done) {
                    bytes += chunk.length;
                    if (bytes > limit)
                        return done(new TooLargeError(meta.url, limit, declared));
                    hash.update(chunk);
                    progress(chunk.length);
                    done(null, chunk);
                },
            });
            // The file's own errors carry a syscall; a failing source destroys `out` with its error too.
            let writeFailure;
            const out = (0,external_node_fs_.createWriteStream)(tmp).on('error', (e) => {
                if (e.syscall)
                    writeFailure ??= e;
            });
            try {
                // pipeline settles on the first error of any side (a write error included) and closes both.
                await (0,external_node_stream_promises_.pipeline)(res.body ?? [], measure, out);
            }
            catch (e) {
                if (writeFailure)
                    throw new WriteError(dest, writeFailure.code ?? '', writeFailure.message);
                throw e;
            }
            return { sha256: hash.digest('hex'), bytes };
        });
        if (want.sha256 && result.sha256 !== want.sha256.toLowerCase())
            throw new ChecksumError(url, want.sha256.toLowerCase(), result.sha256, result.bytes);
        await (0,promises_.rename)(tmp, dest).catch((e) => {
            throw new WriteError(dest, e.code ?? '', e.message);
        });
        return result;
    }
    finally {
        await (0,promises_.rm)(tmp, { force: true });
        partials.delete(tmp);
    }
}

;// CONCATENATED MODULE: ./src/core/json-page-splitter.ts
// Splits a PEP 691 page into its `files` entries as the bytes arrive, so that a page of 100,000
// files is never held whole, as text or as one object graph. Each entry (an object in the
// top-level `files` array) is handed over as its own bytes, for JSON.parse; everything else
// stays in a "skeleton" (the page with each entry replaced by `0`), parsed once at the end,
// which checks the syntax around the entries and gives the rest of the page.
//
// Written here rather than taken from a streaming JSON library: the one measured
// (@streamparser/json) tokenizes every character in JavaScript and allocates per token, taking
// 2.6x as long and 2.5x the memory on a 100,000-file page; this only looks for quotes and
// brackets, and leaves parsing to the engine's own JSON.parse.
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const FILES = Buffer.from('files');
const ZERO = Buffer.from('0');
class JsonPageSplitter {
    onEntry;
    depth = 0;
    inString = false;
    escaped = false;
    /** The string being read at depth 1 (a key or a value), while it can still be `files`. */
    key = null;
    /** Whether the last string completed at depth 1 was `files`. */
    lastKey = '';
    /** Depth 1 key just read and its colon seen: the next value belongs to it. */
    valueOf = '';
    /** Inside the first top-level `files` array (depth 2 is its level). */
    inFiles = false;
    filesSeen = 0;
    /** The skeleton's bytes so far, in one growing buffer (not one small Buffer per entry). */
    skeleton = Buffer.allocUnsafe(64 * 1024);
    skeletonBytes = 0;
    entry = null;
    /** `onEntry` gets each entry's bytes, often a view of the chunk being written: valid only during the call. */
    constructor(onEntry) {
        this.onEntry = onEntry;
    }
    /** How many top-level `files` keys the page has: with more than one, the last wins (as JSON.parse). */
    get filesKeys() {
        return this.filesSeen;
    }
    write(chunk) {
        const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        // Where the current run of skeleton bytes or entry bytes started in this chunk.
        let from = 0;
        for (let i = 0; i < buf.length; i++) {
            const c = buf[i];
            if (this.inString) {
                if (this.escaped)
                    this.escaped = false;
                else if (c === BACKSLASH)
                    this.escaped = true;
                else if (c === QUOTE) {
                    this.inString = false;
                    if (this.depth === 1 && !this.entry)
                        this.lastKey = this.key && Buffer.from(this.key).equals(FILES) ? 'files' : '-';
                    this.key = null;
                }
                else if (this.key) {
                    // Longer than "files" (or escaped, which the skeleton's parse still reads right): another key.
                    if (this.key.length < FILES.length && c !== BACKSLASH)
                        this.key.push(c);
                    else
                        this.key = null;
                }
                continue;
            }
            if (c === QUOTE) {
                this.inString = true;
                if (this.depth === 1 && !this.entry)
                    this.key = [];
                continue;
            }
            if (this.depth === 1 && c === COLON) {
                this.valueOf = this.lastKey;
                continue;
            }
            if (this.depth === 1 && c === COMMA) {
                this.valueOf = '';
                continue;
            }
            if (c === OPEN_BRACE || c === OPEN_BRACKET) {
                if (this.depth === 1 && c === OPEN_BRACKET && this.valueOf === 'files') {
                    this.filesSeen++;
                    // Only the first `files` array is split; a later one stays in the skeleton.
                    this.inFiles = this.filesSeen === 1;
                }
                if (this.inFiles && this.depth === 2 && c === OPEN_BRACE) {
                    this.append(buf, from, i);
                    this.append(ZERO, 0, 1);
                    this.entry = [];
                    from = i;
                }
                this.depth++;
                continue;
            }
            if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
                this.depth--;
                if (this.entry && this.depth === 2) {
                    // Most entries lie within one chunk: handed over as a view, without a copy.
                    const last = buf.subarray(from, i + 1);
                    this.onEntry(this.entry.length ? Buffer.concat([...this.entry, last]) : last);
                    this.entry = null;
                    from = i + 1;
                }
                if (this.depth === 1)
                    this.inFiles = false;
            }
        }
        // The rest of the chunk: copied, since the caller may reuse its buffer.
        if (this.entry)
            this.entry.push(Buffer.from(buf.subarray(from)));
        else
            this.append(buf, from, buf.length);
    }
    append(buf, start, end) {
        const need = this.skeletonBytes + (end - start);
        if (need > this.skeleton.length) {
            const grown = Buffer.allocUnsafe(Math.max(need, this.skeleton.length * 2));
            this.skeleton.copy(grown, 0, 0, this.skeletonBytes);
            this.skeleton = grown;
        }
        buf.copy(this.skeleton, this.skeletonBytes, start, end);
        this.skeletonBytes = need;
    }
    /** The page without its entries, as text (`"files":[0,0,…]`); an entry left open is a syntax error there. */
    skeletonText() {
        if (this.entry) {
            const open = Buffer.concat(this.entry);
            this.append(open, 0, open.length);
        }
        this.entry = null;
        return this.skeleton.toString('utf8', 0, this.skeletonBytes);
    }
}

;// CONCATENATED MODULE: ./src/core/json-offset.ts
// Where a JSON text first stops being JSON, found in one pass. V8's JSON.parse messages quote the
// text itself ("Unexpected token 'x', "...<!channel>..." is not valid JSON"): index text must
// never reach a message, so the parser's error is replaced by this offset.
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);
const HEX4 = /^[0-9a-fA-F]{4}$/;
/** End of the string starting at `i` (a `"`), or the negated offset of its error minus one. */
function stringEnd(text, i) {
    for (let j = i + 1; j < text.length;) {
        const c = text.charCodeAt(j);
        if (c === 0x22)
            return j + 1;
        if (c < 0x20)
            return -j - 1;
        if (c !== 0x5c) {
            j++;
            continue;
        }
        const e = text[j + 1];
        if (e === 'u') {
            if (!HEX4.test(text.slice(j + 2, j + 6)))
                return -(j + 1) - 1;
            j += 6;
        }
        else if (e !== undefined && ESCAPES.has(e)) {
            j += 2;
        }
        else {
            return -(j + 1) - 1;
        }
    }
    return -text.length - 1;
}
/** The character offset of the first syntax error in `text`, or -1 when it is valid JSON. */
function jsonErrorOffset(text) {
    const stack = [];
    let want = 'value';
    let i = 0;
    const afterValue = () => (stack.length ? 'comma-or-end' : 'done');
    for (;;) {
        while (i < text.length && ' \t\n\r'.includes(text[i]))
            i++;
        if (i >= text.length)
            return want === 'done' ? -1 : text.length;
        const c = text[i];
        if (want === 'done')
            return i;
        if (want === 'colon') {
            if (c !== ':')
                return i;
            i++;
            want = 'value';
            continue;
        }
        if (want === 'comma-or-end') {
            const top = stack.at(-1);
            if (c === ',') {
                i++;
                want = top === '{' ? 'key' : 'value';
            }
            else if ((c === '}' && top === '{') || (c === ']' && top === '[')) {
                stack.pop();
                i++;
                want = afterValue();
            }
            else {
                return i;
            }
            continue;
        }
        if ((want === 'key-or-end' && c === '}') || (want === 'value-or-end' && c === ']')) {
            stack.pop();
            i++;
            want = afterValue();
            continue;
        }
        if (want === 'key' || want === 'key-or-end') {
            if (c !== '"')
                return i;
            const end = stringEnd(text, i);
            if (end < 0)
                return -end - 1;
            i = end;
            want = 'colon';
            continue;
        }
        // A value.
        if (c === '{' || c === '[') {
            stack.push(c);
            i++;
            want = c === '{' ? 'key-or-end' : 'value-or-end';
            continue;
        }
        if (c === '"') {
            const end = stringEnd(text, i);
            if (end < 0)
                return -end - 1;
            i = end;
            want = afterValue();
            continue;
        }
        const literal = ['true', 'false', 'null'].find((l) => text.startsWith(l, i));
        if (literal) {
            i += literal.length;
            want = afterValue();
            continue;
        }
        NUMBER.lastIndex = i;
        if (!NUMBER.test(text))
            return i;
        i = NUMBER.lastIndex;
        want = afterValue();
    }
}

;// CONCATENATED MODULE: ./src/core/simple-api.ts
// Parsers for the two forms of the simple repository API: PEP 691 JSON and PEP 503 HTML.
// Both are pure: a body in, a typed page or a typed IndexFormatError out, never anything else.



class IndexFormatError extends Error {
    name = 'IndexFormatError';
}
// Filenames end up as paths in wheels-dir: accept only the characters distribution filenames use.
const SAFE_FILENAME = /^[A-Za-z0-9][A-Za-z0-9._+!-]*$/;
const SDIST_EXTENSIONS = ['.tar.gz', '.zip', '.tar.bz2', '.tar.xz', '.tgz', '.tar'];
/** The version in a wheel or sdist filename of `project`, or null. */
function versionFromFilename(filename, project) {
    return fileVersion(filename, normalizeName(project));
}
/** As versionFromFilename, with the project name already normalised (pages have thousands of files). */
function fileVersion(filename, want) {
    if (!SAFE_FILENAME.test(filename) || filename.includes('..'))
        return null;
    if (filename.endsWith('.whl')) {
        const parts = filename.slice(0, -4).split('-');
        if (parts.length !== 5 && parts.length !== 6)
            return null;
        return names_normalizeName(parts[0]) === want ? parts[1] : null;
    }
    const ext = SDIST_EXTENSIONS.find((e) => filename.toLowerCase().endsWith(e));
    if (!ext)
        return null;
    const stem = filename.slice(0, -ext.length);
    // sdist names may contain '-' in the project part (old `llama-stack-0.1.0.tar.gz`).
    for (let i = stem.indexOf('-'); i > 0; i = stem.indexOf('-', i + 1)) {
        if (names_normalizeName(stem.slice(0, i)) === want)
            return stem.slice(i + 1) || null;
    }
    return null;
}
function resolveUrl(href, base) {
    try {
        const u = new URL(href, base);
        return u.protocol === 'http:' || u.protocol === 'https:' ? u.toString() : null;
    }
    catch {
        return null;
    }
}
function sha256FromFragment(url) {
    const hash = url.indexOf('#');
    if (hash < 0)
        return { url };
    const m = /(?:^|&)sha256=([0-9a-fA-F]{64})(?:&|$)/.exec(url.slice(hash + 1));
    return { url: url.slice(0, hash), sha256: m?.[1]?.toLowerCase() };
}
const simple_api_isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
/** One entry of a PEP 691 `files` list as the action keeps it, or null when it is not usable. */
function fileFromJson(f, pageUrl, want) {
    if (!simple_api_isObject(f) || typeof f.filename !== 'string' || typeof f.url !== 'string')
        return null;
    const abs = resolveUrl(f.url, pageUrl);
    if (!abs)
        return null;
    const fromFragment = sha256FromFragment(abs);
    const hashes = simple_api_isObject(f.hashes) ? f.hashes : {};
    const sha = typeof hashes.sha256 === 'string' && /^[0-9a-fA-F]{64}$/.test(hashes.sha256) ? hashes.sha256.toLowerCase() : fromFragment.sha256;
    const yanked = f.yanked === true ? '' : typeof f.yanked === 'string' ? f.yanked : false;
    const uploaded = typeof f['upload-time'] === 'string' ? new Date(f['upload-time']) : undefined;
    const size = typeof f.size === 'number' && Number.isSafeInteger(f.size) && f.size >= 0 ? f.size : undefined;
    return {
        filename: f.filename,
        url: fromFragment.url,
        sha256: sha,
        yanked,
        uploadTime: uploaded && !Number.isNaN(uploaded.getTime()) ? uploaded : undefined,
        size,
        version: fileVersion(f.filename, want),
        provenanceUrl: typeof f.provenance === 'string' ? (resolveUrl(f.provenance, pageUrl) ?? undefined) : undefined,
    };
}
/** PEP 691 JSON, from the whole body. */
function parseJsonPage(body, pageUrl, project) {
    let data;
    try {
        data = JSON.parse(body);
    }
    catch {
        // Never the parser's message: it quotes the body, and index text stays out of messages.
        const at = jsonErrorOffset(body);
        const where = at < 0 ? '' : ` (syntax error at byte ${Buffer.byteLength(body.slice(0, at))} of ${Buffer.byteLength(body)})`;
        throw new IndexFormatError(`the index answered with malformed JSON${where}`);
    }
    if (!simple_api_isObject(data) || !Array.isArray(data.files)) {
        throw new IndexFormatError('the index answered JSON without a "files" list, which is not the PEP 691 simple API');
    }
    const want = names_normalizeName(project);
    const files = [];
    for (const f of data.files) {
        const file = fileFromJson(f, pageUrl, want);
        if (file)
            files.push(file);
    }
    return { name: typeof data.name === 'string' ? data.name : project, files };
}
/** Pages up to this size are parsed whole (the engine's JSON.parse is fastest); larger ones as they arrive. */
const WHOLE_BODY_BYTES = 8 * 1024 * 1024;
/**
 * PEP 691 JSON as it arrives. A page up to `wholeBodyBytes` is parsed whole with parseJsonPage; a
 * larger one is split into its `files` entries (JsonPageSplitter), each parsed and reduced to an
 * IndexFile as soon as it is complete, so a page of 100,000 files never exists as one string or
 * one object graph. Either way the result is parseJsonPage's for the same bytes.
 */
class JsonPageStream {
    pageUrl;
    project;
    wholeBodyBytes;
    files = [];
    want;
    splitter;
    whole = [];
    receivedBytes = 0;
    badEntry = false;
    constructor(pageUrl, project, 
    /** 0 splits from the first byte: a page that declares itself large (and tests, on small pages). */
    wholeBodyBytes = WHOLE_BODY_BYTES) {
        this.pageUrl = pageUrl;
        this.project = project;
        this.wholeBodyBytes = wholeBodyBytes;
        this.want = names_normalizeName(project);
        this.splitter = new JsonPageSplitter((json) => {
            let value;
            try {
                value = JSON.parse(json.toString('utf8'));
            }
            catch {
                this.badEntry = true;
                return;
            }
            const file = fileFromJson(value, this.pageUrl, this.want);
            if (file)
                this.files.push(file);
        });
    }
    write(chunk) {
        this.receivedBytes += chunk.byteLength;
        if (this.whole) {
            this.whole.push(Buffer.from(chunk));
            if (this.receivedBytes <= this.wholeBodyBytes)
                return;
            // Too large to keep whole: from here on, split.
            for (const kept of this.whole)
                this.splitter.write(kept);
            this.whole = null;
            return;
        }
        this.splitter.write(chunk);
    }
    end() {
        if (this.whole)
            return parseJsonPage(Buffer.concat(this.whole).toString('utf8'), this.pageUrl, this.project);
        let data;
        try {
            if (this.badEntry)
                throw new Error('an entry is not JSON');
            data = JSON.parse(this.splitter.skeletonText());
        }
        catch {
            // Never the parser's message: it quotes the body, and index text stays out of messages.
            throw new IndexFormatError(`the index answered with malformed JSON (a page of ${this.receivedBytes} bytes)`);
        }
        if (!simple_api_isObject(data) || !Array.isArray(data.files)) {
            throw new IndexFormatError('the index answered JSON without a "files" list, which is not the PEP 691 simple API');
        }
        // The split entries are the page's, unless `files` came out of the skeleton with its entries
        // still in it (a second `files` key, which JSON.parse lets win, or an escaped key name).
        const unsplit = this.splitter.filesKeys !== 1 || data.files.some(simple_api_isObject);
        const files = unsplit ? data.files.flatMap((f) => fileFromJson(f, this.pageUrl, this.want) ?? []) : this.files;
        return { name: typeof data.name === 'string' ? data.name : this.project, files };
    }
}
const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", '#39': "'" };
function unescapeHtml(s) {
    return s.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-zA-Z]+);/g, (all, e) => {
        if (e[0] === '#') {
            const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
            return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : all;
        }
        return ENTITIES[e.toLowerCase()] ?? all;
    });
}
function attributes(tag) {
    const attrs = new Map();
    const re = /([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
    for (const m of tag.matchAll(re)) {
        const value = m[2] ?? m[3] ?? m[4];
        attrs.set(m[1].toLowerCase(), value === undefined ? true : unescapeHtml(value));
    }
    return attrs;
}
/** The file name at the end of an absolute URL without fragment; a malformed %-escape is kept as it is. */
function lastPathSegment(url) {
    const pathOnly = url.split('?')[0];
    const raw = pathOnly.slice(pathOnly.lastIndexOf('/') + 1);
    try {
        return decodeURIComponent(raw);
    }
    catch {
        return raw;
    }
}
/** `text` without its tags, in one pass (a `<` with no `>` after it ends the stripping, as a regex would). */
function stripTags(text) {
    let out = '';
    let i = 0;
    for (;;) {
        const lt = text.indexOf('<', i);
        if (lt < 0)
            return out + text.slice(i);
        const gt = text.indexOf('>', lt);
        if (gt < 0)
            return out + text.slice(i);
        out += text.slice(i, lt);
        i = gt + 1;
    }
}
const isSpace = (c) => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f';
/**
 * Start offsets of `<name` followed by whitespace, in `lower` (the page lower-cased), from `from`.
 * Every search moves forward, so a page is scanned a bounded number of times whatever it holds.
 */
function nextTag(lower, name, from) {
    for (let i = lower.indexOf(`<${name}`, from); i >= 0; i = lower.indexOf(`<${name}`, i + 1)) {
        if (isSpace(lower[i + name.length + 1]))
            return i;
    }
    return -1;
}
/** The offset of the next `</a>` (spaces allowed before `>`) at or after `from`, and its end. */
function nextClose(lower, from) {
    for (let i = lower.indexOf('</a', from); i >= 0; i = lower.indexOf('</a', i + 3)) {
        let j = i + 3;
        while (isSpace(lower[j]))
            j++;
        if (lower[j] === '>')
            return { at: i, end: j + 1 };
    }
    return null;
}
/**
 * PEP 503 HTML: one anchor per file. A linear scan, not a regex: a hostile page of unclosed
 * tags or stray `<` must not cost quadratic time (the event loop, and cancellation, would stall).
 */
function parseHtmlPage(body, pageUrl, project) {
    const files = [];
    const want = names_normalizeName(project);
    // ASCII-only lower case: the same length as the body, so offsets line up (toLowerCase may not).
    const lower = body.replace(/[A-Z]+/g, (m) => m.toLowerCase());
    // A <base href> changes what relative links resolve against.
    let base = pageUrl;
    const baseAt = nextTag(lower, 'base', 0);
    const baseEnd = baseAt < 0 ? -1 : body.indexOf('>', baseAt);
    if (baseEnd >= 0) {
        const href = attributes(body.slice(baseAt + 6, baseEnd)).get('href');
        base = (typeof href === 'string' && resolveUrl(href, pageUrl)) || pageUrl;
    }
    // Every search starts where the last one ended; with no `>` or no `</a>` left, scanning stops.
    for (let at = nextTag(lower, 'a', 0); at >= 0;) {
        const tagEnd = body.indexOf('>', at);
        if (tagEnd < 0)
            break;
        const close = nextClose(lower, tagEnd + 1);
        if (!close)
            break;
        const attrs = attributes(body.slice(at + 3, tagEnd));
        const inner = body.slice(tagEnd + 1, close.at);
        at = nextTag(lower, 'a', close.end);
        const href = attrs.get('href');
        if (typeof href !== 'string')
            continue;
        const abs = resolveUrl(href, base);
        if (!abs)
            continue;
        const { url, sha256 } = sha256FromFragment(abs);
        const text = unescapeHtml(stripTags(inner)).trim();
        const filename = text || lastPathSegment(url);
        const y = attrs.get('data-yanked');
        const prov = attrs.get('data-provenance');
        files.push({
            filename,
            url,
            sha256,
            yanked: y === undefined ? false : y === true ? '' : y,
            version: fileVersion(filename, want),
            provenanceUrl: typeof prov === 'string' ? (resolveUrl(prov, base) ?? undefined) : undefined,
        });
    }
    if (files.length === 0 && !/<html|<!doctype|<body|<a\s/i.test(body)) {
        throw new IndexFormatError('the index answered with something that is neither PEP 691 JSON nor PEP 503 HTML');
    }
    return { name: project, files };
}
const SIMPLE_ACCEPT = 'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01';

// EXTERNAL MODULE: external "node:v8"
var external_node_v8_ = __webpack_require__(78877);
;// CONCATENATED MODULE: ./src/io/heap-growth.ts
// V8 doubles its young generation (up to 64 MB of semi-spaces on a runner's heap limit) when much
// of what it allocates survives, which is exactly what parsing a page of 100,000 files and
// keeping them does: the heap then holds about 3x what is alive, and such a run peaked at 300 MB.
// --semi-space-growth-factor=1 keeps the young generation at its start size (more, smaller
// scavenges: no measurable time here); with it such a run peaks near 140 MB (`npm run bench`).
// An action cannot pass flags to `node`; this one is read when V8 grows the heap, so setting it
// at run time works (--max-semi-space-size, read only at start-up, has no effect). An unknown
// flag only prints a line; nothing else depends on it.


let restrained = false;
/** From now on, for the rest of the run: the heap grows as little as it can. */
function restrainHeapGrowth(why) {
    if (restrained)
        return;
    restrained = true;
    (0,external_node_v8_.setFlagsFromString)('--semi-space-growth-factor=1');
    lib_core/* debug */.Yz(`Heap growth restrained from here on (${why})`);
}

;// CONCATENATED MODULE: ./src/io/index-client.ts
// Fetches one project's page from a simple index (PEP 691 JSON preferred, PEP 503 HTML accepted).







const PYPI = 'https://pypi.org/simple/';
const TEST_PYPI = 'https://test.pypi.org/simple/';
const withSlash = (u) => (u.endsWith('/') ? u : `${u}/`);
function projectUrl(indexUrl, project) {
    return new URL(`${names_normalizeName(project)}/`, withSlash(indexUrl)).toString();
}
/** Same index, spelled with or without a trailing slash. */
function sameIndex(a, b) {
    return withSlash(a) === withSlash(b);
}
/**
 * Frees a chunk's memory now rather than at the next garbage collection, when the chunk is the
 * whole of its buffer (as the HTTP client hands them out) and has been parsed: the page's
 * parser copies what it keeps. Without this, a 30 MB page's chunks pile up until V8 collects.
 */
function release(chunk) {
    // ES2024's ArrayBuffer.prototype.transfer, which Node 24 has (the project's types stop at ES2023).
    const buffer = chunk.buffer;
    if (chunk.byteOffset === 0 && chunk.byteLength === buffer.byteLength && !buffer.detached)
        buffer.transfer(0);
}
// One project's page; PyPI's largest (thousands of files) are a few MiB.
const PAGE_MAX_BYTES = 64 * 2 ** 20;
/** The project's page on the index; `input` names the input that set the index, for messages. */
async function fetchProject(indexUrl, project, input = 'index-url') {
    const url = projectUrl(indexUrl, project);
    try {
        return await get(url, { accept: SIMPLE_ACCEPT, deadline: true }, async (res, meta, reportProgress) => {
            if (meta.contentLength !== undefined && meta.contentLength > PAGE_MAX_BYTES)
                throw new TooLargeError(meta.url, PAGE_MAX_BYTES, false);
            // A page over WHOLE_BODY_BYTES (declared, or once that much has arrived) keeps tens of MB
            // alive while it is parsed and selected from: V8 is asked to grow its heap as little as it can.
            const large = meta.contentLength !== undefined && meta.contentLength > WHOLE_BODY_BYTES;
            const restrain = () => restrainHeapGrowth(`${project}'s index page is over ${formatBytes(WHOLE_BODY_BYTES)}`);
            if (large)
                restrain();
            let received = 0;
            const progress = (bytes) => {
                reportProgress(bytes);
                received += bytes;
                if (received > WHOLE_BODY_BYTES)
                    restrain();
            };
            if (!meta.contentType.toLowerCase().includes('json'))
                return parseHtmlPage(await readText(res, meta.url, PAGE_MAX_BYTES, progress), meta.url, project);
            // JSON is parsed as it arrives: the biggest projects' pages never sit in memory whole. A page
            // that says it is large is split from its first byte, rather than kept whole up to the limit.
            const page = new JsonPageStream(meta.url, project, large ? 0 : WHOLE_BODY_BYTES);
            await readChunks(res, meta.url, PAGE_MAX_BYTES, progress, (chunk) => {
                page.write(chunk);
                release(chunk);
            });
            return page.end();
        });
    }
    catch (e) {
        if (e instanceof HttpStatusError && e.status === 404) {
            const names = input === 'index-url' ? "'package', 'companion-packages' and 'index-url'" : `'${input}'`;
            throw new vocabulary_UserError(`Package '${project}' was not found on ${secrets_redactUrl(indexUrl)} (HTTP 404 for ${secrets_redactUrl(url)}): check ${names}.`);
        }
        if (e instanceof HttpStatusError && (e.status === 401 || e.status === 403)) {
            throw new vocabulary_UserError(`The index ${secrets_redactUrl(indexUrl)} refused access to '${project}' (HTTP ${e.status} for ${e.url}): put the credentials in '${input}' (https://user:password@host/simple/ or https://token@host/simple/), from a secret.`);
        }
        if (e instanceof HttpStatusError) {
            const retried = e.status === 429 || e.status >= 500 ? ', also after retries' : '';
            throw new vocabulary_UserError(`The index ${secrets_redactUrl(indexUrl)} answered HTTP ${e.status} for '${project}' (${e.url})${retried}: try again later or check '${input}'.`);
        }
        if (e instanceof IndexFormatError) {
            throw new vocabulary_UserError(`The index page ${secrets_redactUrl(url)} could not be read: ${e.message}. Check that '${input}' is the root of a simple index (PEP 503/691).`);
        }
        if (e instanceof TooLargeError) {
            throw new vocabulary_UserError(`The index page ${e.url} sent more than ${formatBytes(e.limitBytes)}, far more than one project's page: check that '${input}' is the root of a simple index (PEP 503/691).`);
        }
        if (e instanceof TlsError) {
            throw new vocabulary_UserError(`The index ${secrets_redactUrl(indexUrl)} could not be read: ${e.message}. Give the server a certificate the runner trusts (a private CA goes in NODE_EXTRA_CA_CERTS), or fix '${input}'.`);
        }
        const why = cause(e);
        if (why !== null)
            throw new vocabulary_UserError(`could not reach ${secrets_redactUrl(url)}: ${why}. Check '${input}', the network, or try again later.`);
        throw e;
    }
}

;// CONCATENATED MODULE: ./src/core/versions.ts
// Version selection: pure functions from index files to the version a channel means.
// Every comparison is PEP 440 (@renovatebot/pep440), never string order.

/**
 * The grouping key of a version's spelling: its PEP 440 normal form, or the spelling itself marked
 * invalid. Pages list a release's files together, so the last spelling is remembered: pages of
 * 100,000 files are not parsed 100,000 times, and no map of every spelling is built.
 */
function versionKeys() {
    let last;
    let key = '';
    return (spelling) => {
        if (spelling !== last) {
            last = spelling;
            const normal = (0,pep440/* clean */.uH)(spelling);
            // The same text, but the spelling's own string: a map keyed by it holds no second copy.
            key = normal === null ? `invalid:${spelling}` : normal === spelling ? spelling : normal;
        }
        return key;
    };
}
/** Groups files by version; files with no readable version are left out. */
function releases(files) {
    const keyOf = versionKeys();
    const byKey = new Map();
    for (const f of files) {
        if (f.version === null)
            continue;
        const key = keyOf(f.version);
        const r = byKey.get(key);
        if (r)
            r.files.push(f);
        else
            byKey.set(key, { version: f.version, files: [f] });
    }
    return [...byKey.values()];
}
const isYanked = (r) => r.files.every((f) => f.yanked !== false);
/** Why `channel` does not take `version`, or null when it does. */
function channelRejects(channel, version) {
    const v = (0,pep440/* explain */.WE)(version);
    if (!v)
        return 'not a valid PEP 440 version';
    if (v.local !== null)
        return 'local version';
    switch (channel) {
        case 'stable':
            return v.is_prerelease ? 'pre-release' : null;
        case 'dev':
            return v.is_devrelease ? null : 'not a dev release';
        default:
            return null;
    }
}
/**
 * The highest non-yanked release the channel admits ('pinned' is resolved elsewhere). A page can
 * list 100,000 versions: each is summed up in a few bytes (first spelling, any file not yanked),
 * and only the chosen one is gathered into a Release.
 */
function selectForChannel(files, channel) {
    const keyOf = versionKeys();
    // Per version, one number and no object: the index of its first file (whose spelling names the
    // release) times two, plus one when any of its files is not yanked.
    const byKey = new Map();
    files.forEach((f, i) => {
        if (f.version === null)
            return;
        const key = keyOf(f.version);
        const seen = byKey.get(key);
        if (seen === undefined)
            byKey.set(key, i * 2 + (f.yanked === false ? 1 : 0));
        else if (f.yanked === false && seen % 2 === 0)
            byKey.set(key, seen + 1);
    });
    const skipped = [];
    let chosen = null;
    for (const [key, v] of byKey) {
        const version = files[Math.floor(v / 2)].version;
        const why = channelRejects(channel, version) ?? (v % 2 === 1 ? null : 'yanked');
        if (why) {
            skipped.push({ version, reason: why });
            continue;
        }
        if (!chosen || (0,pep440/* compare */.UD)(version, chosen.version) > 0)
            chosen = { key, version };
    }
    const release = chosen && { version: chosen.version, files: files.filter((f) => f.version !== null && keyOf(f.version) === chosen.key) };
    return { chosen: release, skipped, total: byKey.size };
}
/**
 * The non-yanked releases the channel admits strictly between `low` and `high` (PEP 440), oldest
 * first: the builds a bisection can probe.
 */
function releasesBetween(files, channel, low, high) {
    return releases(files)
        .filter((r) => !channelRejects(channel, r.version) && !isYanked(r) && (0,pep440/* compare */.UD)(r.version, low) > 0 && (0,pep440/* compare */.UD)(r.version, high) < 0)
        .sort((a, b) => (0,pep440/* compare */.UD)(a.version, b.version));
}
/** The release equal (PEP 440) to `version`, yanked or not. */
function findRelease(files, version) {
    return releases(files).find((r) => (0,pep440/* explain */.WE)(r.version) && (0,pep440.eq)(r.version, version)) ?? null;
}
/** Up to `count` valid versions closest in order to `version`, for "did you mean" messages. */
function nearestVersions(files, version, count = 5) {
    const valid = releases(files)
        .map((r) => r.version)
        .filter((v) => (0,pep440/* explain */.WE)(v))
        .sort(pep440/* compare */.UD);
    if (!(0,pep440/* explain */.WE)(version))
        return valid.slice(-count);
    const at = valid.findIndex((v) => (0,pep440/* compare */.UD)(v, version) > 0);
    const pivot = at < 0 ? valid.length : at;
    const start = Math.max(0, Math.min(pivot - Math.ceil(count / 2), valid.length - count));
    return valid.slice(start, start + count);
}
/** PEP 440 equality; false when either side is not a version. */
function sameVersion(a, b) {
    return Boolean(a && b && (0,pep440/* explain */.WE)(a) && (0,pep440/* explain */.WE)(b) && (0,pep440.eq)(a, b));
}
/** The newest upload time among a release's files, if the index told. */
function newestUpload(r) {
    let newest;
    for (const f of r.files)
        if (f.uploadTime && (!newest || f.uploadTime > newest))
            newest = f.uploadTime;
    return newest;
}

// EXTERNAL MODULE: external "node:worker_threads"
var external_node_worker_threads_ = __webpack_require__(75919);
;// CONCATENATED MODULE: ./src/io/regex.ts
// A regular expression from an input, run on a file's text with a deadline. JavaScript regexes
// backtrack, so a pattern such as (a+)+$ can take hours on a short text and block the event loop
// (then not even cancellation runs). It runs in a worker thread that is terminated at the
// deadline. The worker's code is inline (`eval`), with the pattern and text passed as data, so
// the bundle needs no extra file and nothing from the input is ever turned into code.

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
const m = new RegExp(workerData.source, workerData.flags).exec(workerData.text)
parentPort.postMessage(m ? Array.from(m, (g) => (g === undefined ? null : g)) : null)
`;
class RegexTimeout extends Error {
    name = 'RegexTimeout';
}
const REGEX_DEADLINE_MS = Number(process.env.COMPAT_SENTINEL_REGEX_TIMEOUT_MS) || 5_000;
/** `re.exec(text)`'s groups (undefined ones as null), or null; RegexTimeout past the deadline. */
async function execWithDeadline(re, text, deadlineMs = REGEX_DEADLINE_MS) {
    const worker = new external_node_worker_threads_.Worker(WORKER, { eval: true, workerData: { source: re.source, flags: re.flags, text } });
    let timer;
    try {
        return await new Promise((resolve, reject) => {
            worker.once('message', resolve);
            worker.once('error', reject);
            worker.once('exit', (code) => reject(new Error(`the pattern's worker exited (${code}) before it answered`)));
            timer = setTimeout(() => reject(new RegexTimeout(`no answer within ${deadlineMs / 1000} s`)), deadlineMs);
        });
    }
    finally {
        clearTimeout(timer);
        await worker.terminate();
    }
}

;// CONCATENATED MODULE: ./src/stages/resolve.ts
// Which upstream version to test, and which version the repo pins.









/** `stale-after-days` defaults: dev builds come daily, stable releases every month or two. */
function staleAfterDays(inputs, channel) {
    if (inputs.staleAfterDays !== null)
        return inputs.staleAfterDays;
    return channel === 'dev' || channel === 'pre' ? 30 : 180;
}
const versions = (n) => `${n} version${n === 1 ? '' : 's'}`;
function defaultIndex(inputs) {
    if (inputs.indexUrl)
        return inputs.indexUrl;
    return !inputs.version && (inputs.channel === 'dev' || inputs.channel === 'pre') ? TEST_PYPI : PYPI;
}
function effectiveChannel(inputs) {
    return inputs.version ? 'explicit' : inputs.channel;
}
/** Reads the pinned version, or '' when no pinned-file is set. Unreadable or unmatched is an error. */
async function readPinned(inputs) {
    if (!inputs.pinnedFile || !inputs.pinnedPattern)
        return '';
    const file = external_node_path_.resolve(inputs.workingDirectory, inputs.pinnedFile);
    let text;
    try {
        text = await promises_.readFile(file, 'utf8');
    }
    catch (e) {
        throw new vocabulary_UserError(`'pinned-file' ${inputs.pinnedFile} could not be read (${e.code ?? e.message}; looked at ${file}): check the path, which is relative to 'working-directory'.`);
    }
    const m = await execWithDeadline(inputs.pinnedPattern, text).catch((e) => {
        if (!(e instanceof RegexTimeout))
            throw e;
        throw new vocabulary_UserError(`'pinned-pattern' ${inputs.pinnedPattern.source} did not finish within ${REGEX_DEADLINE_MS / 1000} s on ${inputs.pinnedFile} (${text.length} characters): the pattern backtracks catastrophically (nested repetition such as (a+)+ or (.*)*); simplify it, e.g. anchor it to the line and use \\S+ for the version.`);
    });
    const found = m?.[1]?.trim();
    if (!found) {
        throw new vocabulary_UserError(`'pinned-pattern' ${inputs.pinnedPattern.source} matches nothing (or an empty group) in ${inputs.pinnedFile}: fix the pattern so its first capture group is the version.`);
    }
    if (!(0,pep440/* valid */.rZ)(found)) {
        throw new vocabulary_UserError(`The pinned version '${found.slice(0, 80)}' read from ${inputs.pinnedFile} is not a PEP 440 version: fix 'pinned-pattern' so it captures only the version.`);
    }
    return found;
}
function notFound(project, version, indexUrl, page, what) {
    const near = nearestVersions(page.files, version);
    const hint = near.length ? `the nearest versions it has are ${near.join(', ')}` : 'it lists no versions at all';
    return new vocabulary_UserError(`${what} ${project} ${version} is not on ${secrets_redactUrl(indexUrl)}; ${hint}. Check '${what === 'Companion' ? 'companion-packages' : 'version'}' and 'index-url'.`);
}
async function resolveVersion(inputs, pinnedVersion) {
    const channel = effectiveChannel(inputs);
    const indexUrl = defaultIndex(inputs);
    lib_core/* info */.pq(`Index: ${secrets_redactUrl(indexUrl)}`);
    lib_core/* debug */.Yz(`channel ${channel}${inputs.version ? ' (an explicit version overrides the channel)' : ''}; index ${inputs.indexUrl ? "from 'index-url'" : `the default for ${channel}`}`);
    const page = await fetchProject(indexUrl, inputs.package);
    const pages = new Map([[inputs.package, page]]);
    let release;
    if (channel === 'explicit' || channel === 'pinned') {
        const wanted = channel === 'explicit' ? inputs.version : pinnedVersion;
        release = findRelease(page.files, wanted);
        if (!release)
            throw notFound(inputs.package, wanted, indexUrl, page, channel === 'explicit' ? 'Version' : 'Pinned version');
        if (isYanked(release))
            lib_core/* warning */.$e(`${inputs.package} ${wanted} is yanked on the index; testing it because it was asked for by name.`);
        lib_core/* info */.pq(`${inputs.package}: ${versions(releases(page.files).length)} on the index; testing ${channel} ${wanted}`);
        release = { ...release, version: wanted }; // keep the spelling that was asked for
    }
    else {
        const sel = selectForChannel(page.files, channel);
        lib_core/* info */.pq(`${inputs.package}: ${versions(sel.total)} on the index, ${sel.skipped.length} skipped for '${channel}'`);
        logSkipped(sel.skipped);
        if (!sel.chosen) {
            throw new vocabulary_UserError(`No ${channel} release of ${inputs.package} on ${secrets_redactUrl(indexUrl)} (${versions(sel.total)} listed, none a non-yanked ${channel} release): check 'channel' and 'index-url'.`);
        }
        release = sel.chosen;
        lib_core/* info */.pq(`Chosen: ${release.version}`);
    }
    const stale = staleWarning(inputs.package, release, channel, staleAfterDays(inputs, channel));
    if (stale)
        lib_core/* warning */.$e(stale);
    // Companion pages are independent of each other: fetch them together.
    const companionPages = await Promise.all(inputs.companions.map((companion) => fetchProject(indexUrl, companion)));
    inputs.companions.forEach((companion, i) => {
        const cpage = companionPages[i];
        pages.set(companion, cpage);
        if (!findRelease(cpage.files, release.version))
            throw notFound(companion, release.version, indexUrl, cpage, 'Companion');
        lib_core/* info */.pq(`Companion ${companion} ${release.version}: present`);
    });
    return { version: release.version, indexUrl, pages, release, warnings: stale ? [stale] : [] };
}
function logSkipped(skipped) {
    const byReason = new Map();
    for (const s of skipped) {
        const list = byReason.get(s.reason);
        if (list)
            list.push(s.version);
        else
            byReason.set(s.reason, [s.version]);
    }
    for (const [reason, versions] of byReason) {
        // Versions come from the index: print them only when they are versions.
        const shown = versions.filter((v) => (0,pep440/* valid */.rZ)(v)).slice(-10);
        const more = versions.length - shown.length;
        lib_core/* info */.pq(`  skipped (${reason}): ${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`);
    }
}
/**
 * A warning when the tested release is older than `limit` days (0: never). An upstream that
 * stops publishing under a name is the case that matters: Llama Stack's last `llama-stack` was
 * 0.7.3 (July 2026), it publishes as `ogx` since, and a sentinel watching the old name tests a
 * dead line every night.
 */
function staleWarning(project, release, channel, limit, now = Date.now()) {
    const newest = newestUpload(release);
    if (!newest || limit <= 0)
        return '';
    const days = Math.floor((now - newest.getTime()) / 86_400_000);
    if (days <= limit)
        return '';
    const which = channel === 'explicit' || channel === 'pinned' ? 'the tested release' : `the newest ${channel} release on the index`;
    return (`${project} ${release.version}, ${which}, was uploaded ${days} days ago (${newest.toISOString().slice(0, 10)}), ` +
        `more than stale-after-days (${limit}): has the upstream stopped publishing here? A renamed project is a common cause ` +
        `(llama-stack now publishes as ogx); check the project's page, or set stale-after-days to 0 to turn this warning off.`);
}
function isPinned(version, pinnedVersion) {
    return sameVersion(version, pinnedVersion);
}

// EXTERNAL MODULE: external "node:child_process"
var external_node_child_process_ = __webpack_require__(31421);
;// CONCATENATED MODULE: ./src/core/platform.ts
let current;
function currentPlatform() {
    if (current)
        return { ...current };
    const p = { os: process.platform, arch: process.arch };
    if (p.os === 'linux') {
        // A whole diagnostic report (a few ms) for one header field: asked once per run.
        const header = process.report?.getReport()?.header;
        p.libc = header?.glibcVersionRuntime ? 'gnu' : 'musl';
    }
    current = p;
    return { ...p };
}
const CPU = { x64: 'x86_64', arm64: 'aarch64' };
/** uv's release target triple and archive type, or null for a platform uv does not ship. */
function uvTarget(p) {
    const cpu = CPU[p.arch];
    if (!cpu)
        return null;
    switch (p.os) {
        case 'linux':
            return { target: `${cpu}-unknown-linux-${p.libc === 'musl' ? 'musl' : 'gnu'}`, ext: 'tar.gz' };
        case 'darwin':
            return { target: `${cpu}-apple-darwin`, ext: 'tar.gz' };
        case 'win32':
            return { target: `${cpu}-pc-windows-msvc`, ext: 'zip' };
        default:
            return null;
    }
}
const describePlatform = (p) => `${p.os}/${p.arch}${p.libc ? `/${p.libc}` : ''}`;
/**
 * Whether a wheel's platform tag (one of the dot-separated parts) can install here.
 * Python and ABI tags are not checked: which interpreter the commands pick is theirs to say.
 */
function platformTagFits(tag, p) {
    if (tag === 'any')
        return true;
    const cpu = CPU[p.arch];
    switch (p.os) {
        case 'linux': {
            const archOk = tag.endsWith(`_${cpu}`);
            if (!archOk)
                return false;
            if (tag.startsWith('manylinux'))
                return p.libc !== 'musl';
            if (tag.startsWith('musllinux'))
                return p.libc === 'musl';
            return tag === `linux_${cpu}`;
        }
        case 'darwin': {
            if (!tag.startsWith('macosx_'))
                return false;
            const macArch = p.arch === 'arm64' ? ['arm64', 'universal2'] : ['x86_64', 'intel', 'universal2', 'universal'];
            return macArch.some((a) => tag.endsWith(`_${a}`));
        }
        case 'win32':
            return tag === (p.arch === 'arm64' ? 'win_arm64' : 'win_amd64');
        default:
            return false;
    }
}
/** Whether a wheel filename can install here; false for anything that is not a wheel. */
function wheelFits(filename, p) {
    if (!filename.endsWith('.whl'))
        return false;
    const parts = filename.slice(0, -4).split('-');
    const plat = parts[parts.length - 1];
    return plat !== undefined && parts.length >= 5 && plat.split('.').some((t) => platformTagFits(t, p));
}

;// CONCATENATED MODULE: ./src/stages/uv.ts
// a verified uv on PATH, from the tool cache when it is there.













const exe = process.platform === 'win32' ? 'uv.exe' : 'uv';
// A uv on PATH may be a wrapper that waits for input or a network: `--version` gets a bound.
const versionTimeoutMs = () => Number(process.env.COMPAT_SENTINEL_UV_VERSION_TIMEOUT_MS) || 30_000;
/** Runs `bin --version` in its own process group, killed as a group if it takes too long. */
function runVersion(bin) {
    return new Promise((resolve) => {
        const child = (0,external_node_child_process_.spawn)(bin, ['--version'], { stdio: ['ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32' });
        let output = '';
        const keep = (d) => (output = (output + d.toString()).slice(0, 4096));
        child.stdout.on('data', keep);
        child.stderr.on('data', keep);
        let timedOut = false;
        const timer = setTimeout(() => {
            timedOut = true;
            try {
                process.kill(process.platform === 'win32' ? child.pid : -child.pid, 'SIGKILL');
            }
            catch {
                child.kill('SIGKILL');
            }
        }, versionTimeoutMs());
        child.on('error', (e) => {
            clearTimeout(timer);
            resolve({ exitCode: null, output, timedOut, spawnError: e.code ?? e.message });
        });
        child.on('close', (code) => {
            clearTimeout(timer);
            resolve({ exitCode: code, output, timedOut });
        });
    });
}
/** What `uv --version` says its version is ("uv 0.9.5 (abc 2025-01-01)" gives "0.9.5"). */
async function uvVersionOf(bin) {
    const out = await runVersion(bin);
    if (out.timedOut) {
        throw new vocabulary_UserError(`${bin} --version did not answer within ${versionTimeoutMs() / 1000} s and was stopped: that uv hangs (a wrapper waiting for input or a network?). Fix the uv on PATH, or set 'uv-version' to an exact version instead of 'system'.`);
    }
    const m = /^uv (\S+)/.exec(out.output.trim());
    if (out.exitCode !== 0 || !m) {
        const how = out.spawnError ? `could not be started: ${out.spawnError}` : `exit ${out.exitCode}: ${out.output.trim().slice(0, 200)}`;
        throw new vocabulary_UserError(`${bin} --version did not report a uv version (${how}).`);
    }
    return m[1];
}
// Only the parts of tool-cache the action calls: its downloader (and the HTTP client and undici 6
// it carries) is left out of the chunk, so a tool-cache hit loads a few kilobytes, not a megabyte.
const toolCache = () => Promise.all(/* import() */[__webpack_require__.e(88), __webpack_require__.e(805)]).then(__webpack_require__.bind(__webpack_require__, 59805));
async function installUv(inputs) {
    // Loaded here, not at start-up: a run that fails on its inputs never needs them.
    const [io, tc] = await Promise.all([Promise.resolve(/* import() */).then(__webpack_require__.bind(__webpack_require__, 88701)), toolCache()]);
    if (inputs.uvVersion === 'system') {
        const found = await io.which('uv', false);
        if (!found)
            throw new vocabulary_UserError("'uv-version' is 'system' but there is no uv on PATH: install uv in an earlier step, or set 'uv-version' to 'latest' or an exact version.");
        const version = await uvVersionOf(found);
        lib_core/* info */.pq(`Using uv ${version} from PATH: ${found}`);
        return { version, path: found };
    }
    const version = inputs.uvVersion === 'latest' ? await latestUv(inputs.uvIndexUrl) : inputs.uvVersion;
    const platform = currentPlatform();
    const target = uvTarget(platform);
    if (!target)
        throw new vocabulary_UserError(`uv has no release for this runner's platform (${describePlatform(platform)}): use 'uv-version: system' with a uv you install yourself.`);
    const cached = tc.find('uv', version, platform.arch);
    if (cached) {
        lib_core/* info */.pq(`uv ${version} found in the tool cache: ${cached}`);
    }
    else {
        await downloadAndCache(inputs.uvDownloadUrl, version, target, platform.arch, inputs.maxDownloadBytes);
    }
    const dir = tc.find('uv', version, platform.arch);
    if (!dir)
        throw new Error(`uv ${version} was cached but cannot be found in the tool cache`);
    lib_core/* addPath */.fM(dir);
    return { version, path: external_node_path_.join(dir, exe) };
}
async function latestUv(indexUrl) {
    const page = await fetchProject(indexUrl, 'uv', 'uv-index-url');
    const sel = selectForChannel(page.files, 'stable');
    if (!sel.chosen)
        throw new vocabulary_UserError(`No stable uv release found on ${secrets_redactUrl(indexUrl)} to resolve 'uv-version: latest': set 'uv-version' to an exact version.`);
    lib_core/* info */.pq(`Latest uv on ${secrets_redactUrl(indexUrl)}: ${sel.chosen.version}`);
    return sel.chosen.version;
}
async function downloadAndCache(base, version, target, arch, maxBytes) {
    const tc = await toolCache();
    const asset = `uv-${target.target}.${target.ext}`;
    const url = `${base.replace(/\/+$/, '')}/${version}/${asset}`;
    const work = await promises_.mkdtemp(external_node_path_.join(await ensureDir(runnerTemp()), 'uv-'));
    try {
        const expected = await expectedChecksum(`${url}.sha256`);
        const archive = external_node_path_.join(work, asset);
        try {
            await downloadFile(url, archive, { sha256: expected, maxBytes });
        }
        catch (e) {
            if (e instanceof HttpStatusError)
                throw new vocabulary_UserError(`Downloading uv ${version} failed: HTTP ${e.status} for ${secrets_redactUrl(url)}. Check 'uv-version' and 'uv-download-url'.`);
            if (e instanceof ChecksumError)
                throw new vocabulary_UserError(`${e.message}. Nothing was kept; the mirror at 'uv-download-url' or a proxy altered the file, or the checksum is wrong.`);
            if (e instanceof TooLargeError)
                throw new vocabulary_UserError(`Downloading uv ${version} failed: ${secrets_redactUrl(url)} is larger than 'max-download-mb' (${formatBytes(maxBytes)}); check 'uv-download-url', or raise 'max-download-mb'.`);
            if (e instanceof TlsError)
                throw new vocabulary_UserError(`Downloading uv ${version} failed: ${secrets_redactUrl(url)}: ${e.message}. ${TRUST}`);
            const why = cause(e);
            if (why !== null)
                throw new vocabulary_UserError(`Downloading uv ${version} failed: could not reach ${secrets_redactUrl(url)}: ${why}. Check 'uv-download-url', the network, or try again later.`);
            throw e;
        }
        lib_core/* info */.pq(`Downloaded and verified ${secrets_redactUrl(url)} (sha256 ${expected})`);
        const extracted = target.ext === 'zip' ? await tc.extractZip(archive, external_node_path_.join(work, 'x')) : await tc.extractTar(archive, external_node_path_.join(work, 'x'));
        // Unix archives hold a folder named after the asset; Windows zips hold the binaries at the root.
        const binDir = target.ext === 'zip' ? extracted : external_node_path_.join(extracted, `uv-${target.target}`);
        const bin = external_node_path_.join(binDir, exe);
        await promises_.access(bin).catch(() => {
            throw new vocabulary_UserError(`The uv archive ${secrets_redactUrl(url)} has no ${external_node_path_.relative(extracted, bin)} inside: check 'uv-download-url'.`);
        });
        const reported = await uvVersionOf(bin);
        if (!(0,pep440/* explain */.WE)(reported) || !(0,pep440.eq)(reported, version)) {
            throw new vocabulary_UserError(`The uv binary from ${secrets_redactUrl(url)} reports version ${reported}, not the ${version} asked for: the mirror at 'uv-download-url' serves the wrong file.`);
        }
        await tc.cacheDir(binDir, 'uv', version, arch);
    }
    finally {
        await promises_.rm(work, { recursive: true, force: true });
    }
}
// A checksum file is one line: a hash and a file name.
const CHECKSUM_MAX_BYTES = 4096;
// A certificate is not the network: trying again cannot help.
const TRUST = "Give the mirror at 'uv-download-url' a certificate the runner trusts (a private CA goes in NODE_EXTRA_CA_CERTS).";
async function expectedChecksum(url) {
    let text;
    try {
        text = (await getText(url, { maxBytes: CHECKSUM_MAX_BYTES })).text;
    }
    catch (e) {
        if (e instanceof HttpStatusError) {
            throw new vocabulary_UserError(`The checksum ${secrets_redactUrl(url)} is missing (HTTP ${e.status}); uv is never run unverified. Check 'uv-download-url' and 'uv-version'.`);
        }
        if (e instanceof TooLargeError) {
            throw new vocabulary_UserError(`uv's checksum file ${secrets_redactUrl(url)} is larger than ${formatBytes(CHECKSUM_MAX_BYTES)}, so it is not a checksum file; uv is never run unverified. Check 'uv-download-url'.`);
        }
        if (e instanceof TlsError)
            throw new vocabulary_UserError(`Could not read uv's checksum file ${secrets_redactUrl(url)}: ${e.message}. ${TRUST}`);
        const why = cause(e);
        if (why !== null)
            throw new vocabulary_UserError(`Could not read uv's checksum file ${secrets_redactUrl(url)}: ${why}; uv is never run unverified. Check 'uv-download-url', the network, or try again later.`);
        throw e;
    }
    const m = /^\s*([0-9a-fA-F]{64})\b/.exec(text);
    if (!m)
        throw new vocabulary_UserError(`The checksum file ${secrets_redactUrl(url)} holds no sha256; uv is never run unverified. Check 'uv-download-url'.`);
    return m[1].toLowerCase();
}
async function ensureDir(dir) {
    await promises_.mkdir(dir, { recursive: true });
    return dir;
}

;// CONCATENATED MODULE: ./src/io/actions-cache.ts
// The one adapter to the Actions cache, shared by every stage that keeps something across runs.

let noticeShown = false;
/**
 * The Actions cache client, or null where the service is not there (outside GitHub). It is
 * loaded only when a runner offers the service: it is most of the bundle's size, and most runs
 * never need it.
 */
async function cacheClient() {
    const offered = Boolean(process.env.ACTIONS_CACHE_URL || process.env.ACTIONS_RESULTS_URL);
    const cache = offered ? await Promise.all(/* import() */[__webpack_require__.e(377), __webpack_require__.e(88), __webpack_require__.e(830), __webpack_require__.e(396)]).then(__webpack_require__.bind(__webpack_require__, 1396)) : null;
    if (cache?.isFeatureAvailable())
        return cache;
    if (!noticeShown)
        lib_core/* info */.pq('The Actions cache service is not available here (not on a GitHub runner); nothing is kept across runs.');
    noticeShown = true;
    return null;
}
/** How long a cache call may take before the run goes on without it (a tunable for tests). */
const actions_cache_timeoutMs = () => Number(process.env.COMPAT_SENTINEL_HISTORY_TIMEOUT_MS) || 60_000;
let pending = false;
/** True when a cache call was given up on: its socket may hold the process open, so the run exits when done. */
const cacheCallPending = () => pending;
/**
 * `work`, or undefined (with a warning) when it takes longer than the bound: the cache client
 * waits for ever on a service that never answers, and the cache must never hold a run up.
 */
async function bounded(what, work) {
    let timer;
    const timeout = new Promise((resolve) => (timer = setTimeout(() => resolve('timeout'), actions_cache_timeoutMs())));
    const outcome = await Promise.race([work, timeout]);
    clearTimeout(timer);
    if (outcome !== 'timeout')
        return outcome;
    pending = true;
    lib_core/* warning */.$e(`${what} took longer than ${Math.round(actions_cache_timeoutMs() / 1000)} s; going on without it.`);
    return undefined;
}
/** Restores `paths` under `key` (or a `restoreKeys` prefix); the key that matched, or undefined. Failures are warnings. */
async function restore(what, paths, key, restoreKeys = []) {
    const cache = await cacheClient();
    if (!cache)
        return undefined;
    try {
        lib_core/* debug */.Yz(`Cache restore for ${what}: key ${key}, restore keys ${restoreKeys.join(', ') || 'none'}`);
        // The lookup is bounded (the download after it has the client's own segment timeout, and
        // may take long on its own).
        const found = await bounded(`Looking up ${what} in the Actions cache`, cache.restoreCache(paths.slice(), key, restoreKeys, { lookupOnly: true }));
        if (!found)
            return undefined;
        return await cache.restoreCache(paths, key, restoreKeys);
    }
    catch (e) {
        lib_core/* warning */.$e(`Restoring ${what} from the Actions cache failed (${e.message}); going on without it.`);
        return undefined;
    }
}
/** Saves `paths` under `key`; a failure is a warning, never the run's verdict. */
async function save(what, paths, key) {
    const cache = await cacheClient();
    if (!cache)
        return false;
    try {
        lib_core/* debug */.Yz(`Cache save for ${what}: key ${key}`);
        // The client reports its own failures as warnings and returns -1.
        return (await cache.saveCache(paths, key)) !== -1;
    }
    catch (e) {
        lib_core/* warning */.$e(`Saving ${what} to the Actions cache failed (${e.message}); the next run starts without it.`);
        return false;
    }
}

;// CONCATENATED MODULE: ./src/stages/uv-cache.ts
// uv's package cache across runs. A consumer's `uv run --with <server>` pays tens of seconds to
// download and build its dependencies with a cold cache and about two with a kept one, and every
// scheduled run starts on a fresh runner: so the cache is restored before the phases and saved
// after them, through the one Actions-cache adapter.







/** The folder uv uses: the user's UV_CACHE_DIR if set, else one under RUNNER_TEMP, exported to the commands. */
function cacheDir() {
    const dir = process.env.UV_CACHE_DIR || external_node_path_.join(sentinelTemp(), 'uv-cache');
    if (!process.env.UV_CACHE_DIR)
        lib_core/* exportVariable */.dN('UV_CACHE_DIR', dir);
    return dir;
}
/** Total size of the files under `dir` (0 when missing). */
async function sizeOf(dir) {
    let total = 0;
    const entries = await promises_.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
    for (const e of entries)
        if (e.isFile())
            total += (await promises_.stat(external_node_path_.join(e.parentPath, e.name)).catch(() => ({ size: 0 }))).size;
    return total;
}
/** A hash of the consumer's dependency files, so a change to them starts a new entry. */
async function dependencyHash(patterns, cwd) {
    if (!patterns.length)
        return 'none';
    const lines = patterns.map((p) => (p.startsWith('!') ? `!${external_node_path_.join(cwd, p.slice(1))}` : external_node_path_.join(cwd, p)));
    // Virtual environments and node_modules hold thousands of pyproject.toml files that are not the consumer's.
    lines.push(`!${external_node_path_.join(cwd, '**/node_modules/**')}`, `!${external_node_path_.join(cwd, '**/.venv/**')}`);
    const glob = await __webpack_require__.e(/* import() */ 377).then(__webpack_require__.bind(__webpack_require__, 42377));
    const hash = await glob.hashFiles(lines.join('\n'), cwd);
    return hash ? hash.slice(0, 16) : 'none';
}
/** Keys: exact = platform, leg, dependencies, version; fallbacks drop the version, then the leg. */
function uvCacheKeys(os, arch, leg, deps, version) {
    const base = `compat-sentinel-uv-v1-${os}-${arch}-`;
    const safeLeg = leg.replace(/[^A-Za-z0-9._-]/g, '_');
    return { key: `${base}${safeLeg}-${deps}-${version}`, restoreKeys: [`${base}${safeLeg}-${deps}-`, `${base}${safeLeg}-`, base] };
}
async function restoreUvCache(inputs, leg, version) {
    const none = { hit: false, dir: '', key: '', restoredKey: '', restoredBytes: 0, savedBytes: 0 };
    if (!inputs.cacheUv) {
        lib_core/* info */.pq("uv's cache is not kept across runs ('cache-uv' is false).");
        return none;
    }
    // Without the service there is nothing to restore or save: leave uv's cache where the user has it.
    if (!(await cacheClient()))
        return none;
    const dir = cacheDir();
    const platform = currentPlatform();
    const { key, restoreKeys } = uvCacheKeys(platform.os, platform.arch, leg, await dependencyHash(inputs.cacheDependencyGlob, inputs.workingDirectory), version);
    const restoredKey = (await restore("uv's cache", [dir], key, restoreKeys)) ?? '';
    const restoredBytes = restoredKey ? await sizeOf(dir) : 0;
    if (restoredKey)
        lib_core/* info */.pq(`Restored uv's cache (${formatBytes(restoredBytes)}) from ${restoredKey}${restoredKey === key ? '' : ' (a fallback: a new version or new dependencies)'}`);
    else
        lib_core/* info */.pq(`No uv cache for ${key} yet: this run fills ${dir} and saves it.`);
    return { hit: Boolean(restoredKey), key, restoredKey, restoredBytes, savedBytes: 0, dir };
}
/** Saves the cache when the exact key missed; `uv cache prune --ci` first only when asked (it drops the built wheels that save the time). */
async function saveUvCache(inputs, uvPath, cache) {
    if (!inputs.cacheUv || !cache.key)
        return cache;
    if (cache.restoredKey === cache.key) {
        lib_core/* info */.pq(`uv's cache came from the exact key ${cache.key}; not saved again.`);
        return cache;
    }
    if (inputs.pruneUvCache && uvPath) {
        const exec = await Promise.resolve(/* import() */).then(__webpack_require__.bind(__webpack_require__, 41955));
        const pruned = await exec.exec(uvPath, ['cache', 'prune', '--ci'], { ignoreReturnCode: true, env: { ...process.env, UV_CACHE_DIR: cache.dir } });
        if (pruned !== 0)
            lib_core/* warning */.$e(`'uv cache prune --ci' exited with ${pruned}; saving the cache as it is.`);
    }
    const savedBytes = await sizeOf(cache.dir);
    if (savedBytes === 0) {
        lib_core/* info */.pq("uv's cache is empty (the commands did not use uv): nothing to save.");
        return cache;
    }
    const saved = await save("uv's cache", [cache.dir], cache.key);
    if (saved)
        lib_core/* info */.pq(`Saved uv's cache (${formatBytes(savedBytes)}) as ${cache.key}`);
    return { ...cache, savedBytes: saved ? savedBytes : 0 };
}

;// CONCATENATED MODULE: ./src/io/tail.ts
// A bounded tail of a command's output: the last lines, ANSI-free and masked, whatever the size.

// Every escape sequence a terminal understands, so none reaches a tail, a summary or Slack:
// CSI (ESC [ or the 8-bit 0x9b) with parameters; strings (OSC ESC ], DCS ESC P, SOS ESC X,
// PM ESC ^, APC ESC _) up to BEL or ST (unterminated, only the introducer goes); nF sequences (ESC, intermediates, a final byte);
// two-byte Fp/Fe/Fs escapes; and finally any ESC left on its own.
const tail_ESCAPES = new RegExp(['(?:\\x1b\\[|\\x9b)[0-?]*[ -/]*[@-~]', '(?:\\x1b[\\]PX^_]|[\\x90\\x98\\x9d\\x9e\\x9f])[^\\x07\\x1b\\x9c]*(?:\\x07|\\x1b\\\\|\\x9c)', '\\x1b[ -/]+[0-~]', '\\x1b[0-~]', '\\x1b'].join('|'), 'g');
const stripAnsi = (s) => s.replace(tail_ESCAPES, '');
class LineSplitter {
    onLine;
    maxLine;
    partial = '';
    constructor(onLine, maxLine = 64 * 1024) {
        this.onLine = onLine;
        this.maxLine = maxLine;
    }
    push(chunk) {
        const parts = (this.partial + chunk).split('\n');
        this.partial = parts.pop() ?? '';
        for (const p of parts)
            this.onLine(p);
        // A line that never ends must not grow without bound: cut it, but never inside a secret
        // (neither half would be masked), so hold back enough to see a whole one across the cut.
        const margin = longestSecretForm();
        while (this.partial.length > this.maxLine + margin) {
            const cut = safeCut(this.partial, this.maxLine) || this.maxLine + margin;
            this.onLine(this.partial.slice(0, cut));
            this.partial = this.partial.slice(cut);
        }
    }
    flush() {
        if (this.partial)
            this.onLine(this.partial);
        this.partial = '';
    }
}
class Tail {
    maxLines;
    maxBytes;
    lines = [];
    bytes = 0;
    constructor(maxLines = 200, maxBytes = 64 * 1024) {
        this.maxLines = maxLines;
        this.maxBytes = maxBytes;
    }
    /** Takes one raw line (no newline). */
    add(raw) {
        const line = mask(stripAnsi(raw).replace(/\r$/, '')).slice(0, this.maxBytes);
        this.lines.push(line);
        this.bytes += Buffer.byteLength(line) + 1;
        while (this.lines.length > this.maxLines || (this.bytes > this.maxBytes && this.lines.length > 1)) {
            this.bytes -= Buffer.byteLength(this.lines.shift()) + 1;
        }
    }
    toString() {
        return this.lines.join('\n');
    }
}

;// CONCATENATED MODULE: ./src/io/process-tree.ts
// Every process a phase started, wherever it went: its process group, its descendants (also
// those that called setsid or `set -m` to leave the group), processes that were orphaned when
// their parent exited (daemonised servers), and, where the action may create one, a cgroup v2
// that nothing inside can leave. A phase is tracked three ways at once, so that what one way
// misses another finds:
//   - a cgroup v2 child of the action's own cgroup (Linux, where writable: root, or delegated);
//   - the process tree under the phase's shell, sampled while it runs (an orphan stays known);
//   - a marker variable, COMPAT_SENTINEL_PHASE_ID=<random>, in the phase's environment, which
//     every descendant inherits unless it clears its environment on purpose.
// When the phase ends, whatever its result, all of them are stopped: SIGTERM, then SIGKILL after
// a grace period.





const MARKER_ENV = 'COMPAT_SENTINEL_PHASE_ID';
const SAMPLE_MS = 500;
const isLinux = process.platform === 'linux';
const isWindows = process.platform === 'win32';
/** One /proc/<pid>/stat, or null when the process is gone. */
function readStat(pid) {
    let text;
    try {
        text = external_node_fs_.readFileSync(`/proc/${pid}/stat`, 'utf8');
    }
    catch {
        return null;
    }
    // The command name is in parentheses and may itself contain spaces and parentheses.
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { pid, state: f[0], ppid: Number(f[1]), pgid: Number(f[2]), start: f[19] };
}
function allPids() {
    try {
        return external_node_fs_.readdirSync('/proc')
            .filter((e) => /^\d+$/.test(e))
            .map(Number);
    }
    catch {
        return [];
    }
}
/** Every process on the machine but the action itself, from /proc. */
function liveStats() {
    return allPids()
        .filter((pid) => pid !== process.pid)
        .map(readStat)
        .filter((s) => s !== null);
}
function commandOf(pid) {
    try {
        return external_node_fs_.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, '').replace(/\0/g, ' ').slice(0, 300);
    }
    catch {
        return '';
    }
}
function carriesMarker(pid, marker) {
    try {
        return external_node_fs_.readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`${MARKER_ENV}=${marker}`);
    }
    catch {
        return false;
    }
}
/** The action's own cgroup v2 folder, or null where there is no cgroup v2 (or no /proc). */
function ownCgroupDir() {
    try {
        const rel = /^0::(.*)$/m.exec(external_node_fs_.readFileSync('/proc/self/cgroup', 'utf8'))?.[1];
        if (rel === undefined)
            return null;
        // mountinfo: "... <mount point> <options> - cgroup2 <source> <super options>"
        for (const line of external_node_fs_.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
            const [before, after] = line.split(' - ');
            if (!after?.startsWith('cgroup2 '))
                continue;
            const fields = before.split(' ');
            const root = fields[3];
            const mount = fields[4];
            // A mount of a sub-tree (in a container) shows paths relative to its own root.
            const inside = rel.startsWith(root) ? rel.slice(root === '/' ? 0 : root.length) : rel;
            const dir = external_node_path_.join(mount, inside);
            if (external_node_fs_.existsSync(external_node_path_.join(dir, 'cgroup.procs')))
                return dir;
        }
    }
    catch {
        // no /proc: not Linux, or a sandbox without it
    }
    return null;
}
function process_tree_sleep(ms) {
    return new Promise((r) => setTimeout(r, ms));
}
function signal(pid, sig) {
    try {
        process.kill(pid, sig);
    }
    catch {
        // ESRCH: already gone; EPERM: not ours to stop
    }
}
class PhaseProcesses {
    /** The value of the marker variable for this phase. */
    marker;
    cgroup = null;
    root;
    /** pid -> start time of every process seen under the phase's shell. */
    seen = new Map();
    sampler;
    constructor(name) {
        this.marker = `${name}-${(0,external_node_crypto_.randomBytes)(8).toString('hex')}`;
    }
    /** The phase's environment with the marker in it. */
    env(base) {
        return { ...base, [MARKER_ENV]: this.marker };
    }
    /**
     * How to start the phase's shell so that it is inside the phase's cgroup before it runs
     * anything (moving it after the start would race with its first fork): where a cgroup can be
     * created, a /bin/sh moves itself in, then execs the shell (same process, same pid).
     */
    command(file, args) {
        if (!isLinux)
            return { file, args };
        this.cgroup = this.createCgroup();
        if (!this.cgroup)
            return { file, args };
        // A failed move leaves the shell where it was: the /proc tracking still applies.
        return { file: '/bin/sh', args: ['-c', 'echo $$ > "$0" 2>/dev/null; exec "$@"', external_node_path_.join(this.cgroup, 'cgroup.procs'), file, ...args] };
    }
    /** Starts tracking the phase's shell (just spawned, in its own process group). */
    adopt(pid) {
        this.root = pid;
        if (!isLinux)
            return;
        this.seen.set(pid, readStat(pid)?.start ?? '');
        this.sampler = setInterval(() => this.sample(), SAMPLE_MS);
        this.sampler.unref();
    }
    /** A child cgroup for the phase; null where that is not allowed. */
    createCgroup() {
        if (process.env.COMPAT_SENTINEL_CGROUP === 'off')
            return null;
        const own = ownCgroupDir();
        if (!own)
            return null;
        const dir = external_node_path_.join(own, `compat-sentinel-${this.marker}`);
        try {
            external_node_fs_.mkdirSync(dir);
            lib_core/* debug */.Yz(`The phase runs in cgroup ${dir}`);
            return dir;
        }
        catch (e) {
            lib_core/* debug */.Yz(`No cgroup for the phase (${e.message}); tracking its processes through /proc`);
            return null;
        }
    }
    /** Remembers every descendant of the shell now, so one orphaned later is still known. */
    sample(stats = liveStats()) {
        if (this.root === undefined)
            return;
        const children = new Map();
        for (const s of stats) {
            const siblings = children.get(s.ppid);
            if (siblings)
                siblings.push(s);
            else
                children.set(s.ppid, [s]);
        }
        const alive = new Map(stats.map((s) => [s.pid, s.start]));
        const queue = [...this.seen].filter(([pid, start]) => alive.get(pid) === start).map(([pid]) => pid);
        while (queue.length) {
            for (const c of children.get(queue.pop()) ?? []) {
                if (this.seen.get(c.pid) === c.start)
                    continue;
                this.seen.set(c.pid, c.start);
                queue.push(c.pid);
            }
        }
    }
    /** Every live (not zombie) process of the phase, found any of the ways: one pass over /proc. */
    members() {
        if (this.root === undefined)
            return [];
        if (!isLinux)
            return [];
        const stats = liveStats();
        this.sample(stats);
        const found = new Set();
        if (this.cgroup) {
            try {
                for (const p of external_node_fs_.readFileSync(external_node_path_.join(this.cgroup, 'cgroup.procs'), 'utf8').split('\n'))
                    if (p)
                        found.add(Number(p));
            }
            catch {
                // removed already
            }
        }
        // Only a process started since the phase's shell can carry its marker: the environment of
        // the rest of the machine is not read.
        const since = Number(this.seen.get(this.root)) || 0;
        for (const s of stats) {
            if (s.pgid === this.root || this.seen.get(s.pid) === s.start || (Number(s.start) >= since && carriesMarker(s.pid, this.marker)))
                found.add(s.pid);
        }
        const byPid = new Map(stats.map((s) => [s.pid, s]));
        return [...found].filter((pid) => {
            const s = byPid.get(pid) ?? readStat(pid);
            return s !== null && s.state !== 'Z';
        });
    }
    groupAlive() {
        if (this.root === undefined || isWindows)
            return false;
        try {
            process.kill(-this.root, 0);
            return true;
        }
        catch {
            return false;
        }
    }
    signalAll(live, sig) {
        if (this.root === undefined)
            return;
        if (isWindows) {
            (0,external_node_child_process_.spawn)('taskkill', ['/pid', String(this.root), '/T', '/F'], { stdio: 'ignore' }).on('error', () => { });
            return;
        }
        signal(-this.root, sig);
        for (const pid of live)
            signal(pid, sig);
        if (sig === 'SIGKILL' && this.cgroup) {
            try {
                external_node_fs_.writeFileSync(external_node_path_.join(this.cgroup, 'cgroup.kill'), '1');
            }
            catch {
                // kernels before 5.14 have no cgroup.kill: the signals did it
            }
        }
    }
    /**
     * Stops every process of the phase: SIGTERM, then SIGKILL for what is left after `graceMs`.
     * Returns what was running (on a timeout, the phase's shell itself included).
     */
    async stop(graceMs) {
        if (this.root === undefined) {
            this.release();
            return [];
        }
        if (isWindows) {
            // taskkill /T takes the tree down at once; Windows has no process groups to wait on.
            this.signalAll([], 'SIGKILL');
            return [];
        }
        const stopped = new Map();
        // Elsewhere than Linux only the process group is known.
        const live = () => {
            const found = isLinux ? this.members() : this.groupAlive() ? [this.root] : [];
            for (const pid of found)
                if (!stopped.has(pid))
                    stopped.set(pid, isLinux ? commandOf(pid) : '');
            return found;
        };
        let now = live();
        if (now.length || this.groupAlive()) {
            this.signalAll(now, 'SIGTERM');
            const termed = new Set(now);
            const deadline = Date.now() + graceMs;
            while (now.length && Date.now() < deadline) {
                await process_tree_sleep(50);
                now = live();
                // A process started during shutdown gets the same treatment.
                const fresh = now.filter((p) => !termed.has(p));
                for (const p of fresh)
                    termed.add(p);
                if (fresh.length)
                    this.signalAll(fresh, 'SIGTERM');
            }
            for (let i = 0; i < 40 && (now.length || this.groupAlive()); i++) {
                this.signalAll(now, 'SIGKILL');
                await process_tree_sleep(50);
                now = live();
            }
        }
        this.release();
        return [...stopped].map(([pid, command]) => ({ pid, command }));
    }
    /** Stops sampling and removes the cgroup (empty by now). */
    release() {
        clearInterval(this.sampler);
        if (!this.cgroup)
            return;
        try {
            external_node_fs_.rmdirSync(this.cgroup);
        }
        catch (e) {
            lib_core/* debug */.Yz(`Could not remove ${this.cgroup}: ${e.message}`);
        }
        this.cgroup = null;
    }
}

;// CONCATENATED MODULE: ./src/core/command-file.ts
// The runner's command files (GITHUB_OUTPUT, GITHUB_ENV) hold records: `name=value` lines and
// `name<<DELIMITER` ... `DELIMITER` blocks. A command killed mid-write leaves a block open, and
// an open block swallows whatever is appended after it, so only whole records are passed on.
/** Splits a command file into the records the runner would accept and what it would not. */
function completeRecords(file) {
    const lines = file.split('\n');
    if (lines.at(-1) === '')
        lines.pop();
    const kept = [];
    const dropped = [];
    for (let i = 0; i < lines.length; i++) {
        const line = lines[i];
        const bare = line.replace(/\r$/, '');
        if (!bare.trim())
            continue;
        // As the runner reads it: `<<` before any `=` opens a block.
        const eq = bare.indexOf('=');
        const heredoc = bare.indexOf('<<');
        if (heredoc > 0 && (eq < 0 || heredoc < eq)) {
            const name = bare.slice(0, heredoc);
            const delimiter = bare.slice(heredoc + 2);
            const end = lines.findIndex((l, j) => j > i && l.replace(/\r$/, '') === delimiter);
            if (!delimiter || end === -1) {
                dropped.push(`'${name}' (its ${delimiter ? `'${delimiter}' block never ends` : 'block has no delimiter'})`);
                break;
            }
            kept.push(...lines.slice(i, end + 1));
            i = end;
        }
        else if (eq > 0) {
            kept.push(line);
        }
        else {
            dropped.push(`a line that is neither name=value nor name<<DELIMITER (line ${i + 1})`);
        }
    }
    return { text: kept.map((l) => `${l}\n`).join(''), dropped };
}

;// CONCATENATED MODULE: ./src/io/command-files.ts
// Each phase gets its own GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH and GITHUB_STEP_SUMMARY, so a
// command killed mid-write cannot corrupt the action's own outputs. After the phase, what is
// complete is appended to the runner's files: whole records only (an open heredoc is dropped
// with a warning), and a bounded, masked share of the job summary.






const COMMAND_FILES = ['GITHUB_OUTPUT', 'GITHUB_ENV', 'GITHUB_PATH', 'GITHUB_STEP_SUMMARY'];
let summaryUsed = 0;
/** Fresh, empty command files for one phase, in `dir`. */
async function phaseCommandFiles(dir) {
    await promises_.mkdir(dir, { recursive: true });
    const files = {};
    for (const name of COMMAND_FILES) {
        files[name] = external_node_path_.join(dir, name.toLowerCase());
        await promises_.writeFile(files[name], '');
    }
    return files;
}
async function append(target, text, what) {
    if (!text)
        return;
    if (!target) {
        lib_core/* debug */.Yz(`No runner file for ${what}; not passed on`);
        return;
    }
    await promises_.appendFile(target, text).catch((e) => lib_core/* warning */.$e(`Could not pass on ${what} to ${target}: ${e.message}`));
}
/** Appends what the phase wrote, where complete, to the runner's own files; removes the phase's. */
async function forwardCommandFiles(files, phase, runner = process.env) {
    const read = (f) => promises_.readFile(f, 'utf8').catch(() => '');
    for (const name of ['GITHUB_OUTPUT', 'GITHUB_ENV']) {
        const { text, dropped } = completeRecords(await read(files[name]));
        for (const d of dropped)
            lib_core/* warning */.$e(`The ${phase} command left an incomplete record in ${name}: ${d}. It was dropped; the records before it were kept.`);
        await append(runner[name], text, `the ${phase} command's ${name}`);
    }
    const paths = (await read(files.GITHUB_PATH)).split('\n').filter((l) => l.trim());
    await append(runner.GITHUB_PATH, paths.map((p) => `${p}\n`).join(''), `the ${phase} command's GITHUB_PATH`);
    let summary = mask(await read(files.GITHUB_STEP_SUMMARY));
    if (summary) {
        const room = Math.max(0, COMMAND_SUMMARY_LIMIT - summaryUsed);
        if (Buffer.byteLength(summary) > room) {
            const cut = Buffer.from(summary)
                .subarray(0, room)
                .toString('utf8')
                .replace(/\uFFFD$/, '');
            summary = `${cut.slice(0, cut.lastIndexOf('\n') + 1)}\n_compat-sentinel: the ${phase} command's job summary was cut at ${COMMAND_SUMMARY_LIMIT / 1024} KiB to keep the whole summary under GitHub's 1 MiB._\n`;
            lib_core/* warning */.$e(`The ${phase} command wrote more than ${COMMAND_SUMMARY_LIMIT / 1024} KiB of job summary; it was cut.`);
        }
        summaryUsed += Buffer.byteLength(summary);
        await append(runner.GITHUB_STEP_SUMMARY, summary.endsWith('\n') ? summary : `${summary}\n`, `the ${phase} command's job summary`);
    }
    await promises_.rm(external_node_path_.dirname(files.GITHUB_OUTPUT), { recursive: true, force: true });
}

;// CONCATENATED MODULE: ./src/stages/phases.ts
// Run a user command the way a GitHub `run:` step does: in bash, in its own process group, with
// its own command files (GITHUB_OUTPUT, ...), live output, a bounded masked tail, and a timeout;
// when it ends, every process it started is stopped (src/io/process-tree.ts).










const GRACE_MS = Number(process.env.COMPAT_SENTINEL_KILL_GRACE_MS) || 5_000;
const phases_isWindows = process.platform === 'win32';
// A limit as a user set it (whole minutes), or, when a deadline cut it (a bisection probe's share of
// its budget), in seconds rather than as 0.049883333333333335 min.
const span = (ms) => (ms > 0 && ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Number((ms / 1000).toFixed(1))} s`);
/**
 * The bash a `shell: bash` step uses: on Windows that is Git for Windows' bash, named by path,
 * because `bash` on PATH can be the WSL launcher. Elsewhere the first bash on the phase's PATH;
 * none at all (a slim container) means the phase cannot run: nothing was tested.
 */
function bash(env, phase) {
    if (phases_isWindows) {
        const git = external_node_path_.join(process.env.ProgramFiles || 'C:\\Program Files', 'Git', 'bin', 'bash.exe');
        return (0,external_node_fs_.existsSync)(git) ? git : 'bash';
    }
    for (const dir of (env.PATH ?? '').split(external_node_path_.delimiter).filter(Boolean)) {
        const candidate = external_node_path_.join(dir, 'bash');
        try {
            (0,external_node_fs_.accessSync)(candidate, external_node_fs_.constants.X_OK);
            return candidate;
        }
        catch {
            // not here
        }
    }
    throw cannotStart(phase, `bash was not found on PATH (${env.PATH ?? 'not set'})`);
}
function cannotStart(phase, why) {
    return new vocabulary_UserError(`could not start bash to run the ${phase} command (${why}): the commands run in bash, as in a \`shell: bash\` step; install bash in the job's container or image`);
}
/** The phase running now, so a cancelled action can still take its processes down. */
let phases_current;
/** Set once the action is cancelled or has crashed: no command starts after that (record would spend money). */
let stopping = false;
/** True once the action is being cancelled: a command killed now says nothing about the build. */
const runStopping = () => stopping;
/** Called when the action itself is cancelled. */
async function stopCurrentPhase() {
    stopping = true;
    if (phases_current)
        await phases_current.stop(GRACE_MS);
}
/** One line for the log and the tail: what was still running when the phase ended. */
function stoppedLine(phase, stopped, timedOut) {
    const shown = stopped.slice(0, 10).map((p) => `${p.pid}${p.command ? ` (${mask(p.command).slice(0, 120)})` : ''}`);
    const more = stopped.length > shown.length ? ` and ${stopped.length - shown.length} more` : '';
    return `compat-sentinel: stopped ${stopped.length} process${stopped.length === 1 ? '' : 'es'} ${timedOut ? `the ${phase} command had started` : `the ${phase} command left running`}: ${shown.join(', ')}${more}`;
}
async function runPhase(spec) {
    if (stopping)
        throw new vocabulary_UserError(`the ${spec.name} command was not started: the run is being cancelled`);
    // GitHub writes a run step to a file and runs `bash --noprofile --norc -eo pipefail <file>`.
    await promises_.mkdir(spec.tempDir, { recursive: true });
    const id = `${spec.name}-${process.pid}-${Date.now()}`;
    const script = external_node_path_.join(spec.tempDir, `${id}.sh`);
    await promises_.writeFile(script, `${spec.command}\n`, { mode: 0o700 });
    const files = await phaseCommandFiles(external_node_path_.join(spec.tempDir, `${id}-files`));
    const processes = new PhaseProcesses(spec.name);
    const env = processes.env({ ...spec.env, ...files });
    let shell;
    try {
        shell = bash(env, spec.name);
    }
    catch (e) {
        await promises_.rm(script, { force: true });
        await promises_.rm(external_node_path_.dirname(files.GITHUB_OUTPUT), { recursive: true, force: true });
        throw e;
    }
    const start = processes.command(shell, ['--noprofile', '--norc', '-eo', 'pipefail', script]);
    const tail = new Tail();
    const started = Date.now();
    const child = (0,external_node_child_process_.spawn)(start.file, start.args, {
        cwd: spec.cwd,
        env,
        detached: !phases_isWindows, // its own process group, so the whole tree can be signalled
        stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid !== undefined)
        processes.adopt(child.pid);
    phases_current = processes;
    for (const stream of [child.stdout, child.stderr]) {
        let blocked = false;
        const lines = new LineSplitter((line) => {
            tail.add(line);
            spec.onLine?.(line);
            if (!process.stdout.write(`${mask(line)}\n`))
                blocked = true;
        });
        stream.setEncoding('utf8');
        stream.on('data', (chunk) => {
            lines.push(chunk);
            // Where the log is slower than the command, wait for it rather than buffer without bound.
            if (blocked) {
                blocked = false;
                stream.pause();
                process.stdout.once('drain', () => stream.resume());
            }
        });
        stream.on('end', () => lines.flush());
    }
    let timedOut;
    const timer = setTimeout(() => {
        process.stdout.write(`compat-sentinel: ${spec.name} exceeded ${span(spec.timeoutMs)}; stopping all its processes\n`);
        timedOut = processes.stop(GRACE_MS);
    }, spec.timeoutMs);
    const exit = await new Promise((resolve) => {
        child.once('error', (error) => resolve({ code: null, signal: null, error }));
        child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    clearTimeout(timer);
    // Whatever the result, nothing the phase started outlives it: background servers, daemons,
    // `setsid` and `set -m` children, processes wrapped in `timeout`.
    const stopped = [...((await timedOut) ?? []), ...(await processes.stop(GRACE_MS))];
    await phases_closed(child);
    phases_current = undefined;
    await promises_.rm(script, { force: true });
    // A probe tested another build: later steps must see what the tested build's commands wrote.
    if (spec.passOn === false)
        await promises_.rm(external_node_path_.dirname(files.GITHUB_OUTPUT), { recursive: true, force: true });
    else
        await forwardCommandFiles(files, spec.name);
    if (exit.error) {
        // Nothing was tested: not a verdict on the version, and no reason to run record.
        throw cannotStart(spec.name, exit.error.message);
    }
    const report = {
        result: timedOut ? 'timeout' : exit.code === 0 ? 'success' : 'failure',
        exitCode: exit.code,
        durationMs: Date.now() - started,
        logTail: '',
    };
    if (exit.signal && !timedOut)
        report.signal = exit.signal;
    // On a timeout the phase's own shell is among them; otherwise these are true survivors.
    const survivors = stopped.filter((p) => timedOut === undefined || p.pid !== child.pid);
    if (survivors.length) {
        const line = stoppedLine(spec.name, survivors, timedOut !== undefined);
        lib_core/* warning */.$e(line);
        tail.add(line);
        report.stopped = survivors.map((p) => ({ pid: p.pid, command: mask(p.command) }));
    }
    report.logTail = tail.toString();
    return report;
}
/** Waits for the output pipes to close, but not forever (a process that left the group may hold them). */
async function phases_closed(child) {
    if (child.stdout?.closed !== false && child.stderr?.closed !== false)
        return;
    await Promise.race([new Promise((r) => child.once('close', r)), new Promise((r) => setTimeout(r, 2_000))]);
    child.stdout?.destroy();
    child.stderr?.destroy();
}

;// CONCATENATED MODULE: ./src/io/hash.ts
// One streamed sha256 of a file: fixtures and wheels can be gigabytes, never read whole.


async function sha256File(file) {
    const hash = (0,external_node_crypto_.createHash)('sha256');
    for await (const chunk of (0,external_node_fs_.createReadStream)(file))
        hash.update(chunk);
    return hash.digest('hex');
}

;// CONCATENATED MODULE: ./src/stages/fixtures.ts
// What a record run did to the recordings folder: a content-hash snapshot before and after.



/** Relative path (with /) to sha256 of every regular file below `dir`; empty if `dir` is missing. */
async function snapshot(dir) {
    const out = new Map();
    async function walk(rel) {
        let entries;
        try {
            entries = await promises_.readdir(external_node_path_.join(dir, rel), { withFileTypes: true });
        }
        catch (e) {
            if (e.code === 'ENOENT')
                return;
            throw e;
        }
        for (const ent of entries) {
            const child = rel ? `${rel}/${ent.name}` : ent.name;
            if (ent.isDirectory())
                await walk(child);
            else if (ent.isFile())
                out.set(child, await sha256File(external_node_path_.join(dir, child)));
        }
    }
    await walk('');
    return out;
}
function diffSnapshots(before, after, prefix = '') {
    const changes = [];
    const p = (f) => (prefix ? `${prefix.replace(/\/+$/, '')}/${f}` : f);
    for (const [file, hash] of after) {
        const old = before.get(file);
        if (old === undefined)
            changes.push({ path: p(file), change: 'added' });
        else if (old !== hash)
            changes.push({ path: p(file), change: 'modified' });
    }
    for (const file of before.keys())
        if (!after.has(file))
            changes.push({ path: p(file), change: 'deleted' });
    return changes.sort((a, b) => a.path.localeCompare(b.path));
}

// EXTERNAL MODULE: ./src/core/recordings/types.ts
var types = __webpack_require__(34797);
// EXTERNAL MODULE: external "node:util"
var external_node_util_ = __webpack_require__(57975);
;// CONCATENATED MODULE: ./src/io/fixtures-patch.ts
// The refreshed recordings as a patch a pull request can apply: git in a throwaway repository
// (its own object store and index under RUNNER_TEMP), never the user's. The before-tree is built
// from a copy taken before record, the after-tree from the folder itself; `git diff --binary` of
// the two trees has paths relative to the repository root, so `git apply` works from there.
// git runs without a shell; file names reach it only as pathspec arguments after `--`.





const run = (0,external_node_util_.promisify)(external_node_child_process_.execFile);
/** The user's git configuration (filters such as LFS, external diff drivers) must not shape the patch. */
function gitEnv(gitDir, index) {
    return { ...process.env, GIT_DIR: gitDir, GIT_INDEX_FILE: index, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: external_node_os_.devNull, GIT_TERMINAL_PROMPT: '0' };
}
const SAFE = ['-c', 'core.autocrlf=false', '-c', 'core.safecrlf=false', '-c', 'core.quotepath=false'];
async function git(args, gitDir, index, cwd) {
    const { stdout } = await run('git', [...SAFE, ...args], { cwd, env: gitEnv(gitDir, index), maxBuffer: 1024 * 1024 });
    return stdout.trim();
}
/** The tree of `rel` under `root`, as git would commit it (the empty tree when there is nothing). */
async function treeOf(root, rel, hasFiles, gitDir, index) {
    if (hasFiles)
        await git(['--work-tree', root, 'add', '--all', '--force', '--', rel], gitDir, index, root);
    return git(['write-tree'], gitDir, index, gitDir);
}
/** The directory of the repository that holds `dir`, or undefined outside one (or without git). */
async function repositoryRoot(dir) {
    try {
        const { stdout } = await run('git', ['rev-parse', '--show-toplevel'], { cwd: dir, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
        return stdout.trim() || undefined;
    }
    catch {
        return undefined;
    }
}
/** Writes `git diff --binary` of before vs after into `patchFile`; returns false when they are the same. */
async function writePatch(sides, work, patchFile) {
    const gitDir = external_node_path_.join(work, 'git');
    await run('git', ['init', '--quiet', '--bare', gitDir], { env: gitEnv(gitDir, external_node_path_.join(work, 'index-init')) });
    const before = await treeOf(sides.beforeRoot, sides.rel, sides.beforeHasFiles, gitDir, external_node_path_.join(work, 'index-before'));
    const after = await treeOf(sides.afterRoot, sides.rel, sides.afterHasFiles, gitDir, external_node_path_.join(work, 'index-after'));
    if (before === after)
        return false;
    await external_node_fs_.promises.mkdir(external_node_path_.dirname(patchFile), { recursive: true });
    // Straight into the file: a patch of a large folder never passes through this process's memory.
    const out = await external_node_fs_.promises.open(patchFile, 'w');
    try {
        const code = await new Promise((resolve, reject) => {
            const child = (0,external_node_child_process_.spawn)('git', [...SAFE, 'diff', '--binary', '--no-color', '--no-ext-diff', '--no-textconv', before, after, '--'], {
                cwd: gitDir,
                env: gitEnv(gitDir, external_node_path_.join(work, 'index-after')),
                stdio: ['ignore', out.fd, 'pipe'],
            });
            let err = '';
            child.stderr?.on('data', (d) => (err = (err + d.toString()).slice(-2000)));
            child.on('error', reject);
            child.on('close', (c) => (c === 0 ? resolve(c) : reject(new Error(`git diff exited with ${c}: ${err.trim()}`))));
        });
        return code === 0;
    }
    finally {
        await out.close();
    }
}

;// CONCATENATED MODULE: ./src/stages/recordings.ts
// Stage "What changed in the recordings", the part that touches files: keep a copy of the recordings
// before record, then compare, write the patch, and guard both against secrets.
// Memory stays bounded: files are read one at a time, large ones only hashed, the copy and the
// patch live on disk.









/** Follows symlinks as far as the path exists, so git's real toplevel and ours compare. */
async function realish(p) {
    try {
        return await promises_.realpath(p);
    }
    catch {
        const parent = external_node_path_.dirname(p);
        return parent === p ? p : external_node_path_.join(await realish(parent), external_node_path_.basename(p));
    }
}
/** Copies the recordings folder aside before record; null (and a warning) if that fails. */
async function keepRecordings(fixturesDir, workingDirectory, tempDir = sentinelTemp()) {
    try {
        const dir = await realish(fixturesDir);
        const top = (await repositoryRoot(workingDirectory)) ?? workspace();
        const root = await realish(top);
        let rel = external_node_path_.relative(root, dir).split(external_node_path_.sep).join('/');
        const inside = rel !== '..' && !rel.startsWith('../') && !external_node_path_.isAbsolute(rel);
        lib_core/* debug */.Yz(`recordings: patch paths relative to ${inside ? root : dir}`);
        if (!inside)
            rel = '';
        await promises_.mkdir(tempDir, { recursive: true });
        const work = await promises_.mkdtemp(external_node_path_.join(tempDir, 'recordings-'));
        const copy = external_node_path_.join(work, 'before', rel);
        await promises_.mkdir(copy, { recursive: true });
        // Streams file by file (copyFile). Files over the size limit are compared by hash only and
        // never go into a patch, so they are not copied: a 2 GiB fixture costs no second 2 GiB.
        const small = async (src) => {
            const st = await promises_.lstat(src);
            return !st.isFile() || st.size <= types/* LIMITS */.b1.maxFileBytes;
        };
        if (await promises_.stat(dir).catch(() => null))
            await promises_.cp(dir, copy, { recursive: true, verbatimSymlinks: true, filter: small });
        return { fixturesDir: dir, root: inside ? root : dir, rel: rel || '.', work };
    }
    catch (e) {
        lib_core/* warning */.$e(`Could not keep a copy of the recordings before record, so what changed in them is not described: ${e.message}`);
        return null;
    }
}
/** True when any secret value occurs in the file; read in chunks that overlap by a secret's length. */
async function fileHasSecret(file, secrets) {
    if (!secrets.length)
        return false;
    const keep = Math.max(...secrets.map((s) => s.length)) - 1;
    let carry = Buffer.alloc(0);
    for await (const chunk of (0,external_node_fs_.createReadStream)(file, { highWaterMark: 1024 * 1024 })) {
        const buf = Buffer.concat([carry, chunk]);
        if (secrets.some((s) => buf.includes(s)))
            return true;
        carry = buf.subarray(Math.max(0, buf.length - keep));
    }
    return false;
}
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
/** One file's text for the parsers, masked before anything is taken from it; or why not. */
async function load(file) {
    const stat = await promises_.stat(file).catch((e) => {
        if (e.code === 'ENOENT')
            return null;
        throw e;
    });
    // A large file was not kept before record (see keepRecordings).
    if (!stat)
        return { skipped: `larger than ${mb(types/* LIMITS */.b1.maxFileBytes)}: compared by hash only` };
    if (stat.size > types/* LIMITS */.b1.maxFileBytes)
        return { skipped: `larger than ${mb(types/* LIMITS */.b1.maxFileBytes)} (${mb(stat.size)}): compared by hash only` };
    const buf = await promises_.readFile(file);
    // git's rule: a NUL byte early on means binary.
    if (buf.subarray(0, 8000).includes(0))
        return { skipped: 'binary: compared by hash only' };
    return { text: mask(buf.toString('utf8')) };
}
const toChange = (c) => ({ file: c.path, change: c.change });
/**
 * Compares the kept copy with the folder after record: the interaction-level diff, and the patch
 * in `patchFile` unless nothing changed or a recording holds a secret. Never throws: this
 * describes a verdict, it must not turn one into an error.
 */
async function describeRecordings(kept, before, after, shownPrefix, patchFile) {
    await promises_.rm(patchFile, { force: true }).catch(() => undefined);
    if (!kept)
        return { fixtureDiff: null, fixturesPatch: '' };
    const beforeDir = external_node_path_.join(kept.work, 'before', kept.rel);
    try {
        const changes = diffSnapshots(before, after).map(toChange);
        const prefix = shownPrefix.replace(/\/+$/, '');
        const label = (f) => (prefix ? `${prefix}/${f}` : f);
        const from = (side, f) => external_node_path_.join(side === 'before' ? beforeDir : kept.fixturesDir, ...f.split('/'));
        // The parsers (YAML, a JSON diff) load only on a run that recorded: most runs never do.
        const { compareRecordings } = await Promise.all(/* import() */[__webpack_require__.e(189), __webpack_require__.e(213)]).then(__webpack_require__.bind(__webpack_require__, 7213));
        const diff = await compareRecordings(changes, (side, f) => load(from(side, f)), label);
        lib_core/* info */.pq(`${diff.counts.files} file(s) changed: ${diff.counts.requestChanged} request(s) and ${diff.counts.responseChanged} response(s) changed, ${diff.counts.added} interaction(s) added, ${diff.counts.removed} removed`);
        for (const e of diff.requestChanged)
            if (e.previousFile)
                lib_core/* debug */.Yz(`paired ${e.previousFile} (deleted) with ${e.file} (added): same call, ${e.identity}`);
        if (!changes.length)
            return { fixtureDiff: diff, fixturesPatch: '' };
        // A patch carries recordings a reviewer can read: none over the size limit (also not kept before record).
        for (const c of changes) {
            const size = c.change === 'deleted' ? 0 : (await promises_.stat(from('after', c.file))).size;
            if (size > types/* LIMITS */.b1.maxFileBytes || (c.change !== 'added' && !(await promises_.stat(from('before', c.file)).catch(() => null)))) {
                lib_core/* info */.pq(`No patch of the recordings: ${label(c.file)} is larger than ${mb(types/* LIMITS */.b1.maxFileBytes)}; commit the recordings from the runner's workspace instead.`);
                return { fixtureDiff: { ...diff, patchNote: `no patch: ${label(c.file)} is larger than ${mb(types/* LIMITS */.b1.maxFileBytes)}` }, fixturesPatch: '' };
            }
        }
        const secrets = secretValues().map((s) => Buffer.from(s));
        for (const c of changes) {
            if (c.change !== 'deleted' && (await fileHasSecret(from('after', c.file), secrets))) {
                lib_core/* warning */.$e(`${label(c.file)} contains the value of a secret environment variable: no patch is written. Remove it from the recording (most recorders can filter headers) and record again.`);
                return { fixtureDiff: { ...diff, patchNote: types/* SECRET_NOTE */.wA }, fixturesPatch: '' };
            }
        }
        let written;
        try {
            written = await writePatch({ beforeRoot: external_node_path_.join(kept.work, 'before'), afterRoot: kept.root, rel: kept.rel, beforeHasFiles: before.size > 0, afterHasFiles: after.size > 0 }, kept.work, patchFile);
        }
        catch (e) {
            await promises_.rm(patchFile, { force: true }).catch(() => undefined);
            const why = mask(e.message).split('\n')[0];
            lib_core/* warning */.$e(`Could not write the patch of the recordings (is git installed?): ${why}`);
            return { fixtureDiff: { ...diff, patchNote: `no patch: git failed (${why})` }, fixturesPatch: '' };
        }
        if (!written)
            return { fixtureDiff: diff, fixturesPatch: '' };
        // The before side too: a secret committed earlier must not travel in a new artifact.
        if (await fileHasSecret(patchFile, secrets)) {
            await promises_.rm(patchFile, { force: true });
            lib_core/* warning */.$e('The fixtures patch contains the value of a secret environment variable: it was deleted, not published.');
            return { fixtureDiff: { ...diff, patchNote: types/* SECRET_NOTE */.wA }, fixturesPatch: '' };
        }
        lib_core/* info */.pq(`Patch of the recordings: ${patchFile} (git apply it from ${kept.root})`);
        return { fixtureDiff: diff, fixturesPatch: patchFile };
    }
    catch (e) {
        await promises_.rm(patchFile, { force: true }).catch(() => undefined);
        lib_core/* warning */.$e(`Could not describe what changed in the recordings: ${mask(e.message)}`);
        return { fixtureDiff: null, fixturesPatch: '' };
    }
    finally {
        // The copy and the throwaway repository may hold what the recordings hold: gone when done.
        await promises_.rm(kept.work, { recursive: true, force: true }).catch(() => undefined);
    }
}

;// CONCATENATED MODULE: ./src/core/log-lines.ts
// What a failed phase's output says, in one line: the decisive error line for the reason, and
// the installer's own words when uv or pip could not install the version under test.
// ESC [ ... final byte, ESC ] ... BEL/ST, and lone two-byte escapes (as io/tail strips them).
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;
/** Longest line quoted in a reason: enough for a Python exception, not a whole dump. */
const DECISIVE_MAX = 200;
// `Error` and `FAIL` are case-sensitive (so "errors=0" or "failed to" in a passing log does
// not count); only the `error:` prefix (`ERROR:`, `error:`) is matched in any case.
const errorLike = (line) => /Error|Exception|FAIL/.test(line) || /error:/i.test(line);
/** What make prints after the real failure (`make: *** [Makefile:9: test] Error 1`) says only that it failed. */
const wrapperLine = (line) => /^make(\[\d+\])?: \*\*\* /.test(line);
/** One line as it may be shown: ANSI stripped, masked, trimmed, at most DECISIVE_MAX characters. */
function quotable(line, mask = (s) => s) {
    const clean = mask(line.replace(ANSI, '').replace(/\r/g, '')).trim();
    return clean.length > DECISIVE_MAX ? `${clean.slice(0, DECISIVE_MAX - 1)}…` : clean;
}
/**
 * The last line of `output` that looks like an error, ready to quote; '' when none does.
 * The last one, because a test runner's summary (`FAILED test_x - RuntimeError: ...`) and a
 * traceback's final line (the exception itself) both come at the end.
 */
function log_lines_decisiveLine(output, mask) {
    const lines = output.split('\n');
    for (let i = lines.length - 1; i >= 0; i--) {
        const line = quotable(lines[i], mask);
        // Box-drawing and decoration alone (a rich traceback's frame) says nothing.
        if (errorLike(line) && /[A-Za-z]{3}/.test(line) && !wrapperLine(line))
            return line;
    }
    return '';
}
/**
 * uv's and pip's own words when they could not resolve, download or build what was asked for:
 * the command never got to test anything. Matched case-sensitively, as the tools print them.
 */
const INSTALLER_SIGNATURES = [
    // uv
    'No solution found when resolving',
    'Failed to download',
    'Failed to build',
    'Failed to fetch',
    // pip
    'ResolutionImpossible',
    'No matching distribution found',
];
/** The signature a line carries, if any. */
function installerFailure(line) {
    const clean = line.replace(ANSI, '');
    return INSTALLER_SIGNATURES.some((s) => clean.includes(s));
}

;// CONCATENATED MODULE: ./src/core/result-file.ts
// The run's state (everything one run has learnt so far) and what is derived from it: the result
// file, the outputs, the summary line and the Slack payload. Each stage fills in its part of the
// state; whatever stage the run ends in, the result is published from it, so every output is set
// on every exit.





function newRunState(identity) {
    return {
        ...V2_DEFAULTS(),
        leg: identity.leg || names_defaultLeg(identity.package, identity.channel),
        package: identity.package,
        companions: [],
        channel: identity.channel,
        version: '',
        pinnedVersion: '',
        isPinned: false,
        outcome: 'error',
        reason: 'the action stopped before it finished',
        replay: skippedPhase(),
        record: skippedPhase(),
        fixturesChanged: [],
        uv: { version: '', path: '' },
        wheels: { dir: '', files: [], cacheHit: false },
        startedAt: new Date(),
        notes: [],
    };
}
/**
 * `llama-stack 0.7.2.dev20260423 (dev): needs recording`. An error and a not-installable name
 * their reason; an incompatible its decisive line (`incompatible: RuntimeError: ...`); a flaky
 * pass says so.
 */
function summaryLine(state) {
    const what = [state.package || 'unknown package', state.version].filter(Boolean).join(' ');
    const channel = state.channel ? ` (${state.channel})` : '';
    return `${what}${channel}: ${verdictWords(state)}`;
}
function verdictWords(state) {
    const words = OUTCOME_WORDS[state.outcome];
    switch (state.outcome) {
        case 'error':
        case 'not-installable':
            return `${words}: ${state.reason}`;
        case 'incompatible': {
            // The phase that failed last holds the line that decided.
            const phase = state.record?.result === 'failure' ? state.record : state.replay;
            const line = phase?.result === 'failure' ? log_lines_decisiveLine(phase.logTail) : '';
            return line ? `${words}: ${line}` : words;
        }
        case 'compatible':
            return state.flaky ? `${words} (flaky: replay passed only on a later attempt)` : words;
        default:
            return words;
    }
}
/** The result file; `mask` hides secrets in the free text the commands produced. */
function toResultFile(state, run, mask, finishedAt = new Date()) {
    const maskPhase = (p) => ({ ...p, logTail: mask(p.logTail) });
    return {
        schema: vocabulary_RESULT_SCHEMA,
        package: state.package,
        companions: state.companions,
        channel: state.channel,
        version: state.version,
        pinnedVersion: state.pinnedVersion,
        isPinned: state.isPinned,
        outcome: state.outcome,
        reason: mask(state.reason),
        replay: maskPhase(state.replay),
        record: maskPhase(state.record),
        install: maskPhase(state.install),
        flaky: state.flaky,
        fixturesChanged: state.fixturesChanged,
        fixtureDiff: state.fixtureDiff,
        fixturesPatch: state.fixturesPatch,
        uv: state.uv,
        wheels: state.wheels,
        uvCache: state.uvCache,
        run,
        startedAt: iso(state.startedAt),
        finishedAt: iso(finishedAt),
        leg: state.leg,
        build: state.build,
        history: state.history,
        bisect: state.bisect,
        provenance: { ...state.provenance, detail: mask(state.provenance.detail) },
    };
}
/** The @2 fields as a run without them says them (the leg is derived from package and channel). */
const V2_DEFAULTS = () => ({
    flaky: false,
    install: skippedPhase(),
    build: { sha256: '', uploadTime: '' },
    history: noHistory(),
    bisect: null,
    fixtureDiff: null,
    fixturesPatch: '',
    provenance: { status: '', publisher: '', detail: '' },
    uvCache: { hit: false, dir: '', key: '', restoredKey: '', restoredBytes: 0, savedBytes: 0 },
});
const result_file_isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPhase = (v) => result_file_isObject(v) && typeof v.result === 'string' && typeof v.logTail === 'string';
function validHistory(v) {
    if (!result_file_isObject(v))
        return false;
    const f = v.failingSince;
    return (typeof v.available === 'boolean' &&
        (v.previousOutcome === '' || OUTCOMES.includes(v.previousOutcome)) &&
        typeof v.previousVersion === 'string' &&
        typeof v.statusChanged === 'boolean' &&
        (f === null || (result_file_isObject(f) && typeof f.date === 'string' && typeof f.version === 'string' && typeof f.runs === 'number')) &&
        typeof v.lastGoodVersion === 'string' &&
        typeof v.firstBadVersion === 'string' &&
        typeof v.notify === 'boolean' &&
        Array.isArray(v.recent) &&
        v.recent.every((r) => result_file_isObject(r) && typeof r.version === 'string' && OUTCOMES.includes(r.outcome) && typeof r.date === 'string' && typeof r.runUrl === 'string' && typeof r.uploadTime === 'string'));
}
function validBisect(v) {
    if (!result_file_isObject(v))
        return false;
    const texts = [v.firstBadVersion, v.lastGoodVersion, v.compareUrl, v.note];
    return (typeof v.exact === 'boolean' &&
        texts.every((t) => typeof t === 'string') &&
        Array.isArray(v.probes) &&
        v.probes.every((p) => result_file_isObject(p) && typeof p.version === 'string' && typeof p.uploadTime === 'string' && typeof p.result === 'string' && typeof p.durationMs === 'number'));
}
const validRun = (v) => result_file_isObject(v) && ['repository', 'ref', 'sha', 'url'].every((k) => typeof v[k] === 'string');
/**
 * Reads a result file of either schema: the @1 checks the report always made, then each @2 field
 * taken when it has the right shape and defaulted when absent (an @1 file) or malformed. The
 * problem, when the file is not a result at all, is a sentence fragment for the caller's message.
 */
/** Fields the report shows as text: anything else would stop it with an unexpected error. */
const TEXT_FIELDS = (/* unused pure expression or super */ null && (['reason', 'pinnedVersion']));
function parseResultFile(data) {
    const r = data;
    const schema = result_file_isObject(r) ? r.schema : undefined;
    const problem = !result_file_isObject(r)
        ? 'it is not a JSON object'
        : schema !== RESULT_SCHEMA && schema !== RESULT_SCHEMA_V1
            ? `its schema is ${JSON.stringify(schema)}, not "${RESULT_SCHEMA}" or "${RESULT_SCHEMA_V1}"`
            : !OUTCOMES.includes(r.outcome)
                ? `its outcome ${JSON.stringify(r.outcome)} is not one of ${OUTCOMES.join(', ')}`
                : typeof r.package !== 'string' || typeof r.channel !== 'string' || typeof r.version !== 'string'
                    ? 'package, channel or version is missing'
                    : !isPhase(r.replay) || !isPhase(r.record)
                        ? 'replay or record is missing or has no result'
                        : TEXT_FIELDS.find((k) => typeof r[k] !== 'string')
                            ? `its ${TEXT_FIELDS.find((k) => typeof r[k] !== 'string')} is not a string`
                            : null;
    if (problem)
        return { ok: false, problem };
    const d = V2_DEFAULTS();
    const p = d.provenance;
    const result = {
        ...r,
        schema: RESULT_SCHEMA,
        leg: typeof r.leg === 'string' && r.leg ? r.leg : defaultLeg(r.package, r.channel),
        flaky: typeof r.flaky === 'boolean' ? r.flaky : d.flaky,
        install: isPhase(r.install) ? r.install : d.install,
        build: result_file_isObject(r.build) && typeof r.build.sha256 === 'string' && typeof r.build.uploadTime === 'string' ? r.build : d.build,
        history: validHistory(r.history) ? r.history : d.history,
        // Shown by the issue and the summary as text: a malformed one is dropped, not a crash later.
        bisect: validBisect(r.bisect) ? r.bisect : d.bisect,
        run: validRun(r.run) ? r.run : { repository: '', ref: '', sha: '', url: '' },
        fixturesChanged: Array.isArray(r.fixturesChanged) ? r.fixturesChanged.filter((c) => result_file_isObject(c) && typeof c.path === 'string' && typeof c.change === 'string') : [],
        fixtureDiff: result_file_isObject(r.fixtureDiff) ? r.fixtureDiff : d.fixtureDiff,
        fixturesPatch: typeof r.fixturesPatch === 'string' ? r.fixturesPatch : d.fixturesPatch,
        provenance: result_file_isObject(r.provenance) && typeof r.provenance.status === 'string' ? { ...p, ...r.provenance } : p,
        uvCache: result_file_isObject(r.uvCache) && typeof r.uvCache.hit === 'boolean' ? { ...d.uvCache, ...r.uvCache } : d.uvCache,
    };
    return { ok: true, result };
}
const iso = (d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
/** Flat, every value a string: what a Slack Workflow Builder webhook accepts. */
function slackPayload(r, summary) {
    return {
        status: r.outcome,
        status_emoji: markdown_EMOJI[r.outcome],
        package: r.package,
        channel: r.channel,
        tested_version: r.version,
        pinned_version: r.pinnedVersion,
        recording_required: String(r.outcome === 'needs-recording'),
        replay_result: r.replay.result,
        record_result: r.record.result,
        summary,
        workflow_run_url: r.run.url,
        repository: r.run.repository,
        previous_status: r.history.previousOutcome,
        failing_since: formatFailingSince(r.history.failingSince),
        status_changed: String(r.history.statusChanged),
        notify: String(r.history.notify),
        first_bad_version: r.bisect?.firstBadVersion ?? '',
        last_good_version: r.bisect?.lastGoodVersion ?? '',
        compare_url: r.bisect?.compareUrl ?? '',
    };
}
/** Every output of action.yml, as strings. */
function outputsOf(r, resultFile, summary) {
    return {
        outcome: r.outcome,
        version: r.version,
        channel: r.channel,
        'pinned-version': r.pinnedVersion,
        'is-pinned': String(r.isPinned),
        'replay-result': r.replay.result,
        'record-result': r.record.result,
        'fixtures-changed': String(r.fixturesChanged.length),
        'fixtures-patch': r.fixturesPatch,
        flaky: String(r.flaky),
        'uv-version': r.uv.version,
        'uv-path': r.uv.path,
        'wheels-dir': r.wheels.dir,
        'wheels-cache-hit': String(r.wheels.cacheHit),
        'uv-cache-hit': String(r.uvCache.hit),
        provenance: r.provenance.status,
        'result-file': resultFile,
        'slack-payload': JSON.stringify(slackSafe(slackPayload(r, summary))),
        summary,
        'previous-outcome': r.history.previousOutcome,
        'previous-version': r.history.previousVersion,
        'status-changed': String(r.history.statusChanged),
        'failing-since': formatFailingSince(r.history.failingSince),
        // A bisection knows better than the history which builds bound the break.
        'last-good-version': r.bisect?.lastGoodVersion || r.history.lastGoodVersion,
        'first-bad-version': r.bisect?.firstBadVersion || r.history.firstBadVersion,
        'bisect-exact': String(r.bisect?.exact ?? false),
        'bisect-probes': String(r.bisect?.probes.length ?? 0),
        notify: String(r.history.notify),
    };
}

;// CONCATENATED MODULE: ./src/core/recordings/render.ts
// The job summary's "What changed in the recordings": added and removed calls, then shape changes
// (what code notices), value changes folded (usually model noise). Bounded in size; everything
// that came from a recording is escaped.

/** Kept well below GitHub's 1 MiB for the whole summary. */
const SECTION_BUDGET = 48 * 1024;
const isRequest = (p) => p.startsWith('request.');
const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
function where(e) {
    const moved = e.previousFile && e.previousFile !== e.file ? ` (was ${inlineCode(e.previousFile)})` : '';
    const same = e.identity === e.file;
    return (same ? inlineCode(e.file) : `${inlineCode(e.identity)} in ${inlineCode(e.file)}`) + moved + (e.note ? `: ${markdown_escapeHtml(e.note)}` : '');
}
/** Appends lines until the budget is spent, then says how many were left out. */
class Budget {
    limit;
    lines = [];
    bytes = 0;
    dropped = 0;
    constructor(limit) {
        this.limit = limit;
    }
    push(...lines) {
        for (const line of lines) {
            const size = Buffer.byteLength(line) + 1;
            if (this.bytes + size > this.limit) {
                this.dropped++;
                continue;
            }
            this.lines.push(line);
            this.bytes += size;
        }
    }
    /** Structure that must close what was opened (e.g. `</details>`), whatever the budget. */
    always(...lines) {
        this.lines.push(...lines);
    }
    text() {
        if (this.dropped)
            this.lines.push('', `_${plural(this.dropped, 'more line')} not shown to keep the summary small; the result file lists them._`);
        return `${this.lines.join('\n')}\n`;
    }
}
function counts(d) {
    const c = d.counts;
    const parts = [
        c.requestChanged && `${plural(c.requestChanged, 'request')} changed`,
        c.responseChanged && `${plural(c.responseChanged, 'response')} changed`,
        c.added && `${plural(c.added, 'interaction')} added`,
        c.removed && `${plural(c.removed, 'interaction')} removed`,
    ].filter(Boolean);
    return `${parts.length ? parts.join(', ') : 'no interaction changed'} (${plural(c.files, 'file')}).`;
}
function renderRecordingsSection(d, patchFile, budget = SECTION_BUDGET) {
    const out = new Budget(budget);
    out.push('### What changed in the recordings', '');
    out.push(counts(d));
    if (d.patchNote)
        out.push('', `**No patch:** ${markdown_escapeHtml(d.patchNote)}.`);
    else if (patchFile)
        out.push('', `**Patch:** ${inlineCode(patchFile.split(/[\\/]/).pop() ?? patchFile)} (output \`fixtures-patch\`): \`git apply\` it from the repository root.`);
    const list = (title, entries, total, paths) => {
        if (!entries.length)
            return;
        out.push('', `**${title}** (${total})`, '');
        for (const e of entries) {
            out.push(`- ${where(e)}`);
            for (const p of paths(e))
                out.push(`  - ${inlineCode(p)}`);
            if (e.omittedPaths && paths(e).length)
                out.push(`  - _${plural(e.omittedPaths, 'more field')}_`);
        }
    };
    list('Added', d.added, d.counts.added, () => []);
    list('Removed', d.removed, d.counts.removed, () => []);
    // What the code sends is never noise: a changed request shows all its fields, values too.
    list('Requests changed', d.requestChanged, d.counts.requestChanged, (e) => [...e.shape, ...e.value.filter(isRequest)]);
    const reshaped = d.responseChanged.filter((e) => e.shape.length || e.note);
    list('Responses changed shape', reshaped, reshaped.length, (e) => e.shape);
    const folded = (e) => e.value.filter((p) => !isRequest(p) || !d.requestChanged.includes(e));
    const valued = [...d.requestChanged, ...d.responseChanged].filter((e) => folded(e).length);
    if (valued.length) {
        out.always('', `<details><summary>Value changes: same shape, other text or numbers, usually model noise (${plural(valued.length, 'interaction')})</summary>`, '');
        for (const e of valued) {
            out.push(`- ${where(e)}`);
            for (const p of folded(e))
                out.push(`  - ${inlineCode(p)}`);
        }
        out.always('', '</details>');
    }
    if (d.omittedInteractions)
        out.push('', `_${plural(d.omittedInteractions, 'more interaction')} not listed (the result file keeps ${d.added.length + d.removed.length + d.requestChanged.length + d.responseChanged.length})._`);
    return out.text();
}

;// CONCATENATED MODULE: ./src/core/summary.ts



/** Fixture changes listed in the summary; the result file has them all. */
const summary_MAX_FIXTURES_LISTED = 500;
const summary_seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
function phaseCell(p) {
    if (p.result === 'skipped')
        return 'skipped';
    const exit = p.signal ? `, ${p.signal}` : p.exitCode !== null && p.result === 'failure' ? `, exit ${p.exitCode}` : '';
    return `${p.result} (${summary_seconds(p.durationMs)}${exit})`;
}
const summary_day = (iso) => iso.slice(0, 10);
/** A version with its build date: nightlies that reuse one version differ only by it. */
const versionWithBuild = (version, uploadTime) => (version || '—') + (uploadTime ? ` (built ${summary_day(uploadTime)})` : '');
/** The leg's story: a strip of the last runs, since when it fails, the runs folded in a table. */
function historySection(h) {
    let md = '### History\n\n';
    if (!h.available)
        return `${md}No earlier run of this leg is remembered (a first run, a cache miss, or \`history: false\`).\n\n`;
    md += `${h.recent.map((r) => markdown_EMOJI[r.outcome]).join(' ')} (last ${h.recent.length} runs, oldest first)\n\n`;
    const facts = [];
    if (h.statusChanged)
        facts.push(`changed: ${markdown_EMOJI[h.previousOutcome]} ${h.previousOutcome} → ${markdown_EMOJI[h.recent.at(-1).outcome]} ${h.recent.at(-1).outcome}`);
    const f = h.failingSince;
    if (f)
        facts.push(`failing since ${summary_day(f.date)} (${[f.version, `${f.runs} run${f.runs === 1 ? '' : 's'}`].filter(Boolean).join(', ')})`);
    if (h.lastGoodVersion)
        facts.push(`last good version: ${h.lastGoodVersion}`);
    if (h.firstBadVersion)
        facts.push(`first bad version: ${h.firstBadVersion}`);
    const [previous, current] = h.recent.slice(-2);
    if (previous && current?.version && previous.version === current.version && current.uploadTime && previous.uploadTime !== current.uploadTime) {
        facts.push(`new build of ${current.version}: built ${summary_day(current.uploadTime)}${previous.uploadTime ? `, the previous run tested the build of ${summary_day(previous.uploadTime)}` : ''}`);
    }
    if (facts.length)
        md += `${facts.map((f) => `- ${markdown_escapeHtml(f)}`).join('\n')}\n\n`;
    const rows = [...h.recent].reverse().map((r) => {
        const run = /^https?:\/\//.test(r.runUrl) ? `[run](${encodeURI(r.runUrl)})` : '—';
        return `| ${markdown_EMOJI[r.outcome]} | ${markdown_cell(r.date.replace('T', ' ').slice(0, 16))} | ${markdown_cell(versionWithBuild(r.version, r.uploadTime))} | ${run} |`;
    });
    md += `<details><summary>Last ${h.recent.length} runs (newest first)</summary>\n\n| | Date (UTC) | Version | Run |\n|---|---|---|---|\n${rows.join('\n')}\n\n</details>\n\n`;
    return md;
}
/** "first bad build: X (uploaded D); last good: Y", with the compare link and each probe folded. */
function bisectSection(b) {
    const uploaded = (v) => b.probes.find((p) => p.version === v)?.uploadTime;
    const when = (v) => (uploaded(v) ? ` (uploaded ${summary_day(uploaded(v))})` : '');
    let md = '### First bad build\n\n';
    md += markdown_escapeHtml(`first bad build: ${b.firstBadVersion}${when(b.firstBadVersion)}; last good: ${b.lastGoodVersion}${when(b.lastGoodVersion)}`);
    md += b.exact ? ' (adjacent builds: exact)\n\n' : `\n\n${markdown_escapeHtml(`A range, not exact: ${b.note || 'builds between were not probed'}.`)}\n\n`;
    if (/^https?:\/\//.test(b.compareUrl))
        md += `[Compare ${markdown_escapeHtml(b.lastGoodVersion)}...${markdown_escapeHtml(b.firstBadVersion)}](${b.compareUrl.replace(/[()\s<>]/g, encodeURIComponent)})\n\n`;
    if (b.probes.length) {
        const rows = b.probes.map((p) => `| ${markdown_cell(p.version)} | ${markdown_cell(p.uploadTime ? summary_day(p.uploadTime) : '—')} | ${p.result} | ${summary_seconds(p.durationMs)} |`);
        md += `<details><summary>${b.probes.length} probe(s), replay only, never record</summary>\n\n| Build | Uploaded | Result | Took |\n|---|---|---|---|\n${rows.join('\n')}\n\n</details>\n\n`;
    }
    else
        md += 'No probe was needed: the history already knew the builds around the break.\n\n';
    return md;
}
function uvCacheCell(c) {
    if (!c.key)
        return 'not kept across runs';
    const restored = c.hit ? `restored ${formatBytes(c.restoredBytes)}${c.restoredKey === c.key ? '' : ' (fallback)'}` : 'cold (no entry yet)';
    return c.savedBytes ? `${restored}; saved ${formatBytes(c.savedBytes)}` : restored;
}
const PROVENANCE_WORDS = { verified: '🔏 verified', absent: 'absent', mismatch: 'mismatch', '': 'not checked' };
/** The `expected-publisher` check, in one cell: who published, or which check failed. */
function provenanceCell(p) {
    const by = p.publisher ? `, published by ${p.publisher}` : '';
    return p.status === 'verified' ? `${PROVENANCE_WORDS.verified}${by}` : `${PROVENANCE_WORDS[p.status]}${by}: ${p.detail}`;
}
function render(r, summary, tails, note = '', notes = []) {
    const pinned = r.pinnedVersion ? `${r.pinnedVersion} (${r.isPinned ? 'same as tested' : 'differs from tested'})` : '—';
    const rows = [
        ['Package', r.package + (r.companions.length ? ` (+ ${r.companions.join(', ')})` : '')],
        ['Leg', r.leg],
        ['Channel', r.channel || '—'],
        ['Tested version', r.version ? versionWithBuild(r.version, r.build.uploadTime) : '—'],
        ['Pinned version', pinned],
        ...(r.install && r.install.result !== 'skipped' ? [['Install', phaseCell(r.install)]] : []),
        ['Replay', phaseCell(r.replay) + (r.flaky ? ' — flaky: an earlier attempt failed' : '')],
        ['Record', phaseCell(r.record)],
        ['Reason', r.reason],
        ['uv', r.uv.version || '—'],
        ['Wheels', r.wheels.dir ? `${r.wheels.files.length} file(s)${r.wheels.cacheHit ? ', from cache' : ''}` : 'not prefetched'],
        ['uv cache', uvCacheCell(r.uvCache)],
        ['Fixtures changed', String(r.fixturesChanged.length)],
    ];
    if (r.provenance.status)
        rows.push(['Provenance', provenanceCell(r.provenance)]);
    let md = `## ${markdown_EMOJI[r.outcome]} ${inline(clip(summary, 1000))}\n\n`;
    // Warnings a reader must not miss (a stale upstream), above the facts.
    for (const n of notes)
        md += `> [!WARNING]\n> ${markdown_cell(n)}\n\n`;
    if (r.flaky)
        md += `> [!NOTE]\n> Replay failed, then passed on a later attempt: counted as compatible, but a test is flaky. See the replay log.\n\n`;
    md += '| | |\n|---|---|\n';
    md += `${rows.map(([k, v]) => `| ${k} | ${markdown_cell(v)} |`).join('\n')}\n\n`;
    md += historySection(r.history);
    if (r.bisect)
        md += bisectSection(r.bisect);
    if (r.fixturesChanged.length) {
        md += markdown_foldedPre(`Fixtures changed (${r.fixturesChanged.length})`, boundedList(r.fixturesChanged.map((c) => `${c.change.padEnd(8)} ${clip(c.path, 300)}`), summary_MAX_FIXTURES_LISTED));
    }
    if (r.fixtureDiff?.counts.files)
        md += `\n${renderRecordingsSection(r.fixtureDiff, r.fixturesPatch)}\n`;
    if (r.install && r.install.result !== 'skipped' && r.install.logTail)
        md += markdown_foldedPre('Install log (tail)', r.install.logTail.slice(-16 * 1024));
    if (tails.replay)
        md += markdown_foldedPre('Replay log (tail)', tails.replay);
    if (tails.record)
        md += markdown_foldedPre('Record log (tail)', tails.record);
    if (note)
        md += `\n_${markdown_escapeHtml(note)}_\n`;
    if (r.run.url)
        md += `\n[Workflow run](${encodeURI(r.run.url)})\n`;
    return md;
}
/** The summary markdown, kept under GitHub's 1 MiB (with the commands' own share) by cutting the log tails first. */
function jobSummary(r, summary, notes = []) {
    let tails = { replay: r.replay.logTail, record: r.record.logTail };
    let md = render(r, summary, tails, '', notes);
    while (Buffer.byteLength(md) > OWN_SUMMARY_LIMIT && (tails.replay || tails.record)) {
        // Keep the ends of the tails: that is where the failure is.
        const cut = (s) => s.slice(Math.floor(s.length / 2));
        tails = { replay: cut(tails.replay), record: cut(tails.record) };
        if (tails.replay.length < 64 && tails.record.length < 64)
            tails = { replay: '', record: '' };
        md = render(r, summary, tails, 'Log tails were shortened to keep this summary under 1 MiB; the full output is in the step log.', notes);
    }
    return md;
}

;// CONCATENATED MODULE: ./src/stages/publish.ts
// The last stage, run on every exit: result file, outputs, job summary, and the step's status.








const safe = (s) => s.replace(/[^a-z0-9._-]/gi, '_') || 'unknown';
/** `compat-sentinel-result-<leg>.json`: with the default leg, `<package>-<channel>` as the contract names it. */
function resultFilePath(state) {
    return external_node_path_.join(sentinelTemp(), `compat-sentinel-result-${safe(state.leg)}.json`);
}
/** Next to the result file, so one artifact upload can carry both. */
function fixturesPatchPath(state) {
    return external_node_path_.join(sentinelTemp(), `compat-sentinel-fixtures-${safe(state.leg)}.patch`);
}
/** The `summary` output and the summary's first line: one line, whatever a reason holds. */
const oneLine = (s) => s.replace(/\s*[\r\n]+\s*/g, ' ').trim();
async function publish(state, failOn) {
    const result = toResultFile(state, runInfo(), mask);
    const summary = oneLine(mask(summaryLine(state)));
    const file = resultFilePath(state);
    let written = false;
    try {
        await promises_.mkdir(external_node_path_.dirname(file), { recursive: true });
        await promises_.writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
        written = true;
    }
    catch (e) {
        lib_core/* warning */.$e(`Could not write the result file ${file}: ${e.message}`);
    }
    // An output that cannot be written must not stop the summary, nor pass in silence: later
    // steps would read an empty outcome.
    let outputsFailed = '';
    for (const [name, value] of Object.entries(outputsOf(result, written ? file : '', summary))) {
        try {
            lib_core/* setOutput */.uH(name, value);
        }
        catch (e) {
            outputsFailed = `The step outputs could not be written to GITHUB_OUTPUT (${process.env.GITHUB_OUTPUT ?? 'not set'}): ${e.message}. Later steps will not see this result; check the runner's disk and the job's container.`;
            break;
        }
    }
    if (outputsFailed)
        lib_core/* error */.z3(outputsFailed);
    if (process.env.GITHUB_STEP_SUMMARY) {
        const md = jobSummary(result, summary, state.notes.map(mask)) + (outputsFailed ? `\n> [!WARNING]\n> ${inline(outputsFailed)}\n` : '');
        await promises_.appendFile(process.env.GITHUB_STEP_SUMMARY, md).catch((e) => lib_core/* warning */.$e(`Could not write the job summary: ${e.message}`));
    }
    if (failOn.has(result.outcome) || outputsFailed)
        lib_core/* setFailed */.C1(summary);
    else if (result.outcome === 'error')
        lib_core/* warning */.$e(summary);
    else
        lib_core/* info */.pq(summary);
}

;// CONCATENATED MODULE: ./src/core/classify.ts
// The verdict, as a pure function of what the phases did: exactly the contract's outcome table.


/** A shell reports a child killed by signal N as exit 128+N: say which signal it was. */
function exitWords(code) {
    const signal = code !== null && code > 128 ? Object.entries(external_node_os_.constants.signals).find(([, n]) => n === code - 128)?.[0] : undefined;
    return signal ? `exit ${code}: killed by ${signal}` : `exit ${code}`;
}
function describePhase(name, p, timeoutMinutes) {
    switch (p.result) {
        case 'success':
            return `${name} ${name === 'record' ? 'succeeded' : 'passed'}`;
        case 'timeout':
            return `${name} timed out${timeoutMinutes ? ` after ${timeoutMinutes} min` : ''}`;
        case 'skipped':
            return `${name} skipped`;
        case 'failure':
            return `${name} failed (${p.signal ? `killed by ${p.signal}` : exitWords(p.exitCode)})`;
    }
}
/** `replay failed (exit 2): RuntimeError: ...`: a failure with the decisive line of its output. */
function describeFailure(name, p, timeoutMinutes) {
    const line = p.result === 'failure' ? log_lines_decisiveLine(p.logTail) : '';
    return describePhase(name, p, timeoutMinutes) + (line ? `: ${line}` : '');
}
/**
 * Why the version under test could not be installed, or '' when nothing says so: the
 * install-command failed or timed out, the replay printed an installer's failure (`installerLine`),
 * or the replay exited with the could-not-test exit code. Shared with other testers (bisect).
 */
function notInstallableReason(install, replay, opts = {}) {
    if (install.result === 'failure' || install.result === 'timeout')
        return `${describeFailure('install', install, opts.installTimeoutMinutes)}; replay not run`;
    if (replay.result !== 'failure')
        return '';
    if (opts.installerLine)
        return `${describePhase('replay', replay)}: could not install: ${quotable(opts.installerLine)}`;
    if (opts.couldNotTestExitCode != null && replay.exitCode === opts.couldNotTestExitCode) {
        return `replay exited with ${replay.exitCode}, the could-not-test-exit-code: nothing was tested`;
    }
    return '';
}
function classify(replay, record, fixturesChanged = 0, timeouts = {}, more = {}) {
    if (more.notInstallable)
        return { outcome: 'not-installable', reason: `${more.notInstallable}; record not run` };
    const attempts = more.attempts ?? 1;
    if (replay.result === 'success') {
        return { outcome: 'compatible', reason: attempts > 1 ? `replay passed on attempt ${attempts} after failing (flaky)` : describePhase('replay', replay) };
    }
    const first = describeFailure('replay', replay, timeouts.replay) + (attempts > 1 ? ` (all ${attempts} attempts)` : '');
    if (record.result === 'skipped')
        return { outcome: 'incompatible', reason: `${first}; ${more.recordSkipped || 'no record-command to try'}` };
    const second = describeFailure('record', record, timeouts.record);
    if (record.result === 'success') {
        if (more.fixturesPath && fixturesChanged === 0) {
            return { outcome: 'error', reason: `${first}; record succeeded but changed nothing under ${more.fixturesPath}: replay will fail again; check that record mode writes there` };
        }
        const n = fixturesChanged === 1 ? '1 fixture changed' : `${fixturesChanged} fixtures changed`;
        return { outcome: 'needs-recording', reason: `${first}; ${second}; ${n}` };
    }
    return { outcome: 'incompatible', reason: `${first}; ${second}` };
}

;// CONCATENATED MODULE: ./src/stages/wheels.ts
// The upstream's own files at the tested version, verified, cached, and handed to uv
// as find-links, so `uv run --with pkg==<dev>` finds a dev build that lives on another index.














const CONCURRENCY = 8;
function shouldPrefetch(mode, indexUrl) {
    return mode === 'true' || (mode === 'auto' && !sameIndex(indexUrl, PYPI));
}
function wheelsDirOf(inputs) {
    return inputs.wheelsDir ? external_node_path_.resolve(workspace(), inputs.wheelsDir) : external_node_path_.join(sentinelTemp(), 'wheels');
}
/** The files of one project at `version` that can install here: fitting wheels, else sdists. */
function installableFiles(files, version, platform) {
    const release = findRelease(files, version);
    if (!release)
        return [];
    // A yanked release is only tested when asked for by name; then its files are what there is.
    const live = release.files.filter((f) => f.yanked === false);
    const pool = live.length ? live : release.files;
    const wheels = pool.filter((f) => wheelFits(f.filename, platform));
    return wheels.length ? wheels : pool.filter((f) => !f.filename.endsWith('.whl'));
}
/** Files in the folder already with the right content are kept as they are (hashed in parallel). */
async function missing(dir, files) {
    const hashes = new Map();
    await runLimited(files, CONCURRENCY, async (f) => void hashes.set(f, await sha256File(external_node_path_.join(dir, f.filename)).catch(() => null)));
    return files.filter((f) => hashes.get(f) !== f.sha256);
}
async function ensureWritable(dir) {
    try {
        await promises_.mkdir(dir, { recursive: true });
        await promises_.access(dir, promises_.constants.W_OK);
        const probe = external_node_path_.join(dir, `.write-test-${process.pid}`);
        await promises_.writeFile(probe, '');
        await promises_.rm(probe);
    }
    catch (e) {
        throw new vocabulary_UserError(`'wheels-dir' ${dir} is not a writable folder (${e.code ?? e.message}): point 'wheels-dir' at a folder the runner can write, or leave it empty.`);
    }
}
async function runLimited(items, limit, work) {
    const queue = [...items];
    const errors = [];
    await Promise.all(Array.from({ length: Math.min(limit, queue.length) }, async () => {
        for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
            // Stop taking new work after a failure; files already verified stay.
            if (errors.length)
                return;
            await work(item).catch((e) => errors.push(e));
        }
    }));
    if (errors.length)
        throw errors[0];
}
async function prefetchWheels(inputs, res) {
    const platform = currentPlatform();
    const wanted = [];
    for (const project of [inputs.package, ...inputs.companions]) {
        const page = res.pages.get(project);
        const files = page ? installableFiles(page.files, res.version, platform) : [];
        if (!files.length)
            throw new vocabulary_UserError(`${project} ${res.version} has no wheel for this runner (${platform.os}/${platform.arch}) and no sdist on the index, so uv could not install it here.`);
        for (const f of files) {
            if (!f.sha256)
                throw new vocabulary_UserError(`The index lists no sha256 for ${f.filename}; files are never kept unverified. Use an index that publishes hashes (PEP 503 #sha256= or PEP 691 "hashes").`);
        }
        wanted.push(...files);
    }
    const dir = wheelsDirOf(inputs);
    await ensureWritable(dir);
    let todo = await missing(dir, wanted);
    let cacheHit = false;
    const useCache = inputs.cacheWheels && todo.length > 0;
    const key = cacheKey(platform, inputs.package, res.version, wanted);
    if (useCache && (await restoreVerified(key, todo, dir))) {
        todo = await missing(dir, wanted);
        cacheHit = todo.length === 0;
        lib_core/* info */.pq(cacheHit ? `Restored ${wanted.length} files from the Actions cache (${key})` : `Cache entry ${key} was incomplete; downloading the rest`);
    }
    await runLimited(todo, CONCURRENCY, (f) => download(f, dir, inputs.maxDownloadBytes, res.indexUrl));
    if (todo.length === 0 && !cacheHit)
        lib_core/* info */.pq(`All ${wanted.length} files were already in ${dir}`);
    if (useCache && !cacheHit && todo.length > 0)
        await saveWanted(key, wanted, dir);
    appendFindLinks(dir);
    return { dir, files: wanted.map((f) => f.filename).sort(), cacheHit };
}
/** One file into `dir`, verified; every failure in words that say what to do. */
async function download(f, dir, maxBytes, indexUrl) {
    try {
        // The index's credentials go along only to files on the index's own origin.
        const { bytes } = await downloadFile(f.url, external_node_path_.join(dir, f.filename), { sha256: f.sha256, size: f.size, maxBytes, credentialsFrom: indexUrl });
        lib_core/* info */.pq(`Downloaded and verified ${f.filename} (${formatBytes(bytes)})`);
    }
    catch (e) {
        const message = downloadFailure(e, f, dir, maxBytes);
        if (message === null)
            throw e; // not a download failure: a bug, reported as one
        throw new vocabulary_UserError(message, { cause: e });
    }
}
function downloadFailure(e, f, dir, maxBytes) {
    if (e instanceof ChecksumError)
        return `${e.message}. Nothing was kept; the server or a proxy altered the file, or the checksum is wrong.`;
    if (e instanceof TooLargeError && e.declared) {
        return `Downloading ${f.filename} failed: ${e.url} sent more than the ${formatBytes(e.limitBytes)} the index declared for it. Nothing was kept; the server or a proxy serves another file than the index lists.`;
    }
    if (e instanceof TooLargeError) {
        return `Downloading ${f.filename} failed: it is larger than 'max-download-mb' (${Math.round(maxBytes / 2 ** 20)} MB) and the index declares no size. Nothing was kept; raise 'max-download-mb' if the file is really that large.`;
    }
    if (e instanceof WriteError) {
        return `Writing ${f.filename} into ${dir} failed: ${e.detail}${e.code && !e.detail.includes(e.code) ? ` (${e.code})` : ''}. Nothing was kept; free disk space on the runner, or point 'wheels-dir' at a disk with room.`;
    }
    if (e instanceof HttpStatusError && (e.status === 401 || e.status === 403)) {
        return `Downloading ${f.filename} failed: HTTP ${e.status} for ${e.url}. The file server wants credentials: files on the index's own host get those of 'index-url'; files on another host never do.`;
    }
    if (e instanceof HttpStatusError)
        return `Downloading ${f.filename} failed: HTTP ${e.status} for ${e.url}.`;
    // Not the network, and not worth trying again: the certificate has to change, or be trusted.
    if (e instanceof TlsError)
        return `Downloading ${f.filename} failed: ${e.url}: ${e.message}. Give its server a certificate the runner trusts (a private CA goes in NODE_EXTRA_CA_CERTS).`;
    const why = cause(e);
    if (why === null)
        return null;
    return `Downloading ${f.filename} failed: could not reach ${secrets_redactUrl(f.url)}: ${why}. Check the network or try again later.`;
}
// The cache entry's own folder: restored into empty, read only for the files this run verifies.
// Its path is part of the entry's identity, so it is the same on every run.
const cacheStaging = () => external_node_path_.join(sentinelTemp(), 'wheels-cache');
/**
 * Restores the entry under `key` into an empty private folder, then moves into `dir` only the
 * wanted files whose sha256 matches the index's; anything else in the entry is thrown away.
 * Whether the entry was found.
 */
async function restoreVerified(key, todo, dir) {
    const staging = cacheStaging();
    await promises_.rm(staging, { recursive: true, force: true });
    await promises_.mkdir(staging, { recursive: true });
    try {
        if (!(await restore('wheels', [staging], key)))
            return false;
        for (const f of todo) {
            const from = external_node_path_.join(staging, f.filename);
            if ((await sha256File(from).catch(() => null)) !== f.sha256) {
                lib_core/* debug */.Yz(`Cache entry ${key}: ${f.filename} is missing or does not match the index's sha256; not used`);
                continue;
            }
            await moveInto(from, external_node_path_.join(dir, f.filename));
        }
        return true;
    }
    finally {
        await promises_.rm(staging, { recursive: true, force: true });
    }
}
/** A rename, or a copy through a temp name when the folders are on different disks. */
async function moveInto(from, to) {
    try {
        await promises_.rename(from, to);
    }
    catch (e) {
        if (e.code !== 'EXDEV')
            throw e;
        const tmp = external_node_path_.join(external_node_path_.dirname(to), `.part-${(0,external_node_crypto_.randomBytes)(6).toString('hex')}`);
        try {
            await promises_.copyFile(from, tmp);
            await promises_.rename(tmp, to);
        }
        finally {
            await promises_.rm(tmp, { force: true });
        }
    }
}
/** Saves exactly the wanted, verified files, from the same private folder a restore uses. */
async function saveWanted(key, wanted, dir) {
    const staging = cacheStaging();
    await promises_.rm(staging, { recursive: true, force: true });
    await promises_.mkdir(staging, { recursive: true });
    try {
        for (const f of wanted) {
            const from = external_node_path_.join(dir, f.filename);
            const to = external_node_path_.join(staging, f.filename);
            await promises_.link(from, to).catch(() => promises_.copyFile(from, to));
        }
        await save('wheels', [staging], key);
    }
    finally {
        await promises_.rm(staging, { recursive: true, force: true });
    }
}
function cacheKey(platform, project, version, files) {
    const list = (0,external_node_crypto_.createHash)('sha256')
        .update(files
        .map((f) => `${f.filename}:${f.sha256}`)
        .sort()
        .join('\n'))
        .digest('hex')
        .slice(0, 16);
    return `compat-sentinel-wheels-${platform.os}-${platform.arch}-${project.toLowerCase()}-${version}-${list}`;
}
/**
 * Adds the folder to UV_FIND_LINKS (comma-separated, as uv reads it) and PIP_FIND_LINKS
 * (space-separated, as pip reads it) for the commands and later steps.
 */
function appendFindLinks(dir) {
    for (const [name, sep] of [
        ['UV_FIND_LINKS', ','],
        ['PIP_FIND_LINKS', ' '],
    ]) {
        const existing = (process.env[name] ?? '')
            .split(sep === ',' ? ',' : /\s+/)
            .map((s) => s.trim())
            .filter(Boolean);
        // The default folder lives under RUNNER_TEMP, which a self-hosted runner may put on a path with spaces.
        if (sep === ' ' && /\s/.test(dir)) {
            lib_core/* warning */.$e(`PIP_FIND_LINKS is not set: the wheels folder ${dir} has a space in its path, and pip splits that variable on spaces. uv (UV_FIND_LINKS) is not affected.`);
            continue;
        }
        if (!existing.includes(dir))
            existing.push(dir);
        lib_core/* exportVariable */.dN(name, existing.join(sep));
    }
}

;// CONCATENATED MODULE: ./src/stages/stage.ts
// One log group per stage, closed with how long it took (what `npm run bench` reads, too).

const stage_open = [];
/** The stage the run is in, for a message when it stops unexpectedly ('' between stages). */
function currentStage() {
    return stage_open.at(-1) ?? '';
}
async function stage(title, fn) {
    lib_core/* startGroup */.Oh(title);
    stage_open.push(title);
    const started = performance.now();
    try {
        return await fn();
    }
    finally {
        stage_open.splice(stage_open.lastIndexOf(title), 1);
        lib_core/* info */.pq(`stage took ${Math.round(performance.now() - started)} ms`);
        lib_core/* endGroup */.N4();
    }
}

;// CONCATENATED MODULE: ./src/stages/test-version.ts










/** What the commands see of the version under test, besides the runner's own environment. */
function commandEnv(inputs, what, phase) {
    return {
        ...process.env,
        [inputs.versionEnv]: what.version,
        COMPAT_SENTINEL_PACKAGE: what.package,
        COMPAT_SENTINEL_VERSION: what.version,
        COMPAT_SENTINEL_CHANNEL: what.channel,
        COMPAT_SENTINEL_PHASE: phase,
    };
}
const TITLES = { install: 'Install', replay: 'Replay', record: 'Record' };
/** Less time than this left before a deadline, and a phase is not started (nor a probe, in bisect.ts). */
const MIN_PHASE_MS = 1000;
const phaseTimeoutMs = (inputs, phase) => ({ install: inputs.installTimeoutMs, replay: inputs.replayTimeoutMs, record: inputs.recordTimeoutMs })[phase];
/** Runs one phase's command for the version under test; `onLine` sees its output as it streams. */
function runCommand(inputs, what, phase, onLine, title = TITLES[phase], timeoutMs = phaseTimeoutMs(inputs, phase)) {
    const command = { install: inputs.installCommand, replay: inputs.replayCommand, record: inputs.recordCommand }[phase];
    return stage(`${title}: ${mask(command)}`, () => runPhase({ name: phase, command, cwd: inputs.workingDirectory, env: commandEnv(inputs, what, phase), timeoutMs, tempDir: sentinelTemp(), onLine, passOn: !what.probe }));
}
/**
 * Prefetch (when the index needs it), install (when an install-command is set), then replay,
 * up to `replay-attempts` times while it fails. Record is the caller's decision.
 */
async function testVersion(inputs, resolution, 
/**
 * `probe`: a bisection probe, whose command files are not passed on to later steps.
 * `deadline` (epoch ms): no command runs past it, whatever its own timeout and the attempts left.
 */
what, onPrefetched) {
    const left = () => (what.deadline === undefined ? Infinity : what.deadline - Date.now());
    let cutShort = false;
    /** A phase within what is left before the deadline; a timeout the deadline set cuts the test short. */
    const run = async (phase, onLine, title = TITLES[phase]) => {
        // With less left (a long prefetch, earlier attempts), a phase is not started.
        if (left() < MIN_PHASE_MS) {
            lib_core/* info */.pq(`No time left for ${title} of ${what.version} before the deadline (bisect-timeout-minutes): not counted`);
            cutShort = true;
            return skippedPhase();
        }
        const own = phaseTimeoutMs(inputs, phase);
        const limit = Math.min(own, left());
        const report = await runCommand(inputs, what, phase, onLine, title, limit);
        if (report.result === 'timeout' && limit < own) {
            cutShort = true;
            lib_core/* info */.pq(`${TITLES[phase]} of ${what.version} stopped when the time left ran out (bisect-timeout-minutes), not at its own timeout: not counted`);
        }
        return report;
    };
    let wheels;
    const prefetch = shouldPrefetch(inputs.prefetchWheels, resolution.indexUrl);
    lib_core/* debug */.Yz(`prefetch-wheels ${inputs.prefetchWheels}: ${prefetch ? 'prefetching' : 'not prefetching'} (index ${secrets_redactUrl(resolution.indexUrl)}${inputs.prefetchWheels === 'auto' ? ', prefetched unless it is pypi.org' : ''})`);
    if (prefetch) {
        wheels = await stage('Prefetch wheels', () => prefetchWheels(inputs, resolution));
        onPrefetched?.(wheels);
    }
    const install = inputs.installCommand ? await run('install') : skippedPhase();
    const minutes = (ms) => ms / 60_000;
    if (install.result === 'failure' || install.result === 'timeout') {
        return {
            wheels,
            install,
            replay: skippedPhase(),
            attempts: 0,
            flaky: false,
            notInstallable: notInstallableReason(install, skippedPhase(), { installTimeoutMinutes: minutes(inputs.installTimeoutMs) }),
            cutShort,
        };
    }
    let replay = skippedPhase();
    let installerLine = '';
    let attempt = 0;
    while (attempt < inputs.replayAttempts && !cutShort) {
        attempt++;
        // The first installer failure line of this attempt: uv's and pip's own words, kept whole
        // even when the (bounded) tail has long dropped it.
        // uv explains on the next, indented line (`  ╰─▶ Because there is no version of ...`): keep it too.
        installerLine = '';
        let explain = false;
        const scan = (line) => {
            if (explain) {
                explain = false;
                if (/^\s/.test(line) && line.trim())
                    installerLine = `${installerLine.replace(/:\s*$/, '')}: ${line.trim().replace(/^╰─▶\s*/, '')}`;
            }
            else if (!installerLine && installerFailure(line)) {
                installerLine = line;
                explain = true;
            }
        };
        const title = inputs.replayAttempts > 1 ? `Replay (attempt ${attempt} of ${inputs.replayAttempts})` : 'Replay';
        replay = await run('replay', scan, title);
        if (replay.result === 'success' || cutShort)
            break;
        if (attempt < inputs.replayAttempts)
            lib_core/* info */.pq(`Replay attempt ${attempt} ${replay.result === 'timeout' ? 'timed out' : 'failed'}; running it again (replay-attempts: ${inputs.replayAttempts}) before deciding`);
    }
    const flaky = replay.result === 'success' && attempt > 1;
    if (flaky)
        lib_core/* warning */.$e(`Replay passed on attempt ${attempt} after failing: counted as compatible, but a test is flaky.`);
    const notInstallable = notInstallableReason(install, replay, { installerLine, couldNotTestExitCode: inputs.couldNotTestExitCode });
    if (notInstallable)
        lib_core/* debug */.Yz(`not-installable: ${notInstallable}`);
    return { wheels, install, replay, attempts: attempt, flaky, notInstallable, cutShort };
}

;// CONCATENATED MODULE: ./src/stages/record.ts
// The record phase and what it did to the recordings: the files it added, changed or deleted
// under `fixtures-path`, interaction by interaction, and a patch of them.






/** Runs record; fills `record`, `fixturesChanged`, `fixtureDiff` and `fixturesPatch` of the state. */
async function record(inputs, state) {
    const fixtures = inputs.fixturesPath ? external_node_path_.resolve(inputs.workingDirectory, inputs.fixturesPath) : '';
    const before = fixtures ? await snapshot(fixtures) : new Map();
    const kept = fixtures ? await keepRecordings(fixtures, inputs.workingDirectory) : null;
    state.record = await runCommand(inputs, state, 'record');
    if (!fixtures)
        return;
    const after = await snapshot(fixtures);
    state.fixturesChanged = diffSnapshots(before, after, inputs.fixturesPath);
    Object.assign(state, await stage('What changed in the recordings', () => describeRecordings(kept, before, after, inputs.fixturesPath, fixturesPatchPath(state))));
}

;// CONCATENATED MODULE: ./src/stages/history.ts
// The leg's memory in the Actions cache: restored after the inputs, saved after the result is
// published. Neither ever fails the run or holds it up: a cache that is absent, slow, or holds
// something unreadable means "no history", said in the log, and the run counts as a first run.











const READ_ONLY_EVENTS = new Set(['pull_request', 'pull_request_target']);
/** The file under test: for a nightly that reuses one version, its sha256 and upload time tell builds apart. */
function testedBuild(resolution) {
    const files = installableFiles(resolution.release.files, resolution.release.version, currentPlatform());
    const main = [...files].sort((a, b) => a.filename.localeCompare(b.filename))[0];
    return { sha256: main?.sha256 ?? '', uploadTime: main?.uploadTime?.toISOString() ?? '' };
}
/** The leg's past runs from the cache; null when `history: false`. Never throws. */
async function restoreHistory(inputs) {
    if (!inputs.history) {
        lib_core/* info */.pq("History is off ('history: false'): nothing is read or saved, and every run counts as a first run.");
        return null;
    }
    const identity = { package: names_normalizeName(inputs.package), leg: inputs.leg };
    // Credentials in the index URL rotate; the leg's story does not.
    const prefix = historyKeyPrefix(identity.package, identity.leg, secrets_redactUrl(defaultIndex(inputs)));
    const memory = { identity, prefix, file: external_node_path_.join(sentinelTemp(), 'history', 'history.json'), past: [], probes: [], save: !READ_ONLY_EVENTS.has(eventName()) };
    lib_core/* info */.pq(`Leg: ${identity.leg}`);
    lib_core/* debug */.Yz(`History cache key prefix: ${prefix}`);
    try {
        // A file left by an earlier job on this machine is not this leg's history.
        await promises_.rm(memory.file, { force: true });
        if (!(await cacheClient())) {
            lib_core/* info */.pq('No history to restore without the Actions cache; this run counts as the first.');
            return memory;
        }
        const key = await bounded('Restoring the history', restore('history', [memory.file], prefix, [prefix]));
        if (!key) {
            lib_core/* info */.pq(`No history of leg ${identity.leg} in the Actions cache (a first run, or unused for 7 days and evicted). This run counts as the first.`);
            return memory;
        }
        Object.assign(memory, await readHistoryFile(memory.file, identity));
        lib_core/* info */.pq(`History of leg ${identity.leg}: ${memory.past.length} earlier run(s), restored from ${key}`);
    }
    catch (e) {
        lib_core/* warning */.$e(`The history could not be restored (${e.message}); this run counts as the first.`);
    }
    return memory;
}
async function readHistoryFile(file, identity) {
    const ignored = (why) => {
        lib_core/* warning */.$e(`The stored history of leg ${identity.leg} was ignored: ${why}. This run counts as the first; its save starts a new history.`);
        return { past: [], probes: [] };
    };
    const stat = await promises_.stat(file).catch(() => null);
    if (!stat?.isFile())
        return ignored('the cache entry holds no history file');
    if (stat.size > HISTORY_FILE_LIMIT)
        return ignored(`it is ${stat.size} bytes, more than the ${HISTORY_FILE_LIMIT} a history may take`);
    const parsed = parseHistory(await promises_.readFile(file, 'utf8'), identity);
    if (!parsed.ok)
        return ignored(parsed.problem);
    if (parsed.dropped)
        lib_core/* warning */.$e(`${parsed.dropped} stored run(s) of leg ${identity.leg} were malformed and were ignored.`);
    return { past: parsed.entries, probes: parsed.probes };
}
/** This run as the history keeps it. */
function entryOf(state) {
    return { version: state.version, outcome: state.outcome, date: state.startedAt.toISOString(), runUrl: runInfo().url, sha256: state.build.sha256, uploadTime: state.build.uploadTime };
}
/** This run's bisection probes as the history keeps them. */
function probesOf(state) {
    const date = new Date().toISOString();
    return (state.bisect?.probes ?? []).map((p) => ({ version: p.version, result: p.result, date, sha256: p.sha256, uploadTime: p.uploadTime }));
}
/** Fills `state.history` from the past runs (none when history is off or missed) and this run. */
function rememberRun(state, memory, notifyOn) {
    const current = entryOf(state);
    const past = memory?.past ?? [];
    state.history = computeHistory(past, current, notifyOn);
    if (newBuildOfSameVersion(past.at(-1), current))
        lib_core/* info */.pq(`${state.version} is a new build (uploaded ${current.uploadTime || 'at an unknown time'}); the previous run tested another build of the same version.`);
    lib_core/* debug */.Yz(`History: previous ${state.history.previousOutcome || 'unknown'}, changed ${state.history.statusChanged}, notify ${state.history.notify}`);
}
/** Saves the past runs plus this one under a key of its own. Never throws. */
async function saveHistory(memory, state) {
    if (!memory.save) {
        lib_core/* info */.pq(`History is read but not saved on ${eventName()} runs: their cache belongs to the pull request.`);
        return;
    }
    try {
        await promises_.mkdir(external_node_path_.dirname(memory.file), { recursive: true });
        await promises_.writeFile(memory.file, serializeHistory(memory.identity, memory.past, entryOf(state), [...memory.probes, ...probesOf(state)]));
        const key = `${memory.prefix}${runAttemptId()}`;
        if (await bounded('Saving the history', save('history', [memory.file], key)))
            lib_core/* info */.pq(`History of leg ${memory.identity.leg} saved as ${key}`);
    }
    catch (e) {
        lib_core/* warning */.$e(`The history could not be saved (${e.message}); the next run will not know this one.`);
    }
}

;// CONCATENATED MODULE: ./src/core/bisect.ts
// Which build broke a leg: a binary search over the builds between the last good version and the
// tested (bad) one. Pure: the stage asks for the next probe, runs it, and reports the verdict.
// A build that cannot be installed says nothing about the code: it is skipped, and the search
// goes on with its nearest neighbour.
function startBisection(candidates) {
    return { candidates, lo: -1, hi: candidates.length, skipped: new Set() };
}
/** The candidate to probe next (nearest the middle of the open range, not skipped), or null when done. */
function nextProbe(b) {
    const mid = (b.lo + b.hi) / 2;
    let best = null;
    for (let i = b.lo + 1; i < b.hi; i++) {
        if (b.skipped.has(i))
            continue;
        if (best === null || Math.abs(i - mid) < Math.abs(best - mid))
            best = i;
    }
    return best;
}
function recordProbe(b, index, verdict) {
    if (index <= b.lo || index >= b.hi)
        throw new RangeError(`probe ${index} is outside the open range (${b.lo}, ${b.hi})`);
    if (verdict === 'good')
        b.lo = index;
    else if (verdict === 'bad')
        b.hi = index;
    else
        b.skipped.add(index);
}
function bisectOutcome(b, lastGood, tested) {
    const between = b.candidates.slice(b.lo + 1, b.hi);
    const untestable = between.filter((_, k) => b.skipped.has(b.lo + 1 + k));
    return {
        lastGoodVersion: b.lo < 0 ? lastGood : b.candidates[b.lo],
        firstBadVersion: b.hi >= b.candidates.length ? tested : b.candidates[b.hi],
        exact: between.length === 0,
        untestable,
        untested: between.filter((v) => !untestable.includes(v)),
    };
}
/** `https://github.com/org/repo/compare/{good}...{bad}` with the versions filled in (URL-encoded). */
function compareUrl(template, good, bad) {
    if (!template)
        return '';
    return template.replaceAll('{good}', encodeURIComponent(good)).replaceAll('{bad}', encodeURIComponent(bad));
}

;// CONCATENATED MODULE: ./src/stages/provenance.ts
// Stage "Verify provenance": before anything is downloaded into wheels-dir or run, every file the
// run would install (the package and its companions, as the prefetch stage chooses them) must
// carry a PEP 740 attestation that Sigstore verifies, that names this file and its sha256 from
// the index, and whose certificate names `expected-publisher`. The pure checks are in
// src/core/provenance.ts; this file fetches (through the index client's HTTP, with its retries,
// credentials and limits) and runs @sigstore/verify.








const SIGSTORE_TUF_MIRROR = 'https://tuf-repo-cdn.sigstore.dev';
const INTEGRITY_ACCEPT = 'application/vnd.pypi.integrity.v1+json, application/json;q=0.9';
const MAX_PROVENANCE_BYTES = 4 * 2 ** 20;
/** Sigstore's trust root, loaded once and only when there is an attestation to check. */
function verifierSource(testTrustedRoot) {
    let loaded;
    return () => (loaded ??= loadVerifier(testTrustedRoot));
}
async function loadVerifier(testTrustedRoot) {
    // Loaded on demand: runs without `expected-publisher` never pay for the Sigstore libraries.
    const [{ Verifier, toTrustMaterial }, { TrustedRoot }] = await Promise.all([Promise.all(/* import() */[__webpack_require__.e(654), __webpack_require__.e(187)]).then(__webpack_require__.bind(__webpack_require__, 54187)), __webpack_require__.e(/* import() */ 654).then(__webpack_require__.t.bind(__webpack_require__, 19654, 23))]);
    if (testTrustedRoot) {
        lib_core/* warning */.$e(`Provenance is checked against the test trust root ${testTrustedRoot} (COMPAT_SENTINEL_TEST_TRUSTED_ROOT), not Sigstore's: this is for the action's own tests only.`);
        const json = JSON.parse(await promises_.readFile(testTrustedRoot, 'utf8'));
        return new Verifier(toTrustMaterial(TrustedRoot.fromJSON(json)));
    }
    const { getTrustedRoot } = await Promise.all(/* import() */[__webpack_require__.e(654), __webpack_require__.e(830), __webpack_require__.e(694)]).then(__webpack_require__.bind(__webpack_require__, 84423));
    await shareProxySettingsWithGlobalFetch();
    try {
        // The TUF client checks the trust root against the root of trust embedded in @sigstore/tuf.
        return new Verifier(toTrustMaterial(await getTrustedRoot()));
    }
    catch (e) {
        throw new vocabulary_UserError(`Sigstore's trust root could not be loaded from ${SIGSTORE_TUF_MIRROR} (${e.message}), so no attestation could be checked: allow the runner to reach that host, or leave 'expected-publisher' empty.`);
    }
}
/** One attestation: Sigstore signature and chain, then statement, then publisher. */
async function checkAttestation(a, file, expected, verifier) {
    const mismatch = (problem, publisher = '') => ({
        status: 'mismatch',
        publisher,
        problem,
    });
    const [{ bundleFromJSON }, { toSignedEntity }] = await Promise.all([Promise.all(/* import() */[__webpack_require__.e(654), __webpack_require__.e(40)]).then(__webpack_require__.bind(__webpack_require__, 61040)), Promise.all(/* import() */[__webpack_require__.e(654), __webpack_require__.e(187)]).then(__webpack_require__.bind(__webpack_require__, 54187))]);
    let entity;
    try {
        entity = toSignedEntity(bundleFromJSON(toSigstoreBundleJson(a)));
    }
    catch (e) {
        return mismatch(`${file.filename}: its attestation is not a valid Sigstore bundle (${printable(e.message)})`);
    }
    const v = await verifier();
    let signer;
    try {
        signer = v.verify(entity);
    }
    catch (e) {
        return mismatch(`${file.filename}: its attestation did not verify against Sigstore's trust root (${printable(e.message)})`);
    }
    const identity = signerIdentity(signer.identity?.subjectAlternativeName, signer.identity?.oids);
    const publisher = describeSigner(identity);
    lib_core/* debug */.Yz(`${file.filename}: signature verified; signer ${publisher} (SAN ${printable(identity.subjectAlternativeName)})`);
    const problem = statementProblem(Buffer.from(a.statement, 'base64').toString('utf8'), file);
    if (problem)
        return mismatch(`${file.filename}: ${problem}`, publisher);
    if (!publisherMatches(expected, identity))
        return mismatch(`${file.filename} was published by ${publisher}, not ${describeExpected(expected)}`, publisher);
    return { status: 'verified', publisher, problem: '' };
}
async function checkFile(file, expected, verifier, indexUrl) {
    const absent = (problem) => ({ status: 'absent', publisher: '', problem });
    if (!file.provenanceUrl)
        return absent(`no provenance for ${file.filename}: the index publishes none`);
    if (!file.sha256)
        return absent(`no provenance can be matched to ${file.filename}: the index lists no sha256 for it`);
    let body;
    try {
        // A private index's credentials go along to its own origin, as for its pages and files.
        body = (await getText(file.provenanceUrl, { accept: INTEGRITY_ACCEPT, maxBytes: MAX_PROVENANCE_BYTES, credentialsFrom: indexUrl })).text;
    }
    catch (e) {
        if (e instanceof HttpStatusError)
            return absent(`no provenance for ${file.filename}: the index links ${secrets_redactUrl(file.provenanceUrl)} but answers HTTP ${e.status}`);
        const why = cause(e);
        if (why !== null)
            return absent(`the provenance of ${file.filename} could not be fetched from ${secrets_redactUrl(file.provenanceUrl)}: ${why}`);
        if (e instanceof vocabulary_UserError)
            return absent(`the provenance of ${file.filename} could not be fetched: ${e.message}`);
        throw e;
    }
    let bundles;
    try {
        bundles = parseProvenance(body);
    }
    catch (e) {
        if (e instanceof ProvenanceFormatError)
            return { status: 'mismatch', publisher: '', problem: `${file.filename}: its provenance could not be read: ${e.message}` };
        throw e;
    }
    const attestations = bundles.flatMap((b) => b.attestations);
    if (!attestations.length)
        return absent(`no provenance for ${file.filename}: its provenance object holds no attestation`);
    let first;
    for (const a of attestations) {
        const verdict = await checkAttestation(a, { ...file, sha256: file.sha256 }, expected, verifier);
        if (verdict.status === 'verified')
            return verdict;
        first ??= verdict;
    }
    return first;
}
const FIX = {
    absent: "Nothing was installed or run. Ask the upstream to publish with Trusted Publishing (PyPI then attaches attestations), or leave 'expected-publisher' empty to test builds whose publisher is not checked.",
    mismatch: "Nothing was installed or run: this build is not one the expected publisher attested. If the upstream moved its publishing repository or workflow, update 'expected-publisher'.",
};
/**
 * Checks every file the run would install. Returns the report; throws nothing for a file that
 * fails (the caller turns a report that is not `verified` into the run's error).
 */
async function verifyProvenance(inputs, res) {
    const expected = inputs.expectedPublisher;
    if (!expected)
        return { status: '', publisher: '', detail: '' };
    const platform = currentPlatform();
    const verifier = verifierSource(inputs.testTrustedRoot);
    const verdicts = [];
    for (const project of [inputs.package, ...inputs.companions]) {
        const page = res.pages.get(project);
        const files = page ? installableFiles(page.files, res.version, platform) : [];
        if (!files.length)
            verdicts.push({ status: 'absent', publisher: '', problem: `no file of ${project} ${res.version} installs here, so none could be verified` });
        for (const file of files) {
            const verdict = await checkFile(file, expected, verifier, res.indexUrl);
            lib_core/* info */.pq(verdict.status === 'verified' ? `${file.filename}: verified, published by ${verdict.publisher}` : `${file.filename}: ${verdict.status}: ${verdict.problem}`);
            verdicts.push(verdict);
        }
    }
    const status = combineStatus(verdicts.map((v) => v.status));
    const failed = verdicts.find((v) => v.status === status && v.problem);
    const publishers = [...new Set(verdicts.map((v) => v.publisher).filter(Boolean))];
    if (status === 'verified') {
        return { status, publisher: publishers.join(', '), detail: `${verdicts.length} file(s) verified: published by ${publishers.join(', ')}` };
    }
    return {
        status,
        publisher: failed?.publisher || publishers.join(', '),
        detail: `${failed?.problem ?? 'provenance not verified'}. ${status === 'absent' ? FIX.absent : FIX.mismatch}`,
    };
}
/**
 * The publisher check, before uv, the wheels folder (exported to later steps) or any command sees
 * the files: fills `state.provenance`; anything but `verified` ends the run as an error. Off
 * (no `expected-publisher`), a dev/pre build from TestPyPI gets a notice recommending it.
 */
async function requirePublisher(inputs, res, state) {
    if (!inputs.expectedPublisher) {
        lib_core/* info */.pq("Provenance is not checked ('expected-publisher' is empty).");
        if (shouldRecommendPublisher(state.channel, res.indexUrl)) {
            lib_core/* notice */.lm("This dev/pre build comes from TestPyPI, where anyone can register a project name its maintainers never claimed. Set 'expected-publisher' (e.g. github:owner/repo) so only builds attested by the upstream's own workflow are tested.");
        }
        return;
    }
    try {
        state.provenance = await verifyProvenance(inputs, res);
    }
    catch (e) {
        // Could not check at all (e.g. Sigstore's trust root unreachable): nothing verified.
        state.provenance = { status: 'absent', publisher: '', detail: e instanceof Error ? e.message : String(e) };
        throw e;
    }
    if (state.provenance.status !== 'verified')
        throw new vocabulary_UserError(state.provenance.detail);
}

;// CONCATENATED MODULE: ./src/stages/bisect.ts
// First bad build: when a leg fails, binary-search the builds between its last good version and
// the tested one. Each probe is "test one version" (prefetch, install, replay: never record, so
// no money is spent); a build that cannot be installed is skipped. What the leg already knows
// (past runs, past probes) is not probed again, and this run's probes join the history.










const VERDICT = { good: 'good', bad: 'bad', 'not-installable': 'skip' };
/** Why this run does not bisect, or '' when it should; null when bisecting is off (nothing to say). */
function whyNotBisect(inputs, run, lastGood) {
    if (!inputs.bisect)
        return null;
    if (run.outcome === 'compatible')
        return null;
    if (!inputs.bisectOn.has(run.outcome))
        return `no bisection: the outcome ${run.outcome} is not in 'bisect-on'`;
    if (run.channel === 'explicit' || run.channel === 'pinned')
        return `no bisection: a ${run.channel} version has no channel of builds to search`;
    if (!lastGood)
        return 'no bisection: the history of this leg has no compatible run yet, so there is no last good build to start from';
    // A last good version yanked since, or a nightly that reuses one version: no build lies between.
    if ((0,pep440/* explain */.WE)(lastGood) && (0,pep440/* explain */.WE)(run.version) && (0,pep440/* compare */.UD)(lastGood, run.version) >= 0)
        return `no bisection: the last good version ${lastGood} is not older than the tested ${run.version}, so there are no builds between them to search`;
    return '';
}
/** The sha256 of the file a build would be tested with here ('' when unknown). */
function buildSha(release) {
    const files = installableFiles(release.files, release.version, currentPlatform());
    return [...files].sort((a, b) => a.filename.localeCompare(b.filename))[0]?.sha256 ?? '';
}
async function bisect(inputs, resolution, run, lastGood, memory) {
    const page = resolution.pages.get(inputs.package);
    const channel = run.channel === 'stable' || run.channel === 'dev' ? run.channel : 'pre';
    const candidates = releasesBetween(page.files, channel, lastGood, run.version);
    const byVersion = new Map(candidates.map((r) => [r.version, r]));
    const search = startBisection(candidates.map((r) => r.version));
    lib_core/* info */.pq(`${candidates.length} ${channel} build(s) between the last good ${lastGood} and ${run.version}`);
    // What this leg already knows, from its runs and earlier probes, narrows the range first.
    const known = knownResults(memory?.past ?? [], memory?.probes ?? [], (v) => (byVersion.has(v) ? buildSha(byVersion.get(v)) : ''));
    for (let i = 0; i < candidates.length; i++) {
        const result = known.get(candidates[i].version);
        if (result && i > search.lo && i < search.hi) {
            recordProbe(search, i, VERDICT[result]);
            lib_core/* debug */.Yz(`known from the history: ${candidates[i].version} is ${result}`);
        }
    }
    const probes = [];
    const deadline = Date.now() + inputs.bisectTimeoutMs;
    let stopped = '';
    let started = 0;
    for (let i = nextProbe(search); i !== null; i = nextProbe(search)) {
        if (probes.length >= inputs.bisectMaxProbes) {
            stopped = `stopped after ${probes.length} probe(s) (bisect-max-probes)`;
            break;
        }
        if (deadline - Date.now() < MIN_PHASE_MS) {
            stopped = `stopped when its time ran out (bisect-timeout-minutes: ${inputs.bisectTimeoutMs / 60_000})`;
            break;
        }
        const release = candidates[i];
        const startedAt = Date.now();
        started++;
        const result = await probe(inputs, resolution, run, release.version, deadline);
        if (result === null) {
            stopped = runStopping()
                ? `stopped: the run was cancelled during the probe of ${release.version}`
                : `stopped when its time ran out (bisect-timeout-minutes: ${inputs.bisectTimeoutMs / 60_000}); the probe of ${release.version} was cut short`;
            break;
        }
        recordProbe(search, i, VERDICT[result]);
        probes.push({ version: release.version, uploadTime: newestUpload(release)?.toISOString() ?? '', sha256: buildSha(release), result, durationMs: Date.now() - startedAt });
        lib_core/* info */.pq(`Probe ${release.version}: ${result}`);
    }
    if (started && inputs.installCommand && !runStopping())
        await reinstallTested(inputs, run);
    const out = bisectOutcome(search, lastGood, run.version);
    const upload = (v) => (byVersion.get(v) ? newestUpload(byVersion.get(v))?.toISOString().slice(0, 10) : undefined);
    const notes = [
        out.exact ? '' : stopped || '',
        out.untestable.length ? `could not install ${out.untestable.join(', ')} (the break may be there)` : '',
        !out.exact && out.untested.length ? `${out.untested.length} build(s) between not probed: ${out.untested.slice(0, 10).join(', ')}${out.untested.length > 10 ? ', …' : ''}` : '',
    ].filter(Boolean);
    const bad = upload(out.firstBadVersion);
    lib_core/* info */.pq(`First bad build: ${out.firstBadVersion}${bad ? ` (uploaded ${bad})` : ''}; last good: ${out.lastGoodVersion}${out.exact ? '' : ` (a range: ${notes.join('; ')})`}`);
    return {
        exact: out.exact,
        firstBadVersion: out.firstBadVersion,
        lastGoodVersion: out.lastGoodVersion,
        compareUrl: compareUrl(inputs.compareUrlTemplate, out.lastGoodVersion, out.firstBadVersion),
        note: notes.join('; '),
        probes,
    };
}
/** The probes installed other builds: later steps must find the tested one, as before the search. */
async function reinstallTested(inputs, run) {
    const again = await runCommand(inputs, run, 'install', undefined, `Install ${run.version} again (the probes installed other builds)`);
    if (again.result !== 'success')
        lib_core/* warning */.$e(`install-command ${again.result === 'timeout' ? 'timed out' : 'failed'} for ${run.version} after the probes: later steps may find a probed build installed.`);
}
/**
 * One build, replay only: good, bad, or not installable (which says nothing about the code);
 * null when the budget or a cancellation cut it short, which says nothing either and is not kept.
 */
async function probe(inputs, resolution, run, version, deadline) {
    // The probe's own stages open their log groups; this line says which build they belong to.
    lib_core/* info */.pq(`Probe ${version}: prefetch, install and replay (never record)`);
    try {
        // A build from an unverified publisher never runs, here as in the run itself.
        if (inputs.expectedPublisher) {
            const provenance = await verifyProvenance(inputs, { version, pages: resolution.pages, indexUrl: resolution.indexUrl });
            if (provenance.status !== 'verified') {
                lib_core/* info */.pq(`${version} was not tested: ${provenance.detail}`);
                return 'not-installable';
            }
        }
        // As many attempts as the run itself gets (a flaky suite must not make a good build bad), all
        // within what is left of the budget; the record command is never run.
        // No Actions-cache entry per probed build: they would crowd out the leg's history and wheels.
        const tested = await testVersion({ ...inputs, cacheWheels: false }, { ...resolution, version }, { package: run.package, version, channel: run.channel, probe: true, deadline });
        if (runStopping() || tested.cutShort)
            return null;
        if (tested.notInstallable) {
            lib_core/* info */.pq(`${version} could not be installed (${tested.notInstallable}): skipped`);
            return 'not-installable';
        }
        return tested.replay.result === 'success' ? 'good' : 'bad';
    }
    catch (e) {
        if (runStopping())
            return null;
        // A build whose files are missing or unverifiable cannot be tested: skipped, not bad.
        lib_core/* info */.pq(`${version} could not be tested (${e.message}): skipped`);
        return 'not-installable';
    }
}
/** The newest version this leg's past runs found compatible ('' when none). */
function lastGoodOf(memory) {
    return memory?.past.findLast((e) => e.outcome === 'compatible')?.version ?? '';
}

;// CONCATENATED MODULE: ./src/io/event.ts
// The workflow event that started the run, as far as the action needs it: is this a pull
// request from a fork? There, secrets are not passed (pull_request) or must not be trusted with
// the fork's code (pull_request_target), so a paid record run has nothing to run with.

const PR_EVENTS = new Set(['pull_request', 'pull_request_target']);
/** Pure: the event name and its payload (as GITHUB_EVENT_PATH holds it) → from a fork or not. */
function isForkPullRequest(eventName, payload) {
    if (!PR_EVENTS.has(eventName))
        return false;
    const pr = payload?.pull_request;
    if (!pr)
        return false;
    const head = pr.head?.repo;
    // A deleted fork leaves head.repo null: still not this repository.
    if (head === null)
        return true;
    const base = pr.base?.repo?.full_name;
    if (head?.full_name && base)
        return head.full_name.toLowerCase() !== base.toLowerCase();
    return head?.fork === true;
}
/** Reads GITHUB_EVENT_NAME and GITHUB_EVENT_PATH; an unreadable payload is "not a fork". */
function runIsForkPullRequest(env = process.env) {
    const name = env.GITHUB_EVENT_NAME ?? '';
    if (!PR_EVENTS.has(name) || !env.GITHUB_EVENT_PATH)
        return false;
    try {
        return isForkPullRequest(name, JSON.parse(external_node_fs_.readFileSync(env.GITHUB_EVENT_PATH, 'utf8')));
    }
    catch {
        return false;
    }
}

// EXTERNAL MODULE: external "node:module"
var external_node_module_ = __webpack_require__(98995);
// EXTERNAL MODULE: external "node:url"
var external_node_url_ = __webpack_require__(73136);
;// CONCATENATED MODULE: ./src/io/source-map.ts
// Stack traces of the bundled action, mapped back to src/ files through the source maps ncc
// writes beside dist/*.js: every frame of a logged stack, the start-up bundle's and the chunks'
// alike. Done here, only when a stack is logged, rather than by process.setSourceMapsEnabled(true),
// which makes Node read and parse the map of every chunk as it loads (about 20 ms of a warm run),
// so a run without a bug pays nothing.



const maps = new Map();
function sourceMapOf(file) {
    if (!maps.has(file)) {
        try {
            maps.set(file, new external_node_module_.SourceMap(JSON.parse((0,external_node_fs_.readFileSync)(`${file}.map`, 'utf8'))));
        }
        catch {
            maps.set(file, null); // not bundled (tsx, local-action), or no map: the frame stays as it is
        }
    }
    return maps.get(file) ?? null;
}
/**
 * `src/main.ts`, `node_modules/undici/lib/core/util.js`: ncc writes the sources relative to the
 * entry's folder, not to the map, so they are shown from the repository root rather than resolved.
 */
function shortName(source) {
    const name = source.startsWith('file:') ? (0,external_node_url_.fileURLToPath)(source) : source;
    return name
        .replace(/\\/g, '/')
        .replace(/^(\.\.?\/)+/, '') // chunks' maps say `.././src/…`
        .replace(/^.*?(?=node_modules\/)/, '');
}
/** `stack` with each `file:///…/x.js:line:column` that has a source map replaced by its original file, line and column. */
function mapStack(stack) {
    return stack.replace(/(file:\/\/[^\s()]+?\.[cm]?js):(\d+):(\d+)/g, (frame, url, line, column) => {
        const file = (0,external_node_url_.fileURLToPath)(url);
        const entry = sourceMapOf(file)?.findEntry(Number(line) - 1, Number(column) - 1);
        if (!entry || !('originalSource' in entry) || !entry.originalSource)
            return frame;
        return `${shortName(entry.originalSource)}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
    });
}

;// CONCATENATED MODULE: ./src/main.ts
// compat-sentinel, read top to bottom:
// inputs → restore history → resolve → verify provenance → install uv → restore uv's cache →
// prefetch, install, replay (→ record) → classify → first bad build → save uv's cache →
// publish → save history.

























/** The one message a user reads when the run could not test. */
function userMessage(e) {
    if (e instanceof vocabulary_UserError)
        return e.message;
    if (e instanceof RequestError)
        return `${e.url}: ${e.message}. Check the URL, the network, or try again later.`;
    const err = e instanceof Error ? e : new Error(String(e));
    return `unexpected internal error: ${err.message}. Please report it with this log.`;
}
/** userMessage(e), and for a bug its stack in the log, with src/ file names (io/source-map.ts). */
function failureMessage(e) {
    if (!(e instanceof vocabulary_UserError) && !(e instanceof RequestError))
        lib_core/* error */.z3(e instanceof Error && e.stack ? mapStack(e.stack) : String(e), { title: 'compat-sentinel: unexpected internal error' });
    return userMessage(e);
}
async function checkWorkingDirectory(dir) {
    const stat = await promises_.stat(dir).catch(() => null);
    if (!stat?.isDirectory())
        throw new vocabulary_UserError(`'working-directory' ${dir} does not exist or is not a folder: check the path, which is relative to the workspace.`);
}
async function pipeline(inputs, state, memory) {
    checkRunnerFolders();
    state.companions = inputs.companions;
    if (inputs.version)
        state.version = inputs.version;
    await checkWorkingDirectory(inputs.workingDirectory);
    const resolution = await stage('Resolve the upstream version', async () => {
        state.pinnedVersion = await readPinned(inputs);
        if (state.pinnedVersion)
            lib_core/* info */.pq(`Pinned in ${inputs.pinnedFile}: ${state.pinnedVersion}`);
        if (state.channel === 'pinned')
            state.version = state.pinnedVersion;
        return resolveVersion(inputs, state.pinnedVersion);
    });
    state.version = resolution.version;
    state.build = testedBuild(resolution);
    state.isPinned = isPinned(state.version, state.pinnedVersion);
    state.notes.push(...resolution.warnings);
    // Before uv, the wheels folder (exported to later steps) or any command sees the files.
    await stage('Verify provenance', () => requirePublisher(inputs, resolution, state));
    state.uv = await stage('Install uv', () => installUv(inputs));
    state.uvCache = await stage("Restore uv's cache", () => restoreUvCache(inputs, state.leg, state.version));
    const tested = await testVersion(inputs, resolution, state, (wheels) => (state.wheels = wheels));
    state.install = tested.install;
    state.replay = tested.replay;
    state.flaky = tested.flaky;
    // Record costs money (real provider calls): never for a version that could not be installed,
    // nor where a fork's pull request has no secrets to record with.
    const wantsRecord = state.replay.result !== 'success' && !tested.notInstallable && Boolean(inputs.recordCommand);
    const fork = wantsRecord && !inputs.recordOnFork && runIsForkPullRequest();
    if (wantsRecord)
        lib_core/* debug */.Yz(`record wanted; event ${process.env.GITHUB_EVENT_NAME || '(none)'}, from a fork: ${fork}, record-on-fork: ${inputs.recordOnFork}`);
    const recordSkipped = fork ? 'record skipped: pull request from a fork has no secrets' : '';
    if (recordSkipped)
        lib_core/* info */.pq(`${recordSkipped} (set record-on-fork: true to record anyway)`);
    if (wantsRecord && !recordSkipped)
        await record(inputs, state);
    const verdict = classify(state.replay, state.record, state.fixturesChanged.length, { replay: inputs.replayTimeoutMs / 60_000, record: inputs.recordTimeoutMs / 60_000 }, { notInstallable: tested.notInstallable, attempts: tested.attempts, recordSkipped, fixturesPath: inputs.fixturesPath });
    state.outcome = verdict.outcome;
    state.reason = verdict.reason + (0,types/* patchNoteForReason */.o$)(state.fixtureDiff);
    const lastGood = lastGoodOf(memory);
    const noBisect = whyNotBisect(inputs, state, lastGood);
    if (noBisect)
        state.notes.push(noBisect);
    if (noBisect === '')
        state.bisect = await stage('First bad build', () => bisect(inputs, resolution, state, lastGood, memory));
    // After the phases and probes, whatever their result: what they downloaded is what saves time next run.
    state.uvCache = await stage("Save uv's cache", () => saveUvCache(inputs, state.uv.path, state.uvCache));
}
async function main_run() {
    registerSecrets();
    const loaded = await stage('Inputs', async () => loadInputs());
    if (loaded.ok)
        maskNamedVariables(loaded.inputs.maskEnv);
    const state = newRunState(loaded.ok ? { package: names_normalizeName(loaded.inputs.package), channel: effectiveChannel(loaded.inputs), leg: loaded.inputs.leg } : loaded.partial);
    const failOn = loaded.ok ? loaded.inputs.failOn : loaded.partial.failOn;
    // Restored once the handlers below are in place: a cancellation while the cache is slow still publishes.
    let memory = null;
    let finished;
    let published = false;
    // Once the run is cancelled or has crashed, that is its verdict: a phase the cancellation killed
    // must not be classified afterwards as `incompatible`.
    let aborted = '';
    let cancelled = false;
    // The result is published first: saving the history must never stand in its way.
    const finish = () => (finished ??= (async () => {
        if (aborted)
            fail(aborted);
        rememberRun(state, memory, loaded.ok ? loaded.inputs.notifyOn : 'change');
        try {
            await publish(state, failOn);
        }
        catch (e) {
            // A bug in publishing itself: still say so where the runner looks, and fail the step.
            const message = `unexpected internal error while writing the result: ${e.message}. Please report it with this log.`;
            lib_core/* setOutput */.uH('outcome', 'error');
            lib_core/* setOutput */.uH('summary', message);
            lib_core/* setFailed */.C1(message);
        }
        published = true;
        const saving = memory;
        // The pipeline may still classify a phase the cancellation killed while this publishes.
        if (aborted)
            fail(aborted);
        // A cancelled run says nothing about the upstream: remembering it would turn the next
        // night's run into a "status changed" alert and start a false "failing since".
        if (saving && cancelled)
            lib_core/* info */.pq('This run was cancelled: the history is left as it was.');
        else if (saving)
            await stage('Save history', () => saveHistory(saving, state));
    })());
    const fail = (reason) => {
        state.outcome = 'error';
        state.reason = reason;
    };
    // One way out for a cancelled or crashed run: stop the commands, still publish, exit non-zero.
    const abort = (reason) => {
        aborted ||= reason;
        fail(aborted);
        void stopCurrentPhase()
            .then(finish)
            .finally(() => process.exit(1));
    };
    // The runner cancels a step with SIGINT, then SIGTERM.
    for (const sig of ['SIGINT', 'SIGTERM']) {
        process.once(sig, () => {
            cancelled = true;
            abort(`cancelled (${sig}) before the run finished`);
        });
    }
    // Whatever escapes still ends in a report, never in a bare stack trace.
    process.on('uncaughtException', (e) => abort(failureMessage(e)));
    process.on('unhandledRejection', (e) => abort(failureMessage(e)));
    // Work left waiting on an event that already fired (or any forgotten promise) drains the event
    // loop, and Node would exit 0 with nothing written: publish an error instead, and fail.
    process.once('beforeExit', () => {
        if (published)
            return;
        const where = currentStage() ? `'${currentStage()}' was` : 'the action was';
        abort(`the run ended before it finished: ${where} left waiting for something that can no longer happen. Please report it with this log.`);
    });
    process.on('exit', () => {
        if (!published)
            process.exitCode = 1;
    });
    try {
        if (!loaded.ok)
            throw loaded.error;
        // Without valid inputs the leg's identity is not known for sure: its history is left alone.
        memory = await stage('Restore history', () => restoreHistory(loaded.inputs));
        await pipeline(loaded.inputs, state, memory);
    }
    catch (e) {
        fail(failureMessage(e));
    }
    await finish();
    // A cache call given up on may still hold a socket open; the run is over, so do not wait for it.
    if (cacheCallPending())
        process.exit();
}


/***/ })

};

//# sourceMappingURL=314.index.js.map