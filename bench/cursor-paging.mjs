#!/usr/bin/env node
// Cursor paging benchmark: pages through a tenant of --users users (default 1,000,000) on MariaDB
// by cursor (RFC 9865) and by startIndex, and reports the cost of a page at the start of the list
// and at its end. The users are written with multi-row INSERTs straight into scim_users (no HTTP),
// so the fill takes a few minutes rather than hours.
//
//   npm run bench:cursor                          # 1,000,000 users, pages of 100
//   npm run bench:cursor -- --users 100000 --reps 10
//
// Plain Node ESM: built-ins plus `mysql2` from the project's node_modules. Needs dist/ (npm run
// build) and a MariaDB/MySQL server reachable as BENCH_MYSQL_URL (default mysql://root@127.0.0.1:3306/);
// the benchmark works in a database of its own and drops it at the end.

import http from "node:http";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {randomUUID} from "node:crypto";
import {parseArgs} from "node:util";
import {DIST, cli, cliJson, generatedSecrets, startApp} from "./lib/app.mjs";

const {values: opt} = parseArgs({
    options: {
        users: {type: "string", default: "1000000"},
        count: {type: "string", default: "100"},
        reps: {type: "string", default: "15"},
        "index-reps": {type: "string", default: "5"},
        keep: {type: "boolean", default: false},
        help: {type: "boolean", default: false},
    },
});
if (opt.help) {
    console.log(`usage: node bench/cursor-paging.mjs [--users N] [--count C] [--reps R] [--index-reps R]
  --users N        users in the tenant (default 1000000)
  --count C        page size measured (default 100)
  --reps R         measurements of each cursor page, interleaved (default 15)
  --index-reps R   measurements of each startIndex page (default 5: a deep OFFSET page is slow)
  --keep           leave the database (named on stderr) for inspection instead of dropping it`);
    process.exit(0);
}
const USERS = Number(opt.users);
const COUNT = Number(opt.count);
const REPS = Number(opt.reps);
const INDEX_REPS = Number(opt["index-reps"]);
const BATCH = 5000;

const log = (...args) => console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...args);
const mysql = (await import("mysql2/promise")).default;
const adminUrl = process.env.BENCH_MYSQL_URL ?? "mysql://root@127.0.0.1:3306/";
const dbName = `atea_cursor_bench_${process.pid}`;
let app;

function get(base, token, pathAndQuery) {
    return new Promise((resolve, reject) => {
        const started = process.hrtime.bigint();
        const req = http.get(`${base}${pathAndQuery}`, {headers: {Authorization: `Bearer ${token}`}}, (res) => {
            const chunks = [];
            res.on("data", (c) => chunks.push(c));
            res.on("end", () => {
                const ms = Number(process.hrtime.bigint() - started) / 1e6;
                const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
                if (res.statusCode !== 200) reject(new Error(`${pathAndQuery}: ${res.statusCode} ${JSON.stringify(body)}`));
                else resolve({ms, body});
            });
        });
        req.on("error", reject);
    });
}

