import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { createConnection } from 'mysql2/promise';
import { runCli } from '../apps/cli/src/program.js';
import { createTestDatabase, dialects, testKeyMaterial } from './support/test-app.js';

/** Runs the CLI in-process as a shell would, stdout a pipe (or a terminal) and stderr apart. */
async function cli(env: Record<string, string>, args: string[], terminal = false) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    env,
    stdout: { write: (text: string) => (stdout += text), isTTY: terminal },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr };
}

describe('operator CLI: help and usage', () => {
  it('--help and help list every command; each command has its own --help', async () => {
    const help = await cli({}, ['--help']);
    expect(help.code).toBe(0);
    for (const name of ['migrate', 'tenant:create', 'tenant:list', 'scim-token:create', 'client:create', 'support:create', 'secrets:generate']) {
      expect(help.stdout).toContain(name);
    }
    expect((await cli({}, ['help'])).stdout).toBe(help.stdout);
    const create = await cli({}, ['tenant:create', '--help']);
    expect(create.code).toBe(0);
    expect(create.stdout).toMatch(/--slug <slug>/);
    expect(create.stdout).toMatch(/--name <name>/);
    expect((await cli({}, ['help', 'client:create'])).stdout).toMatch(/--redirect-uri <uri>.*repeat/);
  });

  it('refuses an unknown command or flag with exit code 2 and a message on stderr only', async () => {
    const unknown = await cli({}, ['tenant:frobnicate']);
    expect(unknown).toMatchObject({ code: 2, stdout: '' });
    expect(unknown.stderr).toMatch(/unknown command 'tenant:frobnicate'/);
    const flag = await cli({}, ['secrets:generate', '--bogus']);
    expect(flag).toMatchObject({ code: 2, stdout: '' });
    expect(flag.stderr).toMatch(/unknown option '--bogus'/);
    const none = await cli({}, []);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/tenant:list/);
  });
});

