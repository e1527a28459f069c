#!/usr/bin/env node
// Provisioning load benchmark: replays what a Microsoft Entra ID provisioning cycle sends
// (see docs/benchmarks.md) against the Atea SCIM service and against a third-party baseline
// (the scimmy-peer), and reports throughput and per-operation latency.
//
//   npm run bench                              # both servers, 2000 users, concurrency 16
//   npm run bench -- --users 500 --only peer   # harness check against the peer alone
//   npm run bench -- --scale                   # userName lookup cost and RSS at 1k and 100k users
//   npm run bench -- --groups                  # membership PATCH cost on a 100k-member vs a 10-member group
//   npm run bench -- --help
//
// Plain Node ESM: built-ins plus `mysql2` from the project's node_modules. Load goes to
// loopback addresses only. Every loop is bounded in count, and the whole run by --duration-limit.

import http from "node:http";
import net from "node:net";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {spawn, execFile} from "node:child_process";
import {randomUUID} from "node:crypto";
import {parseArgs} from "node:util";
import {fileURLToPath} from "node:url";
import {START_FLAGS} from "./lib/app.mjs";

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH_DIR, "..");

const USAGE = `usage: node bench/provision-load.mjs [options]

Cycle mode (default): an initial and an incremental Entra provisioning cycle against our app
(MariaDB) and the scimmy-peer, alternating servers, each scenario repeated --rounds times.
  --users N              users per cycle and round (default 2000)
  --concurrency C        requests in flight, one user per worker (default 16)
  --rounds R             repetitions of each scenario, server order alternating (default 2)
  --warmup N             users run through both cycles on each server before measuring (default 500)
  --only ours|peer|both  which servers to run (default both)
  --string-booleans      deactivate with "active":"False" (an Entra variant) instead of false;
                         the peer answers that with 400 invalidValue

Scale mode:
  --scale                fill our app (and the peer with --scale-peer) to --scale-users users,
                         measuring userName lookups (hit and miss) and RSS at --scale-base and at the end
  --scale-users N        users at the large point (default 100000)
  --scale-base N         users at the small point (default 1000)
  --lookups N            lookups per measurement block, half hits, half misses (default 2000)
  --lookup-blocks K      measurement blocks per point, after a warm-up of 2 x --lookups; the
                         reported p50/p99 are medians over the blocks (default 3)
  --scale-peer           also run scale mode against the peer

Operations mode:
  --operations           each Entra operation on its own, --users requests per phase and --rounds
                         rounds, ours only unless --only peer: query-miss, create, query-hit, patch,
                         deactivate, and GET /ServiceProviderConfig (no database); reports req/s,
                         latency and the server's (and MariaDB's) CPU per request of each

Groups mode:
  --groups               fill our app (and the peer with --group-peer) with --group-users users plus
                         spare users, put all of them in a big group (PATCH add, --group-chunk members
                         per request) and --group-small of them in a small group, then measure on both groups
                         Entra's membership PATCHes (add one member, remove it with
                         {"op":"Remove","path":"members","value":[…]} or "members[value eq …]") and
                         GET /Groups/{id}?excludedAttributes=members; reports big/small ratios
  --group-users N        members of the big group (default 100000)
  --group-small N        members of the small group (default 10)
  --group-pairs N        measured add/remove pairs per group, each on a spare user that is not a member
                         (default 1000; removes alternate between the two forms)
  --group-gets N         measured GETs per group (default 1000)
  --group-warmup N       unmeasured add/remove pairs (and 2N GETs) per group first (default 100)
  --group-blocks K       the measurement runs in K blocks alternating the group order (default 4)
  --group-chunk N        members per PATCH when filling the big group (default 1000)
  --group-peer           also run groups mode against the peer
  --group-peer-users N   members of the peer's big group (default 2000: its membership PATCH costs
                         O(members), about 0.3 ms of CPU per member, so 100000 would not finish)
  --group-peer-pairs N   pairs and GETs per group on the peer (default 50)

Servers:
  --target-url URL       use an already-running server as "ours" (SCIM base, e.g. http://127.0.0.1:3000/scim/v2)
  --target-token TOKEN   its bearer token
  --target-pid PID       its process id, for RSS figures (optional)
  --peer-url URL, --peer-token TOKEN   use an already-running peer instead of starting one
  --peer-dir DIR         where the peer is installed (default bench/.peer; copied from --peer-src and
                         'npm ci'-ed there when missing)
  --peer-src DIR         the peer's source folder (default ../shared/peers/scimmy-peer)
  --peer-index on|off    passed to the peer (off = full-scan filters, to show what --scale detects)
  --count-sql            put a counting proxy between our app and the database and report SQL
                         statements per request and the most frequent statement shapes (adds latency:
                         a diagnostic, not for throughput figures)
  --profile              run our app with --cpu-prof (profile in the results dir when it exits on SIGTERM)
  --build                compile the current source into bench/.cache/build (nest build with
                         bench/tsconfig.build.json) and run that, leaving dist/ alone
  --use-dist             run our app straight from dist/ (default: from a snapshot copy of dist/ in
                         bench/.cache/, so a rebuild in the tree during the run cannot break it)

Safety and output:
  --duration-limit S     abort the whole run after S seconds (default 1800, 3600 with --scale or --groups)
  --request-timeout S    per-request timeout in seconds (default 60, as Entra)
  --results-dir DIR      where the JSON result and the server log go (default bench/results)

Environment: BENCH_MYSQL_URL (default mysql://root@127.0.0.1:3306/) - the server our app's
bench database is created on (atea_bench_<pid>, dropped at exit).`;

// ---------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------

const {values: opt} = parseArgs({
    options: {
        users: {type: "string", default: "2000"},
        concurrency: {type: "string", default: "16"},
        rounds: {type: "string", default: "2"},
        warmup: {type: "string", default: "500"},
        only: {type: "string", default: "both"},
        "string-booleans": {type: "boolean", default: false},
        scale: {type: "boolean", default: false},
        "scale-users": {type: "string", default: "100000"},
        "scale-base": {type: "string", default: "1000"},
        lookups: {type: "string", default: "2000"},
        "lookup-blocks": {type: "string", default: "3"},
        "scale-peer": {type: "boolean", default: false},
        operations: {type: "boolean", default: false},
        groups: {type: "boolean", default: false},
        "group-users": {type: "string", default: "100000"},
        "group-small": {type: "string", default: "10"},
        "group-pairs": {type: "string", default: "1000"},
        "group-gets": {type: "string", default: "1000"},
        "group-warmup": {type: "string", default: "100"},
        "group-blocks": {type: "string", default: "4"},
        "group-chunk": {type: "string", default: "1000"},
        "group-peer": {type: "boolean", default: false},
        "group-peer-users": {type: "string", default: "2000"},
        "group-peer-pairs": {type: "string", default: "50"},
        "target-url": {type: "string"},
        "target-token": {type: "string"},
        "target-pid": {type: "string"},
        "peer-url": {type: "string"},
        "peer-token": {type: "string"},
        "peer-dir": {type: "string", default: path.join(BENCH_DIR, ".peer")},
        "peer-src": {type: "string", default: path.resolve(ROOT, "..", "shared", "peers", "scimmy-peer")},
        "peer-index": {type: "string", default: "on"},
        "use-dist": {type: "boolean", default: false},
        build: {type: "boolean", default: false},
        profile: {type: "boolean", default: false},
        "count-sql": {type: "boolean", default: false},
        "duration-limit": {type: "string"},
        "request-timeout": {type: "string", default: "60"},
        "results-dir": {type: "string", default: path.join(BENCH_DIR, "results")},
        help: {type: "boolean", short: "h", default: false},
    },
});

if (opt.help) {
    console.log(USAGE);
    process.exit(0);
}

function intOpt(name, min, max) {
    const n = Number(opt[name]);
    if (!Number.isInteger(n) || n < min || n > max) usage(`--${name} must be an integer in [${min}, ${max}]`);
    return n;
}

function usage(message) {
    console.error(`${message}\n\n${USAGE}`);
    process.exit(2);
}

const USERS = intOpt("users", 1, 1_000_000);
const CONCURRENCY = intOpt("concurrency", 1, 512);
const ROUNDS = intOpt("rounds", 1, 10);
const WARMUP = intOpt("warmup", 0, 100_000);
const SCALE_USERS = intOpt("scale-users", 1, 5_000_000);
const SCALE_BASE = intOpt("scale-base", 1, 5_000_000);
const LOOKUPS = intOpt("lookups", 2, 1_000_000);
const LOOKUP_BLOCKS = intOpt("lookup-blocks", 1, 20);
const GROUP_USERS = intOpt("group-users", 1, 5_000_000);
const GROUP_SMALL = intOpt("group-small", 1, 5_000_000);
const GROUP_PAIRS = intOpt("group-pairs", 1, 1_000_000);
const GROUP_GETS = intOpt("group-gets", 1, 1_000_000);
const GROUP_WARMUP = intOpt("group-warmup", 0, 1_000_000);
const GROUP_BLOCKS = intOpt("group-blocks", 1, 100);
const GROUP_CHUNK = intOpt("group-chunk", 1, 100_000);
const GROUP_PEER_USERS = intOpt("group-peer-users", 1, 5_000_000);
const GROUP_PEER_PAIRS = intOpt("group-peer-pairs", 1, 1_000_000);
const REQUEST_TIMEOUT_MS = intOpt("request-timeout", 1, 600) * 1000;
if ([opt.scale, opt.groups, opt.operations].filter(Boolean).length > 1) usage("--scale, --groups and --operations are separate modes: pick one");
if (opt["duration-limit"] === undefined) opt["duration-limit"] = opt.scale || opt.groups ? "3600" : "1800";
const DURATION_LIMIT_S = intOpt("duration-limit", 1, 24 * 3600);
if (!["ours", "peer", "both"].includes(opt.only)) usage("--only must be ours, peer or both");
if (!["on", "off"].includes(opt["peer-index"])) usage("--peer-index must be on or off");
if (SCALE_BASE >= SCALE_USERS) usage("--scale-base must be smaller than --scale-users");
if (GROUP_SMALL >= Math.min(GROUP_USERS, GROUP_PEER_USERS)) usage("--group-small must be smaller than --group-users and --group-peer-users");
if (opt["target-url"] && !opt["target-token"]) usage("--target-url needs --target-token");
if (opt["peer-url"] && !opt["peer-token"]) usage("--peer-url needs --peer-token");

const RUN_ONLY = opt.only;
const WANT_OURS = RUN_ONLY !== "peer";
const WANT_PEER = opt.scale ? (opt["scale-peer"] || RUN_ONLY === "peer")
    : opt.groups ? (opt["group-peer"] || RUN_ONLY === "peer")
    : opt.operations ? RUN_ONLY === "peer" : RUN_ONLY !== "ours";
