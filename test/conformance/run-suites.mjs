#!/usr/bin/env node
// Runs the third-party SCIM conformance suites in ../shared/suites against the built app on a fresh
// embedded SQLite database: Microsoft's SCIMReferenceCode Postman collection (under newman) and
// Okta's SCIM 2.0 SPEC test. Failures are compared with the documented exceptions below (see the
// README); any other failure, or an exception that no longer fails, fails this script.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(new URL('../..', import.meta.url).pathname);
const shared = resolve(process.env.SHARED_DIR ?? join(root, '..', 'shared'));

/**
 * Postman assertions this service deliberately does not satisfy, as "request name / test name".
 * Each is explained in README.md ("Conformance suites").
 */
const POSTMAN_EXCEPTIONS = new Set([
  // User PATCH answers 200 with the resource, as Entra's SCIM Validator requires (RFC 7644 allows both).
  'Patch user omalley new username / Status code is 204',
  'patch user omalley active with boolean / Status code is 204',
  // Members are ids of this tenant's users or groups; "string id 1" is no such id, so the PATCH is a 400.
  'Group patch add member / Status code is 204',
  'Group patch add member2 / Status code is 204',
  // members.display is read-only (RFC 7643 §4.2): we show the member's own name, not the "displayName" sent.
  'Get group by id / Body contians user',
]);

const freePort = () =>
  new Promise((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });

const dir = mkdtempSync(join(tmpdir(), 'atea-conformance-'));
const port = await freePort();
const env = { ...process.env, DATABASE_URL: `sqlite:${join(dir, 'atea.sqlite')}`, PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: 'warn' };
const cli = (...args) => JSON.parse(execFileSync('node', [join(root, 'dist/apps/cli/src/main.js'), ...args], { env, encoding: 'utf8' }));

let app;
let failed = false;
try {
  // The built CLI on a fresh database: `migrate` reports what it applied, then that nothing is left.
  const first = cli('migrate').applied;
  const second = cli('migrate').applied;
  if (first.length === 0 || second.length !== 0) throw new Error(`cli migrate reported ${JSON.stringify(first)}, then ${JSON.stringify(second)}`);
  console.log(`cli migrate applied ${first.length} migrations, then none`);
  cli('tenant:create', '--slug', 'conformance', '--name', 'Conformance');
  const { token } = cli('scim-token:create', '--tenant', 'conformance');
  app = spawn('node', [join(root, 'dist/apps/api/src/main.js')], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/health/ready`)).ok) break;
    } catch {}
    if (i > 100) throw new Error('the app did not become ready');
    await new Promise((r) => setTimeout(r, 200));
  }

  // Microsoft SCIMReferenceCode Postman collection.
  const report = join(dir, 'newman-report.json');
  try {
    execFileSync('bash', [join(shared, 'suites/scimreferencecode-postman/run.sh'), `${base}/scim/v2`, token], {
      env: { ...process.env, OUT: report },
      stdio: 'inherit',
    });
  } catch {
    // newman exits 1 on any failed assertion; the report is judged below.
  }
  const run = JSON.parse(readFileSync(report, 'utf8')).run;
  const failures = run.failures.map((f) => `${f.source?.name} / ${f.error?.test}`);
  const unexpected = failures.filter((f) => !POSTMAN_EXCEPTIONS.has(f));
  const fixed = [...POSTMAN_EXCEPTIONS].filter((e) => !failures.includes(e));
  const total = run.stats.assertions.total;
  console.log(`\nPostman suite: ${total - failures.length} of ${total} assertions passed; ${failures.length} documented exceptions expected to fail: ${POSTMAN_EXCEPTIONS.size}`);
  for (const f of unexpected) console.log(`  UNEXPECTED FAILURE: ${f}`);
  for (const f of fixed) console.log(`  documented exception now passes (update the list and README): ${f}`);
  if (unexpected.length || fixed.length) failed = true;

  // Okta SCIM 2.0 SPEC test: every assertion must pass.
  try {
    execFileSync('node', [join(shared, 'suites/okta-spec/run.mjs'), '--base', `${base}/scim/v2`, '--token', token], { stdio: 'inherit' });
  } catch {
    console.log('Okta SPEC test: failures above');
    failed = true;
  }
} catch (error) {
  console.error(error);
  failed = true;
} finally {
  app?.kill();
  rmSync(dir, { recursive: true, force: true });
}
console.log(failed ? 'conformance: FAILED' : 'conformance: passed');
process.exit(failed ? 1 : 0);
