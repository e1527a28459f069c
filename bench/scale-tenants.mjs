#!/usr/bin/env node
// How many tenants can run Entra's incremental cycle at Entra's pace at once, with p99 under a
// target, on one MariaDB server and on a 3-node Galera cluster (test/galera/cluster.mjs).
//
//   node bench/scale-tenants.mjs                          # single node, then Galera
//   node bench/scale-tenants.mjs --target single          # one MariaDB (BENCH_MYSQL_URL, default root@127.0.0.1:3306)
//   node bench/scale-tenants.mjs --target galera          # 3 Galera nodes; instances A (node1,node2,node3) and B (node2,node3,node1)
//   node bench/scale-tenants.mjs --tenants 1,4,8,16 --seconds 20 --rate 25 --p99 100
//
// Each tenant sends, open loop every 1/rate s, the incremental cycle of entra-facts.md §2 for its
// users in turn: a userName query that misses, the create, a userName query that hits, a PATCH of
// the user. Latency counts from the time a request was due, so a server that falls behind is seen.
// On the single node every tenant goes to one instance; on Galera tenants alternate between A and B.
// After a 5 s warm-up, steps go up through --tenants and stop at the first whose p99 is above --p99 ms or that had errors.
// Runs the built app (dist/; `npm run build` first if it is missing).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { createConnection } from 'mysql2/promise';
import { galeraMissing, startCluster } from '../test/galera/cluster.mjs';
import { ROOT as root, START_FLAGS, cli, cliJson, generatedSecrets, startApp } from './lib/app.mjs';

const { values: opt } = parseArgs({
  options: {
    target: { type: 'string', default: 'both' },
    tenants: { type: 'string', default: '1,2,4,8,12,16,24,32' },
    seconds: { type: 'string', default: '15' },
    rate: { type: 'string', default: '25' },
    p99: { type: 'string', default: '100' },
  },
});
const STEPS = opt.tenants.split(',').map(Number);
const SECONDS = Number(opt.seconds);
const RATE = Number(opt.rate);
const P99_TARGET = Number(opt.p99);
if (!['single', 'galera', 'both'].includes(opt.target) || STEPS.some((n) => !(n > 0)) || !(SECONDS > 0) || !(RATE > 0)) {
  console.error('usage: node bench/scale-tenants.mjs [--target single|galera|both] [--tenants 1,2,4] [--seconds 15] [--rate 25] [--p99 100]');
  process.exit(2);
}
const MAX_TENANTS = Math.max(...STEPS);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const run = promisify(execFile);
const log = (line) => console.log(line);

const rssMiB = (pid) => {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
  } catch {
    return NaN;
  }
};
const percentile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);

/** Runs `work` on each item, `width` at a time. */
async function each(items, width, work) {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await work(items[next++]);
  }));
}

/** Migrates the database, makes MAX_TENANTS tenants with a SCIM token each. */
async function prepare(env) {
  await cli(env, ['migrate']);
  const slugs = Array.from({ length: MAX_TENANTS }, (_, i) => `scale-${i}`);
  const tokens = [];
  await each(slugs, 4, async (slug) => {
    await cli(env, ['tenant:create', '--slug', slug, '--name', slug]);
    tokens.push((await cliJson(env, ['scim-token:create', '--tenant', slug])).token);
  });
  return tokens;
}

async function startInstance(env) {
  const app = await startApp({ env: { ...env, NODE_ENV: 'production', LOG_LEVEL: 'error', DATABASE_MIGRATE_ON_START: 'false' }, nodeArgs: START_FLAGS });
  return { base: app.url, pid: app.pid, stop: app.stop };
}

/** One tenant's incremental cycle at RATE requests per second for `seconds`; latencies in ms. */
async function tenantLoad(instance, token, tag, seconds = SECONDS) {
  const scim = `${instance.base}/scim/v2`;
  const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/scim+json' };
  const latencies = [];
  const errors = [];
  const pending = [];
  let known = null;
  const start = performance.now();
  const total = Math.round(seconds * RATE);
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const n = Math.floor(i / 4);
    const userName = `${tag}-${n}@contoso.com`;
    const step = i % 4;
    const send = async () => {
      let res;
      if (step === 0) res = await fetch(`${scim}/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`, { headers });
      else if (step === 1)
        res = await fetch(`${scim}/Users`, {
          method: 'POST',
          headers,
          body: JSON.stringify({
            schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
            userName,
            externalId: `ext-${userName}`,
            active: true,
            name: { givenName: 'Jane', familyName: 'Doe', formatted: 'Jane Doe' },
            emails: [{ primary: true, type: 'work', value: userName }],
          }),
        });
      else if (step === 2 || !known) res = await fetch(`${scim}/Users?filter=${encodeURIComponent(`userName eq "${known?.userName ?? userName}"`)}`, { headers });
      else
        res = await fetch(`${scim}/Users/${known.id}`, {
          method: 'PATCH',
          headers,
          body: JSON.stringify({
            schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
            Operations: [{ op: 'Replace', path: 'name.familyName', value: `Doe ${i}` }],
          }),
        });
      const body = await res.text();
      latencies.push(performance.now() - due);
      if (!res.ok) errors.push(res.status);
      else if (step === 1) known = { id: JSON.parse(body).id, userName };
    };
    pending.push(send().catch((e) => errors.push(e.message)));
  }
  await Promise.all(pending);
  return { latencies, errors };
}

