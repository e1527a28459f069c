#!/usr/bin/env node
// Fairness under a flood: a quiet tenant runs Entra's incremental pace (lookups and updates at
// 25 requests per second) alone, then again while another tenant sends as fast as 32 connections
// allow (from a thread of its own). Prints both tenants' figures and the quiet tenant's p99 ratio (flood / alone).
//
//   npm run build && node bench/tenant-flood.mjs [--seconds 10] [--flooders 32] [--database sqlite|mysql]
//
// MySQL: BENCH_MYSQL_URL (default mysql://root@127.0.0.1:3306/), a database of its own, dropped after.
// The service runs with its default rate limits (SCIM_RATE_LIMIT_PER_SECOND and _BURST), or the
// values in the environment.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { START_FLAGS, cli, cliJson, generatedSecrets, startApp } from './lib/app.mjs';

/** The flooding tenant: `connections` loops of lookups and creates, as fast as answers come. */
async function flood(base, token, connections, stop) {
  const statuses = {};
  let n = 0;
  const auth = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/scim+json' };
  const loop = async (c) => {
    while (!stop()) {
      const i = n++;
      const res =
        i % 2 === 0
          ? await fetch(`${base}/Users?filter=${encodeURIComponent(`userName eq "flood-${i}@contoso.test"`)}`, { headers: auth })
          : await fetch(`${base}/Users`, {
              method: 'POST',
              headers: auth,
              body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `flood-${c}-${i}@contoso.test`, active: true }),
            });
      await res.arrayBuffer();
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: connections }, (_, c) => loop(c)));
  return statuses;
}

// The flood runs on a thread of its own, as another tenant's client would be another machine: its
// answers must not delay the quiet tenant's measurements on this thread's event loop.
if (!isMainThread) {
  let stopping = false;
  parentPort.once('message', () => (stopping = true));
  parentPort.postMessage(await flood(workerData.base, workerData.token, workerData.connections, () => stopping));
  process.exit(0);
}

const { values: opt } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    flooders: { type: 'string', default: '32' },
    database: { type: 'string', default: 'mysql' },
  },
});
const SECONDS = Number(opt.seconds);
const QUIET_RATE = 25;

async function database() {
  if (opt.database === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'atea-flood-'));
    return { url: `sqlite:${join(dir, 'atea.sqlite')}`, env: {}, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const mysql = (await import('mysql2/promise')).default;
  const admin = process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/';
  const name = `atea_flood_${process.pid}`;
  const c = await mysql.createConnection({ uri: admin });
  await c.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`);
  await c.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    env: await generatedSecrets(),
    drop: async () => {
      const d = await mysql.createConnection({ uri: admin });
      await d.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await d.end();
    },
  };
}

const percentile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);
function summary(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

/** The quiet tenant: Entra's pace, alternating a lookup and a PATCH of one of its users. */
async function quiet(base, token, userIds, seconds) {
  const latencies = [];
  const byKind = { lookup: [], update: [] };
  const statuses = {};
  const auth = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/scim+json' };
  const end = Date.now() + seconds * 1000;
  const pending = [];
  for (let i = 0; Date.now() < end; i++) {
    const due = performance.now() + 1000 / QUIET_RATE;
    const started = performance.now();
    const id = userIds[i % userIds.length];
    const call =
      i % 2 === 0
        ? fetch(`${base}/Users?filter=${encodeURIComponent(`userName eq "quiet-${i % userIds.length}@contoso.test"`)}`, { headers: auth })
        : fetch(`${base}/Users/${id}`, {
            method: 'PATCH',
            headers: auth,
            body: JSON.stringify({
              schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
              Operations: [{ op: 'Replace', path: 'name.familyName', value: `F${i}` }],
            }),
          });
    pending.push(
      call.then(async (res) => {
        await res.arrayBuffer();
        const ms = performance.now() - started;
        latencies.push(ms);
        byKind[i % 2 === 0 ? 'lookup' : 'update'].push(ms);
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      }),
    );
    await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
  }
  await Promise.all(pending);
  return { ...summary(latencies), lookups: summary(byKind.lookup), updates: summary(byKind.update), statuses };
}

const db = await database();
const env = { ...process.env, ...db.env, DATABASE_URL: db.url, LOG_LEVEL: 'warn' };
let app;
try {
  await cli(env, ['migrate']);
  app = await startApp({ env: { ...env, DATABASE_MIGRATE_ON_START: 'false' }, nodeArgs: START_FLAGS });
  const base = `${app.url}/scim/v2`;
  await cli(env, ['tenant:create', '--slug', 'quiet', '--name', 'Quiet']);
  await cli(env, ['tenant:create', '--slug', 'flood', '--name', 'Flood']);
  const quietToken = (await cliJson(env, ['scim-token:create', '--tenant', 'quiet'])).token;
  const floodToken = (await cliJson(env, ['scim-token:create', '--tenant', 'flood'])).token;
  const userIds = [];
  for (let i = 0; i < 20; i++) {
    const res = await fetch(`${base}/Users`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${quietToken}`, 'Content-Type': 'application/scim+json' },
      body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `quiet-${i}@contoso.test` }),
    });
    userIds.push((await res.json()).id);
  }
  await quiet(base, quietToken, userIds, 2); // warm-up
  const alone = await quiet(base, quietToken, userIds, SECONDS);
  const flooder = new Worker(new URL(import.meta.url), { workerData: { base, token: floodToken, connections: Number(opt.flooders) } });
  const flooding = new Promise((ok, fail) => flooder.once('message', ok).once('error', fail));
  await new Promise((r) => setTimeout(r, 500));
  const during = await quiet(base, quietToken, userIds, SECONDS);
  flooder.postMessage('stop');
  const floodStatuses = await flooding;
  const served = Object.entries(floodStatuses)
    .filter(([s]) => s !== '429')
    .reduce((a, [, n]) => a + n, 0);
  const result = {
    database: opt.database,
    seconds: SECONDS,
    limits: {
      perSecond: process.env.SCIM_RATE_LIMIT_PER_SECOND ?? 'default',
      burst: process.env.SCIM_RATE_LIMIT_BURST ?? 'default',
      concurrency: process.env.SCIM_CONCURRENCY_PER_TENANT ?? 'default',
    },
    quietAlone: alone,
    quietDuringFlood: during,
    flood: { statuses: floodStatuses, servedPerSecond: Math.round(served / (SECONDS + 0.5)), refusedPerSecond: Math.round((floodStatuses[429] ?? 0) / (SECONDS + 0.5)) },
    p99Ratio: Number((during.p99 / alone.p99).toFixed(2)),
    p50Ratio: Number((during.p50 / alone.p50).toFixed(2)),
  };
  console.log(JSON.stringify(result, null, 2));
} finally {
  await app?.stop();
  await db.drop();
}