const STRING_BOOLEANS = opt["string-booleans"];
const STARTED_AT = new Date();
const STAMP = STARTED_AT.toISOString().replace(/[:.]/g, "-");
const RUN_TAG = `b${Date.now().toString(36)}${process.pid.toString(36)}`; // unique per run: safe on a reused server
const DEADLINE = Date.now() + DURATION_LIMIT_S * 1000;
const DB_PID = findDbPid();

const SCHEMA_USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const SCHEMA_ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const SCHEMA_PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const SCHEMA_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const SCHEMA_MS_GROUP = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group";

// ---------------------------------------------------------------------------
// Process bookkeeping: children, bench database, cleanup on every exit path
// ---------------------------------------------------------------------------

const children = new Map(); // pid -> {name, child}
let benchDb = null; // {adminUrl, name}
let snapshotDir = null;
let cleanupPromise = null;
let partialResult = null;

class Abort extends Error {}

function log(...args) {
    console.log(...args);
}

function note(message) {
    console.error(`[bench] ${message}`);
}

async function stopChild(pid) {
    const entry = children.get(pid);
    if (!entry) return;
    children.delete(pid);
    const {child} = entry;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    const timer = new Promise((resolve) => setTimeout(resolve, 5000, "timeout"));
    if ((await Promise.race([exited, timer])) === "timeout") {
        child.kill("SIGKILL");
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2000))]);
    }
}

function cleanup() {
    if (cleanupPromise) return cleanupPromise;
    cleanupPromise = (async () => {
        await Promise.all([...children.keys()].map(stopChild));
        if (benchDb) {
            const {adminUrl, name} = benchDb;
            benchDb = null;
            try {
                const mysql = (await import("mysql2/promise")).default;
                const conn = await mysql.createConnection({uri: adminUrl, connectTimeout: 5000});
                await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
                await conn.end();
                note(`dropped database ${name}`);
            } catch (err) {
                note(`could not drop database ${name}: ${err.message}`);
            }
        }
        if (snapshotDir) {
            fs.rmSync(snapshotDir, {recursive: true, force: true});
            snapshotDir = null;
        }
    })();
    return cleanupPromise;
}

// Last resort if something hangs (a request without timeout, a stuck child): kill children
// synchronously and leave. Normal aborts go through the soft deadline checks below.
const hardTimer = setTimeout(() => {
    note(`duration limit of ${DURATION_LIMIT_S}s exceeded (+30s grace): killing servers and exiting`);
    for (const {child} of children.values()) child.kill("SIGKILL");
    writePartial("duration limit exceeded");
    cleanup().finally(() => process.exit(124));
    setTimeout(() => process.exit(124), 10_000).unref();
}, DURATION_LIMIT_S * 1000 + 30_000);
hardTimer.unref();

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.on(signal, () => {
        note(`${signal}: stopping servers, dropping the bench database`);
        writePartial(`interrupted by ${signal}`);
        cleanup().finally(() => process.exit(130));
        setTimeout(() => process.exit(130), 15_000).unref();
    });
}

function checkDeadline() {
    if (Date.now() > DEADLINE) throw new Abort(`duration limit of ${DURATION_LIMIT_S}s reached`);
}

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function isLoopback(hostname) {
    const h = hostname.replace(/^\[|\]$/g, "");
    return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h);
}

function parseBase(url, what) {
    let u;
    try {
        u = new URL(url);
    } catch {
        usage(`${what}: not a URL: ${url}`);
    }
    if (u.protocol !== "http:") usage(`${what}: only http:// on loopback is supported`);
    if (!isLoopback(u.hostname)) usage(`${what}: load may only target loopback (127.0.0.1), not ${u.hostname}`);
    return u;
}

function freePort() {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.unref();
        srv.on("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const {port} = srv.address();
            srv.close(() => resolve(port));
        });
    });
}

function rssKiB(pid) {
    if (!pid) return null;
    try {
        const m = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
        return m ? Number(m[1]) : null;
    } catch {
        return null;
    }
}

/** CPU time (user + system) of a process in ms, from /proc/<pid>/stat; null when unknown. */
const CLK_TCK = 100; // USER_HZ on Linux
function cpuMs(pid) {
    if (!pid) return null;
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK; // fields 14 and 15 (utime, stime)
    } catch {
        return null;
    }
}

/** The local MariaDB/MySQL server process, for its CPU time (it may be shared with other work). */
function findDbPid() {
    try {
        for (const d of fs.readdirSync("/proc")) {
            if (!/^\d+$/.test(d)) continue;
            try {
                const comm = fs.readFileSync(`/proc/${d}/comm`, "utf8").trim();
                if (comm === "mariadbd" || comm === "mysqld") return Number(d);
            } catch { /* gone */ }
        }
    } catch { /* no /proc */ }
    return null;
}

/** Snapshot CPU of the server (and, for ours, the database) to report CPU ms per request. */
function cpuProbe(server) {
    const dbPid = server.name === "ours" && !server.external ? DB_PID : null;
    const a = cpuMs(server.pid);
    const b = cpuMs(dbPid);
    return (requests) => {
        const a2 = cpuMs(server.pid);
        const b2 = cpuMs(dbPid);
        return {
            serverCpuMsPerReq: a != null && a2 != null && requests ? (a2 - a) / requests : null,
            dbCpuMsPerReq: b != null && b2 != null && requests ? (b2 - b) / requests : null,
        };
    };
}

const mib = (kib) => (kib == null ? "n/a" : `${(kib / 1024).toFixed(1)} MiB`);

function run(cmd, args, {cwd = ROOT, env = process.env, timeoutMs = 120_000} = {}) {
    return new Promise((resolve) => {
        execFile(cmd, args, {cwd, env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, killSignal: "SIGKILL"},
            (err, stdout, stderr) => resolve({code: err ? (err.code ?? 1) : 0, killed: err?.killed ?? false, stdout, stderr}));
    });
}

/** The last line of stdout that parses as a JSON object (CLI output may be preceded by log lines). */
function lastJson(stdout) {
    const lines = stdout.trim().split("\n").reverse();
    for (const line of lines) {
        try {
            const v = JSON.parse(line);
            if (v && typeof v === "object") return v;
        } catch { /* not JSON */ }
    }
    try {
        return JSON.parse(stdout);
    } catch {
        return null;
    }
}

function tail(text, n = 20) {
    return text.trim().split("\n").slice(-n).join("\n");
}

// ---------------------------------------------------------------------------
// HTTP client: keep-alive Agent, maxSockets = concurrency, hrtime latency
// ---------------------------------------------------------------------------

function newAgent(concurrency) {
    return new http.Agent({keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency, scheduling: "fifo"});
}

/**
 * One request. Resolves (never rejects) with {status, body, ms, error}; status 0 = transport error.
 * The JSON body is serialised before the clock starts.
 */
function request(server, agent, method, pathAndQuery, json) {
    const payload = json === undefined ? null : Buffer.from(JSON.stringify(json));
    const headers = {
        Authorization: `Bearer ${server.token}`,
        Accept: "application/scim+json",
    };
    if (payload) {
        headers["Content-Type"] = "application/scim+json";
        headers["Content-Length"] = payload.length;
    }
    return new Promise((resolve) => {
        const t0 = process.hrtime.bigint();
        const done = (status, body, error) =>
            resolve({status, body, error, ms: Number(process.hrtime.bigint() - t0) / 1e6, method, path: pathAndQuery});
        const req = http.request({
            host: server.url.hostname.replace(/^\[|\]$/g, ""),
            port: server.url.port,
            path: server.basePath + pathAndQuery,
            method,
            headers,
            agent,
        }, (res) => {
            const chunks = [];
            res.on("data", (c) => chunks.push(c));
            res.on("end", () => done(res.statusCode, Buffer.concat(chunks).toString("utf8"), null));
            res.on("error", (err) => done(0, "", err.message));
        });
        req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`timeout after ${REQUEST_TIMEOUT_MS} ms`)));
        req.on("error", (err) => done(0, "", err.message));
        req.end(payload ?? undefined);
    });
}

// ---------------------------------------------------------------------------
// Statistics
// ---------------------------------------------------------------------------

