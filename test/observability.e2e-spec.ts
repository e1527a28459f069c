import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import request from 'supertest';
import { loadConfig } from '@app/config';
import { closeMetrics, serveMetrics } from '../apps/api/src/observability/metrics-server.js';
import { Metrics } from '../apps/api/src/observability/metrics.js';
import { adminClient, supportAccount } from './support/admin.js';
import { startAuthorization, submitLogin, tokenRequest } from './support/oauth.js';
import { entraUser, scimClient } from './support/scim-client.js';
import { startApp, type TestApp } from './support/test-app.js';

type Line = Record<string, unknown>;

/** The app's pino output, line by line. */
class LogCapture extends Writable {
  readonly raw: string[] = [];
  _write(chunk: Buffer, _encoding: string, callback: () => void): void {
    this.raw.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    callback();
  }
  lines(): Line[] {
    return this.raw.map((line) => JSON.parse(line) as Line);
  }
  access(): Line[] {
    return this.lines().filter((l) => typeof l.route === 'string' && typeof l.status === 'number');
  }
}

describe('logs', () => {
  const capture = new LogCapture();
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp('sqlite', { LOG_LEVEL: 'verbose' }, { logStream: capture });
  });
  afterAll(() => t?.close());

  it('are JSON lines with request id, tenant, route, status and duration, and never hold a secret', async () => {
    const tenant = await t.tenant();
    const admin = await t.admin(tenant.id);
    const client = await t.client(tenant.id);
    const support = await supportAccount(t, 'admin');
    const userPassword = `Pw-${randomUUID()}`;
    const wrongPassword = `wrong-${randomUUID()}`;
    const cookieValue = `cookie-${randomUUID()}`;
    const secrets = [tenant.token, admin.password, client.clientSecret, support.token, userPassword, wrongPassword, cookieValue];

    // SCIM with the tenant's SCIM token: create (with a password, as Entra may send), read, change.
    const scim = scimClient(t.scimUrl, tenant.token);
    const requestId = `entra-${randomUUID()}`;
    const created = await scim.post('/Users', entraUser(`logs-${randomUUID()}@contoso.com`, { password: userPassword })).set('X-Request-Id', requestId);
    expect(created.status).toBe(201);
    expect(created.headers['x-request-id']).toBe(requestId);
    await scim.get(`/Users/${created.body.id}`).set('Cookie', `session=${cookieValue}`).expect(200);
    await scim.patch(`/Users/${created.body.id}`, [{ op: 'replace', path: 'active', value: false }]).expect(200);
    // A token in the query string is never written.
    await request(t.scimUrl).get(`/Users?access_token=${tenant.token}&filter=${encodeURIComponent(`userName eq "${userPassword}"`)}`);

    // OAuth client credentials, then SCIM with the access token.
    const issued = await tokenRequest(t, { grant_type: 'client_credentials' }, { ...client, method: 'post' });
    expect(issued.status).toBe(200);
    secrets.push(issued.body.access_token);
    await scimClient(t.scimUrl, issued.body.access_token).get('/Users').expect(200);

    // The admin API with a support token: a read, a write that answers a new secret, a refused token.
    const adminApi = adminClient(t.url, support.token);
    await adminApi.get(`/tenants/${tenant.id}/users`).expect(200);
    const newScimToken = await adminApi.post(`/tenants/${tenant.id}/scim-tokens`, { description: 'logs' }).expect(201);
    secrets.push(newScimToken.body.token);
    await adminClient(t.url, `atea_pat_${randomUUID()}`).get('/tenants').expect(401);

    // A failed sign-in on the Authorize dialog (its cookies are secrets too).
    const { browser, uid } = await startAuthorization(t, { clientId: client.clientId });
    expect((await submitLogin(browser, uid, admin.email, wrongPassword)).status).toBe(401);
    secrets.push(...[...browser.cookies.values()].filter((v) => v.length >= 16));

    await new Promise((resolve) => setImmediate(resolve));
    const lines = capture.lines();
    expect(lines.length).toBeGreaterThan(10);
    for (const line of lines) {
      expect(typeof line.time, JSON.stringify(line)).toBe('string');
      expect(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).toContain(line.level);
      expect(typeof line.msg, JSON.stringify(line)).toBe('string');
    }
    const text = capture.raw.join('\n');
    for (const secret of secrets) expect(text, 'a secret was logged').not.toContain(secret);

    const access = capture.access();
    for (const line of access) {
      expect(typeof line.reqId).toBe('string');
      expect(typeof line.durationMs).toBe('number');
      expect(line.route).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/); // patterns, never ids
    }
    const create = access.find((l) => l.reqId === requestId);
    expect(create).toMatchObject({ method: 'POST', route: '/scim/v2/Users', status: 201, tenantId: tenant.id });
    expect(access.find((l) => l.route === '/scim/v2/Users/:id' && l.method === 'GET')).toMatchObject({ status: 200, tenantId: tenant.id });
    expect(access.find((l) => l.route === '/oauth/token')).toMatchObject({ method: 'POST', status: 200 });
    expect(access.find((l) => l.route === '/admin/v1/tenants/:tenantId/users')).toMatchObject({ status: 200, tenantId: tenant.id, accountId: support.id });
    expect(access.find((l) => l.route === '/admin/v1/tenants')).toMatchObject({ status: 401 });
    const login = access.find((l) => l.route === '/interaction/:uid/login');
    expect(login).toMatchObject({ method: 'POST', status: 401 });

    // Nest's Logger writes pino lines too, with the id of the request they were written for.
    const refused = lines.find((l) => l.context === 'Interaction' && String(l.msg).startsWith('sign-in refused'));
    expect(refused).toMatchObject({ reqId: login!.reqId });
  });

  it('keep a sane X-Request-Id and replace any other', async () => {
    const kept = await request(t.url).get('/health/live').set('X-Request-Id', 'abc-123.4:5');
    expect(kept.headers['x-request-id']).toBe('abc-123.4:5');
    const replaced = await request(t.url).get('/health/live').set('X-Request-Id', 'two words');
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const tooLong = await request(t.url).get('/health/live').set('X-Request-Id', 'x'.repeat(200));
    expect(tooLong.headers['x-request-id']).not.toBe('x'.repeat(200));
    // Every door: the OAuth mount and Fastify's own 404 too.
    expect((await request(t.url).get('/oauth/.well-known/openid-configuration')).headers['x-request-id']).toBeTruthy();
    expect((await request(t.url).get('/no-such-route')).headers['x-request-id']).toBeTruthy();
  });
});

