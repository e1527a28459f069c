#!/usr/bin/env node
// userName lookups (Entra's `GET /Users?filter=userName eq "…"`, hits and misses) in a tenant of
// 1,000 users and in a tenant of 1,000,000 users of the same database, and the app's RSS while it
// serves them. The users are written with SQL (INSERT … SELECT from MariaDB's sequence engine) in
// batches of 50,000: filling a million through the API would take most of an hour here.
//
//   node bench/scale-lookup.mjs                              # 1,000 against 1,000,000 users
//   node bench/scale-lookup.mjs --big 100000 --lookups 4000  # quicker
//
// MariaDB only (the sequence engine): BENCH_MYSQL_URL, default mysql://root@127.0.0.1:3306/.
// Lookups go in blocks that alternate between the two tenants (small, big, small, big, …) so that
// other work on the machine hits both alike; figures are medians over blocks of each tenant.
// Targets: p50 big/small within 1.2x, RSS under 200 MiB. Runs the built app (dist/).
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { createConnection } from 'mysql2/promise';
import { ROOT as root, LIFTED_TENANT_LIMITS, START_FLAGS, cli, cliJson, generatedSecrets, startApp } from './lib/app.mjs';

const { values: opt } = parseArgs({
  options: {
    small: { type: 'string', default: '1000' },
    big: { type: 'string', default: '1000000' },
    lookups: { type: 'string', default: '8000' },
    blocks: { type: 'string', default: '8' },
    concurrency: { type: 'string', default: '8' },
  },
});
const SMALL = Number(opt.small);
const BIG = Number(opt.big);
const LOOKUPS = Number(opt.lookups);
const BLOCKS = Number(opt.blocks);
const CONCURRENCY = Number(opt.concurrency);
const run = promisify(execFile);
const log = (line) => console.log(line);
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const rssMiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

if (!existsSync(join(root, 'dist/apps/api/src/main.js'))) await run('npm', ['run', 'build'], { cwd: root });
log(`load average at start: ${loadavg()}`);
const server = new URL(process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/');
const name = `atea_lookup_${process.pid}`;
const admin = await createConnection({ uri: server.toString() });
await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
const url = new URL(server.toString());
url.pathname = `/${name}`;
let app;
try {
  const env = { ...process.env, ...(await generatedSecrets()), DATABASE_URL: url.toString() };
  await cli(env, ['migrate']);
  const tenants = {};
  for (const [label, users] of [['small', SMALL], ['big', BIG]]) {
    const { id } = await cliJson(env, ['tenant:create', '--slug', `lookup-${label}`, '--name', label]);
    const { token } = await cliJson(env, ['scim-token:create', '--tenant', `lookup-${label}`]);
    tenants[label] = { id, token, users };
  }
  await admin.query(`USE \`${name}\``);
  for (const [label, t] of Object.entries(tenants)) {
    const t0 = Date.now();
    for (let from = 1; from <= t.users; from += 50_000) {
      const to = Math.min(t.users, from + 49_999);
      await admin.query(
        `INSERT INTO scim_users (id, tenant_id, user_name, user_name_key, external_id, active, display_name, name_given_name, name_family_name, version, created_at, updated_at)
         SELECT UUID(), ?, CONCAT('user', seq, '@contoso.com'), CONCAT('user', seq, '@contoso.com'), CONCAT('ext-', seq), 1, CONCAT('User ', seq), 'User', CAST(seq AS CHAR), 1, NOW(), NOW()
           FROM seq_${from}_to_${to}`,
        [t.id],
      );
    }
    log(`${label}: ${t.users} users written in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }
  await admin.query('ANALYZE TABLE scim_users');

  app = await startApp({
    nodeArgs: START_FLAGS,
    // One tenant's lookups at a concurrency of 8 measure lookups, not the per-tenant limits: lifted.
    env: {
      ...env,
      NODE_ENV: 'production',
      LOG_LEVEL: 'error',
      DATABASE_MIGRATE_ON_START: 'false',
      ...LIFTED_TENANT_LIMITS,
    },
  });
  const base = app.url;

  /** `count` lookups in the tenant, half hits and half misses, CONCURRENCY at a time; latencies by kind. */
  async function lookups(t, count) {
    const out = { hit: [], miss: [] };
    let next = 0;
    let errors = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < count) {
          const k = next++;
          const hit = k % 2 === 0;
          const n = 1 + Math.floor(Math.random() * t.users);
          const userName = hit ? `user${n}@contoso.com` : `absent${n}@contoso.com`;
          const t0 = performance.now();
          const res = await fetch(`${base}/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`, { headers: { Authorization: `Bearer ${t.token}` } });
          const body = await res.json();
          (hit ? out.hit : out.miss).push(performance.now() - t0);
          if (res.status !== 200 || body.totalResults !== (hit ? 1 : 0)) errors++;
        }
      }),
    );
    return { ...out, errors };
  }

  await lookups(tenants.small, 1000);
  await lookups(tenants.big, 1000);
  const per = { small: { hit: [], miss: [], hitP99: [], missP99: [], errors: 0 }, big: { hit: [], miss: [], hitP99: [], missP99: [], errors: 0 } };
  const rss = [];
  for (let b = 0; b < BLOCKS; b++) {
    for (const label of ['small', 'big']) {
      const r = await lookups(tenants[label], Math.round(LOOKUPS / BLOCKS));
      const hits = r.hit.sort((x, y) => x - y);
      const misses = r.miss.sort((x, y) => x - y);
      per[label].hit.push(percentile(hits, 50));
      per[label].miss.push(percentile(misses, 50));
      per[label].hitP99.push(percentile(hits, 99));
      per[label].missP99.push(percentile(misses, 99));
      per[label].errors += r.errors;
      rss.push(rssMiB(app.pid));
    }
  }
  log(`\n| tenant users | hit p50 ms | hit p99 ms | miss p50 ms | miss p99 ms | errors |`);
  log('|---|---|---|---|---|---|');
  for (const label of ['small', 'big']) {
    const p = per[label];
    log(`| ${tenants[label].users} | ${median(p.hit).toFixed(2)} | ${median(p.hitP99).toFixed(2)} | ${median(p.miss).toFixed(2)} | ${median(p.missP99).toFixed(2)} | ${p.errors} |`);
  }
  const ratio = (k) => median(per.big[k]) / median(per.small[k]);
  log(`\nbig/small p50: hit ${ratio('hit').toFixed(2)}x, miss ${ratio('miss').toFixed(2)}x (target within 1.2x)`);
  log(`RSS while serving: median ${median(rss).toFixed(0)} MiB, max ${Math.max(...rss).toFixed(0)} MiB (target under 200 MiB)`);
  log(`${LOOKUPS} lookups per tenant in ${BLOCKS} alternating blocks at concurrency ${CONCURRENCY}; load average at end: ${loadavg()}`);
} finally {
  await app?.stop();
  await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await admin.end();
}
