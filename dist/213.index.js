export const id = 213;
export const ids = [213];
export const modules = {

/***/ 7213:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  compareRecordings: () => (/* binding */ compareRecordings)
});

// EXTERNAL MODULE: ./node_modules/microdiff/dist/index.js
var dist = __webpack_require__(11159);
// EXTERNAL MODULE: ./src/core/recordings/types.ts
var types = __webpack_require__(34797);
;// CONCATENATED MODULE: ./src/core/recordings/paths.ts
// A structural diff of two values, reduced to field paths a reviewer can read:
// `response.body.choices[0].message.tool_calls: added`, `request.body.dimensions: 768 → 128`.
// microdiff does the walk: it is small, has no dependencies, and reports each difference with its
// path as an array (keys and indexes), which is exactly what these lines are made of.


function kind(v) {
    if (v === null)
        return 'null';
    if (Array.isArray(v))
        return 'array';
    if (v instanceof Uint8Array)
        return 'bytes';
    return typeof v;
}
/** `.key` for plain keys, `["odd key"]` otherwise, `[3]` for indexes; `__data__` wrappers (Llama Stack's serialised pydantic objects) are left out. */
function formatPath(prefix, path) {
    let out = prefix;
    for (const seg of path) {
        if (seg === '__data__')
            continue;
        if (typeof seg === 'number')
            out += `[${seg}]`;
        else if (/^[A-Za-z_$][\w$-]*$/.test(seg))
            out += out ? `.${seg}` : seg;
        else
            out += `[${JSON.stringify(seg)}]`;
    }
    return out || '(document)';
}
function paths_short(v) {
    const s = typeof v === 'string' ? JSON.stringify(v) : String(v);
    return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}
const cut = (line) => (line.length > types/* LIMITS */.b1.maxPathChars ? `${line.slice(0, types/* LIMITS */.b1.maxPathChars - 1)}…` : line);
/**
 * Every difference between `before` and `after`, as lines under `prefix` (e.g. `response`).
 * Shape: keys added or removed, a value's type changed (and a `__type__` marker changed, which is
 * a serialised class name). Value: same type, other content.
 */
function changedPaths(prefix, before, after) {
    const out = { shape: [], value: [] };
    // microdiff compares containers; wrap both so that a changed root is a change at `prefix`.
    for (const d of (0,dist/* default */.A)({ v: before }, { v: after })) {
        const where = formatPath(prefix, d.path.slice(1));
        if (d.type === 'CREATE')
            out.shape.push(cut(`${where}: added`));
        else if (d.type === 'REMOVE')
            out.shape.push(cut(`${where}: removed`));
        else if (kind(d.oldValue) !== kind(d.value))
            out.shape.push(cut(`${where}: ${kind(d.oldValue)} → ${kind(d.value)}`));
        else if (d.path.at(-1) === '__type__')
            out.shape.push(cut(`${where}: ${paths_short(d.oldValue)} → ${paths_short(d.value)}`));
        else
            out.value.push(cut(`${where}: ${paths_short(d.oldValue)} → ${paths_short(d.value)}`));
    }
    return out;
}

// EXTERNAL MODULE: ./node_modules/yaml/dist/index.js
var yaml_dist = __webpack_require__(38815);
;// CONCATENATED MODULE: ./src/core/recordings/parse.ts
// Recording parsers, chosen by content: a Llama Stack recording (one request/response per JSON
// file), a VCR cassette (vcrpy, pytest-recording, go-vcr: `interactions` of request/response),
// else the whole JSON or YAML document. Anything else is compared as bytes.

