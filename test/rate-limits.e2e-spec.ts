import { createConnection } from 'net';
import request from 'supertest';
import { inject } from 'vitest';
import { bootApp, createTestDatabase, dialects, startApp, type TestApp } from './support/test-app.js';
import { adminClient, supportAccount } from './support/admin.js';
import { entraUser, scimClient } from './support/scim-client.js';

const REDIS = { host: '127.0.0.1', port: 6379 };

/** Whether Redis answers on loopback (the optional shared store of rate-limit counters). */
async function redisReachable(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(REDIS);
    socket.setTimeout(1000);
    socket.once('connect', () => socket.end(() => resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** Sends `n` requests at once and counts the statuses. */
async function burst(n: number, send: (i: number) => Promise<request.Response>): Promise<{ counts: Map<number, number>; responses: request.Response[] }> {
  const responses = await Promise.all(Array.from({ length: n }, (_, i) => send(i)));
  const counts = new Map<number, number>();
  for (const r of responses) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  return { counts, responses };
}

describe.each(dialects())('rate limits on %s', (dialect) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp(dialect, {
      SCIM_RATE_LIMIT_PER_SECOND: '5',
      SCIM_RATE_LIMIT_BURST: '10',
      OAUTH_TOKEN_RATE_LIMIT_PER_MINUTE: '6',
      ADMIN_AUTH_MAX_FAILURES: '5',
    });
  });
  afterAll(() => t?.close());

  it('a tenant sending faster than its limit gets SCIM 429s with Retry-After; another tenant is served', async () => {
    const flooding = await t.tenant();
    const quiet = await t.tenant();
    const scim = scimClient(t.scimUrl, flooding.token);
    const { counts, responses } = await burst(40, () => scim.filter('Users', 'userName eq "x"'));
    // The bucket holds 10 requests: 40 at once get at least 30 refusals, and never more than 40 - 10.
    expect(counts.get(200)).toBeGreaterThanOrEqual(10);
    expect(counts.get(200)).toBeLessThanOrEqual(12);
    expect(counts.get(429)).toBe(40 - counts.get(200)!);
    const refused = responses.find((r) => r.status === 429)!;
    expect(refused.headers['content-type']).toMatch(/^application\/scim\+json/);
    expect(refused.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '429' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // A known token is refused at the door, before its body is read: a flood costs little.
    // (The bucket refills at 5 a second: of ten at once, one or two may get through to the parser.)
    const early = await burst(10, () =>
      request(t.scimUrl).post('/Users').set('Authorization', `Bearer ${flooding.token}`).set('Content-Type', 'application/scim+json').send('{not json'),
    );
    expect(early.counts.get(429)).toBeGreaterThanOrEqual(8);
    // The other tenant has its own bucket.
    const other = await burst(8, () => scimClient(t.scimUrl, quiet.token).filter('Users', 'userName eq "x"'));
    expect(other.counts.get(200)).toBe(8);
    // Refused requests write nothing.
    const created = await burst(30, (i) => scim.post('/Users', entraUser(`flood-${i}@contoso.test`)));
    const acknowledged = created.counts.get(201) ?? 0;
    expect(created.counts.get(429)).toBe(30 - acknowledged);
    await new Promise((r) => setTimeout(r, 2500));
    const listed = await scim.filter('Users', 'userName sw "flood-"');
    expect(listed.status).toBe(200);
    expect(listed.body.totalResults).toBe(acknowledged);
  });

  it("support sets a tenant's own limit, shown with the default, and the door applies it", async () => {
    const tenant = await t.tenant();
    const operator = adminClient(t.url, (await supportAccount(t, 'operator')).token);
    const viewer = adminClient(t.url, (await supportAccount(t, 'viewer')).token);
    const path = `/tenants/${tenant.id}/rate-limit`;
    expect((await viewer.get(path)).body).toEqual({ scimRequestsPerSecond: null, effectiveScimRequestsPerSecond: 5 });
    expect((await viewer.request('PUT', path, { scimRequestsPerSecond: 50 })).status).toBe(403);
    expect((await operator.request('PUT', path, { scimRequestsPerSecond: 0 })).status).toBe(400);
    expect((await operator.request('PUT', path, {})).status).toBe(400);
    const set = await operator.request('PUT', path, { scimRequestsPerSecond: 50 });
    expect(set.status).toBe(200);
    expect(set.body).toEqual({ scimRequestsPerSecond: 50, effectiveScimRequestsPerSecond: 50 });
    const scim = scimClient(t.scimUrl, tenant.token);
    const { counts } = await burst(40, () => scim.filter('Users', 'userName eq "x"'));
    expect(counts.get(200)).toBe(40);
    const events = await viewer.get(`/tenants/${tenant.id}/events?operation=tenant.rate-limit`);
    expect(events.body.items).toHaveLength(1);
    expect((await operator.request('PUT', path, { scimRequestsPerSecond: null })).body.effectiveScimRequestsPerSecond).toBe(5);
  });

  it('token requests are limited per client with an OAuth error, 429 and Retry-After', async () => {
    const tenant = await t.tenant();
    const client = await t.client(tenant.id);
    const other = await t.client(tenant.id);
    const basic = (c: { clientId: string; clientSecret: string }) =>
      `Basic ${Buffer.from(`${encodeURIComponent(c.clientId)}:${encodeURIComponent(c.clientSecret)}`).toString('base64')}`;
    const token = (c: { clientId: string; clientSecret: string }) =>
      request(t.url).post('/oauth/token').set('Authorization', basic(c)).type('form').send({ grant_type: 'client_credentials' });
    const { counts, responses } = await burst(12, () => token(client));
    // Six a minute: the bucket holds six (a seventh may have refilled on a slow machine).
    expect([...counts.keys()].sort(), JSON.stringify([...counts])).toEqual([200, 429]);
    expect(counts.get(200)).toBeGreaterThanOrEqual(6);
    expect(counts.get(200)).toBeLessThanOrEqual(7);
    const refused = responses.find((r) => r.status === 429)!;
    expect(refused.body.error).toBe('temporarily_unavailable');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused.headers['cache-control']).toBe('no-store');
    expect((await token(other)).status).toBe(200);
  });

  it('failed admin authentications from one address are limited, in parallel too', async () => {
    const { counts } = await burst(12, (i) => adminClient(t.url, `atea_pat_wrong${i}`).get('/tenants'));
    // Five failures are allowed; the rest are refused before any token check, though all came at once.
    expect(counts.get(401)).toBe(5);
    expect(counts.get(429)).toBe(7);
    const after = await adminClient(t.url, (await supportAccount(t, 'viewer')).token).get('/tenants');
    expect(after.status).toBe(429);
    expect(after.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
    expect(Number(after.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });
});

/** Two instances on one database share their counters through Redis: the limit holds for the pair. */
describe('rate limits shared across instances through Redis', () => {
  let a: TestApp;
  let b: TestApp;
  let drop: () => Promise<void>;
  let available = false;

  beforeAll(async () => {
    available = Boolean(inject('mysqlUrl')) && (await redisReachable());
    if (!available) {
      if (process.env.CI === 'true') throw new Error('Redis at 127.0.0.1:6379 and MariaDB are required under CI=true');
      return;
    }
    const database = await createTestDatabase('mysql');
    drop = database.drop;
    const env = { REDIS_URL: `redis://${REDIS.host}:${REDIS.port}/0`, SCIM_RATE_LIMIT_PER_SECOND: '5', SCIM_RATE_LIMIT_BURST: '10' };
    a = await bootApp(database.url, { ...env, DATABASE_MIGRATE_ON_START: 'true' });
    b = await bootApp(database.url, env);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await drop?.();
  });

  it('a tenant sending to two instances at once gets the limit of one', async (ctx) => {
    if (!available) ctx.skip();
    const tenant = await a.tenant();
    const { counts } = await burst(40, (i) => scimClient((i % 2 ? a : b).scimUrl, tenant.token).filter('Users', 'userName eq "x"'));
    expect(counts.get(200)).toBeGreaterThanOrEqual(10);
    expect(counts.get(200)).toBeLessThanOrEqual(12);
    expect(counts.get(429)).toBe(40 - counts.get(200)!);
  });
});

/**
 * A tenant has a line of its own in each instance (SCIM_CONCURRENCY_PER_TENANT at once, the rest in
 * turn): a tenant whose requests are stuck on the database, or that sends its whole quota at once,
 * holds up its own line and nobody else's. A row lock held from outside keeps a request stuck.
 */
describe('one line per tenant (MariaDB)', () => {
  let t: TestApp;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    if (!inject('mysqlUrl')) return;
    const database = await createTestDatabase('mysql');
    drop = database.drop;
    t = await bootApp(database.url, { SCIM_CONCURRENCY_PER_TENANT: '1', DATABASE_MIGRATE_ON_START: 'true' });
  });
  afterAll(async () => {
    await t?.close();
    await drop?.();
  });

  it("a stuck request holds only its own tenant's line: the others are served at once, the tenant's next ones in turn, and a line of more than 256 gets 429", async (ctx) => {
    if (!t) ctx.skip();
    const busy = await t.tenant();
    const other = await t.tenant();
    const scim = scimClient(t.scimUrl, busy.token);
    const user = await scim.post('/Users', entraUser('stuck@contoso.test'));
    expect(user.status).toBe(201);
    const { createConnection: connect } = await import('mysql2/promise');
    const lock = await connect({ uri: t.databaseUrl });
    let releasedAt = Infinity;
    try {
      await lock.query('START TRANSACTION');
      await lock.query('SELECT id FROM scim_users WHERE id = ? FOR UPDATE', [user.body.id]);
      const answeredAt = new Map<string, number>();
      const timed = (name: string, r: Promise<request.Response>) =>
        r.then((res) => {
          answeredAt.set(name, Date.now());
          return res;
        });
      const stuck = timed('patch', scim.patch(`/Users/${user.body.id}`, [{ op: 'replace', path: 'active', value: false }]));
      await new Promise((r) => setTimeout(r, 300));
      const waiting = Array.from({ length: 257 }, (_, i) => timed(`lookup ${i}`, scim.filter('Users', `userName eq "waiting-${i}@contoso.test"`)));
      // The 257th does not fit in the line: refused at once, while the others wait.
      const refused = await Promise.race(waiting.map((r) => r.then((res) => (res.status === 429 ? res : new Promise<never>(() => undefined)))));
      expect(refused.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '429' });
      expect(refused.headers['retry-after']).toBe('1');
      // Another tenant is served while the busy tenant's line is stuck.
      const otherAnswer = await scimClient(t.scimUrl, other.token).filter('Users', 'userName eq "x"');
      expect(otherAnswer.status).toBe(200);
      await new Promise((r) => setTimeout(r, 500));
      expect([...answeredAt.keys()].filter((name) => name.startsWith('lookup'))).toHaveLength(1);
      expect(answeredAt.has('patch')).toBe(false);
      await lock.query('ROLLBACK');
      releasedAt = Date.now();
      expect((await stuck).status).toBe(200);
      const answers = await Promise.all(waiting);
      expect(answers.filter((r) => r.status === 200)).toHaveLength(256);
      // Every request that waited was answered after the stuck one went on.
      for (const [name, at] of answeredAt) if (name !== 'patch' && answers[Number(name.split(' ')[1])].status === 200) expect(at).toBeGreaterThanOrEqual(releasedAt);
    } finally {
      if (releasedAt === Infinity) await lock.query('ROLLBACK').catch(() => undefined);
      await lock.end();
    }
  });
});
