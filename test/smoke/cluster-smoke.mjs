#!/usr/bin/env node
// Boots the built app with WEB_CONCURRENCY=2 on a fresh MariaDB/MySQL database (TEST_MYSQL_URL) and
// checks what the supervisor promises: migrations applied once by the primary, SCIM served by the
// workers on one port, a killed worker replaced, and a clean stop on SIGTERM.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { createConnection } from 'mysql2/promise';

const root = resolve(new URL('../..', import.meta.url).pathname);
const server = new URL(process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test');
const name = `atea_smoke_${process.pid}_${randomBytes(3).toString('hex')}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const freePort = () =>
  new Promise((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
const workersOf = (pid) => {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
};
const check = (ok, what) => {
  if (!ok) throw new Error(`cluster smoke: ${what}`);
  console.log(`PASS ${what}`);
};

const admin = await createConnection({ uri: server.toString() });
await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
const url = new URL(server.toString());
url.pathname = `/${name}`;
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const cli = (env, ...args) => execFileSync('node', [join(root, 'dist/apps/cli/src/main.js'), ...args], { env, encoding: 'utf8' });
const secrets = Object.fromEntries(
  cli({ ...process.env }, 'secrets:generate')
    .split('\n')
    .filter((line) => /^[A-Z_]+=/.test(line))
    .map((line) => {
      const at = line.indexOf('=');
      return [line.slice(0, at), line.slice(at + 1).replace(/^'(.*)'$/, '$1')];
    }),
);
const env = { ...process.env, ...secrets, DATABASE_URL: url.toString(), PORT: String(port), WEB_CONCURRENCY: '2', LOG_LEVEL: 'warn' };
const app = spawn('node', [join(root, 'dist/apps/api/src/main.js')], { env, stdio: ['ignore', 'inherit', 'inherit'] });
let failed = false;
try {
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/health/ready`)).ok) break;
    } catch {}
    if (i > 150) throw new Error('cluster smoke: the app did not become ready');
    await sleep(200);
  }
  const [migrations] = await admin.query(`SELECT COUNT(*) AS n FROM \`${name}\`.migrations`);
  check(Number(migrations[0].n) > 0, 'the primary applied the migrations');
  cli(env, 'tenant:create', '--slug', 'smoke', '--name', 'Smoke');
  const { token } = JSON.parse(cli(env, 'scim-token:create', '--tenant', 'smoke'));
  const scim = (path, init = {}) =>
    fetch(`${base}/scim/v2${path}`, { ...init, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/scim+json', ...init.headers } });
  const statuses = await Promise.all(
    Array.from({ length: 20 }, (_, i) => scim('/Users', { method: 'POST', body: JSON.stringify({ userName: `smoke-${i}@example.com` }) }).then((r) => r.status)),
  );
  check(statuses.every((s) => s === 201), 'two workers served 20 creates');
  const workers = workersOf(app.pid);
  check(workers.length === 2, `two workers run (${workers.join(', ')})`);
  process.kill(workers[0], 'SIGKILL');
  let replaced = [];
  for (let i = 0; i < 100 && !(replaced.length === 2 && !replaced.includes(workers[0])); i++) {
    await sleep(200);
    replaced = workersOf(app.pid);
  }
  check(replaced.length === 2 && !replaced.includes(workers[0]), `a killed worker was replaced (${replaced.join(', ')})`);
  const list = await (await scim('/Users?count=100')).json();
  check(list.totalResults === 20, 'the users are served after the replacement');
  app.kill('SIGTERM');
  const code = await new Promise((ok) => app.once('exit', (c, s) => ok(c ?? s)));
  await sleep(500);
  check(workersOf(app.pid).length === 0 && (code === 0 || code === 'SIGTERM'), `SIGTERM stops primary and workers (exit ${code})`);
} catch (error) {
  console.error(error.message);
  failed = true;
  app.kill('SIGKILL');
} finally {
  await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await admin.end();
}
console.log(failed ? 'cluster smoke: FAILED' : 'cluster smoke: passed');
process.exit(failed ? 1 : 0);