describe.each(dialects())('operator CLI on %s', (dialect) => {
  let env: Record<string, string>;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const database = await createTestDatabase(dialect);
    drop = database.drop;
    env = { DATABASE_URL: database.url, ...(dialect === 'mysql' ? testKeyMaterial() : {}) };
  });
  afterAll(() => drop?.());

  it('refuses control characters in names, e-mails and descriptions with exit code 2, as the admin API does', async () => {
    const cases: [string[], string][] = [
      [['tenant:create', '--slug', 'cli-ctl', '--name', 'Acme\u0001'], '--name must not contain control characters'],
      [['support:create', '--email', 'x\u0000@atea.test', '--role', 'viewer'], '--email must not contain control characters'],
      [['scim-token:create', '--tenant', 'cli-ctl', '--description', 'line\nbreak'], '--description must not contain control characters'],
    ];
    for (const [args, message] of cases) {
      const refused = await cli(env, args);
      expect(refused).toMatchObject({ code: 2, stdout: '' });
      expect(refused.stderr).toContain(message);
    }
    const listed = await cli(env, ['tenant:list', '--search', 'cli-ctl']);
    expect(JSON.parse(listed.stdout)).toEqual([]);
  });

  it('tenant:list prints the tenants as pure JSON when piped, indented on a terminal', async () => {
    const created = await cli(env, ['tenant:create', '--slug', 'cli-acme', '--name', 'Acme, Inc.']);
    expect(created.code).toBe(0);
    expect(created.stdout.trimEnd().split('\n')).toHaveLength(1);
    const tenant = JSON.parse(created.stdout);
    await cli(env, ['tenant:create', '--slug=cli-beta', '--name=Beta']);

    const piped = await cli(env, ['tenant:list']);
    expect(piped.code).toBe(0);
    expect(piped.stdout.endsWith('\n')).toBe(true);
    expect(piped.stdout.trimEnd().split('\n')).toHaveLength(1);
    const list = JSON.parse(piped.stdout);
    expect(list.map((t: { slug: string }) => t.slug)).toEqual(['cli-acme', 'cli-beta']);
    expect(list[0]).toEqual({ id: tenant.id, slug: 'cli-acme', name: 'Acme, Inc.', status: 'active', createdAt: expect.any(String) });
    expect(JSON.parse((await cli(env, ['tenant:list', '--search', 'BETA'])).stdout)).toHaveLength(1);

    const terminal = await cli(env, ['tenant:list'], true);
    expect(JSON.parse(terminal.stdout)).toEqual(list);
    expect(terminal.stdout).toContain('\n  {');

    const token = await cli(env, ['scim-token:create', '--tenant', 'cli-acme', '--expires-days', '0']);
    expect(JSON.parse(token.stdout)).toMatchObject({ token: expect.stringMatching(/^atea_scim_/), expiresAt: null });
    const client = await cli(env, ['client:create', '--tenant', tenant.id, '--redirect-uri', 'https://a.example/cb', '--redirect-uri', 'https://b.example/cb']);
    expect(client.code).toBe(0);
    const clients = JSON.parse((await cli(env, ['client:list', '--tenant', 'cli-acme'])).stdout);
    expect(clients[0].redirectUris).toEqual(['https://a.example/cb', 'https://b.example/cb']);

    const missing = await cli(env, ['scim-token:create', '--tenant', 'no-such-tenant']);
    expect(missing).toMatchObject({ code: 1, stdout: '' });
    expect(missing.stderr).toMatch(/No tenant/);
    const invalid = await cli(env, ['tenant:list', '--status', 'closed']);
    expect(invalid).toMatchObject({ code: 2, stdout: '' });
  });

  it('schema-extension:set declares a tenant\'s extension schema from a file, refusing a bad one', async () => {
    await cli(env, ['tenant:create', '--slug', 'cli-ext', '--name', 'Ext']);
    const dir = await mkdtemp(join(tmpdir(), 'cli-ext-'));
    try {
      const urn = 'urn:ietf:params:scim:schemas:extension:atea:2.0:User';
      const file = join(dir, 'ext.json');
      await writeFile(file, JSON.stringify({ urn, attributes: [{ name: 'costCenterCode', type: 'string' }] }));
      const set = await cli(env, ['schema-extension:set', '--tenant', 'cli-ext', '--file', file]);
      expect(set.code, set.stderr).toBe(0);
      expect(JSON.parse(set.stdout)).toMatchObject({ urn, created: true, attributes: [{ name: 'costCenterCode', type: 'string', multiValued: false, canonicalValues: [] }] });
      await writeFile(file, JSON.stringify({ urn, attributes: [{ name: 'cost center', type: 'string' }] }));
      const bad = await cli(env, ['schema-extension:set', '--tenant', 'cli-ext', '--file', file]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/attributes\[0\]\.name must be/);
      const missing = await cli(env, ['schema-extension:set', '--tenant', 'cli-ext', '--file', join(dir, 'none.json')]);
      expect(missing.code).toBe(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('schema-extension:set drops an attribute users hold values of only with --confirm', async () => {
    const tenant = JSON.parse((await cli(env, ['tenant:create', '--slug', 'cli-ext-held', '--name', 'Held'])).stdout) as { id: string };
    const dir = await mkdtemp(join(tmpdir(), 'cli-ext-'));
    try {
      const urn = 'urn:ietf:params:scim:schemas:extension:atea:2.0:User';
      const file = join(dir, 'ext.json');
      const declare = async (names: string[], ...flags: string[]) => {
        await writeFile(file, JSON.stringify({ urn, attributes: names.map((name) => ({ name, type: 'string' })) }));
        return cli(env, ['schema-extension:set', '--tenant', 'cli-ext-held', '--file', file, ...flags]);
      };
      expect((await declare(['costCenterCode', 'grade'])).code).toBe(0);
      // A value of costCenterCode, as a user's write stores it (the user row itself does not matter here).
      const row = ['0f8fad5b-d9cb-469f-a165-70867728950e', urn, 'costCenterCode', 0, tenant.id, 'CC-7', 'cc-7'];
      const insert = 'INSERT INTO scim_user_extension_values (user_id, urn, attr, position, tenant_id, value, value_key) VALUES (?, ?, ?, ?, ?, ?, ?)';
      const values = async (sql: string, params: unknown[] = []) => {
        if (dialect === 'sqlite') {
          const db = new Sqlite(env.DATABASE_URL!.slice('sqlite:'.length));
          db.pragma('foreign_keys = OFF');
          try {
            return sql.startsWith('SELECT') ? (db.prepare(sql).all(...params) as { n: number }[]) : (db.prepare(sql).run(...params), []);
          } finally {
            db.close();
          }
        }
        const c = await createConnection({ uri: env.DATABASE_URL! });
        try {
          await c.query('SET FOREIGN_KEY_CHECKS = 0');
          return (await c.query(sql, params))[0] as { n: number }[];
        } finally {
          await c.end();
        }
      };
      await values(insert, row);
      const held = async () => Number((await values('SELECT COUNT(*) AS n FROM scim_user_extension_values WHERE tenant_id = ?', [tenant.id]))[0]!.n);

      // grade holds nothing: dropped without a word.
      expect((await declare(['costCenterCode'])).code).toBe(0);
      const refused = await declare(['other']);
      expect(refused).toMatchObject({ code: 1, stdout: '' });
      expect(refused.stderr).toMatch(/costCenterCode/);
      expect(await held()).toBe(1);
      const confirmed = await declare(['other'], '--confirm');
      expect(confirmed.code, confirmed.stderr).toBe(0);
      expect(JSON.parse(confirmed.stdout).attributes.map((a: { name: string }) => a.name)).toEqual(['other']);
      expect(await held()).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
