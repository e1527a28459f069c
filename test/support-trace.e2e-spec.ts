import { randomUUID } from 'node:crypto';
import http from 'node:http';
import request from 'supertest';
import { Database } from '@app/database';
import { AuthFailureLog, ProvisioningEventEntity, TenantEntity, TENANTS_PER_QUERY, type AuthFailure } from '@app/directory';
import { OidcPayloadEntity, OidcPayloadStore, ScimTokenEntity, storedOidcId } from '@app/identity';
import { adminClient, authorizedTokens, supportAccount, type AdminClient } from './support/admin.js';
import { authorizeAsAdmin, ENTRA_REDIRECT, tokenRequest } from './support/oauth.js';
import { entraUser, scimClient } from './support/scim-client.js';
import { bootApp, dialects, startApp, type TestApp } from './support/test-app.js';
import { EventStreamService, MAX_OPEN_STREAMS } from '../apps/api/src/admin/event-stream.service.js';

/** Support answers "why did provisioning fail?": traces of every call, search, export and a live view. */
describe.each(dialects())('support tracing on %s', (dialect) => {
  let t: TestApp;
  let viewer: AdminClient;
  let viewerToken: string;
  let operator: AdminClient;

  beforeAll(async () => {
    t = await startApp(dialect);
    viewerToken = (await supportAccount(t, 'viewer')).token;
    viewer = adminClient(t.url, viewerToken);
    operator = adminClient(t.url, (await supportAccount(t, 'operator')).token);
  });
  afterAll(() => t?.close());

  const eventRows = (tenantId: string) => t.app.get(Database).read((m) => m.find(ProvisioningEventEntity, { where: { tenantId }, order: { id: 'ASC' } }));

  it('a failed create is found in the events by the userName it tried, with the SCIM error', async () => {
    const tenant = await t.tenant();
    const scim = scimClient(t.scimUrl, tenant.token);
    expect((await scim.post('/Users', entraUser('first@contoso.com', { externalId: 'ext-1' }))).status).toBe(201);
    // 409: the userName is taken (without regard to case); 400: the body is refused before anything is stored.
    expect((await scim.post('/Users', entraUser('FIRST@contoso.com', { externalId: 'ext-2', displayName: 'Second Try' }))).status).toBe(409);
    expect((await scim.post('/Users', { ...entraUser('broken@contoso.com', { externalId: 'ext-3' }), active: 'maybe' })).status).toBe(400);

    const found = await viewer.get(`/tenants/${tenant.slug}/events?userName=first@contoso.com&failed=true`);
    expect(found.status).toBe(200);
    expect(found.body.total).toBe(1);
    expect(found.body.items[0]).toMatchObject({
      operation: 'create',
      status: 409,
      resourceId: null,
      userName: 'FIRST@contoso.com',
      externalId: 'ext-2',
      displayName: 'Second Try',
      count: 1,
    });
    expect(found.body.items[0].detail).toContain('FIRST@contoso.com');
    const broken = (await viewer.get(`/tenants/${tenant.id}/events?externalId=ext-3`)).body;
    expect(broken.items).toEqual([expect.objectContaining({ status: 400, userName: 'broken@contoso.com', detail: expect.stringContaining('active') })]);
    // Both creates of the userName, the success too, are found by it.
    expect((await viewer.get(`/tenants/${tenant.id}/events?userName=First@Contoso.com`)).body.total).toBe(2);
  });

  it("a failed PATCH or PUT of a user is found in the events by the user's userName, with the SCIM error", async () => {
    const tenant = await t.tenant();
    const scim = scimClient(t.scimUrl, tenant.token);
    const user = (await scim.post('/Users', entraUser('patched@contoso.com', { externalId: 'ext-p' }))).body;
    const patch = (operations: unknown[]) => scim.patch(`/Users/${user.id}`, operations);
    expect((await patch([{ op: 'replace', path: 'active', value: 'maybe' }])).status).toBe(400);
    expect((await patch([{ op: 'frobnicate', path: 'displayName', value: 'x' }])).status).toBe(400);
    expect((await scim.put(`/Users/${user.id}`, { ...entraUser('patched@contoso.com', { externalId: 'ext-p' }), active: 'maybe' })).status).toBe(400);

    const failed = (await viewer.get(`/tenants/${tenant.slug}/events?userName=PATCHED@contoso.com&failed=true`)).body.items;
    expect(failed.map((e: { operation: string; status: number }) => [e.operation, e.status])).toEqual([
      ['replace', 400],
      ['patch', 400],
      ['patch', 400],
    ]);
    expect(failed.every((e: { resourceId: string; externalId: string; detail: string }) => e.resourceId === user.id && e.externalId === 'ext-p' && e.detail)).toBe(true);
    expect((await viewer.get(`/tenants/${tenant.id}/events?externalId=ext-p&failed=true`)).body.total).toBe(3);
  });

  it('a body refused before the service is reached (bad JSON, 415) is recorded for the tenant of a valid token', async () => {
    const tenant = await t.tenant();
    const auth = { Authorization: `Bearer ${tenant.token}` };
    const badJson = await request(t.scimUrl).post('/Users').set(auth).set('Content-Type', 'application/scim+json').send('{"userName": "half');
    expect(badJson.status).toBe(400);
    const xml = await request(t.scimUrl).patch(`/Users/${randomUUID()}`).set(auth).set('Content-Type', 'application/xml').send('<op/>');
    expect(xml.status).toBe(415);
    // Without a valid token, nothing can be attributed to a tenant.
    await request(t.scimUrl).post('/Users').set('Authorization', 'Bearer atea_scim_unknown').set('Content-Type', 'application/scim+json').send('{');

    const items = (await viewer.get(`/tenants/${tenant.id}/events?failed=true`)).body.items;
    expect(items.map((e: { operation: string; resourceType: string; status: number }) => [e.operation, e.resourceType, e.status])).toEqual([
      ['patch', 'User', 415],
      ['create', 'User', 400],
    ]);
    expect(items[1]).toMatchObject({ actorType: 'scim-token', detail: expect.stringContaining('JSON') });
  });

  it("an expired SCIM token's call shows up in the tenant's events and health as an auth failure", async () => {
    const tenant = await t.tenant();
    const db = t.app.get(Database);
    await db.transaction((m) => m.update(ScimTokenEntity, { tenantId: tenant.id }, { expiresAt: new Date(Date.now() - 1000) }));
    const refused = await scimClient(t.scimUrl, tenant.token).get('/Users').set('client-request-id', 'entra-req-1');
    expect(refused.status).toBe(401);
    expect(refused.body.detail).not.toContain(tenant.token);

    const events = (await viewer.get(`/tenants/${tenant.id}/events?failed=true`)).body;
    expect(events.items).toEqual([
      expect.objectContaining({ operation: 'auth.failure', actorType: 'scim-token', status: 401, count: 1, detail: expect.stringMatching(/^scim-token-expired: /) }),
    ]);
    const health = (await viewer.get(`/tenants/${tenant.slug}/health`)).body;
    expect(health.lastFailureReason).toMatch(/^scim-token-expired: /);
    expect(health.lastHour).toEqual({ calls: 1, failures: 1, failureRate: 1 });
    expect(health.last24h).toEqual({ calls: 1, failures: 1, failureRate: 1 });
    expect(health.lastSuccessfulCallAt).toBeNull();
    expect(JSON.stringify(events)).not.toContain(tenant.token);
  });

  it("an expired OAuth access token's call is counted for the client's tenant", async () => {
    const tenant = await t.tenant();
    const { accessToken, client } = await authorizedTokens(t, tenant.id);
    await t.app.get(Database).transaction((m) =>
      m.update(OidcPayloadEntity, { model: 'AccessToken', id: storedOidcId('AccessToken', accessToken) }, { expiresAt: new Date(Date.now() - 1000) }),
    );
    expect((await scimClient(t.scimUrl, accessToken).get('/Users')).status).toBe(401);
    expect((await scimClient(t.scimUrl, accessToken).get('/Groups')).status).toBe(401);
    const items = (await viewer.get(`/tenants/${tenant.id}/events?operation=auth.failure`)).body.items;
    expect(items).toEqual([
      expect.objectContaining({ actorType: 'oauth-client', actorId: client.clientId, status: 401, count: 2, detail: expect.stringMatching(/^oauth-token-expired: /) }),
    ]);
  });

  it("health's last successful call counts an OAuth client's reads, not its refused calls", async () => {
    const tenant = await t.tenant();
    const { accessToken } = await authorizedTokens(t, tenant.id);
    const health = async () => (await viewer.get(`/tenants/${tenant.slug}/health`)).body;
    expect((await health()).lastSuccessfulCallAt).toBeNull();

    const before = Date.now();
    expect((await scimClient(t.scimUrl, accessToken).get('/Users?filter=userName eq "nobody@contoso.com"')).status).toBe(200);
    const seen = await health();
    expect(Date.parse(seen.lastSuccessfulCallAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(seen.lastProvisioningCallAt).toBe(seen.lastSuccessfulCallAt);
    expect(seen.lastFailureReason).toBeNull();

    // Refused calls do not move it.
    const other = await t.tenant();
    const refused = await authorizedTokens(t, other.id);
    expect((await operator.post(`/tenants/${other.id}/admins/${refused.admin.id}/disable`)).status).toBe(200);
    expect((await scimClient(t.scimUrl, refused.accessToken).get('/Users')).status).toBe(401);
    expect((await viewer.get(`/tenants/${other.id}/health`)).body.lastSuccessfulCallAt).toBeNull();
  });

  it("revoked OAuth access tokens and a disabled admin's token are counted for the client's tenant, each with its reason", async () => {
    const tenant = await t.tenant();
    const reasons = async () =>
      Object.fromEntries(
        ((await viewer.get(`/tenants/${tenant.id}/events?operation=auth.failure`)).body.items as { detail: string; count: number }[]).map((e) => [
          e.detail.split(':')[0],
          e.count,
        ]),
      );

    // Revoked by the client itself (RFC 7009).
    const revokedByClient = await authorizedTokens(t, tenant.id);
    const clientAuth = { ...revokedByClient.client, method: 'basic' as const };
    expect((await tokenRequest(t, { token: revokedByClient.accessToken, token_type_hint: 'access_token' }, clientAuth, '/oauth/token/revocation')).status).toBe(200);
    expect((await scimClient(t.scimUrl, revokedByClient.accessToken).get('/Users')).status).toBe(401);

    // Its grant revoked by support.
    const revokedBySupport = await authorizedTokens(t, tenant.id);
    const grant = ((await viewer.get(`/tenants/${tenant.slug}/grants`)).body.items as { id: string; accountId: string }[]).find(
      (g) => g.accountId === revokedBySupport.admin.id,
    )!;
    expect((await operator.delete(`/tenants/${tenant.slug}/grants/${grant.id}`)).status).toBe(204);
    expect((await scimClient(t.scimUrl, revokedBySupport.accessToken).get('/Users')).status).toBe(401);
    expect((await scimClient(t.scimUrl, revokedBySupport.accessToken).get('/Groups')).status).toBe(401);
    expect(await reasons()).toEqual({ 'oauth-token-revoked': 3 });

    // The admin who authorized is disabled.
    const disabled = await authorizedTokens(t, tenant.id);
    expect((await operator.post(`/tenants/${tenant.id}/admins/${disabled.admin.id}/disable`)).status).toBe(200);
    expect((await scimClient(t.scimUrl, disabled.accessToken).get('/Users')).status).toBe(401);
    expect(await reasons()).toEqual({ 'oauth-token-revoked': 3, 'oauth-authorizer-disabled': 1 });
    const health = (await viewer.get(`/tenants/${tenant.id}/health`)).body;
    expect(health.lastFailureReason).toMatch(/^oauth-authorizer-disabled: /);
    expect(health.lastHour).toMatchObject({ calls: 4, failures: 4 });

    // A revoked token's row goes with the purge once it would have expired; then it is nobody's.
    const db = t.app.get(Database);
    await db.transaction((m) =>
      m.update(OidcPayloadEntity, { model: 'AccessToken', id: storedOidcId('AccessToken', revokedByClient.accessToken) }, { expiresAt: new Date(Date.now() - 1000) }),
    );
    await t.app.get(OidcPayloadStore).purgeExpired();
    expect((await scimClient(t.scimUrl, revokedByClient.accessToken).get('/Users')).status).toBe(401);
    expect(await reasons()).toEqual({ 'oauth-token-revoked': 3, 'oauth-authorizer-disabled': 1 });
  });

  it('a flood of 10,000 calls with a revoked token adds a bounded number of rows, and every call is counted', async () => {
    const tenant = await t.tenant();
    const { tokenHash: _hash, ...token } = (await t.app.get(Database).read((m) => m.findOneByOrFail(ScimTokenEntity, { tenantId: tenant.id }))) as ScimTokenEntity;
    expect((await operator.delete(`/tenants/${tenant.slug}/scim-tokens/${token.id}`)).status).toBe(204);
    const before = (await eventRows(tenant.id)).length;

    const calls = 10_000;
    const concurrency = 64;
    const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
    const url = new URL(`${t.scimUrl}/Users`);
    const statuses = new Map<number, number>();
    let next = 0;
    const worker = async () => {
      while (next++ < calls) {
        const status = await new Promise<number>((resolve, reject) => {
          const req = http.get(url, { agent, headers: { Authorization: `Bearer ${tenant.token}` } }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          });
          req.on('error', reject);
        });
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    agent.destroy();
    expect(Object.fromEntries(statuses)).toEqual({ 401: calls });

    const rows = (await eventRows(tenant.id)).slice(before);
    // One row per reason and minute: the flood may straddle a minute boundary or two, never more.
    expect(rows.length).toBeGreaterThanOrEqual(1);
    expect(rows.length).toBeLessThanOrEqual(3);
    expect(rows.every((r) => r.operation === 'auth.failure' && r.detail?.startsWith('scim-token-revoked: '))).toBe(true);
    expect(rows.reduce((sum, r) => sum + r.count, 0)).toBe(calls);
    const health = (await viewer.get(`/tenants/${tenant.id}/health`)).body;
    expect(health.lastHour).toMatchObject({ calls, failures: calls, failureRate: 1 });
  }, 60_000);

  it('many failures of one minute stay in one row per reason, whether they come one by one or at once', async () => {
    const tenant = await t.tenant();
    const log = t.app.get(AuthFailureLog);
    const revoked: AuthFailure = { reason: 'scim-token-revoked', actor: { type: 'scim-token', id: 'token-x' }, status: 401 };
    const suspended: AuthFailure = { reason: 'tenant-suspended', actor: { type: 'scim-token', id: 'token-x' }, status: 403 };
    // One by one: every count after the first finds the minute's row (the first and last millisecond of the minute too).
    for (let i = 0; i < 20; i++) await log.count(tenant.id, revoked, new Date(Date.UTC(2026, 0, 15, 10, 20, i === 19 ? 59 : i * 3, i === 19 ? 999 : 0)));
    await log.count(tenant.id, suspended, new Date('2026-01-15T10:20:30Z'));
    // At once, coalesced into a few writes; then the next minute, a row of its own.
    await Promise.all(Array.from({ length: 200 }, (_, i) => log.count(tenant.id, i % 2 ? revoked : suspended, new Date('2026-01-15T10:20:40Z'))));
    await log.count(tenant.id, revoked, new Date('2026-01-15T10:21:00Z'));

    const rows = (await eventRows(tenant.id)).filter((r) => r.operation === 'auth.failure');
    expect(rows.map((r) => ({ bucket: r.bucket, count: r.count, at: r.at.toISOString() }))).toEqual([
      { bucket: 'auth:scim-token-revoked:2026-01-15T10:20', count: 120, at: '2026-01-15T10:20:40.000Z' },
      { bucket: 'auth:tenant-suspended:2026-01-15T10:20', count: 101, at: '2026-01-15T10:20:40.000Z' },
      { bucket: 'auth:scim-token-revoked:2026-01-15T10:21', count: 1, at: '2026-01-15T10:21:00.000Z' },
    ]);
  });

  it('counts the calls of a suspended tenant with that reason', async () => {
    const tenant = await t.tenant();
    expect((await operator.post(`/tenants/${tenant.slug}/suspend`)).status).toBe(200);
    expect((await scimClient(t.scimUrl, tenant.token).get('/Users')).status).toBe(403);
    const failed = (await viewer.get(`/tenants/${tenant.slug}/events?operation=auth.failure`)).body.items;
    expect(failed).toEqual([expect.objectContaining({ status: 403, count: 1, detail: expect.stringMatching(/^tenant-suspended: /) })]);
    // A refused call is no successful one, though its token is valid.
    const health = (await viewer.get(`/tenants/${tenant.slug}/health`)).body;
    expect(health).toMatchObject({ lastSuccessfulCallAt: null, lastProvisioningCallAt: null, lastFailureReason: expect.stringMatching(/^tenant-suspended: /) });
  });

  it('tenant routes take the slug wherever they take the id', async () => {
    const tenant = await t.tenant();
    const user = (await scimClient(t.scimUrl, tenant.token).post('/Users', entraUser('slug@contoso.com'))).body;
    expect((await viewer.get(`/tenants/${tenant.slug}`)).body.id).toBe(tenant.id);
    expect((await viewer.get(`/tenants/${tenant.slug}/users/${user.id}`)).body.userName).toBe('slug@contoso.com');
    expect((await viewer.get(`/tenants/${tenant.slug}/scim-tokens`)).body.total).toBe(1);
    expect((await operator.patch(`/tenants/${tenant.slug}`, { name: 'Renamed' })).body).toMatchObject({ id: tenant.id, name: 'Renamed' });
    expect((await viewer.get('/tenants/no-such-slug-anywhere/users')).status).toBe(404);
    expect((await viewer.get('/tenants/BAD_SLUG/users')).status).toBe(400);
  });

  it('finds a user by e-mail across tenants, and only for support staff', async () => {
    const one = await t.tenant();
    const two = await t.tenant();
    const mail = `jane.${randomUUID().slice(0, 8)}@contoso.com`;
    await scimClient(t.scimUrl, one.token).post('/Users', entraUser(`jane1-${mail}`, { emails: [{ value: mail, type: 'work', primary: true }] }));
    await scimClient(t.scimUrl, two.token).post('/Users', entraUser(`jane2-${mail}`, { emails: [{ value: mail.toUpperCase(), type: 'work' }], externalId: 'Ext-Jane' }));

    const exact = await viewer.get(`/users?q=${encodeURIComponent(mail.toUpperCase())}&by=email`);
    expect(exact.status).toBe(200);
    expect(exact.body.items.map((h: { tenant: { slug: string } }) => h.tenant.slug).sort()).toEqual([one.slug, two.slug].sort());
    expect(exact.body.items[0]).toMatchObject({ user: { id: expect.any(String), active: true }, matched: { field: 'email' } });
    const prefix = await viewer.get(`/users?q=${encodeURIComponent(mail.slice(0, 12))}&by=email&match=prefix`);
    expect(prefix.body.items).toHaveLength(2);
    expect((await viewer.get(`/users?q=jane1-${encodeURIComponent(mail)}`)).body.items).toEqual([
      expect.objectContaining({ tenant: expect.objectContaining({ id: one.id }), matched: { field: 'userName', value: `jane1-${mail}` } }),
    ]);
    expect((await viewer.get('/users?q=ext-jane&by=externalId')).body.items[0]).toMatchObject({ tenant: { id: two.id }, user: { externalId: 'Ext-Jane' } });
    // Prefixes of the userName and the externalId, in any case.
    const userNamePrefix = await viewer.get(`/users?q=${encodeURIComponent(`JANE2-${mail.slice(0, 6)}`)}&by=userName&match=prefix`);
    expect(userNamePrefix.body.items).toEqual([expect.objectContaining({ tenant: expect.objectContaining({ id: two.id }), matched: { field: 'userName', value: `jane2-${mail}` } })]);
    expect((await viewer.get(`/users?q=${encodeURIComponent(`jane2-${mail.slice(0, 6)}`)}&by=userName`)).body.items).toEqual([]);
    const externalIdPrefix = (await viewer.get('/users?q=EXT-J&by=externalId&match=prefix')).body.items as { user: { externalId: string } }[];
    expect(externalIdPrefix.map((h) => h.user.externalId)).toContain('Ext-Jane');
    expect(externalIdPrefix.every((h) => h.user.externalId.toLowerCase().startsWith('ext-j'))).toBe(true);
    expect((await viewer.get(`/users?q=${encodeURIComponent(mail.slice(0, 12))}&by=email`)).body.items).toEqual([]);

    // Nobody but support staff: no token, a SCIM token of a tenant, a bad query.
    expect((await adminClient(t.url).get(`/users?q=${encodeURIComponent(mail)}`)).status).toBe(401);
    const asTenant = await adminClient(t.url, one.token).get(`/users?q=${encodeURIComponent(mail)}`);
    expect(asTenant.status).toBe(401);
    expect(JSON.stringify(asTenant.body)).not.toContain(two.id);
    expect((await viewer.get('/users?q=x&by=phone')).status).toBe(400);
    expect((await viewer.get('/users')).status).toBe(400);
  });

  it('searches userNames and e-mails across tenants whose users are read by different queries, in key order, up to the limit', async () => {
    const tag = randomUUID().slice(0, 8);
    const one = await t.tenant();
    const two = await t.tenant();
    // The tenants are searched TENANTS_PER_QUERY at a time, in the order of their ids: tenants that
    // sort first are added until the later of the two is the first of a query, the other in the query before.
    const db = t.app.get(Database);
    const ids = (await db.select({ sql: 'SELECT id FROM tenants ORDER BY id', params: [] }))[0].map((r) => String(r.id));
    const later = Math.max(ids.indexOf(one.id), ids.indexOf(two.id));
    const now = new Date();
    const fillers = Array.from({ length: TENANTS_PER_QUERY - (later % TENANTS_PER_QUERY) }, (_, i) => ({
      id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      slug: `filler-${tag}-${i}`,
      name: 'Filler',
      status: 'active' as const,
      scimRateLimitPerSecond: null,
      createdAt: now,
      updatedAt: now,
    }));
    const insert = db.insertStatement(TenantEntity, fillers)!;
    await db.transaction((m) => m.query(insert.sql, [...insert.params]));

    // userNames interleave between the tenants in key order (lower-cased), not in the order of the values.
    const users: Record<string, string> = {};
    for (const [tenant, letter, mail] of [
      [one, 'a', 4],
      [two, 'B', 3],
      [one, 'C', 2],
      [two, 'd', 1],
    ] as const) {
      const userName = `${tag}-${letter}@contoso.com`;
      const created = await scimClient(t.scimUrl, tenant.token).post(
        '/Users',
        entraUser(userName, {
          emails: [
            { value: `${tag}.M${mail}@Mail.example`, type: 'work', primary: true },
            { value: `shared.${tag}@mail.example`, type: 'other' },
          ],
        }),
      );
      expect(created.status).toBe(201);
      users[letter] = created.body.id;
    }
    const found = async (query: string) => {
      const res = await viewer.get(`/users?${query}`);
      expect(res.status).toBe(200);
      return (res.body.items as { tenant: { id: string }; user: { id: string }; matched: { value: string } }[]).map((h) => [h.tenant.id, h.user.id, h.matched.value]);
    };

    expect(await found(`q=${tag}-&by=userName&match=prefix`)).toEqual([
      [one.id, users.a, `${tag}-a@contoso.com`],
      [two.id, users.B, `${tag}-B@contoso.com`],
      [one.id, users.C, `${tag}-C@contoso.com`],
      [two.id, users.d, `${tag}-d@contoso.com`],
    ]);
    expect(await found(`q=${tag.toUpperCase()}-&by=userName&match=prefix&limit=3`)).toEqual([
      [one.id, users.a, `${tag}-a@contoso.com`],
      [two.id, users.B, `${tag}-B@contoso.com`],
      [one.id, users.C, `${tag}-C@contoso.com`],
    ]);
    expect(await found(`q=${tag}-b%40contoso.com&by=userName`)).toEqual([[two.id, users.B, `${tag}-B@contoso.com`]]);
    // E-mails by key (m1 … m4, the reverse of the userNames), then by user id for the address all four share.
    expect(await found(`q=${tag}.M&by=email&match=prefix`)).toEqual([
      [two.id, users.d, `${tag}.M1@Mail.example`],
      [one.id, users.C, `${tag}.M2@Mail.example`],
      [two.id, users.B, `${tag}.M3@Mail.example`],
      [one.id, users.a, `${tag}.M4@Mail.example`],
    ]);
    expect(await found(`q=${tag}.m&by=email&match=prefix&limit=3`)).toEqual([
      [two.id, users.d, `${tag}.M1@Mail.example`],
      [one.id, users.C, `${tag}.M2@Mail.example`],
      [two.id, users.B, `${tag}.M3@Mail.example`],
    ]);
    expect(await found(`q=${tag}.m2%40mail.example&by=email`)).toEqual([[one.id, users.C, `${tag}.M2@Mail.example`]]);
    const byId = Object.entries(users).sort(([, a], [, b]) => (a < b ? -1 : 1));
    const shared = await found(`q=SHARED.${tag}%40mail.example&by=email&limit=3`);
    expect(shared.map((h) => h[1])).toEqual(byId.slice(0, 3).map(([, id]) => id));
    expect(new Set(shared.map((h) => h[0]))).toEqual(new Set([one.id, two.id]));
  });

  it('reactivates a user through the SCIM write path, recorded as user.reactivate', async () => {
    const tenant = await t.tenant();
    const user = (await scimClient(t.scimUrl, tenant.token).post('/Users', entraUser('back@contoso.com'))).body;
    expect((await operator.post(`/tenants/${tenant.slug}/users/${user.id}/deactivate`)).body.active).toBe(false);
    const back = await operator.post(`/tenants/${tenant.slug}/users/${user.id}/reactivate`).set('x-request-id', 'ticket-42');
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ id: user.id, active: true });
    expect(back.body.meta.version).not.toBe(user.meta.version);
    expect((await scimClient(t.scimUrl, tenant.token).get(`/Users/${user.id}`)).body.active).toBe(true);
    expect((await viewer.post(`/tenants/${tenant.id}/users/${user.id}/reactivate`)).status).toBe(403);
    expect((await operator.post(`/tenants/${tenant.id}/users/${randomUUID()}/reactivate`)).status).toBe(404);
    const log = (await viewer.get(`/tenants/${tenant.id}/events?operation=user.reactivate`)).body.items;
    expect(log).toEqual([expect.objectContaining({ actorType: 'support', requestId: 'ticket-42', resourceId: user.id, userName: 'back@contoso.com', changedAttributes: ['active'] })]);
  });

  it('Authorize again replaces the earlier grant of the same admin and client; the grants list shows who and when', async () => {
    const tenant = await t.tenant();
    const admin = await t.admin(tenant.id);
    const client = await t.client(tenant.id);
    const auth = { ...client, method: 'basic' as const };
    const authorize = async () => {
      const { redirect } = await authorizeAsAdmin(t, { clientId: client.clientId }, admin);
      const token = await tokenRequest(t, { grant_type: 'authorization_code', code: redirect.searchParams.get('code')!, redirect_uri: ENTRA_REDIRECT }, auth);
      expect(token.status).toBe(200);
      return token.body as { access_token: string; refresh_token: string };
    };
    const first = await authorize();
    const firstGrant = (await viewer.get(`/tenants/${tenant.slug}/grants`)).body.items[0];
    for (let click = 0; click < 3; click++) await authorize();
    const last = await authorize();

    const grants = (await viewer.get(`/tenants/${tenant.slug}/grants`)).body;
    expect(grants.total).toBe(1);
    expect(grants.items[0]).toMatchObject({ clientId: client.clientId, accountId: admin.id, accountEmail: admin.email, authorizedAt: expect.any(String) });
    expect(grants.items[0].id).not.toBe(firstGrant.id);
    expect(Date.parse(grants.items[0].authorizedAt)).toBeGreaterThanOrEqual(Date.parse(firstGrant.authorizedAt));
    // The replaced authorization's tokens are gone; the new one works.
    expect((await scimClient(t.scimUrl, first.access_token).get('/Users')).status).toBe(401);
    expect((await viewer.get(`/tenants/${tenant.id}/events?operation=auth.failure`)).body.items).toEqual([
      expect.objectContaining({ actorId: client.clientId, count: 1, detail: expect.stringMatching(/^oauth-token-revoked: .*Authorize/) }),
    ]);
    expect((await tokenRequest(t, { grant_type: 'refresh_token', refresh_token: first.refresh_token }, auth)).body.error).toBe('invalid_grant');
    expect((await scimClient(t.scimUrl, last.access_token).get('/Users')).status).toBe(200);
    // Another admin's authorization of the same client is their own.
    const colleague = await t.admin(tenant.id);
    await authorizeAsAdmin(t, { clientId: client.clientId }, colleague);
    expect((await viewer.get(`/tenants/${tenant.slug}/grants`)).body.total).toBe(2);
  });

  it('exports events as CSV and NDJSON, chosen by format or by Accept', async () => {
    const tenant = await t.tenant();
    const scim = scimClient(t.scimUrl, tenant.token);
    await scim.post('/Users', entraUser('csv1@contoso.com', { displayName: 'Doe, "Jane"' }));
    await scim.post('/Users', entraUser('=cmd@contoso.com'));
    await scim.post('/Users', entraUser('CSV1@contoso.com'));

    const csv = await viewer.get(`/tenants/${tenant.slug}/events?format=csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const lines = csv.text.trimEnd().split('\r\n');
    expect(lines[0]).toBe('id,at,actorType,actorId,operation,resourceType,resourceId,status,count,requestId,userName,externalId,displayName,changedAttributes,detail');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toContain('"Doe, ""Jane"""');
    expect(lines[2]).toContain(",'=cmd@contoso.com,");
    expect(lines[3]).toMatch(/,409,1,/);

    const accepted = await viewer.get(`/tenants/${tenant.id}/events?failed=true`).set('Accept', 'text/csv');
    expect(accepted.headers['content-type']).toMatch(/^text\/csv/);
    expect(accepted.text.trimEnd().split('\r\n')).toHaveLength(2);

    const ndjson = await viewer.get(`/tenants/${tenant.id}/events`).set('Accept', 'application/x-ndjson');
    expect(ndjson.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const parsed = ndjson.text.trimEnd().split('\n').map((line) => JSON.parse(line));
    expect(parsed.map((e) => [e.userName, e.status])).toEqual([
      ['csv1@contoso.com', 201],
      ['=cmd@contoso.com', 201],
      ['CSV1@contoso.com', 409],
    ]);
    expect((await viewer.get(`/tenants/${tenant.id}/events`)).body.items).toHaveLength(3);
    expect((await viewer.get(`/tenants/${tenant.id}/events?format=xml`)).status).toBe(400);
  });

  it('streams new events live (Server-Sent Events) with a bound on open streams', async () => {
    const tenant = await t.tenant();
    const stream = await openStream(`${t.url}/admin/v1/tenants/${tenant.slug}/events/stream`, viewerToken);
    try {
      await scimClient(t.scimUrl, tenant.token).post('/Users', entraUser('live@contoso.com'));
      const event = await stream.next((e) => e.userName === 'live@contoso.com');
      expect(event).toMatchObject({ operation: 'create', status: 201 });
    } finally {
      stream.close();
    }
    expect((await request(t.url).get(`/admin/v1/tenants/${tenant.id}/events/stream`)).status).toBe(401);

    // The bound: MAX_OPEN_STREAMS streams are served, one more gets 503 with Retry-After; a closed one frees its place.
    const open = [];
    for (let i = 0; i < MAX_OPEN_STREAMS; i++) open.push(await openStream(`${t.url}/admin/v1/tenants/${tenant.id}/events/stream`, viewerToken));
    try {
      const refused = await viewer.get(`/tenants/${tenant.id}/events/stream`);
      expect(refused.status).toBe(503);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(refused.body).toMatchObject({ statusCode: 503, message: expect.stringContaining('Too many open event streams') });
      open.pop()!.close();
      await vi.waitFor(() => expect(t.app.get(EventStreamService).openStreams).toBe(MAX_OPEN_STREAMS - 1));
      open.push(await openStream(`${t.url}/admin/v1/tenants/${tenant.id}/events/stream`, viewerToken));
    } finally {
      for (const stream of open) stream.close();
    }
  }, 60_000);
});

describe.runIf(dialects().includes('mysql'))('live events across instances on mysql', () => {
  it('an SSE client on instance A sees a write made through instance B within 2 s', async () => {
    const a = await startApp('mysql');
    const b = await bootApp(a.databaseUrl);
    try {
      const tenant = await a.tenant();
      const stream = await openStream(`${a.url}/admin/v1/tenants/${tenant.id}/events/stream`, (await supportAccount(a, 'viewer')).token);
      try {
        const sent = Date.now();
        expect((await scimClient(b.scimUrl, tenant.token).post('/Users', entraUser('elsewhere@contoso.com'))).status).toBe(201);
        const event = await stream.next((e) => e.userName === 'elsewhere@contoso.com');
        expect(event).toMatchObject({ operation: 'create', status: 201 });
        expect(Date.now() - sent).toBeLessThan(2000);
      } finally {
        stream.close();
      }
    } finally {
      await b.close();
      await a.close();
    }
  });
});

interface StreamedEvent {
  userName: string | null;
  [key: string]: unknown;
}

/** An SSE client of the admin event stream, as `curl -N` would follow it. */
async function openStream(url: string, token: string) {
  const controller = new AbortController();
  const res = await fetch(url, { headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' }, signal: controller.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  return {
    async next(match: (event: StreamedEvent) => boolean): Promise<StreamedEvent> {
      for (;;) {
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const message = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = message.split('\n').find((line) => line.startsWith('data: '));
          if (data && message.includes('event: provisioning-event')) {
            const event = JSON.parse(data.slice(6)) as StreamedEvent;
            if (match(event)) return event;
          }
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('the event stream ended');
        buffer += value;
      }
    },
    close: () => controller.abort(),
  };
}