const median = (values) => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function main() {
    if (!fs.existsSync(path.join(DIST, "apps/api/src/main.js"))) throw new Error("dist/ is missing: npm run build first");
    const admin = await mysql.createConnection({uri: adminUrl});
    const [[{v: version}]] = await admin.query("SELECT VERSION() AS v");
    await admin.query(`CREATE DATABASE \`${dbName}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await admin.end();
    const dbUrl = new URL(adminUrl);
    dbUrl.pathname = `/${dbName}`;
    const env = {...process.env, DATABASE_URL: dbUrl.toString(), NODE_ENV: "production", LOG_LEVEL: "warn"};
    Object.assign(env, await generatedSecrets(env));
    await cli(env, ["migrate"]);
    const tenant = await cliJson(env, ["tenant:create", "--slug", "bench", "--name", "Bench"]);
    const token = (await cliJson(env, ["scim-token:create", "--tenant", "bench"])).token;

    // Fill: one multi-row INSERT per BATCH users, creation times one millisecond apart.
    const db = await mysql.createConnection({uri: dbUrl.toString(), timezone: "Z"});
    const base = Date.UTC(2026, 0, 1);
    const fillStart = Date.now();
    for (let from = 0; from < USERS; from += BATCH) {
        const rows = [];
        for (let i = from; i < Math.min(USERS, from + BATCH); i++) {
            const at = new Date(base + i);
            const name = `user${String(i).padStart(7, "0")}@bench.example`;
            rows.push([randomUUID(), tenant.id, name, name, `ext-${i}`, 1, `User ${i}`, `[{"value":"${name}","type":"work","primary":true}]`, "[]", 1, at, at]);
        }
        await db.query(
            "INSERT INTO scim_users (id, tenant_id, user_name, user_name_key, external_id, active, display_name, emails_json, phone_numbers_json, version, created_at, updated_at) VALUES ?",
            [rows],
        );
        if ((from / BATCH) % 40 === 0) log(`filled ${from + rows.length} users`);
    }
    await db.query("ANALYZE TABLE scim_users");
    await db.end();
    const fillSeconds = (Date.now() - fillStart) / 1000;
    log(`filled ${USERS} users in ${fillSeconds.toFixed(0)} s`);

    // The app
    app = await startApp({env, stdio: ["ignore", "ignore", "inherit"]});
    const scim = `${app.url}/scim/v2`;

    // Walk the whole list by cursor in pages of 1000, timing each, and keep the cursor of the last page.
    const walkStart = Date.now();
    let page = await get(scim, token, "/Users?count=1000&cursor");
    let seen = page.body.Resources.length;
    let lastCursor = "";
    const walkTimes = [page.ms];
    while (page.body.nextCursor) {
        lastCursor = page.body.nextCursor;
        page = await get(scim, token, `/Users?count=1000&cursor=${encodeURIComponent(lastCursor)}`);
        seen += page.body.Resources.length;
        walkTimes.push(page.ms);
    }
    if (seen !== USERS) throw new Error(`the cursor walk saw ${seen} users, not ${USERS}`);
    const walkSeconds = (Date.now() - walkStart) / 1000;
    log(`walked ${seen} users in ${walkTimes.length} pages of 1000 in ${walkSeconds.toFixed(1)} s`);

    // Per-page cost at the start and at the end of the list, interleaved.
    const deepIndex = USERS - 1000 + 1;
    const measure = async (reps, paths) => {
        const times = paths.map(() => []);
        for (let r = 0; r < reps; r++) for (const [i, p] of paths.entries()) times[i].push((await get(scim, token, p)).ms);
        return times.map(median);
    };
    const [cursorFirst, cursorLast] = await measure(REPS, [`/Users?count=${COUNT}&cursor`, `/Users?count=${COUNT}&cursor=${encodeURIComponent(lastCursor)}`]);
    const [indexFirst, indexLast] = await measure(INDEX_REPS, [`/Users?count=${COUNT}&startIndex=1`, `/Users?count=${COUNT}&startIndex=${deepIndex}`]);

    const result = {
        when: new Date().toISOString(), mariadb: version, node: process.version, cpus: os.cpus().length, users: USERS, pageSize: COUNT,
        fillSeconds, walk: {pages: walkTimes.length, pageSize: 1000, seconds: walkSeconds, firstTenMedianMs: median(walkTimes.slice(0, 10)), lastTenMedianMs: median(walkTimes.slice(-10))},
        cursor: {firstPageMs: cursorFirst, lastPageMs: cursorLast, ratio: cursorLast / cursorFirst, reps: REPS},
        startIndex: {firstPageMs: indexFirst, lastPageMs: indexLast, lastStartIndex: deepIndex, ratio: indexLast / indexFirst, reps: INDEX_REPS},
    };
    const f = (n) => n.toFixed(1);
    console.log(`
Per-page cost (median ms over HTTP, pages of ${COUNT}), ${USERS} users on MariaDB ${version}
| paging     | first page | last pages (after ${deepIndex - 1}) | last / first |
|------------|-----------:|-----------:|------:|
| cursor     | ${f(cursorFirst)} | ${f(cursorLast)} | ${(cursorLast / cursorFirst).toFixed(2)} |
| startIndex | ${f(indexFirst)} | ${f(indexLast)} | ${(indexLast / indexFirst).toFixed(2)} |
Cursor walk of the whole list in pages of 1000: ${walkTimes.length} pages in ${walkSeconds.toFixed(1)} s (median of the first ten ${f(result.walk.firstTenMedianMs)} ms, of the last ten ${f(result.walk.lastTenMedianMs)} ms)
`);
    console.log(JSON.stringify(result));
}

async function cleanup() {
    await app?.stop();
    if (opt.keep) {
        log(`kept database ${dbName}`);
        return;
    }
    const admin = await mysql.createConnection({uri: adminUrl});
    await admin.query(`DROP DATABASE IF EXISTS \`${dbName}\``);
    await admin.end();
}

try {
    await main();
} catch (error) {
    console.error(error);
    process.exitCode = 1;
} finally {
    await cleanup();
}
