import { bootApp, type TestApp } from './support/test-app.js';
import { startDisposableMariadb, type DisposableMariadb } from './support/disposable-mariadb.js';
import { authorizationPath, authorizeAsAdmin, csrfOf, ENTRA_REDIRECT, startAuthorization, TestBrowser, tokenRequest, type ClientAuth } from './support/oauth.js';

/**
 * The OAuth side while its database is down: killed with SIGKILL (a MariaDB of the test's own),
 * then started again. Every answer in between is "come back later" in the caller's protocol.
 */
describe('OAuth while the database is down', () => {
  let db: DisposableMariadb;
  let t: TestApp;
  let auth: ClientAuth;
  let refreshToken: string;
  let login: { browser: TestBrowser; uid: string; csrf: string };
  let admin: { email: string; password: string };
  let clientId: string;

  beforeAll(async () => {
    db = await startDisposableMariadb();
    t = await bootApp(db.url);
    const tenant = await t.tenant();
    admin = await t.admin(tenant.id);
    const client = await t.client(tenant.id);
    clientId = client.clientId;
    auth = { ...client, method: 'basic' };
    const { redirect } = await authorizeAsAdmin(t, { clientId }, admin);
    const token = await tokenRequest(t, { grant_type: 'authorization_code', code: redirect.searchParams.get('code')!, redirect_uri: ENTRA_REDIRECT }, auth);
    expect(token.status).toBe(200);
    refreshToken = token.body.refresh_token;
    // A browser that has the login form open when the database dies.
    const started = await startAuthorization(t, { clientId });
    login = { ...started, csrf: csrfOf(await (await started.browser.get(`/interaction/${started.uid}`)).text()) };
    await db.kill();
  }, 120_000);

  afterAll(async () => {
    await t?.close();
    await db?.remove();
  });

  function expectTryAgainPage(res: Response, html: string) {
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(html).toContain('Try again in a moment');
    expect(html).not.toContain('expired');
  }

  it('answers temporarily_unavailable with 503 and Retry-After at the token endpoint', async () => {
    const requests: Array<Record<string, string>> = [{ grant_type: 'refresh_token', refresh_token: refreshToken }, { grant_type: 'client_credentials' }];
    for (const params of requests) {
      const res = await tokenRequest(t, params, auth);
      expect(res.status, JSON.stringify(res.body)).toBe(503);
      expect(res.body.error).toBe('temporarily_unavailable');
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
  });

  it('answers 503 at the authorization endpoint, with a page saying to try again', async () => {
    const res = await new TestBrowser(t.url).get(authorizationPath({ clientId }));
    expectTryAgainPage(res, await res.text());
  });

  it('tells the browser on the login page to try again in a moment, not that its request expired', async () => {
    const page = await login.browser.get(`/interaction/${login.uid}`);
    expectTryAgainPage(page, await page.text());
    const posted = await login.browser.post(`/interaction/${login.uid}/login`, { csrf: login.csrf, email: admin.email, password: admin.password });
    expectTryAgainPage(posted, await posted.text());
  });

  it('serves again once the database is back, without a restart, the same login form included', async () => {
    await db.start();
    // The pool may hand out connections of the dead server once more: those answers are 503, never 500.
    let res = await tokenRequest(t, { grant_type: 'refresh_token', refresh_token: refreshToken }, auth);
    for (let tries = 0; res.status === 503 && tries < 50; tries++) {
      await new Promise((r) => setTimeout(r, 200));
      res = await tokenRequest(t, { grant_type: 'refresh_token', refresh_token: refreshToken }, auth);
    }
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const posted = await login.browser.post(`/interaction/${login.uid}/login`, { csrf: login.csrf, email: admin.email, password: admin.password });
    expect(posted.status).toBe(303);
  });
});