const isObj = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
/** JSON first (any name), YAML for .yaml/.yml names; undefined when neither parses. */
function parseDocument(file, text) {
    try {
        return { doc: JSON.parse(text), syntax: 'json' };
    }
    catch {
        // not JSON; maybe YAML
    }
    if (!/\.ya?ml$/i.test(file))
        return undefined;
    try {
        // Silent: vcrpy may write tags such as !!python/unicode, which stay plain strings.
        return { doc: yaml_dist.parse(text, { logLevel: 'silent', maxAliasCount: 100 }), syntax: 'yaml' };
    }
    catch {
        return undefined;
    }
}
/** A body as its structure when it is JSON text (or UTF-8 bytes of it), else as it is. */
function bodyValue(body) {
    if (body instanceof Uint8Array) {
        try {
            body = new TextDecoder('utf-8', { fatal: true }).decode(body);
        }
        catch {
            return `<${body.length} bytes of binary data>`;
        }
    }
    if (typeof body === 'string' && /^\s*[[{]/.test(body)) {
        try {
            return JSON.parse(body);
        }
        catch {
            return body;
        }
    }
    return body;
}
/** Host and path of a URL, or just the path; never the query (that stays in the request diff). */
function urlPath(url, withHost) {
    try {
        const u = new URL(url);
        return withHost ? `${u.host}${u.pathname}` : u.pathname;
    }
    catch {
        return url.split('?')[0] ?? '';
    }
}
function modelOf(body) {
    return isObj(body) ? str(body.model) : '';
}
function isLlamaStack(doc) {
    return (isObj(doc) &&
        isObj(doc.request) &&
        isObj(doc.response) &&
        typeof doc.request.method === 'string' &&
        (typeof doc.request.url === 'string' || typeof doc.request.endpoint === 'string') &&
        ('body' in doc.response || 'is_streaming' in doc.response));
}
function isVcr(doc) {
    return isObj(doc) && Array.isArray(doc.interactions) && doc.interactions.length > 0 && doc.interactions.every((i) => isObj(i) && isObj(i.request) && isObj(i.response));
}
function llamaStack(doc) {
    const req = doc.request;
    const identity = {
        method: str(req.method).toUpperCase(),
        path: str(req.endpoint) || urlPath(str(req.url), false),
        model: str(req.model) || modelOf(req.body),
        testId: str(doc.test_id),
    };
    // Other top-level fields (e.g. id_normalization_mapping) are bookkeeping of the recorder.
    return { identity, request: req, response: doc.response };
}
function vcrInteraction(i) {
    const req = i.request;
    const res = i.response;
    // vcrpy: uri, response.body.string, status {code, message}; go-vcr v4: url, body as string, code.
    const url = str(req.uri) || str(req.url);
    const reqBody = bodyValue(req.body);
    const resBody = bodyValue(isObj(res.body) && 'string' in res.body ? res.body.string : res.body);
    const identity = { method: str(req.method).toUpperCase(), path: urlPath(url, true), model: modelOf(reqBody), testId: '' };
    return { identity, request: { ...req, body: reqBody }, response: { ...res, body: resBody } };
}
/** Parses one file's text; `format: 'file'` when it is neither JSON nor YAML. */
function parseRecording(file, text) {
    const parsed = parseDocument(file, text);
    if (!parsed)
        return { format: 'file', interactions: [], note: 'not JSON or YAML: compared as bytes' };
    const { doc, syntax } = parsed;
    if (isLlamaStack(doc))
        return { format: 'llama-stack', interactions: [llamaStack(doc)] };
    if (isVcr(doc))
        return { format: 'vcr', interactions: doc.interactions.map(vcrInteraction) };
    return { format: syntax, interactions: [{ identity: { method: '', path: '', model: '', testId: '' }, request: undefined, response: doc }] };
}
/** One line naming the call; a plain document is named by its file. */
function identityLabel(id, file) {
    if (!id.method && !id.path)
        return file;
    const parts = [[id.method, id.path].filter(Boolean).join(' ')];
    if (id.model)
        parts.push(`model ${id.model}`);
    if (id.testId)
        parts.push(`test ${id.testId}`);
    return parts.join(' · ');
}
/** Equal for the same call: what pairs a deleted recording with its re-keyed replacement. */
function identityKey(id) {
    return JSON.stringify([id.method, id.path, id.model, id.testId]);
}

;// CONCATENATED MODULE: ./src/core/recordings/compare.ts
// From the files a record run changed to `fixtureDiff`: parse each side, pair interactions by
// request identity, diff each pair. Pure: file contents come through `load`, one file at a time,
// so memory stays bounded by the largest file compared, not by the recordings folder.



/** Keeps at most `max` interactions; when full, a value-only change gives way to one that matters more. */
class Collector {
    max;
    diff = (0,types/* emptyFixtureDiff */.kP)();
    kept = [];
    constructor(max) {
        this.max = max;
    }
    add(category, entry) {
        this.diff.counts[category]++;
        const minor = (e, c) => c === 'responseChanged' && e.shape.length === 0;
        if (this.kept.length >= this.max) {
            this.diff.omittedInteractions++;
            if (minor(entry, category))
                return;
            const i = this.kept.findLastIndex((k) => minor(k.entry, k.category));
            if (i < 0)
                return;
            this.kept.splice(i, 1);
        }
        this.kept.push({ category, entry });
    }
    result() {
        for (const c of ['added', 'removed', 'requestChanged', 'responseChanged'])
            this.diff[c] = this.kept.filter((k) => k.category === c).map((k) => k.entry);
        return this.diff;
    }
}
function capped(paths) {
    const max = types/* LIMITS */.b1.maxPathsPerInteraction;
    const shape = paths.shape.slice(0, max);
    const value = paths.value.slice(0, max - shape.length);
    return { shape, value, omittedPaths: paths.shape.length + paths.value.length - shape.length - value.length };
}
function single(rec, i, file) {
    const entry = { format: rec.format, file, identity: i ? identityLabel(i.identity, file) : file, shape: [], value: [], omittedPaths: 0 };
    if (rec.note)
        entry.note = rec.note;
    return entry;
}
/** Both sides of one interaction: request changed if any request field did, else response changed (or nothing). */
function comparePair(out, format, a, b, file, previousFile) {
    const document = a.request === undefined && b.request === undefined;
    const req = changedPaths('request', a.request, b.request);
    const res = changedPaths(document ? '' : 'response', a.response, b.response);
    const paths = { shape: [...req.shape, ...res.shape], value: [...req.value, ...res.value] };
    if (!paths.shape.length && !paths.value.length && !previousFile)
        return;
    const entry = { format, file, identity: identityLabel(b.identity, file), ...capped(paths) };
    if (previousFile)
        entry.previousFile = previousFile;
    out.add(req.shape.length || req.value.length ? 'requestChanged' : 'responseChanged', entry);
}
function parse(file, content) {
    if ('skipped' in content)
        return { format: 'file', interactions: [], note: content.skipped };
    return parseRecording(file, content.text);
}
/** Interactions of one cassette before and after: the n-th call of an identity pairs with its n-th call after. */
function compareFile(out, file, before, after) {
    if (before.format === 'file' || after.format === 'file') {
        out.add('responseChanged', single(before.format === 'file' ? before : after, undefined, file));
        return;
    }
    const waiting = new Map();
    for (const i of before.interactions) {
        const k = identityKey(i.identity);
        waiting.set(k, [...(waiting.get(k) ?? []), i]);
    }
    for (const b of after.interactions) {
        const a = waiting.get(identityKey(b.identity))?.shift();
        if (a)
            comparePair(out, after.format, a, b, file);
        else
            out.add('added', single(after, b, file));
    }
    for (const rest of waiting.values())
        for (const a of rest)
            out.add('removed', single(before, a, file));
}
/** Small fingerprint of a request body: hashes of its leaves, to pair the closest of several same-identity calls. */
function fingerprint(v, path = '', into = new Set()) {
    if (typeof v === 'object' && v !== null) {
        for (const [k, child] of Object.entries(v))
            fingerprint(child, `${path}/${k}`, into);
    }
    else {
        // FNV-1a over path=value: cheap, and collisions only make a pairing slightly less good.
        let h = 0x811c9dc5;
        const s = `${path}=${String(v)}`;
        for (let i = 0; i < s.length; i++)
            h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
        into.add(h >>> 0);
    }
    return into;
}
function similarity(a, b) {
    let common = 0;
    for (const x of a)
        if (b.has(x))
            common++;
    return common / Math.max(1, a.size + b.size - common);
}
/** Pairs deleted with added Llama Stack recordings of the same call; the most similar requests first. */
function pairLoose(deleted, added) {
    const candidates = [];
    for (const d of deleted)
        for (const a of added)
            if (d.key === a.key)
                candidates.push({ d, a, score: similarity(d.print, a.print) });
    candidates.sort((x, y) => y.score - x.score || x.d.file.localeCompare(y.d.file) || x.a.file.localeCompare(y.a.file));
    const used = new Set();
    const pairs = [];
    for (const c of candidates) {
        if (used.has(c.d) || used.has(c.a))
            continue;
        used.add(c.d);
        used.add(c.a);
        pairs.push([c.d, c.a]);
    }
    return pairs;
}
/**
 * The diff of a record run. `label` turns a file relative to the fixtures folder into the name
 * shown (relative to the repository, as the user wrote `fixtures-path`).
 */
async function compareRecordings(changes, load, label = (f) => f, max = types/* LIMITS */.b1.maxInteractions) {
    const out = new Collector(max);
    out.diff.counts.files = changes.length;
    const loose = { deleted: [], added: [] };
    const sorted = [...changes].sort((x, y) => x.file.localeCompare(y.file));
    for (const c of sorted) {
        const shown = label(c.file);
        if (c.change === 'modified') {
            compareFile(out, shown, parse(c.file, await load('before', c.file)), parse(c.file, await load('after', c.file)));
            continue;
        }
        const rec = parse(c.file, await load(c.change === 'added' ? 'after' : 'before', c.file));
        const only = rec.interactions[0];
        if (rec.format === 'llama-stack' && only) {
            // Its name is a hash of the request: a changed request is a deleted file and an added one.
            const body = only.request.body;
            loose[c.change].push({ file: c.file, key: identityKey(only.identity), alone: single(rec, only, shown), print: fingerprint(body) });
            continue;
        }
        const category = c.change === 'added' ? 'added' : 'removed';
        if (rec.interactions.length === 0)
            out.add(category, single(rec, undefined, shown));
        for (const i of rec.interactions)
            out.add(category, single(rec, rec.format === 'json' || rec.format === 'yaml' ? undefined : i, shown));
    }
    const pairs = pairLoose(loose.deleted, loose.added);
    const paired = new Set(pairs.flat());
    for (const [d, a] of pairs) {
        const before = parse(d.file, await load('before', d.file));
        const after = parse(a.file, await load('after', a.file));
        if (before.interactions[0] && after.interactions[0])
            comparePair(out, 'llama-stack', before.interactions[0], after.interactions[0], label(a.file), label(d.file));
    }
    for (const l of loose.deleted)
        if (!paired.has(l))
            out.add('removed', l.alone);
    for (const l of loose.added)
        if (!paired.has(l))
            out.add('added', l.alone);
    return out.result();
}
/** The sentence added to the run's reason when the patch was withheld. */


/***/ })

};

//# sourceMappingURL=213.index.js.map