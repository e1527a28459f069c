import { randomUUID } from 'node:crypto';
import { Database } from '@app/database';
import { ProvisioningEventEntity } from '@app/directory';
import { AccountEntity, OidcPayloadEntity } from '@app/identity';
import { dialects, startApp, type TestApp } from './support/test-app.js';
import { adminClient, authorizedTokens, supportAccount, type AdminClient } from './support/admin.js';
import { scimClient } from './support/scim-client.js';
import { authorizeAsAdmin, startAuthorization, submitLogin, tokenRequest } from './support/oauth.js';

describe.each(dialects())('admin API: tenant admins, OAuth clients, grants and SCIM tokens on %s', (dialect) => {
  let t: TestApp;
  let operator: AdminClient;
  let viewer: AdminClient;
  let operatorId: string;
  const supportEvents = (tenantId: string) =>
    t.app.get(Database).read((m) => m.find(ProvisioningEventEntity, { where: { tenantId, actorType: 'support' }, order: { id: 'ASC' } }));

  beforeAll(async () => {
    t = await startApp(dialect, { LOGIN_MAX_FAILURES: '2' });
    const op = await supportAccount(t, 'operator');
    operatorId = op.id;
    operator = adminClient(t.url, op.token);
    viewer = adminClient(t.url, (await supportAccount(t, 'viewer')).token);
  });
  afterAll(() => t?.close());

  it('tenant admins: create (password shown once), list, disable, enable, unlock, reset password', async () => {
    const tenant = await t.tenant();
    const client = await t.client(tenant.id);
    const base = `/tenants/${tenant.id}/admins`;
    const created = await operator.post(base, { email: 'Owner@Acme.test' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ email: 'Owner@Acme.test', disabled: false, locked: false, failedLogins: 0, password: expect.any(String) });
    expect(created.body.password.length).toBeGreaterThanOrEqual(20);
    const stored = await t.app.get(Database).read((m) => m.findOneByOrFail(AccountEntity, { id: created.body.id }));
    expect(stored.passwordHash).not.toContain(created.body.password);
    expect(stored).toMatchObject({ tenantId: tenant.id, realm: tenant.id, role: 'admin' });

    const signIn = async (password: string) => {
      const { browser, uid } = await startAuthorization(t, { clientId: client.clientId });
      return (await submitLogin(browser, uid, 'owner@acme.test', password)).status;
    };
    expect(await signIn(created.body.password)).toBe(303);

    const list = await viewer.get(base);
    expect(list.body).toMatchObject({ total: 1, page: 1, limit: 50 });
    expect(list.body.items[0]).not.toHaveProperty('password');
    expect(JSON.stringify(list.body)).not.toContain('scrypt');

    // Locked after two wrong passwords (LOGIN_MAX_FAILURES=2), then unlocked by support.
    expect(await signIn('wrong-password-1')).toBe(401);
    expect(await signIn('wrong-password-2')).not.toBe(303);
    expect((await viewer.get(base)).body.items[0]).toMatchObject({ locked: true, lockedUntil: expect.any(String) });
    expect(await signIn(created.body.password)).not.toBe(303);
    const unlocked = await operator.post(`${base}/${created.body.id}/unlock`);
    expect(unlocked.body).toMatchObject({ locked: false, lockedUntil: null, failedLogins: 0 });
    expect(await signIn(created.body.password)).toBe(303);

    expect((await operator.post(`${base}/${created.body.id}/disable`)).body.disabled).toBe(true);
    expect(await signIn(created.body.password)).toBe(403);
    expect((await operator.post(`${base}/${created.body.id}/enable`)).body.disabled).toBe(false);

    const reset = await operator.post(`${base}/${created.body.id}/reset-password`);
    expect(reset.status).toBe(200);
    expect(reset.body.password).not.toBe(created.body.password);
    expect(await signIn(created.body.password)).toBe(401);
    expect(await signIn(reset.body.password)).toBe(303);

    // Another tenant's admin is not reachable through this tenant.
    const other = await t.tenant();
    const stranger = await t.admin(other.id);
    expect((await operator.post(`${base}/${stranger.id}/disable`)).status).toBe(404);
    expect((await operator.post(`/tenants/${randomUUID()}/admins`, { email: 'x@y.test' })).status).toBe(404);
    expect((await operator.post(`${base}/not-an-id/unlock`)).body.message).toEqual(['accountId must be a UUID']);
    const invalid = await operator.post(base, { email: 'nope' });
    expect(invalid.body).toMatchObject({ statusCode: 400, message: ['email must be an email'] });

    const log = await supportEvents(tenant.id);
    expect(log.map((e) => e.operation)).toEqual(['account.create', 'account.unlock', 'account.disable', 'account.enable', 'account.reset-password']);
    expect(log.every((e) => e.actorId === operatorId && e.resourceType === 'Account' && e.resourceId === created.body.id)).toBe(true);
    const text = JSON.stringify(log);
    expect(text).not.toContain(created.body.password);
    expect(text).not.toContain(reset.body.password);
  });

  it('OAuth clients: create (secret shown once), list, add and revoke secrets, delete with its tokens', async () => {
    const tenant = await t.tenant();
    const base = `/tenants/${tenant.id}/clients`;
    const created = await operator.post(base, { name: 'Entra (Contoso)', secretExpiresInDays: 30 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ clientId: expect.any(String), clientSecret: expect.stringMatching(/^atea_cs_/), secretId: expect.any(String) });
    const { clientId } = created.body;
    const cc = (secret: string) => tokenRequest(t, { grant_type: 'client_credentials' }, { clientId, clientSecret: secret, method: 'basic' });
    const first = await cc(created.body.clientSecret);
    expect(first.status).toBe(200);

    const added = await operator.post(`${base}/${clientId}/secrets`, { expiresInDays: 10 });
    expect(added.status).toBe(201);
    expect((await cc(added.body.clientSecret)).status).toBe(200);

    const list = await viewer.get(base);
    expect(list.body.total).toBe(1);
    expect(list.body.items[0]).toMatchObject({ clientId, name: 'Entra (Contoso)', redirectUris: ['https://portal.azure.com/TokenAuthorize'] });
    expect(list.body.items[0].secrets.map((s: { id: string }) => s.id).sort()).toEqual([created.body.secretId, added.body.secretId].sort());
    expect(JSON.stringify(list.body)).not.toContain(created.body.clientSecret);

    expect((await operator.delete(`${base}/${clientId}/secrets/${created.body.secretId}`)).status).toBe(204);
    expect((await cc(created.body.clientSecret)).status).toBe(401);
    expect((await cc(added.body.clientSecret)).status).toBe(200);
    expect((await operator.delete(`${base}/${clientId}/secrets/${created.body.secretId}`)).status).toBe(404);

    const other = await t.tenant();
    expect((await operator.post(`/tenants/${other.id}/clients/${clientId}/secrets`, {})).status).toBe(404);
    expect((await operator.delete(`/tenants/${other.id}/clients/${clientId}`)).status).toBe(404);
    const invalid = await operator.post(base, { redirectUris: 'https://x', secretExpiresInDays: 0 });
    expect(invalid.status).toBe(400);
    expect(invalid.body.message).toEqual(expect.arrayContaining(['redirectUris must be an array', 'secretExpiresInDays must not be less than 1']));
    expect((await operator.post(base, { redirectUris: ['http://evil.example/cb'] })).status).toBe(400);

    // Deleting the client ends its client-credentials tokens at once.
    const scim = scimClient(t.scimUrl, first.body.access_token);
    expect((await scim.get('/Users')).status).toBe(200);
    expect((await operator.delete(`${base}/${clientId}`)).status).toBe(204);
    expect((await scim.get('/Users')).status).toBe(401);
    expect((await viewer.get(base)).body.total).toBe(0);
    const leftovers = await t.app.get(Database).read((m) => m.find(OidcPayloadEntity, { where: { model: 'ClientCredentials' } }));
    expect(leftovers.filter((row) => row.payload.includes(clientId))).toEqual([]);

    const log = await supportEvents(tenant.id);
    expect(log.map((e) => [e.operation, e.status])).toEqual([
      ['client.create', 201],
      ['client.secret.add', 201],
      ['client.secret.revoke', 204],
      ['client.delete', 204],
    ]);
    expect(log.every((e) => e.resourceType === 'Client' && e.resourceId === clientId)).toBe(true);
    const text = JSON.stringify(log);
    expect(text).not.toContain(created.body.clientSecret);
    expect(text).not.toContain(added.body.clientSecret);
  });

  it("grants: list who authorized and when; revoking one makes Entra's next call 401", async () => {
    const tenant = await t.tenant();
    const first = await authorizedTokens(t, tenant.id);
    const scim = scimClient(t.scimUrl, first.accessToken);
    expect((await scim.get('/Users')).status).toBe(200);
    // A second authorization through another client of the same tenant.
    const second = await authorizedTokens(t, tenant.id);

    const list = await viewer.get(`/tenants/${tenant.id}/grants`);
    expect(list.status).toBe(200);
    expect(list.body.total).toBe(2);
    const grant = list.body.items.find((g: { clientId: string }) => g.clientId === first.client.clientId);
    expect(grant).toMatchObject({
      id: expect.any(String),
      accountId: expect.any(String),
      accountEmail: first.admin.email,
      authorizedAt: expect.any(String),
      lastUsedAt: expect.any(String),
      clientName: 'Microsoft Entra provisioning',
    });
    expect(Date.parse(grant.lastUsedAt)).toBeGreaterThanOrEqual(Date.parse(grant.authorizedAt));
    const paged = await viewer.get(`/tenants/${tenant.id}/grants?limit=1&page=2`);
    expect(paged.body).toMatchObject({ total: 2, page: 2, limit: 1 });
    expect(paged.body.items).toHaveLength(1);
    expect((await viewer.get(`/tenants/${(await t.tenant()).id}/grants`)).body).toMatchObject({ total: 0, items: [] });

    const other = await t.tenant();
    expect((await operator.delete(`/tenants/${other.id}/grants/${grant.id}`)).status).toBe(404);
    expect((await operator.delete(`/tenants/${tenant.id}/grants/${'x'.repeat(300)}`)).status).toBe(404);
    expect((await operator.delete(`/tenants/${tenant.id}/grants/${grant.id}`)).status).toBe(204);
    expect((await scim.get('/Users')).status).toBe(401);
    const refresh = await tokenRequest(t, { grant_type: 'refresh_token', refresh_token: first.refreshToken }, { ...first.client, method: 'basic' });
    expect(refresh.status).toBe(400);
    expect(refresh.body.error).toBe('invalid_grant');
    // The other authorization is untouched.
    expect((await scimClient(t.scimUrl, second.accessToken).get('/Users')).status).toBe(200);
    expect((await viewer.get(`/tenants/${tenant.id}/grants`)).body.total).toBe(1);
    expect((await operator.delete(`/tenants/${tenant.id}/grants/${grant.id}`)).status).toBe(404);

    // The admin can authorize again.
    const again = await authorizeAsAdmin(t, { clientId: first.client.clientId }, first.admin);
    expect(again.redirect.searchParams.get('code')).toBeTruthy();
    const log = await supportEvents(tenant.id);
    expect(log.map((e) => [e.operation, e.resourceType, e.resourceId])).toEqual([['grant.revoke', 'Grant', grant.id]]);
  });

  it('SCIM tokens: list, create (shown once), revoke', async () => {
    const tenant = await t.tenant();
    const base = `/tenants/${tenant.id}/scim-tokens`;
    const created = await operator.post(base, { description: 'Entra production', expiresInDays: 0 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: expect.any(String), token: expect.stringMatching(/^atea_scim_/), expiresAt: null });
    const scim = scimClient(t.scimUrl, created.body.token);
    expect((await scim.get('/Users')).status).toBe(200);

    const list = await viewer.get(`${base}?limit=1`);
    expect(list.body).toMatchObject({ total: 2, limit: 1 });
    expect(list.body.items[0]).toMatchObject({ id: created.body.id, description: 'Entra production', prefix: created.body.token.slice(0, 14), revokedAt: null, lastUsedAt: expect.any(String) });
    expect(JSON.stringify(list.body)).not.toContain(created.body.token);

    expect((await operator.delete(`${base}/${created.body.id}`)).status).toBe(204);
    expect((await scim.get('/Users')).status).toBe(401);
    expect((await operator.delete(`${base}/${created.body.id}`)).status).toBe(204);
    expect((await viewer.get(base)).body.items[0].revokedAt).toEqual(expect.any(String));
    expect((await operator.delete(`/tenants/${(await t.tenant()).id}/scim-tokens/${created.body.id}`)).status).toBe(404);
    expect((await operator.post(base, { expiresInDays: -1, description: 5 })).body.message).toEqual(
      expect.arrayContaining(['expiresInDays must not be less than 0', 'description must be a string']),
    );

    const log = await supportEvents(tenant.id);
    expect(log.map((e) => [e.operation, e.resourceId])).toEqual([
      ['scim-token.create', created.body.id],
      ['scim-token.revoke', created.body.id],
    ]);
    expect(JSON.stringify(log)).not.toContain(created.body.token);
  });
});
