import { connect, type Socket } from 'node:net';
import { loadConfig } from '@app/config';
import { CapturingLogger } from './support/capturing-logger.js';
import { dialects, startApp, type TestApp } from './support/test-app.js';

/** A raw connection to the app; resolves what the server sent once it closes the connection (or rejects after `limitMs`). */
function rawRequest(url: string, head: string, limitMs: number): { socket: Socket; closed: Promise<string> } {
  const { port } = new URL(url);
  const socket = connect(Number(port), '127.0.0.1');
  socket.write(head);
  let received = '';
  socket.on('data', (chunk) => (received += chunk.toString('utf8')));
  const closed = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still open after ${limitMs} ms`)), limitMs);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(received);
    });
  });
  return { socket, closed };
}

/** Waits until `check` holds, polling, for at most `limitMs`. */
async function eventually(check: () => boolean, limitMs: number): Promise<void> {
  const end = Date.now() + limitMs;
  while (!check()) {
    if (Date.now() > end) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('HTTP timeouts: defaults', () => {
  it('are 30 s for a whole request and 10 s for its headers', () => {
    const config = loadConfig({ DATABASE_URL: 'sqlite::memory:' });
    expect(config.HTTP_REQUEST_TIMEOUT_MS).toBe(30_000);
    expect(config.HTTP_HEADERS_TIMEOUT_MS).toBe(10_000);
    expect(() => loadConfig({ HTTP_REQUEST_TIMEOUT_MS: '1000', HTTP_HEADERS_TIMEOUT_MS: '2000' })).toThrow(/HTTP_HEADERS_TIMEOUT_MS/);
  });
});

describe.each(dialects())('HTTP timeouts and aborted requests on %s', (dialect) => {
  let t: TestApp;
  let token: string;
  const logger = new CapturingLogger();

  beforeAll(async () => {
    t = await startApp(dialect, { HTTP_REQUEST_TIMEOUT_MS: '1500', HTTP_HEADERS_TIMEOUT_MS: '1000' }, { logger });
    ({ token } = await t.tenant());
  });
  afterAll(() => t?.close());

  const uploadHead = () =>
    `POST /scim/v2/Users HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\n` +
    'Content-Type: application/scim+json\r\nContent-Length: 100000\r\n\r\n{"userName":"';

  it('closes a stalled upload with a SCIM 408 once the request timeout has passed', async () => {
    const started = Date.now();
    const { closed } = rawRequest(t.url, uploadHead(), 15_000);
    const answer = await closed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer).toMatch(/content-type: application\/scim\+json/i);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '408' });
  });

  it('closes a connection whose headers never end', async () => {
    const { closed } = rawRequest(t.url, `GET /scim/v2/Users HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\n`, 15_000);
    await expect(closed).resolves.toEqual(expect.any(String));
  });

  it('closes a connection that sends nothing', async () => {
    const { closed } = rawRequest(t.url, '', 15_000);
    await expect(closed).resolves.toMatch(/^(HTTP\/1\.1 408 |$)/);
  });

  it('closes every one of many stalled uploads', async () => {
    const uploads = Array.from({ length: 20 }, () => rawRequest(t.url, uploadHead(), 20_000));
    await Promise.all(uploads.map((u) => u.closed));
  });

  it.each([
    ['/scim/v2/Users', 'application/scim+json'],
    ['/admin/v1/tenants', 'application/json'],
    ['/oauth/token', 'application/x-www-form-urlencoded'],
  ])('logs an upload to %s the client abandons once, at debug level, without a stack trace', async (path, type) => {
    const before = logger.entries.length;
    const head = `POST ${path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\nContent-Type: ${type}\r\nContent-Length: 100000\r\n\r\n{"userName":"`;
    const { socket, closed } = rawRequest(t.url, head, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    socket.destroy();
    await closed;
    await eventually(() => logger.entries.slice(before).some((l) => /abort/i.test(l.message)), 3000);
    const lines = logger.entries.slice(before);
    expect(lines.filter((l) => l.level === 'error' || l.level === 'warn' || l.level === 'fatal'), JSON.stringify(lines)).toEqual([]);
    const aborted = lines.filter((l) => /abort/i.test(l.message));
    expect(aborted, JSON.stringify(lines)).toHaveLength(1);
    expect(['debug', 'verbose']).toContain(aborted[0]!.level);
    expect(aborted[0]!.message).not.toMatch(/\n\s+at /);
  });
});
