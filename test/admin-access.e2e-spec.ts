import { randomUUID } from 'node:crypto';
import { Database } from '@app/database';
import { SupportTokenEntity } from '@app/identity';
import { dialects, startApp, type TestApp } from './support/test-app.js';
import { adminClient, authorizedTokens, supportAccount } from './support/admin.js';

type Role = 'viewer' | 'operator' | 'admin';
const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/**
 * Every admin route with the weakest role allowed to call it. Ids are random, so an allowed caller
 * gets 404 (or 400 for an empty body) and nothing changes.
 */
function routes(): [method: string, path: string, role: Role, body?: unknown][] {
  const t = `/tenants/${randomUUID()}`;
  const id = randomUUID();
  return [
    ['GET', '/me', 'viewer'],
    ['GET', '/me/tokens', 'viewer'],
    ['POST', '/me/tokens', 'viewer', {}],
    ['DELETE', `/me/tokens/${id}`, 'viewer'],
    ['GET', '/support-accounts', 'admin'],
    ['POST', '/support-accounts', 'admin', {}],
    ['PATCH', `/support-accounts/${id}`, 'admin', {}],
    ['GET', `/support-accounts/${id}/tokens`, 'admin'],
    ['POST', `/support-accounts/${id}/tokens`, 'admin', { name: 'x' }],
    ['DELETE', `/support-accounts/${id}/tokens/${id}`, 'admin'],
    ['GET', '/tenants', 'viewer'],
    ['POST', '/tenants', 'operator', {}],
    ['GET', t, 'viewer'],
    ['PATCH', t, 'operator', { name: 'x' }],
    ['POST', `${t}/suspend`, 'operator'],
    ['POST', `${t}/resume`, 'operator'],
    ['DELETE', `${t}?confirm=x`, 'operator'],
    ['GET', `${t}/health`, 'viewer'],
    ['GET', `${t}/admins`, 'viewer'],
    ['POST', `${t}/admins`, 'operator', { email: 'a@b.test' }],
    ['POST', `${t}/admins/${id}/disable`, 'operator'],
    ['POST', `${t}/admins/${id}/enable`, 'operator'],
    ['POST', `${t}/admins/${id}/unlock`, 'operator'],
    ['POST', `${t}/admins/${id}/reset-password`, 'operator'],
    ['GET', `${t}/clients`, 'viewer'],
    ['POST', `${t}/clients`, 'operator', {}],
    ['POST', `${t}/clients/${id}/secrets`, 'operator', {}],
    ['DELETE', `${t}/clients/${id}/secrets/${id}`, 'operator'],
    ['DELETE', `${t}/clients/${id}`, 'operator'],
    ['GET', `${t}/grants`, 'viewer'],
    ['DELETE', `${t}/grants/abc`, 'operator'],
    ['GET', `${t}/scim-tokens`, 'viewer'],
    ['POST', `${t}/scim-tokens`, 'operator', {}],
    ['DELETE', `${t}/scim-tokens/${id}`, 'operator'],
    ['GET', `${t}/users`, 'viewer'],
    ['GET', `${t}/users/${id}`, 'viewer'],
    ['POST', `${t}/users/${id}/deactivate`, 'operator'],
    ['GET', `${t}/groups`, 'viewer'],
    ['GET', `${t}/groups/${id}`, 'viewer'],
    ['GET', `${t}/events`, 'viewer'],
    ['GET', `${t}/events/stream`, 'viewer'],
    ['POST', `${t}/users/${id}/reactivate`, 'operator'],
    ['GET', '/users?q=x', 'viewer'],
  ];
}

