import { randomUUID } from 'node:crypto';
import { Database } from '@app/database';
import { ProvisioningEventEntity, ScimUserService, TenantEntity } from '@app/directory';
import { AccountEntity, OAuthClientEntity, OidcPayloadEntity, ScimTokenEntity } from '@app/identity';
import { dialects, startApp, type TestApp } from './support/test-app.js';
import { adminClient, authorizedTokens, supportAccount, type AdminClient } from './support/admin.js';
import { entraUser, scimClient, SCIM_JSON } from './support/scim-client.js';
import { startAuthorization, submitLogin } from './support/oauth.js';

describe.each(dialects())('admin API: tenants on %s', (dialect) => {
  let t: TestApp;
  let operator: AdminClient;
  let viewer: AdminClient;
  let operatorId: string;
  const slug = (name: string) => `${name}-${randomUUID().slice(0, 8)}`;
  const events = (tenantId: string) =>
    t.app.get(Database).read((m) => m.find(ProvisioningEventEntity, { where: { tenantId }, order: { id: 'ASC' } }));

  beforeAll(async () => {
    t = await startApp(dialect);
    const op = await supportAccount(t, 'operator');
    operatorId = op.id;
    operator = adminClient(t.url, op.token);
    viewer = adminClient(t.url, (await supportAccount(t, 'viewer')).token);
  });
  afterAll(() => t?.close());

  it('creates a tenant and records tenant.create with the support account as actor', async () => {
    const s = slug('acme');
    const res = await operator.post('/tenants', { slug: s, name: ' Acme ' }).set('x-request-id', 'support-req-1');
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ id: expect.any(String), slug: s, name: 'Acme', status: 'active', createdAt: expect.any(String) });
    const log = await events(res.body.id);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ actorType: 'support', actorId: operatorId, operation: 'tenant.create', resourceType: 'Tenant', resourceId: res.body.id, status: 201, requestId: 'support-req-1' });
    expect(JSON.parse(log[0].changedAttributes!)).toEqual(['slug', 'name']);

    expect((await operator.post('/tenants', { slug: s, name: 'Again' })).status).toBe(409);
    const invalid = await operator.post('/tenants', { slug: '-Bad-', name: '', admin: true });
    expect(invalid.status).toBe(400);
    expect(invalid.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(invalid.body.message).toEqual(
      expect.arrayContaining(['property admin should not exist', expect.stringMatching(/^slug must be/), 'name should not be empty']),
    );
    expect((await operator.post('/tenants', [1, 2])).status).toBe(400);
    const malformed = await operator.post('/tenants').set('content-type', 'application/json').send('{"slug":');
    expect(malformed.status).toBe(400);
    expect(malformed.body).toEqual({ statusCode: 400, message: 'The request body is not valid JSON', error: 'Bad Request' });
  });

  it('lists and searches tenants, paged with a total', async () => {
    const tag = randomUUID().slice(0, 6);
    for (const name of ['Blue Harbour', 'Red Harbour', 'Green Fields']) {
      expect((await operator.post('/tenants', { slug: slug(`${tag}-${name.split(' ')[0].toLowerCase()}`), name: `${name} ${tag}` })).status).toBe(201);
    }
    const harbour = await viewer.get(`/tenants?search=HARBOUR%20${tag}`);
    expect(harbour.status).toBe(200);
    expect(harbour.body.total).toBe(2);
    expect(harbour.body.items.map((i: { name: string }) => i.name).sort()).toEqual([`Blue Harbour ${tag}`, `Red Harbour ${tag}`]);
    const bySlug = await viewer.get(`/tenants?search=${tag}-green`);
    expect(bySlug.body.items.map((i: { name: string }) => i.name)).toEqual([`Green Fields ${tag}`]);

    const first = await viewer.get(`/tenants?search=${tag}&limit=2&page=1`);
    const second = await viewer.get(`/tenants?search=${tag}&limit=2&page=2`);
    expect(first.body).toMatchObject({ total: 3, page: 1, limit: 2 });
    expect(first.body.items).toHaveLength(2);
    expect(second.body).toMatchObject({ total: 3, page: 2, limit: 2 });
    expect(second.body.items).toHaveLength(1);
    expect(new Set([...first.body.items, ...second.body.items].map((i: { id: string }) => i.id)).size).toBe(3);
    expect((await viewer.get('/tenants?search=%25')).status).toBe(200);
    expect((await viewer.get(`/tenants?search=${tag}_`)).body.total).toBe(0);

    const bad = await viewer.get('/tenants?page=0&limit=abc&status=closed&sort=name');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toEqual(
      expect.arrayContaining(['page must not be less than 1', 'limit must be an integer number', expect.stringMatching(/^status must be one of/), 'property sort should not exist']),
    );
  });

  it('gets and updates a tenant; 404 for an unknown one, 400 for a malformed id', async () => {
    const created = (await operator.post('/tenants', { slug: slug('upd'), name: 'Before' })).body;
    expect((await viewer.get(`/tenants/${created.id}`)).body).toMatchObject({ id: created.id, name: 'Before' });
    expect((await viewer.get(`/tenants/${randomUUID()}`)).status).toBe(404);
    expect((await viewer.get(`/tenants/${created.slug}`)).body).toMatchObject({ id: created.id, name: 'Before' });
    expect((await viewer.get('/tenants/no-such-tenant-slug')).status).toBe(404);
    expect((await viewer.get('/tenants/Not%20A%20Slug')).body).toEqual({ statusCode: 400, message: ['tenantId must be a tenant id (UUID) or slug'], error: 'Bad Request' });

    const renamed = await operator.patch(`/tenants/${created.id}`, { name: 'After' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'After', slug: created.slug });
    expect((await operator.patch(`/tenants/${created.id}`, { name: 'After' })).status).toBe(200);
    expect((await operator.patch(`/tenants/${randomUUID()}`, { name: 'X' })).status).toBe(404);
    expect((await operator.patch(`/tenants/${created.id}`, { status: 'suspended' })).status).toBe(400);

    const log = await events(created.id);
    expect(log.map((e) => [e.operation, e.changedAttributes])).toEqual([
      ['tenant.create', '["slug","name"]'],
      ['tenant.update', '["name"]'],
    ]);
  });

  it('a failed write leaves neither the change nor its event', async () => {
    const taken = (await operator.post('/tenants', { slug: slug('taken'), name: 'Taken' })).body;
    const tenant = (await operator.post('/tenants', { slug: slug('mine'), name: 'Mine' })).body;
    // The event is written first, then the row update fails on the unique slug: both must roll back.
    const res = await operator.patch(`/tenants/${tenant.id}`, { name: 'Changed', slug: taken.slug });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ statusCode: 409, error: 'Conflict' });
    expect((await viewer.get(`/tenants/${tenant.id}`)).body).toMatchObject({ name: 'Mine', slug: tenant.slug });
    expect((await events(tenant.id)).map((e) => e.operation)).toEqual(['tenant.create']);

    const admin = await operator.post(`/tenants/${tenant.id}/admins`, { email: 'twice@acme.test' });
    expect(admin.status).toBe(201);
    expect((await operator.post(`/tenants/${tenant.id}/admins`, { email: 'TWICE@acme.test' })).status).toBe(409);
    expect((await events(tenant.id)).map((e) => e.operation)).toEqual(['tenant.create', 'account.create']);
    expect((await viewer.get(`/tenants/${tenant.id}/admins`)).body.total).toBe(1);
  });

  it('events cannot be changed through any route', async () => {
    const tenant = (await operator.post('/tenants', { slug: slug('ro'), name: 'Read only' })).body;
    const admin = adminClient(t.url, (await supportAccount(t, 'admin')).token);
    const [event] = (await admin.get(`/tenants/${tenant.id}/events`)).body.items;
    expect(event.operation).toBe('tenant.create');
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      expect((await admin.request(method, `/tenants/${tenant.id}/events`, { operation: 'x' })).status).toBe(404);
      expect((await admin.request(method, `/tenants/${tenant.id}/events/${event.id}`, { operation: 'x' })).status).toBe(404);
    }
    expect((await admin.get(`/tenants/${tenant.id}/events`)).body.items).toEqual([event]);
  });

  it('suspend: SCIM calls get 403 with a SCIM error, admins cannot sign in; resume restores both', async () => {
    const tenant = await t.tenant();
    const oauth = await authorizedTokens(t, tenant.id);
    const scim = scimClient(t.scimUrl, tenant.token);
    const viaOAuth = scimClient(t.scimUrl, oauth.accessToken);
    expect((await scim.post('/Users', entraUser('before@contoso.com'))).status).toBe(201);

    const suspended = await operator.post(`/tenants/${tenant.id}/suspend`);
    expect(suspended.status).toBe(200);
    expect(suspended.body.status).toBe('suspended');
    for (const client of [scim, viaOAuth]) {
      const res = await client.get('/Users');
      expect(res.status).toBe(403);
      expect(res.headers['content-type']).toContain(SCIM_JSON);
      expect(res.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '403', detail: expect.stringContaining('suspended') });
    }
    expect((await scim.post('/Users', entraUser('during@contoso.com'))).status).toBe(403);
    expect((await viewer.get(`/tenants?status=suspended&search=${tenant.slug}`)).body.total).toBe(1);

    const during = await startAuthorization(t, { clientId: oauth.client.clientId });
    const page = await during.browser.get(`/interaction/${during.uid}`);
    expect(page.status).toBe(403);
    expect(await page.text()).toContain('suspended');
    const login = await during.browser.post(`/interaction/${during.uid}/login`, { email: oauth.admin.email, password: oauth.admin.password });
    expect(login.status).toBe(403);
    expect(login.headers.get('location')).toBeNull();

    // Suspending again changes nothing and records nothing.
    expect((await operator.post(`/tenants/${tenant.id}/suspend`)).status).toBe(200);
    const resumed = await operator.post(`/tenants/${tenant.id}/resume`);
    expect(resumed.body.status).toBe('active');
    expect((await scim.get('/Users')).status).toBe(200);
    expect((await viaOAuth.get('/Users')).status).toBe(200);
    const { browser, uid } = await startAuthorization(t, { clientId: oauth.client.clientId });
    expect((await submitLogin(browser, uid, oauth.admin.email, oauth.admin.password)).status).toBe(303);

    const log = (await events(tenant.id)).filter((e) => e.actorType === 'support');
    expect(log.map((e) => [e.operation, e.changedAttributes])).toEqual([
      ['tenant.suspend', '["status"]'],
      ['tenant.resume', '["status"]'],
    ]);
  });

  it('deletes a tenant with all its data, only with the slug as confirmation', async () => {
    const tenant = await t.tenant();
    const oauth = await authorizedTokens(t, tenant.id);
    // A revoked access token's row, kept until it would have expired, goes with the tenant too.
    const revoked = await authorizedTokens(t, tenant.id);
    const grants = (await viewer.get(`/tenants/${tenant.id}/grants`)).body.items as { id: string; clientId: string }[];
    const grant = grants.find((g) => g.clientId === revoked.client.clientId)!;
    expect((await operator.delete(`/tenants/${tenant.id}/grants/${grant.id}`)).status).toBe(204);
    const scim = scimClient(t.scimUrl, tenant.token);
    const user = await scim.post('/Users', entraUser('gone@contoso.com'));
    await scim.post('/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Gone', members: [{ value: user.body.id }] });
    const other = await t.tenant();
    await scimClient(t.scimUrl, other.token).post('/Users', entraUser('stays@contoso.com'));

    expect((await operator.delete(`/tenants/${tenant.id}`)).body.message).toEqual(["confirm must repeat the tenant's slug"]);
    expect((await operator.delete(`/tenants/${tenant.id}?confirm=${other.slug}`)).status).toBe(400);
    expect((await viewer.get(`/tenants/${tenant.id}`)).status).toBe(200);
    expect((await viewer.delete(`/tenants/${tenant.id}?confirm=${tenant.slug}`)).status).toBe(403);

    expect((await operator.delete(`/tenants/${tenant.id}?confirm=${tenant.slug}`)).status).toBe(204);
    expect((await viewer.get(`/tenants/${tenant.id}`)).status).toBe(404);
    expect((await scim.get('/Users')).status).toBe(401);
    expect((await scimClient(t.scimUrl, oauth.accessToken).get('/Users')).status).toBe(401);
    const db = t.app.get(Database);
    const left = await db.read(async (m) => ({
      tenants: await m.countBy(TenantEntity, { id: tenant.id }),
      accounts: await m.countBy(AccountEntity, { tenantId: tenant.id }),
      clients: await m.countBy(OAuthClientEntity, { tenantId: tenant.id }),
      tokens: await m.countBy(ScimTokenEntity, { tenantId: tenant.id }),
      events: await m.countBy(ProvisioningEventEntity, { tenantId: tenant.id }),
      users: (await m.query('SELECT COUNT(*) AS n FROM scim_users WHERE tenant_id = ?', [tenant.id]))[0].n,
      groups: (await m.query('SELECT COUNT(*) AS n FROM scim_groups WHERE tenant_id = ?', [tenant.id]))[0].n,
      emails: (await m.query('SELECT COUNT(*) AS n FROM scim_user_emails WHERE tenant_id = ?', [tenant.id]))[0].n,
      grants: await m.countBy(OidcPayloadEntity, { model: 'Grant' }),
      oauthRows: await m.countBy(OidcPayloadEntity, { tenantId: tenant.id }),
    }));
    expect({ ...left, users: Number(left.users), groups: Number(left.groups), emails: Number(left.emails) }).toEqual({
      tenants: 0, accounts: 0, clients: 0, tokens: 0, events: 0, users: 0, groups: 0, emails: 0, grants: left.grants, oauthRows: 0,
    });
    const grantRows = await db.read((m) => m.find(OidcPayloadEntity, { where: { model: 'Grant' } }));
    expect(grantRows.filter((g) => g.payload.includes(oauth.client.clientId))).toEqual([]);
    // Other tenants are untouched.
    expect((await scimClient(t.scimUrl, other.token).filter('Users', 'userName eq "stays@contoso.com"')).body.totalResults).toBe(1);
    expect((await t.app.get(ScimUserService).list(other.id, { startIndex: 1, count: 10, sortOrder: 'ascending' })).total).toBe(1);
    expect((await operator.delete(`/tenants/${tenant.id}?confirm=${tenant.slug}`)).status).toBe(404);
  });
});