describe('metrics', () => {
  const token = `metrics-${randomUUID()}`;
  let t: TestApp;
  let server: Server | undefined;
  let metricsUrl: string;

  beforeAll(async () => {
    t = await startApp('sqlite');
    server = await serveMetrics(loadConfig({ METRICS_PORT: '0', METRICS_TOKEN: token }));
    metricsUrl = `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await closeMetrics(server);
    await t?.close();
  });

  const scrape = () => request(metricsUrl).get('/metrics').set('Authorization', `Bearer ${token}`);
  const value = (text: string, series: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line ? Number(line.slice(series.length + 1)) : 0;
  };

  it('are served apart from the API, on loopback, behind the token', async () => {
    expect(server!.address()).toMatchObject({ address: '127.0.0.1' });
    await request(metricsUrl).get('/metrics').expect(401);
    await request(metricsUrl).get('/metrics').set('Authorization', 'Bearer wrong-token-of-some-length').expect(401);
    const res = await scrape().expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    // Not on the API's port.
    await request(t.url).get('/metrics').expect(404);
  });

  it('count requests by route pattern and status, with latency histograms, SCIM operations by tenant and event-loop lag', async () => {
    const tenant = await t.tenant();
    const scim = scimClient(t.scimUrl, tenant.token);
    const series = `http_requests_total{method="POST",route="/scim/v2/Users",status="201"}`;
    const createOps = `scim_operations_total{tenant="${tenant.id}",resource="Users",operation="create"}`;
    const before = await scrape();
    const created = await scim.post('/Users', entraUser(`metrics-${randomUUID()}@contoso.com`)).expect(201);
    await scim.get(`/Users/${randomUUID()}`).expect(404);
    await scim.patch(`/Users/${created.body.id}`, [{ op: 'replace', path: 'active', value: false }]).expect(200);
    const after = (await scrape()).text;

    expect(value(after, series)).toBe(value(before.text, series) + 1);
    expect(value(after, createOps)).toBe(value(before.text, createOps) + 1);
    expect(value(after, `scim_operations_total{tenant="${tenant.id}",resource="Users",operation="patch"}`)).toBe(1);
    expect(value(after, `scim_operation_failures_total{tenant="${tenant.id}",resource="Users",operation="get",status="404"}`)).toBe(1);
    expect(after).toContain('http_request_duration_seconds_bucket{le="0.005",method="POST",route="/scim/v2/Users"}');
    expect(value(after, `http_request_duration_seconds_count{method="POST",route="/scim/v2/Users"}`)).toBeGreaterThanOrEqual(1);
    expect(after).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    expect(after).toMatch(/^nodejs_eventloop_lag_p99_seconds \d/m);
    // No raw ids in route labels.
    expect(after).not.toContain(`route="/scim/v2/Users/${created.body.id}"`);
  });

  it('count rate-limit rejections reported by the limiters', async () => {
    const tenant = await t.tenant();
    const series = `rate_limit_rejections_total{door="scim",tenant="${tenant.id}"}`;
    t.app.get(Metrics).rateLimited('scim', tenant.id);
    t.app.get(Metrics).rateLimited('scim', tenant.id);
    expect(value((await scrape()).text, series)).toBe(2);
  });
});

describe('security headers', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp('sqlite');
  });
  afterAll(() => t?.close());

  const expectHardened = (headers: Record<string, string>) => {
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['x-frame-options']).toBe('DENY');
    expect(headers['referrer-policy']).toBe('no-referrer');
    expect(headers['strict-transport-security']).toMatch(/max-age=\d+/);
    expect(headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect(headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    // Browsers apply form-action to the redirect chain ending at portal.azure.com: never set.
    expect(headers['content-security-policy']).not.toMatch(/form-action/);
  };

  it('of documents are on the sign-in pages, the OAuth mount and unknown routes, not on the JSON answers of the API', async () => {
    const documentOnly = ['cross-origin-opener-policy', 'origin-agent-cluster', 'x-dns-prefetch-control', 'x-download-options', 'x-permitted-cross-domain-policies'];
    for (const path of ['/oauth/.well-known/openid-configuration', '/nowhere']) {
      const headers = (await request(t.url).get(path)).headers;
      for (const name of documentOnly) expect(headers[name], `${name} on ${path}`).toBeDefined();
      expect(headers['cross-origin-resource-policy']).toBe('same-origin');
    }
    for (const path of ['/scim/v2/Users', '/admin/v1/tenants', '/health/ready']) {
      const headers = (await request(t.url).get(path)).headers;
      for (const name of documentOnly) expect(headers[name], `${name} on ${path}`).toBeUndefined();
      expect(headers['cross-origin-resource-policy']).toBe('same-origin');
    }
  });

  it('are on /scim, /admin/v1, /health, the OAuth mount and unknown routes', async () => {
    const tenant = await t.tenant();
    expectHardened((await scimClient(t.scimUrl, tenant.token).get('/Users').expect(200)).headers);
    expectHardened((await request(t.scimUrl).get('/Users').expect(401)).headers);
    expectHardened((await request(t.url).get('/admin/v1/tenants').expect(401)).headers);
    expectHardened((await request(t.url).get('/health/ready').expect(200)).headers);
    expectHardened((await request(t.url).get('/oauth/.well-known/openid-configuration').expect(200)).headers);
    expectHardened((await request(t.url).get('/nowhere').expect(404)).headers);
  });

  it('let Swagger UI at /admin/docs load its own scripts and styles, and nothing from elsewhere', async () => {
    const page = await request(t.url).get('/admin/docs').expect(200);
    const csp = page.headers['content-security-policy'];
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(csp).toMatch(/script-src 'self'/);
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(csp).toMatch(/style-src 'self' 'unsafe-inline'/);
    expect(csp).not.toMatch(/form-action/);
    // Every script of the page is a file of its own origin, which the policy allows.
    const scripts = [...page.text.matchAll(/<script([^>]*)>/g)].map((m) => m[1]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const attributes of scripts) expect(attributes).toMatch(/src=["']\.\/docs\//);
    await request(t.url).get('/admin/docs/swagger-ui-init.js').expect(200);
  });

  it('leave the login pages their own policy', async () => {
    const tenant = await t.tenant();
    const client = await t.client(tenant.id);
    const { browser, uid } = await startAuthorization(t, { clientId: client.clientId });
    const page = await browser.get(`/interaction/${uid}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'none'; style-src 'sha256-/);
    expect(page.headers.get('content-security-policy')).not.toMatch(/form-action/);
  });
});
