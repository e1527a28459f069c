#!/usr/bin/env node
// Login-flood benchmark: does a flood of sign-in posts on one tenant's login page take the CPU
// from another tenant's SCIM traffic? Measures a quiet tenant's SCIM latency (userName lookups, as
// Entra sends before every create) alone, then while --flood login posts are kept in flight against
// another tenant's Authorize dialog (wrong passwords of unknown accounts, each post from its own
// address: no lockout and no address throttle stop them, only the password-check queue does).
//
//   npm run bench:login-flood                    # defaults: 200 posts in flight, 10 s per phase
//   npm run bench:login-flood -- --compare       # also with the password-check queue opened wide
//   npm run bench:login-flood -- --help
//
// Plain Node ESM, built-ins only. The app runs from a private build on an SQLite file of its own;
// load goes to loopback only; every phase is bounded in time.

import http from "node:http";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {spawnSync} from "node:child_process";
import {randomUUID} from "node:crypto";
import {parseArgs} from "node:util";
import {ROOT, DIST, LIFTED_TENANT_LIMITS, START_FLAGS, cli, cliJson, freePort, startApp} from "./lib/app.mjs";

const BUILD_DIR = path.join(ROOT, "node_modules/.cache/atea-login-flood");
const ENTRA_REDIRECT = "https://portal.azure.com/TokenAuthorize";

const USAGE = `usage: node bench/login-flood.mjs [options]
  --flood N             login posts kept in flight during the flood phase (default 200)
  --duration S          seconds of each measured phase (default 10)
  --scim-concurrency C  the quiet tenant's SCIM requests in flight (default 2)
  --users N             users of the quiet tenant, looked up at random (default 200)
  --compare             run twice: the defaults, then LOGIN_CHECK_CONCURRENCY=64 LOGIN_CHECK_QUEUE=10000
                        (no effective bound: every check runs at once, as before the queue existed)
  --no-build            run the existing dist/ instead of building the working tree
  --help`;

const {values: opt} = parseArgs({
    options: {
        flood: {type: "string", default: "200"},
        duration: {type: "string", default: "10"},
        "scim-concurrency": {type: "string", default: "2"},
        users: {type: "string", default: "200"},
        compare: {type: "boolean", default: false},
        "no-build": {type: "boolean", default: false},
        help: {type: "boolean", default: false},
    },
});
if (opt.help) {
    console.log(USAGE);
    process.exit(0);
}
const FLOOD = Number(opt.flood);
const DURATION_MS = Number(opt.duration) * 1000;
const SCIM_CONCURRENCY = Number(opt["scim-concurrency"]);
const USERS = Number(opt.users);

const log = (line) => process.stdout.write(`${line}\n`);
const children = new Set();
process.on("exit", () => {
    for (const child of children) child.kill("SIGKILL");
});

// ---------------------------------------------------------------------------
// Build and start
// ---------------------------------------------------------------------------

function build() {
    if (opt["no-build"]) {
        if (!fs.existsSync(path.join(DIST, "apps/api/src/main.js"))) throw new Error("no dist/: run npm run build, or leave out --no-build");
        return DIST;
    }
    // A private build (under node_modules, so that packages resolve), leaving dist/ to others.
    fs.mkdirSync(BUILD_DIR, {recursive: true});
    const tsconfig = path.join(BUILD_DIR, "tsconfig.json");
    fs.writeFileSync(tsconfig, JSON.stringify({extends: path.join(ROOT, "tsconfig.build.json"), compilerOptions: {outDir: path.join(BUILD_DIR, "out"), sourceMap: false}}));
    log(`building the working tree into ${path.relative(ROOT, BUILD_DIR)}/out`);
    const r = spawnSync(path.join(ROOT, "node_modules/.bin/nest"), ["build", "-p", path.relative(ROOT, tsconfig)], {cwd: ROOT, encoding: "utf8"});
    if (r.status !== 0) throw new Error(`nest build failed:\n${r.stdout}\n${r.stderr}`);
    return path.join(BUILD_DIR, "out");
}

