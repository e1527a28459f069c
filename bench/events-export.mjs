#!/usr/bin/env node
// Event export benchmark: the memory of the service while it streams a tenant's provisioning events
// as CSV and NDJSON (GET /admin/v1/tenants/{tenant}/events?format=csv|ndjson). The export reads the
// events table in keyset batches as the client reads, so the service's RSS should stay flat whatever
// the number of events: the run measures the peak RSS while streaming at each size of --events,
// with the service's heap capped (--heap-mb) well below what an export built in memory would need.
//
//   npm run build && node bench/events-export.mjs                 # SQLite, 10000 and 100000 events
//   node bench/events-export.mjs --events 100000,1000000
//   node bench/events-export.mjs --database-url mysql://root@127.0.0.1:3306/atea_bench_export
//
// Plain Node ESM: built-ins plus better-sqlite3 / mysql2 from the project's node_modules, the built
// service and CLI from dist/. Everything runs on loopback; the database (a temporary SQLite file, or
// the MySQL database named in the URL, created and dropped) holds only the bench's data.

import http from "node:http";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {randomUUID} from "node:crypto";
import {parseArgs} from "node:util";
import {createRequire} from "node:module";
import {ROOT, DIST, cli, cliJson, generatedSecrets, startApp} from "./lib/app.mjs";

const require = createRequire(path.join(ROOT, "package.json"));
const MAIN = path.join(DIST, "apps/api/src/main.js");
const CLI = path.join(DIST, "apps/cli/src/main.js");

const USAGE = `usage: node bench/events-export.mjs [options]
  --events LIST          comma-separated event counts, one measurement each (default 10000,100000)
  --formats LIST         csv,ndjson (default both)
  --database-url URL     sqlite:/path (default: a temporary file) or mysql://user@host:port/db
                         (the database is created, and dropped afterwards)
  --sample-ms N          RSS sampling interval (default 20)
  --heap-mb N            the service's V8 old-space limit (--max-old-space-size; default 96): an
                         export built in memory would fail with an out-of-memory error
  --help`;

const {values: opts} = parseArgs({
  options: {
    events: {type: "string", default: "10000,100000"},
    formats: {type: "string", default: "csv,ndjson"},
    "database-url": {type: "string"},
    "sample-ms": {type: "string", default: "20"},
    "heap-mb": {type: "string", default: "96"},
    help: {type: "boolean", default: false},
  },
});
if (opts.help) {
  console.log(USAGE);
  process.exit(0);
}
for (const file of [MAIN, CLI]) {
  if (!fs.existsSync(file)) {
    console.error(`${path.relative(ROOT, file)} is missing: run npm run build first`);
    process.exit(1);
  }
}

const sizes = opts.events.split(",").map((n) => Number(n)).filter((n) => Number.isInteger(n) && n > 0).sort((a, b) => a - b);
const formats = opts.formats.split(",").filter((f) => f === "csv" || f === "ndjson");
const sampleMs = Math.max(5, Number(opts["sample-ms"]) || 20);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "atea-bench-export-"));
const databaseUrl = opts["database-url"] ?? `sqlite:${path.join(tmp, "atea.sqlite")}`;
const mysql = databaseUrl.startsWith("mysql:");

const env = {...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: "warn"};
if (mysql) {
  await withMysql(new URL("/", databaseUrl).toString(), async (c) => c.query(`CREATE DATABASE IF NOT EXISTS \`${dbName()}\``));
  Object.assign(env, await generatedSecrets(env));
}

