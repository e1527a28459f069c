import { bootApp, dialects, startApp, type TestApp } from './support/test-app.js';
import { scimClient } from './support/scim-client.js';
import { tokenRequest } from './support/oauth.js';
import { adminClient, authorizedTokens, supportAccount, type AdminClient } from './support/admin.js';

/** Suspending a tenant or disabling an admin takes effect on the OAuth side at once. */
describe.each(dialects())('OAuth credentials of a suspended tenant or a disabled admin on %s', (dialect) => {
  let t: TestApp;
  let support: AdminClient;

  beforeAll(async () => {
    t = await startApp(dialect);
    support = adminClient(t.url, (await supportAccount(t, 'operator')).token);
  });
  afterAll(() => t?.close());

  const grantsOf = async (tenantId: string) => {
    const res = await support.get(`/tenants/${tenantId}/grants`);
    expect(res.status).toBe(200);
    return res.body.items as Array<{ id: string; accountId: string; status: string; revokedReason: string | null }>;
  };

  it('refuses a suspended tenant its refresh, its client credentials and its access tokens, shows its grant revoked, and restores them on resume', async () => {
    const tenant = await t.tenant();
    const other = await t.tenant();
    const mine = await authorizedTokens(t, tenant.id);
    const theirs = await authorizedTokens(t, other.id);
    const auth = { ...mine.client, method: 'basic' as const };
    const clientToken = (await tokenRequest(t, { grant_type: 'client_credentials' }, auth)).body.access_token as string;
    expect((await scimClient(t.scimUrl, mine.accessToken).get('/Users')).status).toBe(200);
    expect((await grantsOf(tenant.id)).map((g) => g.status)).toEqual(['active']);

    expect((await support.post(`/tenants/${tenant.id}/suspend`)).status).toBe(200);

    const refresh = await tokenRequest(t, { grant_type: 'refresh_token', refresh_token: mine.refreshToken }, auth);
    expect(refresh.status).toBe(400);
    expect(refresh.body.error).toBe('invalid_grant');
    const credentials = await tokenRequest(t, { grant_type: 'client_credentials' }, auth);
    expect(credentials.status).toBe(400);
    expect(credentials.body.error).toBe('unauthorized_client');
    for (const token of [mine.accessToken, clientToken]) {
      const res = await scimClient(t.scimUrl, token).get('/Users');
      expect(res.status).toBe(403);
      expect(res.body.detail).toMatch(/suspended/);
    }
    expect(await grantsOf(tenant.id)).toEqual([expect.objectContaining({ status: 'revoked', revokedReason: 'tenant_suspended' })]);
    // Another tenant is not touched.
    expect((await scimClient(t.scimUrl, theirs.accessToken).get('/Users')).status).toBe(200);
    expect((await grantsOf(other.id)).map((g) => g.status)).toEqual(['active']);

    expect((await support.post(`/tenants/${tenant.id}/resume`)).status).toBe(200);
    const resumed = await tokenRequest(t, { grant_type: 'refresh_token', refresh_token: mine.refreshToken }, auth);
    expect(resumed.status, JSON.stringify(resumed.body)).toBe(200);
    expect((await scimClient(t.scimUrl, resumed.body.access_token).get('/Users')).status).toBe(200);
    expect((await grantsOf(tenant.id)).map((g) => g.status)).toEqual(['active']);
  });

  it("refuses a disabled admin's access token at once, and their refresh, and shows the grant revoked", async () => {
    const tenant = await t.tenant();
    const mine = await authorizedTokens(t, tenant.id);
    const scim = scimClient(t.scimUrl, mine.accessToken);
    expect((await scim.get('/Users')).status).toBe(200);

    expect((await support.post(`/tenants/${tenant.id}/admins/${mine.admin.id}/disable`)).status).toBe(200);

    const res = await scim.get('/Users');
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
    const refresh = await tokenRequest(t, { grant_type: 'refresh_token', refresh_token: mine.refreshToken }, { ...mine.client, method: 'post' });
    expect(refresh.status).toBe(400);
    expect(refresh.body.error).toBe('invalid_grant');
    expect(await grantsOf(tenant.id)).toEqual([expect.objectContaining({ accountId: mine.admin.id, status: 'revoked', revokedReason: 'account_disabled' })]);
  });

  it.runIf(dialect === 'mysql')("refuses a disabled admin's access token on another instance within 5 seconds", async () => {
    // Both instances behind one PUBLIC_URL, as behind a load balancer.
    const second = await bootApp(t.databaseUrl, { PUBLIC_URL: t.url });
    try {
      const tenant = await t.tenant();
      const mine = await authorizedTokens(t, tenant.id);
      const there = scimClient(second.scimUrl, mine.accessToken);
      // The other instance has just seen the token valid (and remembers so).
      expect((await there.get('/Users')).status).toBe(200);
      const disabledAt = Date.now();
      expect((await support.post(`/tenants/${tenant.id}/admins/${mine.admin.id}/disable`)).status).toBe(200);
      let status = (await there.get('/Users')).status;
      while (status === 200 && Date.now() - disabledAt < 8_000) {
        await new Promise((r) => setTimeout(r, 250));
        status = (await there.get('/Users')).status;
      }
      expect(status).toBe(401);
      // 5 s of cache, plus generous room for a slow machine.
      expect(Date.now() - disabledAt).toBeLessThan(7_000);
    } finally {
      await second.close();
    }
  });

  it.runIf(dialect === 'mysql')("refuses a suspended tenant's access token on another instance within 5 seconds, as its SCIM tokens", async () => {
    const second = await bootApp(t.databaseUrl, { PUBLIC_URL: t.url });
    try {
      const tenant = await t.tenant();
      const mine = await authorizedTokens(t, tenant.id);
      const oauthThere = scimClient(second.scimUrl, mine.accessToken);
      const scimThere = scimClient(second.scimUrl, tenant.token);
      // The other instance has just seen both tokens valid (and remembers so).
      expect((await oauthThere.get('/Users')).status).toBe(200);
      expect((await scimThere.get('/Users')).status).toBe(200);
      const suspendedAt = Date.now();
      expect((await support.post(`/tenants/${tenant.id}/suspend`)).status).toBe(200);
      const refusedAfter = async (client: typeof oauthThere) => {
        let res = await client.get('/Users');
        while (res.status === 200 && Date.now() - suspendedAt < 8_000) {
          await new Promise((r) => setTimeout(r, 250));
          res = await client.get('/Users');
        }
        expect(res.status).toBe(403);
        expect(res.body.detail).toMatch(/suspended/);
        return Date.now() - suspendedAt;
      };
      const [oauthMs, scimMs] = await Promise.all([refusedAfter(oauthThere), refusedAfter(scimThere)]);
      // 5 s of cache, plus generous room for a slow machine.
      expect(oauthMs).toBeLessThan(7_000);
      expect(scimMs).toBeLessThan(7_000);
    } finally {
      await second.close();
    }
  });
});