async function startServer(dist, extraEnv) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "atea-login-flood-"));
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const env = {
        ...process.env,
        DATABASE_URL: `sqlite:${path.join(dir, "atea.sqlite")}`,
        PUBLIC_URL: url,
        PORT: String(port),
        // Each post says it comes from its own address, as a botnet's would.
        TRUST_PROXY: "true",
        LOG_LEVEL: "error",
        NODE_ENV: "production",
        // The quiet tenant's closed loop of lookups measures CPU left to SCIM, not its rate limit or its line: lifted.
        ...LIFTED_TENANT_LIMITS,
        ...extraEnv,
    };
    await cli(env, ["migrate"], {dist});
    await cli(env, ["tenant:create", "--slug", "quiet", "--name", "Quiet"], {dist});
    const scimToken = (await cliJson(env, ["scim-token:create", "--tenant", "quiet"], {dist})).token;
    await cli(env, ["tenant:create", "--slug", "target", "--name", "Target"], {dist});
    const client = await cliJson(env, ["client:create", "--tenant", "target"], {dist});
    const app = await startApp({env, dist, port, nodeArgs: START_FLAGS, stdio: ["ignore", "ignore", "inherit"]});
    children.add(app.child);
    return {
        url,
        scimToken,
        clientId: client.client_id,
        async stop() {
            // Sign-ins still queued when the flood stopped may hold the shutdown: stop() kills after 10 s.
            await app.stop();
            children.delete(app.child);
            fs.rmSync(dir, {recursive: true, force: true});
        },
    };
}

// ---------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------

const scimAgent = new http.Agent({keepAlive: true, maxSockets: 64});
const floodAgent = new http.Agent({keepAlive: true, maxSockets: 1000});

function request(method, url, {headers = {}, body, agent = scimAgent} = {}) {
    return new Promise((resolve, reject) => {
        const started = performance.now();
        const req = http.request(url, {method, agent, headers: {...headers, ...(body !== undefined ? {"content-length": Buffer.byteLength(body)} : {})}}, (res) => {
            const chunks = [];
            res.on("data", (c) => chunks.push(c));
            res.on("end", () => resolve({status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString("utf8"), ms: performance.now() - started}));
            res.on("error", reject);
        });
        req.on("error", reject);
        req.end(body);
    });
}

function cookiesOf(res, jar) {
    for (const line of res.headers["set-cookie"] ?? []) {
        const [pair] = line.split(";");
        const eq = pair.indexOf("=");
        jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    return jar;
}
const cookieHeader = (jar) => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");

// ---------------------------------------------------------------------------
// Load
// ---------------------------------------------------------------------------

const percentile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);

/** The quiet tenant's SCIM lookups for `ms`: latency percentiles. */
async function scimPhase(server, ms) {
    const latencies = [];
    let errors = 0;
    const until = Date.now() + ms;
    const headers = {authorization: `Bearer ${server.scimToken}`, accept: "application/scim+json"};
    await Promise.all(
        Array.from({length: SCIM_CONCURRENCY}, async () => {
            while (Date.now() < until) {
                const userName = `user-${Math.floor(Math.random() * USERS)}@quiet.test`;
                const res = await request("GET", `${server.url}/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`, {headers});
                if (res.status !== 200) errors++;
                latencies.push(res.ms);
            }
        }),
    );
    latencies.sort((a, b) => a - b);
    return {count: latencies.length, errors, p50: percentile(latencies, 50), p99: percentile(latencies, 99), reqPerSec: latencies.length / (ms / 1000)};
}