async function ramp(name, instances, tokens) {
  log(`\n== ${name}: ${RATE} req/s per tenant for ${SECONDS} s per step, p99 target ${P99_TARGET} ms ==`);
  log('| tenants | req/s | p50 ms | p99 ms | errors | RSS MiB (per instance) |');
  log('|---|---|---|---|---|---|');
  // Warm-up, not counted: the first requests of an instance compile its code paths.
  await Promise.all(instances.map((instance, i) => tenantLoad(instance, tokens[i], `warm-${randomBytes(3).toString('hex')}`, 5)));
  let best = 0;
  const rows = [];
  for (const n of STEPS) {
    const tag = randomBytes(3).toString('hex');
    const t0 = performance.now();
    const results = await Promise.all(tokens.slice(0, n).map((token, i) => tenantLoad(instances[i % instances.length], token, `${tag}-${i}`)));
    const wall = (performance.now() - t0) / 1000;
    const all = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
    const errors = results.flatMap((r) => r.errors);
    const row = { tenants: n, reqPerSec: all.length / wall, p50: percentile(all, 50), p99: percentile(all, 99), errors: errors.length, rss: instances.map((x) => rssMiB(x.pid)) };
    rows.push(row);
    log(`| ${n} | ${row.reqPerSec.toFixed(0)} | ${row.p50.toFixed(1)} | ${row.p99.toFixed(1)} | ${row.errors}${errors.length ? ` (${[...new Set(errors)].join(', ')})` : ''} | ${row.rss.map((r) => r.toFixed(0)).join(' / ')} |`);
    if (row.errors || row.p99 > P99_TARGET) break;
    best = n;
  }
  log(`${name}: ${best} tenants at ${RATE} req/s each with p99 under ${P99_TARGET} ms (load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')})`);
  return { name, best, rows };
}

async function single(base) {
  const server = new URL(process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/');
  const name = `atea_scale_${process.pid}`;
  const admin = await createConnection({ uri: server.toString() });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  const url = new URL(server.toString());
  url.pathname = `/${name}`;
  const env = { ...base, DATABASE_URL: url.toString() };
  let instance;
  try {
    const tokens = await prepare(env);
    instance = await startInstance(env);
    return await ramp('single MariaDB node, one instance', [instance], tokens);
  } finally {
    await instance?.stop();
    await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await admin.end();
  }
}

async function galera(base) {
  const missing = galeraMissing();
  if (missing) {
    log(`\nGalera skipped: ${missing}`);
    return null;
  }
  const cluster = await startCluster({ log });
  const instances = [];
  try {
    const admin = await createConnection({ uri: cluster.url(1) });
    await admin.query('CREATE DATABASE atea_scale CHARACTER SET utf8mb4');
    await admin.end();
    const hosts = (order) => `mysql://root@${order.map((n) => `127.0.0.1:${cluster.port(n)}`).join(',')}/atea_scale`;
    const tokens = await prepare({ ...base, DATABASE_URL: cluster.url(1, 'atea_scale') });
    instances.push(await startInstance({ ...base, DATABASE_URL: hosts([1, 2, 3]) }));
    instances.push(await startInstance({ ...base, DATABASE_URL: hosts([2, 3, 1]) }));
    return await ramp('Galera, 3 nodes, instances on node 1 and node 2', instances, tokens);
  } finally {
    await Promise.all(instances.map((i) => i.stop()));
    await cluster.stop();
  }
}

if (!existsSync(join(root, 'dist/apps/api/src/main.js'))) await run('npm', ['run', 'build'], { cwd: root });
log(`load average at start: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
const base = { ...process.env, ...(await generatedSecrets()) };
const results = [];
if (opt.target !== 'galera') results.push(await single(base));
if (opt.target !== 'single') results.push(await galera(base));
log(`\n${JSON.stringify(results.filter(Boolean).map((r) => ({ target: r.name, tenants: r.best })))}`);
