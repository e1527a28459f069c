import { randomUUID } from 'node:crypto';
import { dialects, startApp, type TestApp } from './support/test-app.js';
import { adminClient, supportAccount, type AdminClient } from './support/admin.js';
import { entraUser, scimClient } from './support/scim-client.js';

const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';

describe.each(dialects())('admin API: provisioned users and groups, events, health on %s', (dialect) => {
  let t: TestApp;
  let operator: AdminClient;
  let viewer: AdminClient;
  let operatorId: string;

  beforeAll(async () => {
    t = await startApp(dialect);
    const op = await supportAccount(t, 'operator');
    operatorId = op.id;
    operator = adminClient(t.url, op.token);
    viewer = adminClient(t.url, (await supportAccount(t, 'viewer')).token);
  });
  afterAll(() => t?.close());

  it('lists users with the SCIM filter language, paged with a total, and gets one', async () => {
    const tenant = await t.tenant();
    const scim = scimClient(t.scimUrl, tenant.token);
    const ids: string[] = [];
    for (const name of ['ann', 'bob', 'amy', 'al']) ids.push((await scim.post('/Users', entraUser(`${name}@contoso.com`, { active: name !== 'al' }))).body.id);
    const other = await t.tenant();
    await scimClient(t.scimUrl, other.token).post('/Users', entraUser('anna@contoso.com'));

    const base = `/tenants/${tenant.id}/users`;
    const all = await viewer.get(base);
    expect(all.body).toMatchObject({ total: 4, page: 1, limit: 50 });
    const filtered = await viewer.get(`${base}?filter=${encodeURIComponent('userName sw "a" and active eq true')}`);
    expect(filtered.status).toBe(200);
    expect(filtered.body.total).toBe(2);
    expect(filtered.body.items.map((u: { userName: string }) => u.userName).sort()).toEqual(['amy@contoso.com', 'ann@contoso.com']);
    const byEmail = await viewer.get(`${base}?filter=${encodeURIComponent('emails[type eq "work" and value co "bob"]')}`);
    expect(byEmail.body.items.map((u: { id: string }) => u.id)).toEqual([ids[1]]);

    const page2 = await viewer.get(`${base}?limit=3&page=2`);
    expect(page2.body).toMatchObject({ total: 4, page: 2, limit: 3 });
    expect(page2.body.items).toHaveLength(1);

    const bad = await viewer.get(`${base}?filter=${encodeURIComponent('userName zz "a"')}`);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ statusCode: 400, error: 'Bad Request', message: expect.any(String) });
    expect((await viewer.get(`${base}?filter=${encodeURIComponent('password eq "x"')}`)).status).toBe(400);
    expect((await viewer.get(`${base}?count=5`)).body.message).toEqual(['property count should not exist']);

    const one = await viewer.get(`${base}/${ids[0]}`);
    expect(one.body).toMatchObject({ id: ids[0], userName: 'ann@contoso.com', active: true, schemas: expect.arrayContaining(['urn:ietf:params:scim:schemas:core:2.0:User']) });
    expect((await viewer.get(`${base}/${randomUUID()}`)).status).toBe(404);
    expect((await viewer.get(`${base}/12`)).status).toBe(400);
    // Another tenant's user is not found through this tenant.
    const anna = (await viewer.get(`/tenants/${other.id}/users`)).body.items[0];
    expect((await viewer.get(`${base}/${anna.id}`)).status).toBe(404);
    expect((await viewer.get(`/tenants/${randomUUID()}/users`)).status).toBe(404);
  });

  it('force-deactivates a user through the SCIM write path, recorded as user.deactivate', async () => {
    const tenant = await t.tenant();
    const scim = scimClient(t.scimUrl, tenant.token);
    const user = (await scim.post('/Users', entraUser('leaver@contoso.com'))).body;
    const res = await operator.post(`/tenants/${tenant.id}/users/${user.id}/deactivate`).set('x-request-id', 'ticket-4711');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: user.id, active: false });
    expect(res.body.meta.version).not.toBe(user.meta.version);
    expect((await scim.get(`/Users/${user.id}`)).body.active).toBe(false);
    expect((await operator.post(`/tenants/${tenant.id}/users/${user.id}/deactivate`)).status).toBe(200);
    expect((await operator.post(`/tenants/${tenant.id}/users/${randomUUID()}/deactivate`)).status).toBe(404);
    expect((await viewer.post(`/tenants/${tenant.id}/users/${user.id}/deactivate`)).status).toBe(403);

    const events = await viewer.get(`/tenants/${tenant.id}/events?actorType=support`);
    expect(events.body.total).toBe(1);
    expect(events.body.items[0]).toMatchObject({
      actorType: 'support',
      actorId: operatorId,
      operation: 'user.deactivate',
      resourceType: 'User',
      resourceId: user.id,
      status: 200,
      requestId: 'ticket-4711',
      changedAttributes: ['active'],
    });
  });

  it('lists groups (without members) with a filter and gets one with its members', async () => {
    const tenant = await t.tenant();
    const scim = scimClient(t.scimUrl, tenant.token);
    const user = (await scim.post('/Users', entraUser('member@contoso.com'))).body;
    const sales = (await scim.post('/Groups', { schemas: [GROUP], displayName: 'Sales', members: [{ value: user.id }] })).body;
    await scim.post('/Groups', { schemas: [GROUP], displayName: 'Support' });
    const base = `/tenants/${tenant.id}/groups`;
    const list = await viewer.get(`${base}?filter=${encodeURIComponent('displayName eq "Sales"')}`);
    expect(list.body).toMatchObject({ total: 1, page: 1 });
    expect(list.body.items[0]).toMatchObject({ id: sales.id, displayName: 'Sales' });
    expect(list.body.items[0].members).toBeUndefined();
    expect((await viewer.get(base)).body.total).toBe(2);
    const one = await viewer.get(`${base}/${sales.id}`);
    expect(one.body.members).toEqual([expect.objectContaining({ value: user.id })]);
    expect((await viewer.get(`${base}/${randomUUID()}`)).status).toBe(404);
    expect((await viewer.get(`${base}?filter=${encodeURIComponent('displayName eq')}`)).status).toBe(400);
  });

  it('lists provisioning events, newest first, filtered by time, operation, status and resource', async () => {
    const tenant = await t.tenant();
    const scim = scimClient(t.scimUrl, tenant.token);
    const start = new Date();
    const a = (await scim.post('/Users', entraUser('e1@contoso.com')).set('client-request-id', 'req-a')).body;
    await scim.post('/Users', entraUser('E1@contoso.com'));
    await scim.patch(`/Users/${a.id}`, [{ op: 'Replace', path: 'displayName', value: 'E One' }]);
    await scim.patch(`/Users/${randomUUID()}`, [{ op: 'Replace', path: 'active', value: false }]);
    const base = `/tenants/${tenant.id}/events`;

    const all = await viewer.get(base);
    expect(all.body.total).toBe(4);
    expect(all.body.items.map((e: { operation: string; status: number }) => [e.operation, e.status])).toEqual([
      ['patch', 404],
      ['patch', 200],
      ['create', 409],
      ['create', 201],
    ]);
    expect(all.body.items[3]).toMatchObject({ actorType: 'scim-token', requestId: 'req-a', resourceType: 'User', resourceId: a.id });
    expect(all.body.items[1].changedAttributes).toEqual(['displayName']);

    expect((await viewer.get(`${base}?operation=create`)).body.total).toBe(2);
    expect((await viewer.get(`${base}?status=409`)).body.items.map((e: { detail: string }) => e.detail)).toEqual([expect.stringContaining('E1@contoso.com')]);
    expect((await viewer.get(`${base}?failed=true`)).body.total).toBe(2);
    expect((await viewer.get(`${base}?failed=false`)).body.total).toBe(2);
    expect((await viewer.get(`${base}?resourceType=User&resourceId=${a.id}`)).body.total).toBe(2);
    expect((await viewer.get(`${base}?from=${start.toISOString()}`)).body.total).toBe(4);
    expect((await viewer.get(`${base}?to=${start.toISOString()}`)).body.total).toBe(0);
    expect((await viewer.get(`${base}?from=${new Date(Date.now() + 60_000).toISOString()}`)).body.total).toBe(0);
    const paged = await viewer.get(`${base}?limit=3&page=2`);
    expect(paged.body).toMatchObject({ total: 4, page: 2, limit: 3 });
    expect(paged.body.items).toHaveLength(1);

    const bad = await viewer.get(`${base}?from=yesterday&status=abc&failed=maybe&actorType=root`);
    expect(bad.status).toBe(400);
    expect(bad.body.message).toEqual(
      expect.arrayContaining([
        'from must be an ISO 8601 date-time',
        'status must be an integer number',
        'failed must be a boolean value',
        expect.stringMatching(/^actorType must be one of/),
      ]),
    );
    expect((await viewer.get(`/tenants/${randomUUID()}/events`)).status).toBe(404);
  });

  it('reports provisioning health: counts, last call, failures in the last 24 hours', async () => {
    const tenant = await t.tenant();
    const base = `/tenants/${tenant.id}/health`;
    const empty = await viewer.get(base);
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual({
      users: 0,
      activeUsers: 0,
      groups: 0,
      lastProvisioningCallAt: null,
      lastProvisioningWriteAt: null,
      writesLast24h: 0,
      failuresLast24h: 0,
      failureRateLast24h: 0,
      lastFailureAt: null,
      lastFailureReason: null,
      lastSuccessfulCallAt: null,
      lastHour: { calls: 0, failures: 0, failureRate: 0 },
      last24h: { calls: 0, failures: 0, failureRate: 0 },
    });

    const scim = scimClient(t.scimUrl, tenant.token);
    const u1 = (await scim.post('/Users', entraUser('h1@contoso.com'))).body;
    await scim.post('/Users', entraUser('h2@contoso.com', { active: false }));
    await scim.post('/Users', entraUser('H1@contoso.com'));
    await scim.post('/Groups', { schemas: [GROUP], displayName: 'Health' });
    await scim.patch(`/Users/${randomUUID()}`, [{ op: 'Replace', path: 'active', value: false }]);
    await operator.post(`/tenants/${tenant.id}/users/${u1.id}/deactivate`);

    const health = (await viewer.get(base)).body;
    expect(health).toMatchObject({ users: 2, activeUsers: 0, groups: 1, writesLast24h: 5, failuresLast24h: 2, failureRateLast24h: 0.4 });
    expect(Date.parse(health.lastProvisioningWriteAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(Date.parse(health.lastProvisioningCallAt)).toBeGreaterThanOrEqual(Date.parse(health.lastProvisioningWriteAt));
    expect(Date.parse(health.lastFailureAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(health.lastFailureReason).toMatch(/not found/);
    expect(health.lastHour).toEqual({ calls: 5, failures: 2, failureRate: 0.4 });
    expect(Date.parse(health.lastSuccessfulCallAt)).toBeGreaterThan(Date.now() - 60_000);
    expect((await viewer.get(`/tenants/${randomUUID()}/health`)).status).toBe(404);
  });
});