/** A login form open in its own browser: the interaction, its cookies and CSRF token. */
async function openLoginForm(server) {
    const jar = new Map();
    const query = new URLSearchParams({client_id: server.clientId, response_type: "code", redirect_uri: ENTRA_REDIRECT, state: "s"});
    const start = await request("GET", `${server.url}/oauth/auth?${query}`, {agent: floodAgent});
    cookiesOf(start, jar);
    const uid = /\/interaction\/([^/?#]+)/.exec(start.headers.location ?? "")?.[1];
    if (!uid) throw new Error(`authorize answered ${start.status}`);
    const page = await request("GET", `${server.url}/interaction/${uid}`, {agent: floodAgent, headers: {cookie: cookieHeader(jar)}});
    cookiesOf(page, jar);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1];
    if (!csrf) throw new Error(`login page answered ${page.status}`);
    return {uid, cookie: cookieHeader(jar), csrf};
}

/** Keeps one wrong-password post per form in flight until stopped; counts answers. */
function startFlood(server, forms) {
    const statuses = {};
    const latencies = [];
    let stopped = false;
    let n = 0;
    const workers = forms.map(async (form) => {
        while (!stopped) {
            const i = n++;
            const body = new URLSearchParams({csrf: form.csrf, email: `nobody-${i}@target.test`, password: `wrong password ${i}`}).toString();
            const res = await request("POST", `${server.url}/interaction/${form.uid}/login`, {
                agent: floodAgent,
                body,
                headers: {cookie: form.cookie, "content-type": "application/x-www-form-urlencoded", "x-forwarded-for": `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`},
            }).catch(() => null);
            if (stopped || !res) continue;
            statuses[res.status] = (statuses[res.status] ?? 0) + 1;
            latencies.push(res.ms);
        }
    });
    return {
        /** Stops the flood, dropping the posts still waiting (their latency is not counted). */
        async stop() {
            stopped = true;
            const inFlight = n - latencies.length;
            floodAgent.destroy();
            await Promise.all(workers);
            latencies.sort((a, b) => a - b);
            return {posts: latencies.length, waitingAtStop: inFlight, statuses, p50: percentile(latencies, 50), p99: percentile(latencies, 99)};
        },
    };
}

async function scenario(dist, label, env) {
    const server = await startServer(dist, env);
    try {
        const headers = {authorization: `Bearer ${server.scimToken}`, "content-type": "application/scim+json"};
        for (let i = 0; i < USERS; i++) {
            const body = JSON.stringify({schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: `user-${i}@quiet.test`, externalId: randomUUID(), active: true});
            const res = await request("POST", `${server.url}/scim/v2/Users`, {headers, body});
            if (res.status !== 201) throw new Error(`creating a user answered ${res.status}: ${res.body}`);
        }
        const forms = [];
        for (let i = 0; i < FLOOD; i++) forms.push(await openLoginForm(server));
        await scimPhase(server, 2000); // warm-up
        const alone = await scimPhase(server, DURATION_MS);
        const flood = startFlood(server, forms);
        await new Promise((r) => setTimeout(r, 1000)); // every post in flight
        const during = await scimPhase(server, DURATION_MS);
        const logins = await flood.stop();
        return {label, env, alone, during, logins};
    } finally {
        await server.stop();
    }
}

const fmt = (v) => (Number.isFinite(v) ? v.toFixed(1) : "-");

async function main() {
    const dist = build();
    const commit = spawnSync("git", ["rev-parse", "--short", "HEAD"], {cwd: ROOT, encoding: "utf8"}).stdout.trim();
    log(`login-flood ${new Date().toISOString()}  commit ${commit}  node ${process.version}  ${os.cpus().length} cpus  load ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}`);
    log(`flood ${FLOOD} posts in flight, ${opt.duration} s per phase, quiet tenant: ${SCIM_CONCURRENCY} lookups in flight over ${USERS} users`);
    const runs = [["password-check queue (defaults)", {}]];
    if (opt.compare) runs.push(["queue opened wide (64 at once, 10000 waiting)", {LOGIN_CHECK_CONCURRENCY: "64", LOGIN_CHECK_QUEUE: "10000"}]);
    const results = [];
    for (const [label, env] of runs) {
        log(`\n${label}`);
        const r = await scenario(dist, label, env);
        results.push(r);
        log(`  quiet tenant SCIM alone:        ${r.alone.count} lookups, p50 ${fmt(r.alone.p50)} ms, p99 ${fmt(r.alone.p99)} ms, ${r.alone.errors} errors`);
        log(`  quiet tenant SCIM during flood: ${r.during.count} lookups, p50 ${fmt(r.during.p50)} ms, p99 ${fmt(r.during.p99)} ms, ${r.during.errors} errors`);
        log(`  p99 during / alone: ${(r.during.p99 / r.alone.p99).toFixed(2)}x`);
        log(`  login posts: ${r.logins.posts} answered (${Object.entries(r.logins.statuses).map(([s, c]) => `${c} x ${s}`).join(", ")}), p50 ${fmt(r.logins.p50)} ms, p99 ${fmt(r.logins.p99)} ms; ${r.logins.waitingAtStop} still waiting at the end`);
    }
    const dir = path.join(ROOT, "bench/results");
    fs.mkdirSync(dir, {recursive: true});
    const file = path.join(dir, `login-flood-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
    fs.writeFileSync(file, `${JSON.stringify({commit, node: process.version, cpus: os.cpus().length, flood: FLOOD, durationSeconds: Number(opt.duration), results}, null, 2)}\n`);
    log(`\nresults: ${path.relative(ROOT, file)}`);
}

main().then(
    () => process.exit(0),
    (error) => {
        console.error(error instanceof Error ? error.message : error);
        process.exit(1);
    },
);