function percentile(sorted, p) {
    if (!sorted.length) return null;
    const rank = Math.ceil((p / 100) * sorted.length);
    return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

class Recorder {
    constructor() {
        this.ops = new Map();
        this.requests = 0;
    }

    op(name) {
        let s = this.ops.get(name);
        if (!s) this.ops.set(name, (s = {count: 0, errors: 0, bad: 0, lat: [], samples: []}));
        return s;
    }

    /**
     * Record a response. Non-2xx (or transport failure) = error. A 2xx whose body does not
     * satisfy `check` (returns a string describing what is wrong) = bad. Returns the parsed body
     * when the response is good, else null.
     */
    record(name, res, check) {
        const s = this.op(name);
        s.count++;
        this.requests++;
        s.lat.push(res.ms);
        const sample = (why) => {
            if (s.samples.length < 5) {
                s.samples.push(`${res.method} ${res.path} -> ${res.status || res.error} ${why ? `[${why}] ` : ""}${(res.body || "").slice(0, 400)}`);
            }
        };
        if (!(res.status >= 200 && res.status < 300)) {
            s.errors++;
            sample("");
            return null;
        }
        let body = null;
        if (res.body) {
            try {
                body = JSON.parse(res.body);
            } catch {
                body = undefined;
            }
        }
        const problem = check ? check(body, res) : null;
        if (problem) {
            s.bad++;
            sample(problem);
            return null;
        }
        return body ?? {};
    }

    summary() {
        const out = {};
        for (const [name, s] of this.ops) {
            const sorted = Float64Array.from(s.lat).sort();
            const sum = sorted.reduce((a, b) => a + b, 0);
            out[name] = {
                count: s.count,
                errors: s.errors,
                bad: s.bad,
                p50: percentile(sorted, 50),
                p99: percentile(sorted, 99),
                mean: sorted.length ? sum / sorted.length : null,
                max: sorted.length ? sorted[sorted.length - 1] : null,
                samples: s.samples,
            };
        }
        return out;
    }

    /** Merge several recorders' raw latencies (for the all-rounds row). */
    static merge(recorders) {
        const m = new Recorder();
        for (const r of recorders) {
            m.requests += r.requests;
            for (const [name, s] of r.ops) {
                const t = m.op(name);
                t.count += s.count;
                t.errors += s.errors;
                t.bad += s.bad;
                for (const v of s.lat) t.lat.push(v);
                for (const x of s.samples) if (t.samples.length < 5) t.samples.push(x);
            }
        }
        return m;
    }
}

/** Run fn(i) for i in [0, count) on `concurrency` workers; bounded by count and by the deadline. */
async function pool(count, concurrency, fn) {
    let next = 0;
    let failed = null;
    const worker = async () => {
        while (failed === null) {
            const i = next++;
            if (i >= count) return;
            if (Date.now() > DEADLINE) {
                failed = new Abort(`duration limit of ${DURATION_LIMIT_S}s reached`);
                return;
            }
            try {
                await fn(i);
            } catch (err) {
                failed = err;
            }
        }
    };
    await Promise.all(Array.from({length: Math.min(concurrency, count)}, worker));
    if (failed) throw failed;
}

// ---------------------------------------------------------------------------
// What Entra sends (docs/benchmarks.md; ../shared/entra-facts.md §2)
// ---------------------------------------------------------------------------

const filterPath = (userName) => `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`;

/** The create body of entra-facts.md §2.3, with this user's userName, e-mail and externalId. */
function entraCreateBody(u) {
    return {
        schemas: [SCHEMA_USER, SCHEMA_ENTERPRISE],
        externalId: u.externalId,
        userName: u.userName,
        active: true,
        emails: [{primary: true, type: "work", value: u.userName}],
        meta: {resourceType: "User"},
        name: {formatted: "Jane Doe", familyName: "Doe", givenName: "Jane"},
        phoneNumbers: [{type: "mobile", value: "+1 425-555-0100"}],
        locale: "en-US",
        roles: [],
    };
}

/** The multi-valued PATCH of entra-facts.md §2.5. */
function entraPatchBody(u) {
    return {
        schemas: [SCHEMA_PATCH],
        Operations: [
            {op: "Replace", path: 'emails[type eq "work"].value', value: u.newEmail},
            {op: "Replace", path: "name.familyName", value: "Smith"},
        ],
    };
}

/** The deactivation of entra-facts.md §2.9 (boolean, or the string form with --string-booleans). */
function entraDeactivateBody() {
    return {schemas: [SCHEMA_PATCH], Operations: [{op: "Replace", path: "active", value: STRING_BOOLEANS ? "False" : false}]};
}

function makeUsers(prefix, count) {
    const users = new Array(count);
    for (let i = 0; i < count; i++) {
        const local = `${prefix}-${String(i).padStart(6, "0")}`;
        users[i] = {
            userName: `${local}@contoso.com`,
            newEmail: `${local}.moved@contoso.com`,
            externalId: randomUUID(),
            ids: {},
        };
    }
    return users;
}

// Response checks (a 2xx with the wrong content makes the figure invalid too)
const listOf = (n) => (b) => {
    if (!b || typeof b !== "object") return "body is not JSON";
    if (b.totalResults !== n) return `expected totalResults ${n}, got ${b.totalResults}`;
    if (!Array.isArray(b.Resources) ? n !== 0 : b.Resources.length !== n) return `expected ${n} Resources`;
    return null;
};

// ---------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------

/** Initial cycle: per user, lookup (miss) then create. */
async function initialCycle(server, users) {
    const rec = new Recorder();
    const agent = newAgent(CONCURRENCY);
    const cpu = cpuProbe(server);
    const sql = server.name === "ours" && opt["count-sql"] ? sqlSnapshot() : null;
    const t0 = process.hrtime.bigint();
    await pool(users.length, CONCURRENCY, async (i) => {
        const u = users[i];
        rec.record("query-miss", await request(server, agent, "GET", filterPath(u.userName)), listOf(0));
        const created = rec.record("create", await request(server, agent, "POST", "/Users", entraCreateBody(u)), (b, res) => {
            if (res.status !== 201) return `expected 201, got ${res.status}`;
            if (!b || typeof b.id !== "string") return "no id in the created resource";
            if (String(b.userName).toLowerCase() !== u.userName) return `userName ${b.userName} != ${u.userName}`;
            return null;
        });
        if (created) u.ids[server.name] = created.id;
    });
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    agent.destroy();
    return {rec, wallMs, cpu: cpu(rec.requests), sql: sql ? sqlDelta(sql, rec.requests) : null};
}

/** Incremental cycle: per user, lookup (hit) then PATCH; every 10th user is deactivated instead. */
async function incrementalCycle(server, users) {
    const rec = new Recorder();
    const agent = newAgent(CONCURRENCY);
    const cpu = cpuProbe(server);
    const sql = server.name === "ours" && opt["count-sql"] ? sqlSnapshot() : null;
    const t0 = process.hrtime.bigint();
    await pool(users.length, CONCURRENCY, async (i) => {
        const u = users[i];
        const found = rec.record("query-hit", await request(server, agent, "GET", filterPath(u.userName)), (b) => {
            const p = listOf(1)(b);
            if (p) return p;
            if (u.ids[server.name] && b.Resources[0].id !== u.ids[server.name]) return "lookup returned a different id than the create";
            return null;
        });
        const id = found?.Resources?.[0]?.id ?? u.ids[server.name];
        if (!id) return; // nothing to patch; already counted as an error
        if (i % 10 === 9) {
            rec.record("deactivate", await request(server, agent, "PATCH", `/Users/${encodeURIComponent(id)}`, entraDeactivateBody()), (b, res) => {
                if (res.status === 200 && b && b.active !== false) return `active is ${JSON.stringify(b.active)} after deactivation`;
                return null;
            });
        } else {
            rec.record("patch", await request(server, agent, "PATCH", `/Users/${encodeURIComponent(id)}`, entraPatchBody(u)), (b, res) => {
                if (res.status !== 200 || !b) return null; // 204 is allowed by RFC 7644
                if (b.name?.familyName !== "Smith") return `name.familyName is ${JSON.stringify(b.name?.familyName)}`;
                const work = (b.emails ?? []).find((e) => e.type === "work");
                if (!work || work.value !== u.newEmail) return `work e-mail is ${JSON.stringify(work?.value)}`;
                return null;
            });
        }
    });
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    agent.destroy();
    return {rec, wallMs, cpu: cpu(rec.requests), sql: sql ? sqlDelta(sql, rec.requests) : null};
}

// ---------------------------------------------------------------------------
// SQL counting proxy (--count-sql): MySQL protocol packets from the app to the database
// ---------------------------------------------------------------------------

const sqlStats = {statements: 0, shapes: new Map()};

function sqlShape(sql) {
    return sql
        .replace(/'(?:[^'\\]|\\.)*'/g, "?")
        .replace(/\b\d+(?:\.\d+)?\b/g, "?")
        .replace(/\s+/g, " ")
        .replace(/(\?, )+\?/g, "?, ...")
        .trim()
        .slice(0, 160);
}

/** Forwards 127.0.0.1:<port> to the database, counting client command packets (sequence id 0). */
async function startSqlProxy(target) {
    const server = net.createServer((client) => {
        const upstream = net.connect(Number(target.port || 3306), target.hostname);
        let buf = Buffer.alloc(0);
        let handshakeDone = false;
        client.on("data", (chunk) => {
            upstream.write(chunk);
            buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
            while (buf.length >= 4) {
                const len = buf.readUIntLE(0, 3);
                if (buf.length < 4 + len) break;
                const seq = buf[3];
                const payload = buf.subarray(4, 4 + len);
                buf = buf.subarray(4 + len);
                if (!handshakeDone) {
                    handshakeDone = true; // the first client packet is the handshake response
                    continue;
                }
                if (seq !== 0 || !payload.length) continue;
                const cmd = payload[0];
                let shape = null;
                if (cmd === 0x03) shape = sqlShape(payload.subarray(1).toString("utf8"));
                else if (cmd === 0x16) shape = `PREPARE ${sqlShape(payload.subarray(1).toString("utf8"))}`;
                else if (cmd === 0x17) shape = "EXECUTE (prepared)";
                if (shape) {
                    sqlStats.statements++;
                    sqlStats.shapes.set(shape, (sqlStats.shapes.get(shape) ?? 0) + 1);
                }
            }
        });
        upstream.on("data", (chunk) => client.write(chunk));
        const close = () => {
            client.destroy();
            upstream.destroy();
        };
        client.on("error", close);
        upstream.on("error", close);
        client.on("close", close);
        upstream.on("close", close);
    });
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    server.unref();
    return server.address().port;
}

function sqlSnapshot() {
    return {statements: sqlStats.statements, shapes: new Map(sqlStats.shapes)};
}

function sqlDelta(before, requests) {
    const shapes = [];
    for (const [k, v] of sqlStats.shapes) {
        const d = v - (before.shapes.get(k) ?? 0);
        if (d > 0) shapes.push({shape: k, count: d, perRequest: d / requests});
    }
    shapes.sort((a, b) => b.count - a.count);
    return {statementsPerRequest: (sqlStats.statements - before.statements) / requests, top: shapes.slice(0, 12)};
}

// ---------------------------------------------------------------------------
// Servers
// ---------------------------------------------------------------------------

function serverFromUrl(name, url, token, pid) {
    const u = parseBase(url, name);
    return {name, url: u, basePath: u.pathname.replace(/\/$/, ""), token, pid: pid ? Number(pid) : null, external: true};
}

function spawnServer(name, cmd, args, env, logFile) {
    const out = fs.openSync(logFile, "a");
    const child = spawn(cmd, args, {cwd: ROOT, env, stdio: ["ignore", out, out]});
    fs.closeSync(out);
    children.set(child.pid, {name, child});
    child.on("exit", (code, signal) => {
        if (children.has(child.pid)) note(`${name} (pid ${child.pid}) exited unexpectedly: code ${code}, signal ${signal}; see ${logFile}`);
        children.delete(child.pid);
    });
    return child;
}

async function waitReady(name, child, url, headers, logFile, timeoutMs = 90_000) {
    const until = Math.min(Date.now() + timeoutMs, DEADLINE);
    let last = "";
    while (Date.now() < until) {
        if (child && (child.exitCode !== null || child.signalCode !== null)) {
            const logText = fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8") : "";
            throw new Abort(`${name} exited before it was ready (code ${child.exitCode}):\n${tail(logText, 30)}`);
        }
        const res = await new Promise((resolve) => {
            const req = http.get(url, {headers, timeout: 2000}, (r) => {
                r.resume();
                r.on("end", () => resolve(r.statusCode));
            });
            req.on("timeout", () => req.destroy(new Error("timeout")));
            req.on("error", (e) => resolve(e.message));
        });
        if (res === 200) return;
        last = String(res);
        await sleep(250);
    }
    const logText = fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8") : "";
    throw new Abort(`${name} not ready at ${url} (last answer: ${last}):\n${tail(logText, 30)}`);
}

