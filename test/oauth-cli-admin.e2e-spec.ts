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