let server;
try {
  await cli(env, ["migrate"]);
  const tenant = await cliJson(env, ["tenant:create", "--slug", `bench-${Date.now().toString(36)}`, "--name", "Export bench"]);
  const support = await cliJson(env, ["support:create", "--email", `bench-${randomUUID()}@atea.test`, "--role", "viewer"]);

  const heapMb = Number(opts["heap-mb"]) || 96;
  server = await startApp({env, nodeArgs: [`--max-old-space-size=${heapMb}`], stdio: ["ignore", "ignore", "inherit"]});
  const {port} = server;

  console.log(`# events export: ${mysql ? "MySQL/MariaDB" : "SQLite"}, Node ${process.version}, ${os.cpus().length} CPUs, service heap limit ${heapMb} MiB`);
  console.log("| events | format | bytes | seconds | events/s | RSS before (MiB) | peak RSS while streaming (MiB) |");
  console.log("|---:|---|---:|---:|---:|---:|---:|");
  let seeded = 0;
  for (const size of sizes) {
    await seed(tenant.id, size - seeded);
    seeded = size;
    for (const format of formats) {
      const before = rssMiB(server.pid);
      await exportOnce(port, support.token, tenant.slug, format); // warm-up: JIT and the database's caches
      const result = await exportOnce(port, support.token, tenant.slug, format, server.pid);
      if (result.rows !== size) throw new Error(`expected ${size} ${format} rows, got ${result.rows}`);
      console.log(
        `| ${size} | ${format} | ${result.bytes} | ${result.seconds.toFixed(2)} | ${Math.round(size / result.seconds)} | ` +
          `${before.toFixed(1)} | ${result.peak.toFixed(1)} |`,
      );
    }
  }
} finally {
  await server?.stop();
  if (mysql) await withMysql(new URL("/", databaseUrl).toString(), async (c) => c.query(`DROP DATABASE IF EXISTS \`${dbName()}\``));
  fs.rmSync(tmp, {recursive: true, force: true});
}

function dbName() {
  return new URL(databaseUrl).pathname.slice(1);
}

async function withMysql(uri, work) {
  const {createConnection} = require("mysql2/promise");
  const connection = await createConnection({uri});
  try {
    return await work(connection);
  } finally {
    await connection.end();
  }
}

/** Adds `count` provisioning events to the tenant straight into the table (1000 rows per INSERT). */
async function seed(tenantId, count) {
  const columns = ["tenant_id", "at", "actor_type", "actor_id", "operation", "resource_type", "resource_id", "status", "request_id",
    "changed_attributes", "detail", "user_name", "user_name_key", "external_id", "display_name", "count", "bucket"];
  const start = Date.now() - count * 1000;
  const row = (i) => {
    const failed = i % 10 === 0;
    const userName = `user${i}@contoso.example`;
    const at = new Date(start + i * 1000).toISOString().replace("T", " ").replace("Z", "");
    return [tenantId, at, "scim-token", randomUUID(),
      failed ? "create" : "patch", "User", failed ? null : randomUUID(), failed ? 409 : 200, randomUUID(),
      failed ? null : '["name.familyName","emails"]', failed ? `userName ${userName} is already taken` : null,
      userName, userName, randomUUID(), `User ${i}, "bench"`, 1, null];
  };
  const sql = (n) => `INSERT INTO provisioning_events (${columns.join(", ")}) VALUES ${Array.from({length: n}, () => `(${columns.map(() => "?").join(", ")})`).join(", ")}`;
  if (mysql) {
    await withMysql(databaseUrl, async (c) => {
      for (let done = 0; done < count; done += 1000) {
        const n = Math.min(1000, count - done);
        await c.query(sql(n), Array.from({length: n}, (_, k) => row(done + k)).flat());
      }
    });
    return;
  }
  const Database = require("better-sqlite3");
  const db = new Database(databaseUrl.slice("sqlite:".length));
  db.pragma("busy_timeout = 10000");
  const insertBatch = db.transaction((from, n) => db.prepare(sql(n)).run(Array.from({length: n}, (_, k) => row(from + k)).flat()));
  for (let done = 0; done < count; done += 1000) insertBatch(done, Math.min(1000, count - done));
  db.close();
}

/** One export, read to the end; with `pid`, the server's peak RSS while it streams. */
async function exportOnce(port, token, tenant, format, pid) {
  let peak = 0;
  const sampler = pid ? setInterval(() => (peak = Math.max(peak, rssMiB(pid))), sampleMs) : null;
  const started = process.hrtime.bigint();
  const {bytes, rows} = await new Promise((resolve, reject) => {
    const req = http.get({host: "127.0.0.1", port, path: `/admin/v1/tenants/${tenant}/events?format=${format}`, headers: {Authorization: `Bearer ${token}`}}, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`export answered ${res.statusCode}`));
      let bytes = 0;
      let newlines = 0;
      res.on("data", (chunk) => {
        bytes += chunk.length;
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) newlines++;
      });
      res.on("end", () => resolve({bytes, rows: format === "csv" ? newlines - 1 : newlines}));
      res.on("error", reject);
    });
    req.on("error", reject);
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (sampler) clearInterval(sampler);
  if (pid) peak = Math.max(peak, rssMiB(pid));
  return {bytes, rows, seconds, peak};
}

function rssMiB(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) / 1024;
}
