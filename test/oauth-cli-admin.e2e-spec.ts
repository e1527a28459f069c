import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { COMMANDS } from '../apps/cli/src/commands.js';
import type { CommandIo } from '../apps/cli/src/password-input.js';
import { startApp, type TestApp } from './support/test-app.js';
import { authorizeAsAdmin } from './support/oauth.js';

/** What the command wrote to the operator's terminal. */
function stderrSink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  return {
    stream: new Writable({
      write(chunk, _encoding, done) {
        chunks.push(String(chunk));
        done();
      },
    }),
    text: () => chunks.join(''),
  };
}

/** `admin:create` takes the password from standard input, never from the command line it would leave in the shell history. */
describe('admin:create without --password', () => {
  let t: TestApp;
  let tenant: { id: string; slug: string };
  let clientId: string;

  beforeAll(async () => {
    t = await startApp('sqlite');
    tenant = await t.tenant();
    clientId = (await t.client(tenant.id)).clientId;
  });
  afterAll(() => t?.close());

  const create = (email: string, io: CommandIo, flags: Record<string, unknown> = {}) =>
    COMMANDS['admin:create'].run(t.app, { tenant: tenant.slug, email, ...flags }, io) as Promise<Record<string, string>>;

  it('reads the password from a pipe; the admin signs in with it', async () => {
    const err = stderrSink();
    const created = await create('piped@example.test', { stdin: Readable.from(['a piped passphrase\n']), stderr: err.stream });
    expect(Object.keys(created).sort()).toEqual(['email', 'id']);
    expect(err.text()).toBe('');
    const { redirect } = await authorizeAsAdmin(t, { clientId }, { email: 'piped@example.test', password: 'a piped passphrase' });
    expect(redirect.searchParams.get('code')).toBeTruthy();
  });

  it('generates a password for an empty input and prints it once', async () => {
    const created = await create('generated@example.test', { stdin: Readable.from([]), stderr: stderrSink().stream });
    expect(Object.keys(created).sort()).toEqual(['email', 'id', 'password']);
    expect(created.password.length).toBeGreaterThanOrEqual(20);
    const { redirect } = await authorizeAsAdmin(t, { clientId }, { email: 'generated@example.test', password: created.password });
    expect(redirect.searchParams.get('code')).toBeTruthy();
  });

  it('refuses a short piped password, creating nothing', async () => {
    await expect(create('short@example.test', { stdin: Readable.from(['short\n']), stderr: stderrSink().stream })).rejects.toThrow(/at least 12 characters/);
    const again = await create('short@example.test', { stdin: Readable.from(['now long enough, really\n']), stderr: stderrSink().stream });
    expect(again.email).toBe('short@example.test');
  });

  it('asks on a terminal without echoing what is typed', async () => {
    const keys = new PassThrough() as PassThrough & { isTTY: boolean; setRawMode: (raw: boolean) => void };
    const modes: boolean[] = [];
    keys.isTTY = true;
    keys.setRawMode = (raw) => void modes.push(raw);
    const err = stderrSink();
    const pending = create('typed@example.test', { stdin: keys, stderr: err.stream });
    // Typed with one mistake corrected by backspace, then Enter.
    setTimeout(() => keys.write('typed passphrasX\u007fe!\r'), 20);
    const created = await pending;
    expect(created.email).toBe('typed@example.test');
    expect(modes).toEqual([true, false]);
    expect(err.text()).toMatch(/^Password for typed@example\.test .*: \n$/);
    expect(err.text()).not.toContain('typed pass');
    const { redirect } = await authorizeAsAdmin(t, { clientId }, { email: 'typed@example.test', password: 'typed passphrase!' });
    expect(redirect.searchParams.get('code')).toBeTruthy();
  });

  it('still takes --password, with a warning about the shell history', async () => {
    const err = stderrSink();
    const created = await create('flag@example.test', { stdin: Readable.from([]), stderr: err.stream }, { password: 'an old-style password' });
    expect(Object.keys(created).sort()).toEqual(['email', 'id']);
    expect(err.text()).toMatch(/^warning: --password leaves the password in the shell history/);
  });
});

/** The built CLI as an operator runs it, `printf '…' | npm run -s cli -- admin:create …`: a process whose standard input is a pipe. */
describe('admin:create as a process, the password piped in', () => {
  const root = resolve(import.meta.dirname, '..');
  let t: TestApp;
  let tenant: { id: string; slug: string };
  let clientId: string;
  let cwd: string;

  beforeAll(async () => {
    // The test runs the CLI as built: build it first when the sources changed.
    execFileSync(process.execPath, [join(root, 'scripts/build-if-stale.mjs')], { cwd: root, stdio: 'inherit' });
    t = await startApp('sqlite');
    tenant = await t.tenant();
    clientId = (await t.client(tenant.id)).clientId;
    cwd = mkdtempSync(join(tmpdir(), 'atea-cli-pipe-'));
  }, 600_000);
  afterAll(async () => {
    await t?.close();
    if (cwd) rmSync(cwd, { recursive: true, force: true });
  });

  const cli = (args: string[], input: string) =>
    spawnSync(process.execPath, [join(root, 'dist/apps/cli/src/main.js'), ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: t.databaseUrl, LOG_LEVEL: 'error' },
      input,
      encoding: 'utf8',
      timeout: 60_000,
    });

  it('creates the admin with the piped password, prints no password, and the admin signs in with it', async () => {
    const run = cli(['admin:create', '--tenant', tenant.slug, '--email', 'pipe-process@example.test'], 'a passphrase from a pipe\n');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    const printed = JSON.parse(run.stdout) as Record<string, string>;
    expect(Object.keys(printed).sort()).toEqual(['email', 'id']);
    expect(run.stdout).not.toContain('a passphrase from a pipe');
    const { redirect } = await authorizeAsAdmin(t, { clientId }, { email: 'pipe-process@example.test', password: 'a passphrase from a pipe' });
    expect(redirect.searchParams.get('code')).toBeTruthy();
  });

  it('generates a password when the pipe is empty, and prints it once', async () => {
    const run = cli(['admin:create', '--tenant', tenant.slug, '--email', 'pipe-empty@example.test'], '');
    expect(run.status, run.stderr).toBe(0);
    const printed = JSON.parse(run.stdout) as Record<string, string>;
    expect(Object.keys(printed).sort()).toEqual(['email', 'id', 'password']);
    const { redirect } = await authorizeAsAdmin(t, { clientId }, { email: 'pipe-empty@example.test', password: printed.password });
    expect(redirect.searchParams.get('code')).toBeTruthy();
  });
});
