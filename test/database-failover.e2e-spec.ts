import { connect, createServer, type Socket } from 'node:net';
import { inject } from 'vitest';
import { bootApp, createTestDatabase, type TestApp } from './support/test-app.js';
import { entraUser, scimClient } from './support/scim-client.js';

/** A TCP proxy to the test server: a host of the "cluster" that the test can make fail. */
function proxyTo(host: string, port: number): Promise<{ port: number; fail: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(port, host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as { port: number }).port,
        fail: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      }),
    ),
  );
}

describe.skipIf(!inject('mysqlUrl'))('DATABASE_URL naming several hosts of one cluster (MySQL)', () => {
  let database: { url: string; drop: () => Promise<void> };
  let t: TestApp | undefined;

  beforeAll(async () => {
    database = await createTestDatabase('mysql');
  });
  afterAll(async () => {
    await t?.close();
    await database.drop();
  });

  it('moves to the next host when the one it works on fails, without a restart', async () => {
    const server = new URL(database.url);
    const direct = `${server.hostname}:${server.port || 3306}`;
    const proxy = await proxyTo(server.hostname, Number(server.port || 3306));
    t = await bootApp(database.url.replace(server.host, `127.0.0.1:${proxy.port},${direct}`));
    const { token } = await t.tenant();
    const scim = scimClient(t.scimUrl, token);
    expect((await scim.post('/Users', entraUser('before@contoso.com'))).status).toBe(201);
    await proxy.fail();
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await scim.post('/Users', entraUser(`after-${i}@contoso.com`))).status);
    // At most the first request after the failure meets a lost connection (503); the rest are served.
    expect(statuses.filter((s) => s !== 201).length).toBeLessThanOrEqual(1);
    expect(statuses.filter((s) => s !== 201 && s !== 503)).toEqual([]);
    expect(statuses.at(-1)).toBe(201);
    expect((await scim.filter('Users', 'userName eq "after-9@contoso.com"')).body.totalResults).toBe(1);
  });

  it('refuses a host that is not host[:port]', async () => {
    const { dataSourceOptions } = await import('@app/database');
    expect(() => dataSourceOptions('mysql://root@a:1,b:x/db', [])).toThrow(/not host\[:port\]/);
    const options = dataSourceOptions('mysql://u:p@a:3307,b/db', []) as { url: string; driver?: unknown };
    expect(options.url).toBe('mysql://u:p@a:3307/db');
    expect(options.driver).toBeDefined();
    expect((dataSourceOptions('mysql://u:p@a:3307/db', []) as { driver?: unknown }).driver).toBeUndefined();
  });
});
