import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './support/ports.js';

const root = resolve(import.meta.dirname, '..');
const apiMain = join(root, 'dist/apps/api/src/main.js');
const cliMain = join(root, 'dist/apps/cli/src/main.js');

/**
 * Memory per request, read off V8's own trace of the built service: what its young-generation
 * collections (scavenges) move into the old generation. A request's objects die with the request, so
 * almost nothing should be promoted, and the old generation should not grow under a steady load.
 * It did grow, by 5-7 KiB a SCIM request: passport set each request's strategy actions with
 * `strategy.success = function …`, and V8 allocates a function literal assigned to a property in the
 * old generation, where it kept the request it closes over alive until the next full collection
 * (fixed by patches/passport+0.7.0.patch). The scavenges are made frequent (4 MiB semi-spaces) so
 * that a few thousand requests see enough of them.
 */
const REQUESTS = 3000;
const CONCURRENCY = 8;

/** Scavenges in V8's `--trace-gc-nvp` output: their count and the bytes they promoted. */
function scavenges(trace: string): { count: number; promoted: number } {
  let count = 0;
  let promoted = 0;
  for (const line of trace.split('\n')) {
    if (!line.includes(' gc=s ')) continue;
    count++;
    promoted += Number(/ promoted=(\d+)/.exec(line)?.[1] ?? 0);
  }
  return { count, promoted };
}

describe('memory per request of the built service', () => {
  let dir: string;
  let child: ChildProcess | undefined;

  beforeAll(() => {
    execFileSync(process.execPath, [join(root, 'scripts/build-if-stale.mjs')], { cwd: root, stdio: 'inherit' });
  }, 600_000);
  afterAll(() => {
    if (child?.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('promotes almost nothing of SCIM requests, authenticated or refused, into the old generation', async () => {
    dir = mkdtempSync(join(tmpdir(), 'atea-memory-'));
    const port = await freePort();
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: 'sqlite:./memory.sqlite',
      PORT: String(port),
      METRICS_PORT: 'off',
      LOG_LEVEL: 'error',
      LOG_FORMAT: 'json',
      // One client sending as fast as it is answered: the per-tenant limits would answer 429 instead.
      SCIM_RATE_LIMIT_PER_SECOND: '100000',
      SCIM_RATE_LIMIT_BURST: '100000',
      SCIM_CONCURRENCY_PER_TENANT: '1000',
    };
    const cli = (...args: string[]) => JSON.parse(execFileSync(process.execPath, [cliMain, ...args], { cwd: dir, env, encoding: 'utf8' }));
    cli('migrate');
    cli('tenant:create', '--slug', 'memory', '--name', 'Memory');
    const { token } = cli('scim-token:create', '--tenant', 'memory') as { token: string };

    let trace = '';
    child = spawn(process.execPath, ['--max-semi-space-size=4', '--trace-gc-nvp', apiMain], { cwd: dir, env, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout!.on('data', (chunk: Buffer) => (trace += chunk.toString()));
    const base = `http://127.0.0.1:${port}`;
    for (let ready = 0; ready !== 200; await sleep(100)) {
      ready = await fetch(`${base}/health/ready`).then((res) => res.status, () => 0);
      if (child.exitCode !== null) throw new Error(`the service exited: ${trace.slice(-2000)}`);
    }

    const statuses = new Map<number, number>();
    const send = async (count: number) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < count) {
            const n = next++;
            // Half are lookups of a valid token, half are refused (no token): both go through passport.
            const res = await fetch(`${base}/scim/v2/Users?filter=${encodeURIComponent(`userName eq "user${n}@contoso.com"`)}`, {
              headers: n % 2 === 0 ? { authorization: `Bearer ${token}` } : {},
            });
            await res.arrayBuffer();
            statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          }
        }),
      );
    };
    await send(500); // code compiled and caches warm before measuring
    const before = trace.length;
    statuses.clear();
    await send(REQUESTS);
    await sleep(200);
    const measured = scavenges(trace.slice(before));

    expect(Object.fromEntries(statuses)).toEqual({ 200: REQUESTS / 2, 401: REQUESTS / 2 });
    // Enough collections for the figure to mean something (each request allocates tens of KiB).
    expect(measured.count).toBeGreaterThanOrEqual(15);
    // About 7 KiB a request before the fix (objects that outlived their request); about 150 bytes after it.
    expect(measured.promoted / REQUESTS).toBeLessThan(1024);
  }, 180_000);
});