describe.each(dialects())('admin API access on %s', (dialect) => {
  let t: TestApp;
  const tokens = {} as Record<Role, string> & { scim: string; tenantAdmin: string };

  beforeAll(async () => {
    t = await startApp(dialect);
    for (const role of ['viewer', 'operator', 'admin'] as const) tokens[role] = (await supportAccount(t, role)).token;
    const tenant = await t.tenant();
    tokens.scim = tenant.token;
    tokens.tenantAdmin = (await authorizedTokens(t, tenant.id)).accessToken;
  });
  afterAll(() => t?.close());

  it('the role matrix: no token, SCIM token and tenant admin get 401; a role below the route gets 403', async () => {
    const table = routes();
    expect(table).toHaveLength(43);
    const failures: string[] = [];
    for (const [method, path, role, body] of table) {
      for (const caller of [undefined, 'scim', 'tenantAdmin', 'viewer', 'operator', 'admin'] as const) {
        const res = await adminClient(t.url, caller && tokens[caller]).request(method, path, body);
        const expected = caller === undefined || caller === 'scim' || caller === 'tenantAdmin' ? 401 : RANK[caller] < RANK[role] ? 403 : 'allowed';
        const ok = expected === 'allowed' ? ![401, 403].includes(res.status) && res.status < 500 : res.status === expected;
        if (!ok) failures.push(`${method} ${path} as ${caller ?? 'nobody'}: ${res.status}, expected ${expected}`);
        if (res.status === 401) expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="admin"/);
        if (res.status === 401 || res.status === 403) expect(res.body).toMatchObject({ statusCode: res.status, message: expect.any(String) });
      }
    }
    expect(failures).toEqual([]);
  });

  it('every admin route is in the OpenAPI document with request and response schemas', async () => {
    const res = await fetch(`${t.url}/admin/docs-json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { paths: Record<string, Record<string, any>>; components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> } };
    expect(doc.components.securitySchemes['support-token']).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(Object.keys(doc.paths).every((p) => p.startsWith('/admin/v1/'))).toBe(true);
    for (const [method, path, , body] of routes()) {
      const template = `/admin/v1${path.split('?')[0]}`.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '{id}').replace(/\/grants\/abc$/, '/grants/{id}');
      const documented = Object.keys(doc.paths).find((p) => p.replace(/\{[^}]+\}/g, '{id}') === template);
      expect(documented, `${method} ${template}`).toBeDefined();
      const operation = doc.paths[documented!][method.toLowerCase()];
      expect(operation, `${method} ${documented}`).toBeDefined();
      expect(operation.security).toEqual([{ 'support-token': [] }]);
      const success = Object.entries(operation.responses as Record<string, any>).find(([code]) => code.startsWith('2'));
      expect(success, `${method} ${documented} success response`).toBeDefined();
      // A live stream answers text/event-stream only; every other route answers JSON.
      const type = template.endsWith('/events/stream') ? 'text/event-stream' : 'application/json';
      if (success![0] !== '204') expect(success![1].content[type].schema, `${method} ${documented}`).toBeDefined();
      for (const code of ['400', '401', '403']) expect(operation.responses[code].content['application/json'].schema).toBeDefined();
      if (body !== undefined) expect(operation.requestBody?.content['application/json'].schema, `${method} ${documented} request`).toBeDefined();
    }
    const page = doc.components.schemas.TenantPageDto as { properties: Record<string, unknown> };
    expect(Object.keys(page.properties)).toEqual(['items', 'total', 'page', 'limit']);
    expect((doc.components.schemas.CreateTenantDto as { required: string[] }).required).toEqual(['slug', 'name']);
    expect((await fetch(`${t.url}/admin/docs`)).status).toBe(200);
    // The SCIM and OAuth doors are not part of the admin document.
    expect(Object.keys(doc.paths).some((p) => /scim\/v2|oauth|interaction/.test(p))).toBe(false);
  });

  it('personal access tokens: hashed, revocable, expiring, last use recorded; a disabled account is locked out', async () => {
    const viewer = await supportAccount(t, 'viewer');
    const me = adminClient(t.url, viewer.token);
    const who = await me.get('/me');
    expect(who.status).toBe(200);
    expect(who.body).toMatchObject({ id: viewer.id, email: viewer.email, role: 'viewer', tokenId: expect.any(String) });

    const created = await me.post('/me/tokens', { name: 'script', expiresInDays: 7 });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^atea_pat_[A-Za-z0-9_-]{43}$/);
    const second = adminClient(t.url, created.body.token);
    expect((await second.get('/me')).status).toBe(200);

    const rows = await t.app.get(Database).read((m) => m.find(SupportTokenEntity, { where: { accountId: viewer.id } }));
    expect(rows).toHaveLength(2);
    expect(JSON.stringify(rows)).not.toContain(created.body.token);
    expect(JSON.stringify(rows)).not.toContain(viewer.token);

    const listed = await me.get('/me/tokens');
    expect(listed.body.total).toBe(2);
    const script = listed.body.items.find((i: { id: string }) => i.id === created.body.id);
    expect(script).toMatchObject({ name: 'script', prefix: created.body.token.slice(0, 14), revokedAt: null, lastUsedAt: expect.any(String) });
    expect(JSON.stringify(listed.body)).not.toContain(created.body.token);

    expect((await me.delete(`/me/tokens/${created.body.id}`)).status).toBe(204);
    expect((await second.get('/me')).status).toBe(401);
    expect((await me.delete(`/me/tokens/${randomUUID()}`)).status).toBe(404);

    await t.app.get(Database).transaction((m) => m.update(SupportTokenEntity, { accountId: viewer.id }, { expiresAt: new Date(Date.now() - 1000) }));
    expect((await me.get('/me')).status).toBe(401);
    await t.app.get(Database).transaction((m) => m.update(SupportTokenEntity, { accountId: viewer.id }, { expiresAt: new Date(Date.now() + 60_000) }));
    expect((await me.get('/me')).status).toBe(200);

    const admin = adminClient(t.url, tokens.admin);
    expect((await admin.patch(`/support-accounts/${viewer.id}`, { disabled: true })).body).toMatchObject({ disabled: true });
    expect((await me.get('/me')).status).toBe(401);
    expect((await adminClient(t.url, 'atea_pat_' + 'x'.repeat(43)).get('/me')).status).toBe(401);
  });

  it('CLI support:create prints {id, token}; the token works with its role', async () => {
    const { COMMANDS, UsageError } = await import('../apps/cli/src/commands.js');
    const printed = (await COMMANDS['support:create'].run(t.app, { email: `cli-${randomUUID()}@atea.test`, role: 'operator' })) as Record<string, string>;
    expect(Object.keys(printed).sort()).toEqual(['id', 'token']);
    expect(printed.token).toMatch(/^atea_pat_/);
    const me = await adminClient(t.url, printed.token).get('/me');
    expect(me.body).toMatchObject({ id: printed.id, role: 'operator' });
    await expect(COMMANDS['support:create'].run(t.app, { email: 'x@atea.test', role: 'root' })).rejects.toThrow(UsageError);
    await expect(COMMANDS['support:create'].run(t.app, { role: 'viewer' })).rejects.toThrow(/--email is required/);
  });

  it('admins manage support accounts and their tokens; validation errors name the field', async () => {
    const admin = adminClient(t.url, tokens.admin);
    const email = `new-${randomUUID()}@atea.test`;
    const created = await admin.post('/support-accounts', { email, role: 'operator' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ email, role: 'operator', disabled: false, token: { token: expect.stringMatching(/^atea_pat_/) } });
    const operator = adminClient(t.url, created.body.token.token);
    expect((await operator.get('/me')).body.role).toBe('operator');
    expect((await operator.get('/support-accounts')).status).toBe(403);

    expect((await admin.post('/support-accounts', { email: email.toUpperCase(), role: 'viewer' })).status).toBe(409);
    const invalid = await admin.post('/support-accounts', { email: 'not-an-email', role: 'root', extra: 1 });
    expect(invalid.status).toBe(400);
    expect(invalid.body.message).toEqual(
      expect.arrayContaining(['property extra should not exist', 'email must be an email', expect.stringMatching(/^role must be one of/)]),
    );

    const promoted = await admin.patch(`/support-accounts/${created.body.id}`, { role: 'admin' });
    expect(promoted.body.role).toBe('admin');
    expect((await operator.get('/support-accounts')).status).toBe(200);

    const issued = await admin.post(`/support-accounts/${created.body.id}/tokens`, { name: 'ci', expiresInDays: 400 });
    expect(issued.status).toBe(400);
    expect(issued.body.message).toEqual(['expiresInDays must not be greater than 365']);
    const ci = await admin.post(`/support-accounts/${created.body.id}/tokens`, { name: 'ci' });
    expect(ci.status).toBe(201);
    const list = await admin.get(`/support-accounts/${created.body.id}/tokens`);
    expect(list.body.items.map((i: { name: string }) => i.name).sort()).toEqual(['ci', 'first token']);
    expect((await admin.delete(`/support-accounts/${created.body.id}/tokens/${ci.body.id}`)).status).toBe(204);
    expect((await adminClient(t.url, ci.body.token).get('/me')).status).toBe(401);

    const page = await admin.get('/support-accounts?limit=2&page=1');
    expect(page.body.items).toHaveLength(2);
    expect(page.body.total).toBeGreaterThanOrEqual(5);
    expect((await admin.get(`/support-accounts/${randomUUID()}/tokens`)).status).toBe(404);
    expect((await admin.patch('/support-accounts/not-a-uuid', { role: 'viewer' })).body).toMatchObject({ statusCode: 400, message: ['accountId must be a UUID'] });
    const self = (await admin.get('/me')).body.id;
    expect((await admin.patch(`/support-accounts/${self}`, { disabled: true })).status).toBe(400);
  });
});
