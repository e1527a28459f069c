import { randomUUID } from 'node:crypto';
import { bootApp, createTestDatabase, dialects, type TestApp } from './support/test-app.js';
import { entraUser, scimClient } from './support/scim-client.js';
import { authorizationPath, authorizeAsAdmin, ENTRA_REDIRECT, follow, startAuthorization, submitLogin, tokenRequest, type ClientAuth } from './support/oauth.js';

// Every instance behind one load balancer has the same PUBLIC_URL (issuer and token audience).
const PUBLIC_URL = 'http://atea.test';

describe.each(dialects())('OAuth state in the database on %s', (dialect) => {
  let database: { url: string; drop: () => Promise<void> };
  const running: TestApp[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    for (const app of running) await app.close().catch(() => undefined);
    await database?.drop();
  });

  async function boot(): Promise<TestApp> {
    const app = await bootApp(database.url, { PUBLIC_URL });
    running.push(app);
    return app;
  }

  it('keeps tokens and sessions across a restart', async () => {
    const first = await boot();
    const tenant = await first.tenant();
    const admin = await first.admin(tenant.id);
    const client = await first.client(tenant.id);
    const auth: ClientAuth = { ...client, method: 'basic' };

    const { redirect, browser } = await authorizeAsAdmin(first, { clientId: client.clientId }, admin);
    const tokens = await tokenRequest(first, { grant_type: 'authorization_code', code: redirect.searchParams.get('code')!, redirect_uri: ENTRA_REDIRECT }, auth);
    expect(tokens.status).toBe(200);
    await first.close();
    running.splice(running.indexOf(first), 1);

    const second = await boot();
    const created = await scimClient(second.scimUrl, tokens.body.access_token).post('/Users', entraUser(`restart-${randomUUID()}@contoso.com`));
    expect(created.status).toBe(201);
    const refreshed = await tokenRequest(second, { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token }, auth);
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
    expect((await scimClient(second.scimUrl, refreshed.body.access_token).get(`/Users/${created.body.id}`)).status).toBe(200);

    // The browser's session survives too: Authorize again goes straight to the consent page.
    const browserOnSecond = browser.on(second.url);
    const page = await follow(browserOnSecond, await browserOnSecond.get(authorizationPath({ clientId: client.clientId })));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('wants to manage users of');
  });

  it.runIf(dialect === 'mysql')('works across two instances on one database', async () => {
    const a = await boot();
    const b = await boot();
    const tenant = await a.tenant();
    const admin = await a.admin(tenant.id);
    const client = await a.client(tenant.id);
    const auth: ClientAuth = { ...client, method: 'post' };

    // Client credentials from A, used on B.
    const cc = await tokenRequest(a, { grant_type: 'client_credentials' }, auth);
    expect(cc.status).toBe(200);
    expect((await scimClient(b.scimUrl, cc.body.access_token).get('/Users')).status).toBe(200);

    // A sign-in started on A continues on B.
    const started = await startAuthorization(a, { clientId: client.clientId });
    const login = await submitLogin(started.browser.on(b.url), started.uid, admin.email, admin.password);
    expect(login.status).toBe(303);
    const consent = await follow(started.browser.on(a.url), login);
    expect(await consent.text()).toContain('wants to manage users of');

    // The code grant from A; the token exchange and the refresh on B; SCIM on both.
    const { redirect } = await authorizeAsAdmin(a, { clientId: client.clientId }, admin);
    const tokens = await tokenRequest(b, { grant_type: 'authorization_code', code: redirect.searchParams.get('code')!, redirect_uri: ENTRA_REDIRECT }, auth);
    expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
    expect((await scimClient(a.scimUrl, tokens.body.access_token).get('/Users')).status).toBe(200);
    const refreshed = await tokenRequest(a, { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token }, auth);
    expect(refreshed.status).toBe(200);
    expect((await scimClient(b.scimUrl, refreshed.body.access_token).get('/Users')).status).toBe(200);
  });
});