async function preparePeer() {
    const dir = path.resolve(opt["peer-dir"]);
    if (!fs.existsSync(path.join(dir, "server.mjs"))) {
        const src = path.resolve(opt["peer-src"]);
        if (!fs.existsSync(path.join(src, "server.mjs"))) throw new Abort(`peer not found in ${dir} nor in ${src} (--peer-src)`);
        note(`copying the peer from ${src} to ${dir}`);
        fs.cpSync(src, dir, {recursive: true, filter: (p) => !p.includes(`${path.sep}node_modules`)});
        for (const f of fs.readdirSync(dir)) fs.chmodSync(path.join(dir, f), 0o644);
    }
    if (!fs.existsSync(path.join(dir, "node_modules", "scimmy-routers"))) {
        note(`npm ci in ${dir}`);
        const r = await run("npm", ["ci", "--no-audit", "--no-fund"], {cwd: dir, timeoutMs: 300_000});
        if (r.code !== 0) throw new Abort(`npm ci for the peer failed:\n${tail(r.stderr)}`);
    }
    return dir;
}

async function startPeer(logFile) {
    if (opt["peer-url"]) return serverFromUrl("peer", opt["peer-url"], opt["peer-token"]);
    const dir = await preparePeer();
    const port = await freePort();
    const token = `peer-${randomUUID()}`;
    const child = spawnServer("peer", process.execPath,
        [path.join(dir, "server.mjs"), "--port", String(port), "--token", token, "--index", opt["peer-index"]],
        {...process.env, NODE_ENV: "production"}, logFile);
    const base = `http://127.0.0.1:${port}/scim/v2`;
    await waitReady("peer", child, `${base}/ServiceProviderConfig`, {Authorization: `Bearer ${token}`}, logFile);
    return {...serverFromUrl("peer", base, token), pid: child.pid, external: false};
}

/** dist/ snapshot so that a rebuild in the shared tree (nest build deletes dist/) cannot pull files from under the app. */
function distRoot() {
    const dist = path.join(ROOT, "dist");
    if (opt["use-dist"]) return dist;
    const cacheRoot = path.join(BENCH_DIR, ".cache");
    fs.mkdirSync(cacheRoot, {recursive: true});
    snapshotDir = fs.mkdtempSync(path.join(cacheRoot, "dist-"));
    fs.cpSync(dist, snapshotDir, {recursive: true});
    // Imports of packages resolve through the parents' node_modules, i.e. the project's.
    return snapshotDir;
}

async function startOurs(logFile, meta) {
    if (opt["target-url"]) return serverFromUrl("ours", opt["target-url"], opt["target-token"], opt["target-pid"]);

    // 1. Build when needed (or, with --build, into a private directory)
    let dist;
    if (opt.build) {
        note("--build: nest build -p bench/tsconfig.build.json (output in bench/.cache/build)");
        const r = await run(path.join(ROOT, "node_modules/.bin/nest"), ["build", "-p", "bench/tsconfig.build.json"], {timeoutMs: 600_000});
        if (r.code !== 0) throw new Abort(`nest build failed:\n${tail(r.stdout + r.stderr, 40)}`);
        dist = path.join(BENCH_DIR, ".cache/build");
    } else {
        const apiMain = path.join(ROOT, "dist/apps/api/src/main.js");
        const cliMain = path.join(ROOT, "dist/apps/cli/src/main.js");
        if (!fs.existsSync(apiMain) || !fs.existsSync(cliMain)) {
            note("dist/ incomplete: npm run build");
            const r = await run("npm", ["run", "build"], {timeoutMs: 600_000});
            if (r.code !== 0) throw new Abort(`npm run build failed:\n${tail(r.stdout + r.stderr, 40)}`);
            if (!fs.existsSync(apiMain) || !fs.existsSync(cliMain)) throw new Abort("npm run build did not produce dist/apps/{api,cli}/src/main.js");
        }
        dist = distRoot();
    }
    const api = path.join(dist, "apps/api/src/main.js");
    const cli = path.join(dist, "apps/cli/src/main.js");
    if (!fs.existsSync(api) || !fs.existsSync(cli)) throw new Abort(`no apps/{api,cli}/src/main.js under ${dist}`);

    // 2. Fresh database
    const mysql = (await import("mysql2/promise")).default;
    const adminUrl = process.env.BENCH_MYSQL_URL ?? "mysql://root@127.0.0.1:3306/";
    const dbName = `atea_bench_${process.pid}`;
    const conn = await mysql.createConnection({uri: adminUrl, connectTimeout: 5000});
    try {
        const [[{v}]] = await conn.query("SELECT VERSION() AS v");
        meta.mariadb = v;
        await conn.query(`DROP DATABASE IF EXISTS \`${dbName}\``);
        await conn.query(`CREATE DATABASE \`${dbName}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
        benchDb = {adminUrl, name: dbName};
    } finally {
        await conn.end();
    }
    const dbUrl = new URL(adminUrl);
    dbUrl.pathname = `/${dbName}`;
    const env = {...process.env, DATABASE_URL: dbUrl.toString(), NODE_ENV: "production", LOG_LEVEL: "warn"};
    note(`database ${dbName} on ${dbUrl.host}`);

    // 3. Secrets (required with MySQL), migrations, tenant, SCIM token
    const cliRun = async (args, required = true) => {
        const r = await run(process.execPath, [cli, ...args], {env});
        if (r.code !== 0 && required) throw new Abort(`cli ${args.join(" ")} failed (exit ${r.code}):\n${tail(r.stderr || r.stdout)}`);
        return r;
    };
    const secrets = await cliRun(["secrets:generate"], false);
    if (secrets.code === 0) {
        let n = 0;
        for (const line of secrets.stdout.split("\n")) {
            const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
            if (!m) continue;
            let value = m[2].trim();
            if (/^(["']).*\1$/.test(value)) value = value.slice(1, -1).replace(/\\n/g, value[0] === '"' ? "\n" : "\\n");
            env[m[1]] = value;
            n++;
        }
        note(`secrets:generate gave ${n} variables`);
    } else {
        note(`secrets:generate not available (exit ${secrets.code}): proceeding without: ${tail(secrets.stderr, 2)}`);
    }
    // The documented form is `--flag value`; if the CLI rejects it, say so and retry as `--flag=value`.
    const cliCmd = async (name, flags) => {
        const spaced = [name, ...Object.entries(flags).flatMap(([k, v]) => [`--${k}`, v])];
        const r = await cliRun(spaced, false);
        if (r.code === 0) return r;
        const problem = `cli ${spaced.join(" ")} failed (exit ${r.code}): ${tail(r.stderr || r.stdout, 3)}`;
        const r2 = await cliRun([name, ...Object.entries(flags).map(([k, v]) => `--${k}=${v}`)], false);
        if (r2.code !== 0) throw new Abort(problem);
        note(`APP ISSUE: ${problem}; the --flag=value form worked`);
        meta.appIssues.push(`${problem}; the --flag=value form worked`);
        return r2;
    };
    const migrated = await cliRun(["migrate"]);
    meta.migrate = lastJson(migrated.stdout);
    const tenant = lastJson((await cliCmd("tenant:create", {slug: "bench", name: "Bench"})).stdout);
    if (!tenant?.id) throw new Abort("tenant:create did not print {id, slug, name}");
    const tok = lastJson((await cliCmd("scim-token:create", {tenant: "bench"})).stdout);
    if (!tok?.token) throw new Abort("scim-token:create did not print {id, token, expiresAt}");

    // 4. Start the app
    const port = await freePort();
    // --cpu-prof writes its file on a normal exit; make SIGTERM one.
    const nodeArgs = [...START_FLAGS, ...(opt.profile ? ["--cpu-prof", "--cpu-prof-dir", path.resolve(opt["results-dir"], `${STAMP}-ours-prof`),
        "--import", 'data:text/javascript,process.once("SIGTERM",()=>process.exit(0))'] : [])];
    // Capacity is measured with one tenant sending as fast as it can: its rate limit and its line are lifted.
    const appEnv = {...env, PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, SCIM_RATE_LIMIT_PER_SECOND: "100000", SCIM_RATE_LIMIT_BURST: "100000", SCIM_CONCURRENCY_PER_TENANT: "1000"};
    if (opt["count-sql"]) {
        const proxyUrl = new URL(dbUrl);
        proxyUrl.hostname = "127.0.0.1";
        proxyUrl.port = String(await startSqlProxy(dbUrl));
        appEnv.DATABASE_URL = proxyUrl.toString();
        note(`--count-sql: the app reaches the database through ${proxyUrl.host}`);
    }
    const child = spawnServer("ours", process.execPath, [...nodeArgs, api], appEnv, logFile);
    await waitReady("ours", child, `http://127.0.0.1:${port}/health/ready`, {}, logFile);
    return {...serverFromUrl("ours", `http://127.0.0.1:${port}/scim/v2`, tok.token), pid: child.pid, external: false};
}

// ---------------------------------------------------------------------------
// Reporting
// ---------------------------------------------------------------------------

const OPS = ["query-miss", "create", "query-hit", "patch", "deactivate", "lookup-hit", "lookup-miss"];
const fmt = (v, d = 1) => (v == null ? "-" : v.toFixed(d));

function table(headers, rows) {
    const w = headers.map((h, i) => Math.max(String(h).length, ...rows.map((r) => String(r[i]).length)));
    const line = (r) => r.map((c, i) => (i === 0 || i === 1 ? String(c).padEnd(w[i]) : String(c).padStart(w[i]))).join("  ");
    return [line(headers), w.map((n) => "-".repeat(n)).join("  "), ...rows.map(line)].join("\n");
}

function opRows(label, summary) {
    return OPS.filter((o) => summary[o]).map((o) => {
        const s = summary[o];
        return [label, o, s.count, s.errors, s.bad, fmt(s.p50, 2), fmt(s.p99, 2), fmt(s.mean, 2)];
    });
}

function printSamples(label, summary) {
    for (const o of Object.keys(summary)) {
        const s = summary[o];
        if (s.errors || s.bad) {
            log(`  ${label} ${o}: ${s.errors} errors, ${s.bad} bad responses; samples:`);
            for (const x of s.samples) log(`    ${x}`);
        }
    }
}

function writeResult(result) {
    fs.mkdirSync(opt["results-dir"], {recursive: true});
    const file = path.join(opt["results-dir"], `${STAMP}.json`);
    fs.writeFileSync(file, JSON.stringify(result, null, 2) + "\n");
    return file;
}

function writePartial(reason) {
    if (!partialResult) return;
    try {
        partialResult.aborted = reason;
        note(`partial result written to ${writeResult(partialResult)}`);
    } catch { /* best effort */ }
}

// ---------------------------------------------------------------------------
// Cycle mode
// ---------------------------------------------------------------------------

async function cycleMode(servers, result) {
    const scenarios = [
        {key: "initial", title: "initial cycle: GET filter (miss) + POST per user", fn: initialCycle},
        {key: "incremental", title: `incremental cycle: GET filter (hit) + PATCH per user, every 10th deactivated${STRING_BOOLEANS ? ' with "False"' : ""}`, fn: incrementalCycle},
    ];

    // Warm-up: the same traffic on separate users, not measured (JIT, pools, caches on both sides)
    if (WARMUP > 0) {
        const warm = makeUsers(`${RUN_TAG}w`, WARMUP);
        for (const server of servers) {
            note(`warm-up on ${server.name}: ${WARMUP} users`);
            const a = await initialCycle(server, warm);
            const b = await incrementalCycle(server, warm);
            const sum = {...a.rec.summary(), ...b.rec.summary()};
            if (Object.values(sum).some((s) => s.errors || s.bad)) {
                log(`warm-up on ${server.name} had errors:`);
                printSamples(server.name, sum);
            }
        }
    }

    const roundUsers = Array.from({length: ROUNDS}, (_, r) => makeUsers(`${RUN_TAG}r${r + 1}`, USERS));
    for (const sc of scenarios) {
        const perServer = Object.fromEntries(servers.map((s) => [s.name, []]));
        const runs = [];
        for (let r = 0; r < ROUNDS; r++) {
            const order = r % 2 === 0 ? servers : [...servers].reverse();
            for (const server of order) {
                checkDeadline();
                const {rec, wallMs, cpu, sql} = await sc.fn(server, roundUsers[r]);
                const rps = rec.requests / (wallMs / 1000);
                const errs = [...rec.ops.values()].reduce((a, s) => a + s.errors + s.bad, 0);
                note(`${sc.key} round ${r + 1} ${server.name}: ${rec.requests} requests in ${(wallMs / 1000).toFixed(2)} s = ${rps.toFixed(0)} req/s, ${errs} errors`);
                perServer[server.name].push({rec, wallMs, cpu});
                runs.push({server: server.name, round: r + 1, requests: rec.requests, wallMs, reqPerSec: rps, errors: errs,
                    ...cpu, rssKiB: rssKiB(server.pid), sql, ops: rec.summary()});
                if (sql && r === 0) {
                    log(`   SQL statements per request on ${server.name} (${sc.key}, round 1): ${sql.statementsPerRequest.toFixed(2)}`);
                    for (const x of sql.top) log(`     ${x.perRequest.toFixed(2).padStart(6)}  ${x.shape}`);
                }
            }
        }
        const agg = {};
        for (const server of servers) {
            const list = perServer[server.name];
            const merged = Recorder.merge(list.map((x) => x.rec));
            const wallMs = list.reduce((a, x) => a + x.wallMs, 0);
            const avg = (k) => (list.every((x) => x.cpu[k] != null) ? list.reduce((a, x) => a + x.cpu[k] * x.rec.requests, 0) / merged.requests : null);
            agg[server.name] = {requests: merged.requests, wallMs, reqPerSec: merged.requests / (wallMs / 1000),
                usersPerSec: (USERS * list.length) / (wallMs / 1000),
                serverCpuMsPerReq: avg("serverCpuMsPerReq"), dbCpuMsPerReq: avg("dbCpuMsPerReq"), ops: merged.summary()};
        }
        const invalid = Object.values(agg).some((a) => Object.values(a.ops).some((s) => s.errors || s.bad));
        const ratio = agg.ours && agg.peer ? agg.ours.reqPerSec / agg.peer.reqPerSec : null;
        const target = sc.key === "initial" ? 1 : 2;

        log("");
        log(`== ${sc.title} ==`);
        log(`   ${USERS} users x ${ROUNDS} round(s), concurrency ${CONCURRENCY}`);
        log(table(["server", "round", "requests", "wall s", "req/s", "errors", "server cpu ms/req", "db cpu ms/req"], [
            ...runs.map((x) => [x.server, x.round, x.requests, fmt(x.wallMs / 1000, 2), fmt(x.reqPerSec, 0), x.errors,
                fmt(x.serverCpuMsPerReq, 2), fmt(x.dbCpuMsPerReq, 2)]),
            ...servers.map((s) => [s.name, "all", agg[s.name].requests, fmt(agg[s.name].wallMs / 1000, 2), fmt(agg[s.name].reqPerSec, 0),
                Object.values(agg[s.name].ops).reduce((a, o) => a + o.errors + o.bad, 0),
                fmt(agg[s.name].serverCpuMsPerReq, 2), fmt(agg[s.name].dbCpuMsPerReq, 2)]),
        ]));
        log("");
        log(table(["server", "operation", "count", "errors", "bad", "p50 ms", "p99 ms", "mean ms"],
            servers.flatMap((s) => opRows(s.name, agg[s.name].ops))));
        for (const s of servers) printSamples(s.name, agg[s.name].ops);
        if (ratio !== null) {
            log(`   throughput ours/peer: ${ratio.toFixed(2)}x (target >= ${target}x)${ratio >= target ? "" : "  BELOW TARGET"}${invalid ? "  INVALID: errors above" : ""}`);
            const oc = agg.ours.serverCpuMsPerReq, pc = agg.peer.serverCpuMsPerReq, dc = agg.ours.dbCpuMsPerReq;
            if (oc != null && pc != null) {
                log(`   CPU per request: ours ${oc.toFixed(2)} ms app${dc != null ? ` + ${dc.toFixed(2)} ms database` : ""}, peer ${pc.toFixed(2)} ms`);
            }
        } else if (invalid) {
            log("   INVALID: errors above");
        }
        result.scenarios.push({scenario: sc.key, users: USERS, rounds: ROUNDS, concurrency: CONCURRENCY, runs, aggregate: agg,
            ratioOursPeer: ratio, target, valid: !invalid});
    }
    return result.scenarios.every((s) => s.valid);
}

// ---------------------------------------------------------------------------
// Operations mode
// ---------------------------------------------------------------------------

/**
 * One operation at a time on fresh users, so that the CPU each one costs can be read apart: the
 * cycles mix two operations per user. Phases run in Entra's order, each on the users the previous
 * phases left: query-miss, create, query-hit, patch (9 users in 10), deactivate (the 10th), and a
 * GET of /ServiceProviderConfig, which touches no database (the framework's share).
 */
async function operationsMode(servers, result) {
    const phases = [
        {op: "query-miss", users: (all) => all, send: (server, agent, u) => request(server, agent, "GET", filterPath(u.userName)), check: listOf(0)},
        {op: "create", users: (all) => all, send: (server, agent, u) => request(server, agent, "POST", "/Users", entraCreateBody(u)),
            check: (b, res) => (res.status !== 201 || typeof b?.id !== "string" ? `expected 201 with an id, got ${res.status}` : null),
            keep: (server, u, b) => { u.ids[server.name] = b.id; }},
        {op: "query-hit", users: (all) => all, send: (server, agent, u) => request(server, agent, "GET", filterPath(u.userName)), check: listOf(1)},
        {op: "patch", users: (all) => all.filter((_, i) => i % 10 !== 9),
            send: (server, agent, u) => request(server, agent, "PATCH", `/Users/${encodeURIComponent(u.ids[server.name])}`, entraPatchBody(u)),
            check: (b, res) => (res.status === 200 && b?.name?.familyName !== "Smith" ? "the PATCH did not apply" : null)},
        {op: "deactivate", users: (all) => all.filter((_, i) => i % 10 === 9),
            send: (server, agent, u) => request(server, agent, "PATCH", `/Users/${encodeURIComponent(u.ids[server.name])}`, entraDeactivateBody()),
            check: (b, res) => (res.status === 200 && b?.active !== false ? "still active" : null)},
        {op: "service-config", users: (all) => all, send: (server, agent) => request(server, agent, "GET", "/ServiceProviderConfig"), check: null},
    ];
    const runPhases = async (server, users, record) => {
        for (const phase of phases) {
            checkDeadline();
            const list = phase.users(users);
            const rec = new Recorder();
            const agent = newAgent(CONCURRENCY);
            const cpu = cpuProbe(server);
            const t0 = process.hrtime.bigint();
            await pool(list.length, CONCURRENCY, async (i) => {
                const body = rec.record(phase.op, await phase.send(server, agent, list[i]), phase.check);
                if (body && phase.keep) phase.keep(server, list[i], body);
            });
            const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
            agent.destroy();
            if (record) record(phase.op, rec, wallMs, cpu(rec.requests));
        }
    };
    let valid = true;
    for (const server of servers) {
        if (WARMUP > 0) {
            note(`warm-up on ${server.name}: ${WARMUP} users`);
            await runPhases(server, makeUsers(`${RUN_TAG}ow`, WARMUP), null);
        }
        const rows = [];
        for (let r = 0; r < ROUNDS; r++) {
            await runPhases(server, makeUsers(`${RUN_TAG}o${r + 1}`, USERS), (op, rec, wallMs, cpu) => {
                const s = rec.summary()[op];
                if (s.errors || s.bad) {
                    valid = false;
                    printSamples(server.name, {[op]: s});
                }
                const row = {server: server.name, round: r + 1, op, requests: rec.requests, reqPerSec: rec.requests / (wallMs / 1000), ...cpu, ...s};
                rows.push(row);
                result.operations.push(row);
            });
        }
        log("");
        log(`== operations: ${server.name}, ${USERS} users x ${ROUNDS} round(s), concurrency ${CONCURRENCY} ==`);
        log(table(["round", "operation", "count", "errors", "req/s", "p50 ms", "p99 ms", "server cpu µs/req", "db cpu µs/req"],
            rows.map((x) => [x.round, x.op, x.count, x.errors + x.bad, fmt(x.reqPerSec, 0), fmt(x.p50, 2), fmt(x.p99, 2),
                fmt(x.serverCpuMsPerReq == null ? null : x.serverCpuMsPerReq * 1000, 0), fmt(x.dbCpuMsPerReq == null ? null : x.dbCpuMsPerReq * 1000, 0)])));
    }
    return valid;
}

// ---------------------------------------------------------------------------
// Scale mode
// ---------------------------------------------------------------------------

async function fill(server, users, from, to) {
    const rec = new Recorder();
    const agent = newAgent(CONCURRENCY);
    const t0 = Date.now();
    let done = 0;
    let nextReport = Math.ceil((from + 1) / 10_000) * 10_000;
    await pool(to - from, CONCURRENCY, async (k) => {
        const u = users[from + k];
        const created = rec.record("create", await request(server, agent, "POST", "/Users", entraCreateBody(u)), (b, res) => {
            if (res.status !== 201) return `expected 201, got ${res.status}`;
            if (!b || typeof b.id !== "string") return "no id in the created resource";
            return null;
        });
        if (created) u.ids[server.name] = created.id;
        done++;
        if (from + done >= nextReport) {
            const s = (Date.now() - t0) / 1000;
            note(`${server.name}: ${from + done} users (${(done / s).toFixed(0)} creates/s, RSS ${mib(rssKiB(server.pid))})`);
            nextReport += 10_000;
        }
    });
    agent.destroy();
    const summary = rec.summary();
    const wallS = (Date.now() - t0) / 1000;
    const errors = (summary.create?.errors ?? 0) + (summary.create?.bad ?? 0);
    if (errors) {
        log(`fill on ${server.name} had ${errors} failed creates:`);
        printSamples(server.name, summary);
    }
    return {created: to - from, wallS, createsPerSec: (to - from) / wallS, errors, create: summary.create};
}

async function lookups(server, users, filled, count) {
    const rec = new Recorder();
    const agent = newAgent(CONCURRENCY);
    const cpu = cpuProbe(server);
    const t0 = process.hrtime.bigint();
    await pool(count, CONCURRENCY, async (i) => {
        if (i % 2 === 0) {
            const u = users[Math.floor(Math.random() * filled)];
            rec.record("lookup-hit", await request(server, agent, "GET", filterPath(u.userName)), listOf(1));
        } else {
            rec.record("lookup-miss", await request(server, agent, "GET", filterPath(`${RUN_TAG}-miss-${randomUUID()}@contoso.com`)), listOf(0));
        }
    });
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    agent.destroy();
    return {wallMs, reqPerSec: rec.requests / (wallMs / 1000), ...cpu(rec.requests), ops: rec.summary()};
}

const median = (xs) => {
    const v = xs.filter((x) => x != null).sort((a, b) => a - b);
    if (!v.length) return null;
    return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};

/** Warm-up, then --lookup-blocks blocks of --lookups lookups; per-point figures are the median over blocks. */
async function measureLookups(server, users, filled) {
    await lookups(server, users, filled, 2 * LOOKUPS);
    const blocks = [];
    // RSS moves with garbage collection: sample it every 200 ms while measuring
    const rss = [];
    const sampler = server.pid ? setInterval(() => rss.push(rssKiB(server.pid)), 200) : null;
    try {
        for (let b = 0; b < LOOKUP_BLOCKS; b++) {
            checkDeadline();
            blocks.push(await lookups(server, users, filled, LOOKUPS));
        }
    } finally {
        if (sampler) clearInterval(sampler);
    }
    rss.push(rssKiB(server.pid));
    const ops = {};
    for (const op of ["lookup-hit", "lookup-miss"]) {
        const per = blocks.map((x) => x.ops[op]).filter(Boolean);
        ops[op] = {
            count: per.reduce((a, x) => a + x.count, 0),
            errors: per.reduce((a, x) => a + x.errors, 0),
            bad: per.reduce((a, x) => a + x.bad, 0),
            p50: median(per.map((x) => x.p50)),
            p99: median(per.map((x) => x.p99)),
            mean: median(per.map((x) => x.mean)),
            blockP50: per.map((x) => x.p50),
            samples: per.flatMap((x) => x.samples).slice(0, 5),
        };
    }
    const rssValid = rss.filter((x) => x != null);
    return {
        rssMedianKiB: median(rssValid),
        rssMaxKiB: rssValid.length ? Math.max(...rssValid) : null,
        reqPerSec: median(blocks.map((x) => x.reqPerSec)),
        serverCpuMsPerReq: median(blocks.map((x) => x.serverCpuMsPerReq)),
        dbCpuMsPerReq: median(blocks.map((x) => x.dbCpuMsPerReq)),
        ops,
        blocks: blocks.map(({ops: o, ...rest}) => ({...rest, ops: Object.fromEntries(Object.entries(o).map(([k, v]) => [k, {...v, samples: undefined}]))})),
    };
}

async function scaleMode(servers, result) {
    let valid = true;
    for (const server of servers) {
        log("");
        log(`== scale: ${server.name}, userName lookups at ${SCALE_BASE} and ${SCALE_USERS} users ==`);
        log(`   per point: ${2 * LOOKUPS} warm-up lookups, then ${LOOKUP_BLOCKS} blocks of ${LOOKUPS} (half hits, half misses) at concurrency ${CONCURRENCY}; figures are medians over blocks`);
        const users = makeUsers(`${RUN_TAG}s`, SCALE_USERS);
        const points = [];
        let filled = 0;
        const rssStart = rssKiB(server.pid);
        for (const target of [SCALE_BASE, SCALE_USERS]) {
            checkDeadline();
            const f = await fill(server, users, filled, target);
            filled = target;
            if (f.errors) valid = false;
            note(`${server.name}: filled to ${target} (${f.createsPerSec.toFixed(0)} creates/s); measuring lookups`);
            const m = await measureLookups(server, users, filled);
            const rss = m.rssMedianKiB;
            if (Object.values(m.ops).some((x) => x.errors || x.bad)) valid = false;
            points.push({users: target, fill: f, lookups: m, rssKiB: rss});
        }
        const [small, big] = points;
        const r = (op, p) => (small.lookups.ops[op]?.[p] ? big.lookups.ops[op][p] / small.lookups.ops[op][p] : null);
        const ratios = {
            hitP50: r("lookup-hit", "p50"), hitP99: r("lookup-hit", "p99"),
            missP50: r("lookup-miss", "p50"), missP99: r("lookup-miss", "p99"),
            serverCpu: small.lookups.serverCpuMsPerReq ? big.lookups.serverCpuMsPerReq / small.lookups.serverCpuMsPerReq : null,
            rss: small.rssKiB ? big.rssKiB / small.rssKiB : null,
        };
        log(table(["users", "operation", "count", "errors", "bad", "p50 ms", "p99 ms", "mean ms", "p50 per block"],
            points.flatMap((p) => opRows(String(p.users), p.lookups.ops).map((row, i) => [...row,
                Object.values(p.lookups.ops)[i].blockP50.map((x) => fmt(x, 1)).join(" ")]))));
        for (const p of points) printSamples(`${p.users} users`, p.lookups.ops);
        log("");
        log(table(["users", "fill creates/s", "fill create p50 ms", "fill create p99 ms", "lookups req/s", "server cpu ms/lookup", "db cpu ms/lookup", "RSS median", "RSS max"],
            points.map((p) => [p.users, fmt(p.fill.createsPerSec, 0), fmt(p.fill.create?.p50, 2), fmt(p.fill.create?.p99, 2), fmt(p.lookups.reqPerSec, 0),
                fmt(p.lookups.serverCpuMsPerReq, 2), fmt(p.lookups.dbCpuMsPerReq, 2), mib(p.rssKiB), mib(p.lookups.rssMaxKiB)])));
        const worst = Math.max(ratios.hitP50 ?? 0, ratios.missP50 ?? 0);
        log(`   lookup cost ${SCALE_USERS}/${SCALE_BASE}: hit p50 ${fmt(ratios.hitP50, 2)}x, p99 ${fmt(ratios.hitP99, 2)}x; miss p50 ${fmt(ratios.missP50, 2)}x, p99 ${fmt(ratios.missP99, 2)}x; server CPU per lookup ${fmt(ratios.serverCpu, 2)}x (target p50 <= 1.5x)${worst > 1.5 ? "  ABOVE TARGET" : ""}`);
        if (server.pid) {
            log(`   RSS (median while measuring): start ${mib(rssStart)}, at ${SCALE_BASE} users ${mib(small.rssKiB)}, at ${SCALE_USERS} users ${mib(big.rssKiB)} (${fmt(ratios.rss, 2)}x)`);
        }
        result.scale.push({server: server.name, base: SCALE_BASE, users: SCALE_USERS, lookups: LOOKUPS, blocks: LOOKUP_BLOCKS,
            concurrency: CONCURRENCY, rssStartKiB: rssStart, points, ratios, withinTarget: worst <= 1.5});
    }
    return valid;
}

// ---------------------------------------------------------------------------
// Groups mode
// ---------------------------------------------------------------------------

const PATCH_OPS = ["member-add", "member-remove-value", "member-remove-filter"];
const GROUP_OPS = [...PATCH_OPS, "get-excluded"];
const ALL_PATCHES = "membership PATCH (all)";

class GroupSetupError extends Error {}

/** The group create body of entra-facts.md §2.11 (with the Microsoft schema URN, no members). */
function entraGroupBody(displayName) {
    return {schemas: [SCHEMA_GROUP, SCHEMA_MS_GROUP], externalId: randomUUID(), displayName, meta: {resourceType: "Group"}};
}

/** entra-facts.md §2.13: several members in one op, each with "$ref": null. */
const addMembersBody = (ids) => ({schemas: [SCHEMA_PATCH], Operations: [{op: "Add", path: "members", value: ids.map((value) => ({$ref: null, value}))}]});
/** entra-facts.md §2.14, default job. */
const removeMemberValueBody = (id) => ({schemas: [SCHEMA_PATCH], Operations: [{op: "Remove", path: "members", value: [{value: id}]}]});
/** entra-facts.md §2.14, flagged job. */
const removeMemberFilterBody = (id) => ({schemas: [SCHEMA_PATCH], Operations: [{op: "remove", path: `members[value eq "${id}"]`}]});

/** Counts a PATCH answer by status (0 = transport error) and returns it, for recording. */
function counted(statuses, res) {
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    return res;
}

/** PATCH /Groups must answer 204 (entra-facts.md §3). The peer answers 200 + the group, which RFC 7644 allows: counted, not failed. */
function groupPatchCheck(server) {
    return (b, res) => {
        if (res.status === 204) return null;
        if (server.name === "peer" && res.status === 200) return null;
        return `expected 204, got ${res.status}`;
    };
}

function idsOf(server, users) {
    return users.map((u) => u.ids[server.name]);
}

async function createGroup(server, displayName) {
    const agent = newAgent(1);
    const rec = new Recorder();
    const created = rec.record("group-create", await request(server, agent, "POST", "/Groups", entraGroupBody(displayName)), (b, res) => {
        if (res.status !== 201) return `expected 201, got ${res.status}`;
        if (!b || typeof b.id !== "string") return "no id in the created group";
        if (Array.isArray(b.members) && b.members.length) return "a new group without members came back with members";
        return null;
    });
    agent.destroy();
    if (!created) throw new GroupSetupError(`POST /Groups on ${server.name} failed: ${rec.summary()["group-create"].samples.join(" | ")}`);
    return created.id;
}

/** Adds `ids` to a group, `GROUP_CHUNK` per PATCH, one request at a time (they serialise on the group anyway). */
async function fillMembers(server, groupId, ids, statuses) {
    const rec = new Recorder();
    const agent = newAgent(1);
    const check = groupPatchCheck(server);
    const chunkMs = [];
    const t0 = Date.now();
    let nextReport = 10_000;
    for (let from = 0; from < ids.length; from += GROUP_CHUNK) {
        checkDeadline();
        const part = ids.slice(from, from + GROUP_CHUNK);
        const res = counted(statuses, await request(server, agent, "PATCH", `/Groups/${encodeURIComponent(groupId)}`, addMembersBody(part)));
        chunkMs.push(res.ms);
        if (!rec.record("add-chunk", res, check)) {
            agent.destroy();
            throw new GroupSetupError(`adding members ${from}-${from + part.length} on ${server.name} failed: ${rec.summary()["add-chunk"].samples.join(" | ")}`);
        }
        if (from + part.length >= nextReport) {
            note(`${server.name}: group has ${from + part.length} members (${((from + part.length) / ((Date.now() - t0) / 1000)).toFixed(0)} members/s, last PATCH ${res.ms.toFixed(0)} ms, RSS ${mib(rssKiB(server.pid))})`);
            nextReport += 10_000;
        }
    }
    agent.destroy();
    const wallS = (Date.now() - t0) / 1000;
    const s = rec.summary()["add-chunk"];
    const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
    return {members: ids.length, requests: chunkMs.length, chunk: GROUP_CHUNK, wallS, membersPerSec: ids.length / wallS,
        p50: s.p50, p99: s.p99, max: s.max, firstTenMeanMs: mean(chunkMs.slice(0, 10)), lastTenMeanMs: mean(chunkMs.slice(-10))};
}

/** Per spare user: PATCH add it, then PATCH remove it (value form on even pair numbers, filter form on odd). */
async function memberPairs(server, groupId, spareIds, firstPair, rec, statuses) {
    const agent = newAgent(CONCURRENCY);
    const check = groupPatchCheck(server);
    const at = `/Groups/${encodeURIComponent(groupId)}`;
    await pool(spareIds.length, CONCURRENCY, async (i) => {
        const id = spareIds[i];
        const patch = async (body) => counted(statuses, await request(server, agent, "PATCH", at, body));
        if (!rec.record("member-add", await patch(addMembersBody([id])), check)) return; // nothing to remove
        if ((firstPair + i) % 2 === 0) rec.record("member-remove-value", await patch(removeMemberValueBody(id)), check);
        else rec.record("member-remove-filter", await patch(removeMemberFilterBody(id)), check);
    });
    agent.destroy();
}

/** entra-facts.md §2.12: GET /Groups/{id}?excludedAttributes=members, 200 without a members key. */
async function groupGets(server, groupId, displayName, count, rec) {
    const agent = newAgent(CONCURRENCY);
    const at = `/Groups/${encodeURIComponent(groupId)}?excludedAttributes=members`;
    await pool(count, CONCURRENCY, async () => {
        rec.record("get-excluded", await request(server, agent, "GET", at), (b, res) => {
            if (res.status !== 200) return `expected 200, got ${res.status}`;
            if (!b || b.id !== groupId) return `id is ${JSON.stringify(b?.id)}`;
            if (b.displayName !== displayName) return `displayName is ${JSON.stringify(b.displayName)}`;
            if (Object.keys(b).some((k) => k.toLowerCase() === "members")) return "members returned although excluded";
            return null;
        });
    });
    agent.destroy();
}

/** Statement counts of one phase, accumulated over the blocks (--count-sql). */
function sqlAccumulate(acc, before, requests) {
    acc.requests += requests;
    acc.statements += sqlStats.statements - before.statements;
    for (const [k, v] of sqlStats.shapes) {
        const d = v - (before.shapes.get(k) ?? 0);
        if (d > 0) acc.shapes.set(k, (acc.shapes.get(k) ?? 0) + d);
    }
}

function sqlReport(acc) {
    if (!acc.requests) return null;
    const top = [...acc.shapes].map(([shape, count]) => ({shape, count, perRequest: count / acc.requests}))
        .sort((a, b) => b.count - a.count).slice(0, 12);
    return {requests: acc.requests, statementsPerRequest: acc.statements / acc.requests, top};
}

function latencyStats(values) {
    const sorted = Float64Array.from(values).sort();
    return {count: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99),
        mean: sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : null};
}

/** One GET of a whole group (members included) after the run: is the membership what it should be? */
async function checkMembers(server, groupId, expectedIds) {
    const agent = newAgent(1);
    const res = await request(server, agent, "GET", `/Groups/${encodeURIComponent(groupId)}`);
    agent.destroy();
    const out = {status: res.status, ms: res.ms, bytes: Buffer.byteLength(res.body ?? ""), members: null, ok: false, problem: null};
    if (res.status !== 200) {
        out.problem = `expected 200, got ${res.status || res.error}: ${(res.body || "").slice(0, 300)}`;
        return out;
    }
    let body;
    try {
        body = JSON.parse(res.body);
    } catch {
        out.problem = "body is not JSON";
        return out;
    }
    const members = Array.isArray(body.members) ? body.members : [];
    out.members = members.length;
    const want = new Set(expectedIds);
    const got = new Set(members.map((m) => m.value));
    const extra = [...got].filter((id) => !want.has(id));
    const missing = expectedIds.filter((id) => !got.has(id));
    if (extra.length || missing.length || got.size !== members.length) {
        out.problem = `${members.length} members (${got.size} distinct): ${missing.length} missing, ${extra.length} unexpected${extra.length ? ` e.g. ${extra.slice(0, 3).join(", ")}` : ""}`;
    } else {
        out.ok = true;
    }
    return out;
}

async function groupsForServer(server) {
    const peer = server.name === "peer";
    const bigSize = peer ? GROUP_PEER_USERS : GROUP_USERS;
    const pairs = peer ? GROUP_PEER_PAIRS : GROUP_PAIRS;
    const gets = peer ? GROUP_PEER_PAIRS : GROUP_GETS;
    const warmup = peer ? Math.min(GROUP_WARMUP, 10) : GROUP_WARMUP;
    const blocks = Math.min(GROUP_BLOCKS, pairs);
    const statuses = new Map();
    const out = {server: server.name, bigMembers: bigSize, smallMembers: GROUP_SMALL, pairs, gets, warmup, blocks,
        concurrency: CONCURRENCY, chunk: GROUP_CHUNK, rssStartKiB: rssKiB(server.pid)};

    log("");
    log(`== groups: ${server.name}, membership PATCH on a ${bigSize}-member vs a ${GROUP_SMALL}-member group ==`);
    log(`   per group: ${warmup} warm-up pairs and ${2 * warmup} GETs, then ${blocks} block(s) alternating the group order, ${pairs} pairs (PATCH add one spare user, PATCH remove it) and ${gets} GET ?excludedAttributes=members in all, concurrency ${CONCURRENCY}`);

    // 1. Users: the big group's members plus spare users that never become lasting members
    const users = makeUsers(`${RUN_TAG}g`, bigSize + warmup + pairs);
    const f = await fill(server, users, 0, users.length);
    out.userFill = f;
    out.rssAfterUserFillKiB = rssKiB(server.pid);
    if (f.errors) throw new GroupSetupError(`${f.errors} of ${users.length} user creates failed on ${server.name}`);
    note(`${server.name}: ${users.length} users in ${f.wallS.toFixed(0)} s (${f.createsPerSec.toFixed(0)} creates/s)`);
    const memberIds = idsOf(server, users.slice(0, bigSize));
    const warmIds = idsOf(server, users.slice(bigSize, bigSize + warmup));
    const spareIds = idsOf(server, users.slice(bigSize + warmup));

    // 2. The two groups
    const groups = {
        small: {name: `${RUN_TAG} small`, ids: memberIds.slice(0, GROUP_SMALL)},
        big: {name: `${RUN_TAG} big`, ids: memberIds},
    };
    for (const [key, g] of Object.entries(groups)) {
        g.id = await createGroup(server, g.name);
        g.fill = await fillMembers(server, g.id, g.ids, statuses);
        note(`${server.name}: ${key} group ${g.id} has ${g.ids.length} members (${g.fill.requests} PATCHes in ${g.fill.wallS.toFixed(1)} s)`);
    }
    out.memberFill = groups.big.fill;
    out.rssAfterMemberFillKiB = rssKiB(server.pid);

    // 3. Warm-up on both groups (spare users of their own), not measured
    for (const g of Object.values(groups)) {
        const rec = new Recorder();
        await memberPairs(server, g.id, warmIds, 0, rec, statuses);
        await groupGets(server, g.id, g.name, 2 * warmup, rec);
        const sum = rec.summary();
        if (Object.values(sum).some((s) => s.errors || s.bad)) {
            log(`warm-up on ${server.name} had errors:`);
            printSamples(server.name, sum);
        }
    }

    // 4. Measurement blocks, group order alternating; RSS sampled every 200 ms meanwhile
    const dbPid = server.name === "ours" && !server.external ? DB_PID : null;
    for (const g of Object.values(groups)) {
        g.rec = new Recorder();
        g.blockP50 = [];
        g.cpu = {patch: {serverMs: 0, dbMs: 0, requests: 0, wallMs: 0}, get: {serverMs: 0, dbMs: 0, requests: 0, wallMs: 0}};
        g.sql = {patch: {requests: 0, statements: 0, shapes: new Map()}, get: {requests: 0, statements: 0, shapes: new Map()}};
    }
    const rss = [];
    const sampler = server.pid ? setInterval(() => rss.push(rssKiB(server.pid)), 200) : null;
    const wantSql = server.name === "ours" && opt["count-sql"];
    const phase = async (g, kind, fn) => {
        const requestsBefore = g.rec.requests;
        const sqlBefore = wantSql ? sqlSnapshot() : null;
        const s0 = cpuMs(server.pid), d0 = cpuMs(dbPid);
        const t0 = process.hrtime.bigint();
        await fn();
        const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
        const n = g.rec.requests - requestsBefore;
        const s1 = cpuMs(server.pid), d1 = cpuMs(dbPid);
        const c = g.cpu[kind];
        c.requests += n;
        c.wallMs += wallMs;
        c.serverMs = s0 != null && s1 != null && c.serverMs != null ? c.serverMs + (s1 - s0) : null;
        c.dbMs = d0 != null && d1 != null && c.dbMs != null ? c.dbMs + (d1 - d0) : null;
        if (wantSql) sqlAccumulate(g.sql[kind], sqlBefore, n);
    };
    try {
        for (let b = 0; b < blocks; b++) {
            const order = b % 2 === 0 ? [groups.small, groups.big] : [groups.big, groups.small];
            const p0 = Math.floor((b * pairs) / blocks), p1 = Math.floor(((b + 1) * pairs) / blocks);
            const g0 = Math.floor((b * gets) / blocks), g1 = Math.floor(((b + 1) * gets) / blocks);
            for (const g of order) {
                checkDeadline();
                const lat = g.rec.op("member-add").lat.length;
                await phase(g, "patch", () => memberPairs(server, g.id, spareIds.slice(p0, p1), p0, g.rec, statuses));
                await phase(g, "get", () => groupGets(server, g.id, g.name, g1 - g0, g.rec));
                g.blockP50.push(latencyStats(g.rec.op("member-add").lat.slice(lat)).p50);
            }
            note(`${server.name}: block ${b + 1}/${blocks} done (pairs ${p0}-${p1})`);
        }
    } finally {
        if (sampler) clearInterval(sampler);
    }
    rss.push(rssKiB(server.pid));
    const rssValid = rss.filter((x) => x != null);
    out.rssMedianKiB = median(rssValid);
    out.rssMaxKiB = rssValid.length ? Math.max(...rssValid) : null;

    // 5. Figures and ratios
    out.groups = {};
    for (const [key, g] of Object.entries(groups)) {
        const ops = g.rec.summary();
        const all = latencyStats(PATCH_OPS.flatMap((o) => g.rec.op(o).lat));
        const perReq = (c, k) => (c[k] != null && c.requests ? c[k] / c.requests : null);
        out.groups[key] = {id: g.id, displayName: g.name, members: g.ids.length, fill: g.fill, ops, allPatches: all, addBlockP50: g.blockP50,
            cpu: {patchServerMsPerReq: perReq(g.cpu.patch, "serverMs"), patchDbMsPerReq: perReq(g.cpu.patch, "dbMs"),
                getServerMsPerReq: perReq(g.cpu.get, "serverMs"), getDbMsPerReq: perReq(g.cpu.get, "dbMs")},
            patchPerSec: g.cpu.patch.requests / (g.cpu.patch.wallMs / 1000), getPerSec: g.cpu.get.requests / (g.cpu.get.wallMs / 1000),
            sql: wantSql ? {patch: sqlReport(g.sql.patch), get: sqlReport(g.sql.get)} : null};
    }
    const {small, big} = out.groups;
    const ratio = (a, b) => (a != null && b ? a / b : null);
    out.ratios = {};
    for (const o of GROUP_OPS) out.ratios[o] = {p50: ratio(big.ops[o]?.p50, small.ops[o]?.p50), p99: ratio(big.ops[o]?.p99, small.ops[o]?.p99)};
    out.ratios[ALL_PATCHES] = {p50: ratio(big.allPatches.p50, small.allPatches.p50), p99: ratio(big.allPatches.p99, small.allPatches.p99)};
    out.ratios.patchServerCpu = ratio(big.cpu.patchServerMsPerReq, small.cpu.patchServerMsPerReq);
    out.ratios.patchDbCpu = ratio(big.cpu.patchDbMsPerReq, small.cpu.patchDbMsPerReq);
    out.worstPatchP50Ratio = Math.max(...[...PATCH_OPS, ALL_PATCHES].map((o) => out.ratios[o].p50 ?? Infinity));
    out.withinTarget = out.worstPatchP50Ratio <= 1.5;
    out.patchStatuses = Object.fromEntries(statuses);

    // 6. After the run each group must hold exactly its original members (every add was undone)
    out.postChecks = {small: await checkMembers(server, groups.small.id, groups.small.ids), big: await checkMembers(server, groups.big.id, groups.big.ids)};

    // Report
    const rowsFor = (key) => [...GROUP_OPS.filter((o) => out.groups[key].ops[o]).map((o) => {
        const s = out.groups[key].ops[o];
        return [key, o, s.count, s.errors, s.bad, fmt(s.p50, 2), fmt(s.p99, 2), fmt(s.mean, 2)];
    }), [key, ALL_PATCHES, out.groups[key].allPatches.count, "", "", fmt(out.groups[key].allPatches.p50, 2), fmt(out.groups[key].allPatches.p99, 2), fmt(out.groups[key].allPatches.mean, 2)]];
    log(table(["group", "operation", "count", "errors", "bad", "p50 ms", "p99 ms", "mean ms"], [...rowsFor("small"), ...rowsFor("big")]));
    for (const key of ["small", "big"]) printSamples(`${key} group`, out.groups[key].ops);
    log("");
    const lat = (key, o, p) => (o === ALL_PATCHES ? out.groups[key].allPatches[p] : out.groups[key].ops[o]?.[p]);
    log(table(["operation", "", `small p50`, "big p50", "big/small p50", "small p99", "big p99", "big/small p99"],
        [...GROUP_OPS, ALL_PATCHES].map((o) => [o, "", fmt(lat("small", o, "p50"), 2), fmt(lat("big", o, "p50"), 2), `${fmt(out.ratios[o].p50, 2)}x`,
            fmt(lat("small", o, "p99"), 2), fmt(lat("big", o, "p99"), 2), `${fmt(out.ratios[o].p99, 2)}x`])));
    log(`   member-add p50 per block: small ${small.addBlockP50.map((x) => fmt(x, 1)).join(" ")}; big ${big.addBlockP50.map((x) => fmt(x, 1)).join(" ")}`);
    const cpuLine = (key) => {
        const c = out.groups[key].cpu;
        const g = out.groups[key];
        return `${key} PATCH ${fmt(c.patchServerMsPerReq, 2)} ms app${c.patchDbMsPerReq != null ? ` + ${fmt(c.patchDbMsPerReq, 2)} ms database` : ""} (${fmt(g.patchPerSec, 0)} PATCH/s), GET ${fmt(c.getServerMsPerReq, 2)} ms app${c.getDbMsPerReq != null ? ` + ${fmt(c.getDbMsPerReq, 2)} ms database` : ""} (${fmt(g.getPerSec, 0)} GET/s)`;
    };
    log(`   CPU per request and throughput: ${cpuLine("small")}; ${cpuLine("big")}`);
    const nonStandard = Object.entries(out.patchStatuses).filter(([st]) => st !== "204");
    if (nonStandard.length) log(`   PATCH answers by status: ${Object.entries(out.patchStatuses).map(([st, n]) => `${st}: ${n}`).join(", ")}${peer ? " (the peer answers 200 with the whole group, members included)" : ""}`);
    log(`   membership PATCH p50 big/small: worst ${fmt(out.worstPatchP50Ratio, 2)}x (target <= 1.5x)${out.withinTarget ? "" : "  ABOVE TARGET"}; GET ?excludedAttributes=members p50 ${fmt(out.ratios["get-excluded"].p50, 2)}x`);
    log(`   fill: ${users.length} users at ${fmt(f.createsPerSec, 0)} creates/s; big group: ${groups.big.fill.requests} PATCHes of ${GROUP_CHUNK} members in ${fmt(groups.big.fill.wallS, 1)} s, PATCH p50 ${fmt(groups.big.fill.p50, 1)} ms, first 10 mean ${fmt(groups.big.fill.firstTenMeanMs, 1)} ms, last 10 mean ${fmt(groups.big.fill.lastTenMeanMs, 1)} ms`);
    if (server.pid) {
        log(`   RSS: start ${mib(out.rssStartKiB)}, after the user fill ${mib(out.rssAfterUserFillKiB)}, after the member fill ${mib(out.rssAfterMemberFillKiB)}, while measuring median ${mib(out.rssMedianKiB)} (max ${mib(out.rssMaxKiB)})`);
    }
    for (const [key, c] of Object.entries(out.postChecks)) {
        log(`   check: GET the ${key} group with members: ${c.ok ? `${c.members} members as expected` : `WRONG: ${c.problem}`} (${fmt(c.ms, 0)} ms, ${(c.bytes / 2 ** 20).toFixed(1)} MiB)`);
    }
    if (wantSql) {
        for (const key of ["small", "big"]) {
            for (const kind of ["patch", "get"]) {
                const r = out.groups[key].sql[kind];
                if (!r) continue;
                log(`   SQL statements per ${kind === "patch" ? "membership PATCH" : "GET"} on the ${key} group: ${r.statementsPerRequest.toFixed(2)}`);
                for (const x of r.top) log(`     ${x.perRequest.toFixed(2).padStart(6)}  ${x.shape}`);
            }
        }
    }
    const failed = Object.values(out.groups).some((g) => Object.values(g.ops).some((s) => s.errors || s.bad))
        || !out.postChecks.small.ok || !out.postChecks.big.ok;
    out.valid = !failed;
    return out;
}

async function groupsMode(servers, result) {
    let valid = true;
    for (const server of servers) {
        try {
            const r = await groupsForServer(server);
            result.groups.push(r);
            if (!r.valid) valid = false;
        } catch (err) {
            if (!(err instanceof GroupSetupError)) throw err;
            log(`groups on ${server.name}: ${err.message}`);
            result.groups.push({server: server.name, failed: err.message});
            valid = false;
        }
    }
    return valid;
}

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------

async function main() {
    fs.mkdirSync(opt["results-dir"], {recursive: true});
    const meta = {
        date: STARTED_AT.toISOString(),
        node: process.version,
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model,
        memGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
        loadavg: os.loadavg(),
        mariadb: null,
        commit: null,
        appIssues: [],
        options: {...opt},
    };
    const head = await run("git", ["rev-parse", "--short", "HEAD"], {timeoutMs: 10_000}); // read-only
    if (head.code === 0) meta.commit = head.stdout.trim();
    delete meta.options["target-token"];
    delete meta.options["peer-token"];
    const result = {meta, servers: {}, scenarios: [], scale: [], groups: [], operations: []};
    partialResult = result;

    const servers = [];
    if (WANT_OURS) {
        const logFile = path.join(opt["results-dir"], `${STAMP}-ours.log`);
        note(opt["target-url"] ? `ours: ${opt["target-url"]}` : `starting our app (log: ${path.relative(ROOT, logFile)})`);
        servers.push(await startOurs(logFile, meta));
    }
    if (WANT_PEER) {
        const logFile = path.join(opt["results-dir"], `${STAMP}-peer.log`);
        servers.push(await startPeer(logFile));
    }
    for (const s of servers) {
        result.servers[s.name] = {url: s.url.toString(), pid: s.pid, external: s.external, rssAtStartKiB: rssKiB(s.pid)};
        note(`${s.name}: ${s.url}${s.pid ? ` (pid ${s.pid})` : ""}`);
    }
    log(`provision-load ${meta.date}  commit ${meta.commit ?? "?"}${opt.build ? " + working tree (--build)" : ""}  node ${meta.node}  ${meta.cpus} cpus  ${meta.memGiB} GiB${meta.mariadb ? `  MariaDB ${meta.mariadb}` : ""}  load ${meta.loadavg.map((x) => x.toFixed(2)).join(" ")}`);

    const valid = opt.scale ? await scaleMode(servers, result)
        : opt.groups ? await groupsMode(servers, result)
        : opt.operations ? await operationsMode(servers, result) : await cycleMode(servers, result);
    for (const s of servers) result.servers[s.name].rssAtEndKiB = rssKiB(s.pid);
    result.valid = valid;
    partialResult = null;
    const file = writeResult(result);
    log("");
    log(`result: ${path.relative(ROOT, file)}${valid ? "" : "  (INVALID: some requests failed, see above)"}`);
    return valid ? 0 : 1;
}

main()
    .then(async (code) => {
        await cleanup();
        process.exit(code);
    })
    .catch(async (err) => {
        console.error(`[bench] ${err instanceof Abort ? err.message : err.stack}`);
        writePartial(err.message);
        await cleanup();
        process.exit(err instanceof Abort ? 3 : 1);
    });
