import { randomUUID } from 'node:crypto';
import { Database } from '@app/database';
import { AccountService, OAuthClientSecretEntity, OAuthClientService, OidcPayloadEntity, storedOidcId } from '@app/identity';
import { dialects, startApp, type TestApp } from './support/test-app.js';
import { entraUser, scimClient } from './support/scim-client.js';
import {
  authorizationPath,
  authorizeAsAdmin,
  ENTRA_REDIRECT,
  follow,
  startAuthorization,
  submitLogin,
  TestBrowser,
  tokenRequest,
  type ClientAuth,
} from './support/oauth.js';

let ipCounter = 0;
/** Each test signs in from an address of its own (TRUST_PROXY is on), so IP throttling stays out of the way. */
const freshIp = () => ({ 'x-forwarded-for': `203.0.113.${++ipCounter}` });

describe.each(dialects())('OAuth refusals on %s', (dialect) => {
  let t: TestApp;
  let tenant: { id: string; slug: string };
  let admin: { id: string; email: string; password: string };
  let client: { clientId: string; clientSecret: string; secretId: string };
  let auth: ClientAuth;

  beforeAll(async () => {
    t = await startApp(dialect, { TRUST_PROXY: 'true', LOGIN_IP_MAX_FAILURES: '8', REFRESH_TOKEN_GRACE_SECONDS: '600' });
    tenant = await t.tenant();
    admin = await t.admin(tenant.id);
    client = await t.client(tenant.id);
    auth = { ...client, method: 'basic' };
  });
  afterAll(() => t?.close());

  const db = () => t.app.get(Database);

  async function codeGrant(a: { email: string; password: string } = admin, c: ClientAuth = auth) {
    const { redirect } = await authorizeAsAdmin(t, { clientId: c.clientId }, a);
    const code = redirect.searchParams.get('code')!;
    const token = await tokenRequest(t, { grant_type: 'authorization_code', code, redirect_uri: ENTRA_REDIRECT }, c);
    expect(token.status, JSON.stringify(token.body)).toBe(200);
    return { code, access: token.body.access_token as string, refresh: token.body.refresh_token as string };
  }

  async function expectScim401(token: string) {
    const res = await scimClient(t.scimUrl, token).get('/Users');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="scim"/);
    expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
    expect(res.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '401' });
  }

  describe('the login page', () => {
    it('shows the form again, with an error in place, after a wrong password', async () => {
      const { browser, uid } = await startAuthorization(t, { clientId: client.clientId }, freshIp());
      const res = await submitLogin(browser, uid, admin.email, 'not the password');
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      const html = await res.text();
      expect(html).toContain('role="alert"');
      expect(html).toContain('The email address or password is wrong');
      expect(html).toContain(`value="${admin.email}"`);
      expect(html).toContain('aria-invalid="true"');
      expect(html).toContain(`action="/interaction/${uid}/login"`);
      expect(html).not.toContain('not the password');
    });

    it('locks the account after repeated wrong passwords, even for the right one, with a clear message', async () => {
      const victim = await t.admin(tenant.id);
      const { browser, uid } = await startAuthorization(t, { clientId: client.clientId }, freshIp());
      for (let i = 1; i <= 4; i++) expect((await submitLogin(browser, uid, victim.email, `wrong-${i}`)).status).toBe(401);
      const fifth = await submitLogin(browser, uid, victim.email, 'wrong-5');
      expect(fifth.status).toBe(423);
      expect(await fifth.text()).toMatch(/This account is locked after too many wrong passwords\. Try again in 15 minutes/);
      const right = await submitLogin(browser, uid, victim.email, victim.password);
      expect(right.status).toBe(423);
      // Lock state lives in the database (any instance sees it); unlocking works through it too.
      await db().transaction((m) => m.query('UPDATE accounts SET locked_until = NULL WHERE id = ?', [victim.id]));
      expect((await submitLogin(browser, uid, victim.email, victim.password)).status).toBe(303);
    });

    it('slows down an address with many failed sign-ins, with a clear message and Retry-After', async () => {
      const ip = freshIp();
      const { browser, uid } = await startAuthorization(t, { clientId: client.clientId }, ip);
      // Different unknown accounts: no account lock, only the address counts.
      for (let i = 1; i < 8; i++) expect((await submitLogin(browser, uid, `nobody${i}@example.test`, 'x')).status).toBe(401);
      const blocked = await submitLogin(browser, uid, `nobody8@example.test`, 'x');
      expect(blocked.status).toBe(401); // the 8th failure is counted, and starts the delay
      const slowed = await submitLogin(browser, uid, admin.email, admin.password);
      expect(slowed.status).toBe(429);
      expect(Number(slowed.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(await slowed.text()).toContain('Too many failed sign-ins from your network');
      // Another address is not affected.
      const other = await startAuthorization(t, { clientId: client.clientId }, freshIp());
      expect((await submitLogin(other.browser, other.uid, admin.email, admin.password)).status).toBe(303);
    });

    it('refuses an admin of another tenant', async () => {
      const other = await t.tenant();
      const otherAdmin = await t.admin(other.id);
      const { browser, uid } = await startAuthorization(t, { clientId: client.clientId }, freshIp());
      const res = await submitLogin(browser, uid, otherAdmin.email, otherAdmin.password);
      expect(res.status).toBe(401);
      expect(await res.text()).toContain(`not an administrator of Tenant ${tenant.slug}`);
    });

    it('asks again when the browser is still signed in as an admin of another tenant', async () => {
      const other = await t.tenant();
      const otherAdmin = await t.admin(other.id);
      const otherClient = await t.client(other.id);
      const first = await startAuthorization(t, { clientId: otherClient.clientId }, freshIp());
      expect((await submitLogin(first.browser, first.uid, otherAdmin.email, otherAdmin.password)).status).toBe(303);
      // Same browser (session cookie), now authorizing our tenant's client: the login form comes back.
      const res = await first.browser.get(authorizationPath({ clientId: client.clientId }));
      const page = await follow(first.browser, res);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('Sign in to authorize');
    });

    it('refuses a disabled admin, and refresh fails once the authorizing admin is disabled', async () => {
      const soon = await t.admin(tenant.id);
      const tokens = await codeGrant(soon);
      await t.app.get(AccountService).setDisabled(tenant.id, soon.email, true);

      const refreshed = await tokenRequest(t, { grant_type: 'refresh_token', refresh_token: tokens.refresh }, auth);
      expect(refreshed.status).toBe(400);
      expect(refreshed.body.error).toBe('invalid_grant');

      const { browser, uid } = await startAuthorization(t, { clientId: client.clientId }, freshIp());
      const res = await submitLogin(browser, uid, soon.email, soon.password);
      expect(res.status).toBe(403);
      expect(await res.text()).toContain('This account is disabled');
    });

    it('rejects a login post without the CSRF token', async () => {
      const { browser, uid } = await startAuthorization(t, { clientId: client.clientId }, freshIp());
      await browser.get(`/interaction/${uid}`);
      const res = await browser.post(`/interaction/${uid}/login`, { email: admin.email, password: admin.password });
      expect(res.status).toBe(403);
      expect(await res.text()).toContain('This form expired');
      const forged = await browser.post(`/interaction/${uid}/login`, { csrf: 'x'.repeat(43), email: admin.email, password: admin.password });
      expect(forged.status).toBe(403);
    });

    it('shows a friendly page for an unknown or finished interaction', async () => {
      const res = await new TestBrowser(t.url).get(`/interaction/${randomUUID()}`);
      expect(res.status).toBe(400);
      const html = await res.text();
      expect(html).toContain('This sign-in request has expired');
      expect(html).not.toMatch(/at .*\.(js|ts):\d+/);
    });
  });

  describe('the authorization endpoint', () => {
    it('answers access_denied with the state when the admin declines consent', async () => {
      const { redirect } = await authorizeAsAdmin(t, { clientId: client.clientId, state: 'st-1' }, admin, 'deny');
      expect(`${redirect.origin}${redirect.pathname}`).toBe(ENTRA_REDIRECT);
      expect(redirect.searchParams.get('error')).toBe('access_denied');
      expect(redirect.searchParams.get('state')).toBe('st-1');
      expect(redirect.searchParams.get('code')).toBeNull();
    });

    it('shows an HTML error page (no redirect) for an unknown client or an unregistered redirect URI', async () => {
      for (const path of [
        authorizationPath({ clientId: randomUUID() }),
        authorizationPath({ clientId: client.clientId, redirectUri: 'https://evil.example/callback' }),
      ]) {
        const res = await new TestBrowser(t.url).get(path);
        expect(res.status).toBe(400);
        expect(res.headers.get('location')).toBeNull();
        expect(res.headers.get('content-type')).toMatch(/^text\/html/);
        const html = await res.text();
        expect(html).toContain('This request cannot be completed');
        expect(html).toContain('<html lang="en">');
      }
    });

    it('ignores unknown extra query parameters', async () => {
      const { redirect } = await authorizeAsAdmin(t, { clientId: client.clientId, params: { aadOptscim062020: '', foo: 'bar' } }, admin);
      expect(redirect.searchParams.get('code')).toBeTruthy();
    });
  });

  describe('the token endpoint', () => {
    it('refuses a replayed code and revokes what the first exchange issued', async () => {
      const tokens = await codeGrant();
      const replay = await tokenRequest(t, { grant_type: 'authorization_code', code: tokens.code, redirect_uri: ENTRA_REDIRECT }, auth);
      expect(replay.status).toBe(400);
      expect(replay.body.error).toBe('invalid_grant');
      await expectScim401(tokens.access);
    });

    it('accepts a refresh token again within the grace window, refuses it after, and then revokes the grant', async () => {
      const tokens = await codeGrant();
      const first = await tokenRequest(t, { grant_type: 'refresh_token', refresh_token: tokens.refresh }, auth);
      expect(first.status).toBe(200);
      // The answer was "lost": the client repeats the same refresh, within the grace window.
      const retry = await tokenRequest(t, { grant_type: 'refresh_token', refresh_token: tokens.refresh }, auth);
      expect(retry.status, JSON.stringify(retry.body)).toBe(200);
      expect(retry.body.refresh_token).toEqual(expect.any(String));

      // Move the first use back beyond the grace window (600 s here).
      await db().transaction((m) =>
        m.update(OidcPayloadEntity, { model: 'RefreshToken', id: storedOidcId('RefreshToken', tokens.refresh) }, { consumedAt: new Date(Date.now() - 601_000) }),
      );
      const late = await tokenRequest(t, { grant_type: 'refresh_token', refresh_token: tokens.refresh }, auth);
      expect(late.status).toBe(400);
      expect(late.body.error).toBe('invalid_grant');
      // Reuse after the grace window looks like theft: the whole authorization is revoked.
      const successor = await tokenRequest(t, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token }, auth);
      expect(successor.status).toBe(400);
      await expectScim401(first.body.access_token);
    });

    it('refuses a wrong client secret, an unknown client and an expired secret with invalid_client', async () => {
      const wrong = await tokenRequest(t, { grant_type: 'client_credentials' }, { ...auth, clientSecret: 'atea_cs_wrong' });
      expect(wrong.status).toBe(401);
      expect(wrong.body.error).toBe('invalid_client');
      const wrongPost = await tokenRequest(t, { grant_type: 'client_credentials' }, { ...auth, clientSecret: 'atea_cs_wrong', method: 'post' });
      expect(wrongPost.status).toBe(401);
      const unknown = await tokenRequest(t, { grant_type: 'client_credentials' }, { ...auth, clientId: randomUUID() });
      expect(unknown.status).toBe(401);
      expect(unknown.body.error).toBe('invalid_client');

      const expiring = await t.client(tenant.id);
      await t.app.get(OAuthClientService).setSecretExpiry(expiring.clientId, expiring.secretId, new Date(Date.now() - 60_000));
      for (const method of ['basic', 'post'] as const) {
        const expired = await tokenRequest(t, { grant_type: 'client_credentials' }, { ...expiring, method });
        // oidc-provider answers an expired secret with 400 invalid_client ("its client secret is expired").
        expect(expired.status, JSON.stringify(expired.body)).toBe(400);
        expect(expired.body.error).toBe('invalid_client');
      }
    });

    it('rotates secrets: two live secrets at once, refresh tokens survive, the expired one stops working', async () => {
      const rotating = await t.client(tenant.id);
      const oldAuth: ClientAuth = { ...rotating, method: 'basic' };
      const tokens = await codeGrant(admin, oldAuth);
      const added = await t.app.get(OAuthClientService).addSecret(rotating.clientId);
      const newAuth: ClientAuth = { clientId: rotating.clientId, clientSecret: added.clientSecret, method: 'post' };
      expect((await tokenRequest(t, { grant_type: 'client_credentials' }, oldAuth)).status).toBe(200);
      expect((await tokenRequest(t, { grant_type: 'client_credentials' }, newAuth)).status).toBe(200);

      await t.app.get(OAuthClientService).setSecretExpiry(rotating.clientId, rotating.secretId, new Date(Date.now() - 60_000));
      const old = await tokenRequest(t, { grant_type: 'client_credentials' }, oldAuth);
      expect(old.body.error).toBe('invalid_client');
      const refreshed = await tokenRequest(t, { grant_type: 'refresh_token', refresh_token: tokens.refresh }, newAuth);
      expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
    });

    it('refuses a resource other than the SCIM API with invalid_target', async () => {
      const res = await tokenRequest(t, { grant_type: 'client_credentials', resource: 'https://elsewhere.example/api' }, auth);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_target');
      const scim = await tokenRequest(t, { grant_type: 'client_credentials', resource: t.scimUrl }, auth);
      expect(scim.status).toBe(200);
    });

    it('stores no token, code or client secret in the clear', async () => {
      const tokens = await codeGrant();
      const rows = await db().read((m) => m.find(OidcPayloadEntity));
      const dump = JSON.stringify(rows);
      for (const value of [tokens.access, tokens.refresh, tokens.code]) expect(dump).not.toContain(value);
      const secrets = JSON.stringify(await db().read((m) => m.find(OAuthClientSecretEntity)));
      expect(secrets).not.toContain(client.clientSecret);
      expect(secrets).toContain('v1.');
    });
  });

  describe('the SCIM door', () => {
    it('refuses an expired access token', async () => {
      const tokens = await codeGrant();
      await db().transaction((m) =>
        m.update(OidcPayloadEntity, { model: 'AccessToken', id: storedOidcId('AccessToken', tokens.access) }, { expiresAt: new Date(Date.now() - 1000) }),
      );
      await expectScim401(tokens.access);
    });

    it('refuses a revoked access token, and a revoked refresh token revokes the authorization', async () => {
      const tokens = await codeGrant();
      const revoke = await tokenRequest(t, { token: tokens.access, token_type_hint: 'access_token' }, auth, '/oauth/token/revocation');
      expect(revoke.status).toBe(200);
      await expectScim401(tokens.access);

      const other = await codeGrant();
      expect((await tokenRequest(t, { token: other.refresh }, auth, '/oauth/token/revocation')).status).toBe(200);
      await expectScim401(other.access);
      expect((await tokenRequest(t, { grant_type: 'refresh_token', refresh_token: other.refresh }, auth)).status).toBe(400);
    });

    it('refuses unknown tokens and missing credentials with 401, WWW-Authenticate and a SCIM error', async () => {
      await expectScim401('not-a-token-at-all-but-long-enough');
      await expectScim401(randomUUID());
      const none = await fetch(`${t.scimUrl}/Users`);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer realm="scim"');
    });

    it("keeps tenants apart: tenant A's token does not reach tenant B's users", async () => {
      const b = await t.tenant();
      const userOfB = await scimClient(t.scimUrl, b.token).post('/Users', entraUser(`b-${randomUUID()}@contoso.com`));
      expect(userOfB.status).toBe(201);
      const tokenOfA = (await tokenRequest(t, { grant_type: 'client_credentials' }, auth)).body.access_token as string;
      const scimA = scimClient(t.scimUrl, tokenOfA);
      expect((await scimA.get(`/Users/${userOfB.body.id}`)).status).toBe(404);
      expect((await scimA.patch(`/Users/${userOfB.body.id}`, [{ op: 'replace', path: 'active', value: false }])).status).toBe(404);
      expect((await scimA.delete(`/Users/${userOfB.body.id}`)).status).toBe(404);
      const listed = await scimA.filter('Users', `userName eq "${userOfB.body.userName}"`);
      expect(listed.body.totalResults).toBe(0);
      expect((await scimClient(t.scimUrl, b.token).get(`/Users/${userOfB.body.id}`)).body.active).toBe(true);
    });

    it('accepts the per-tenant SCIM tokens as before', async () => {
      const c = await t.tenant();
      expect((await scimClient(t.scimUrl, c.token).get('/Users')).status).toBe(200);
    });
  });

  it('purges expired rows', async () => {
    const tokens = await codeGrant();
    const { OidcPurgeJob } = await import('../apps/api/src/oauth/oidc-purge.job.js');
    const purged = await t.app.get(OidcPurgeJob).run(new Date(Date.now() + 400 * 86_400_000));
    expect(purged).toBeGreaterThan(0);
    await expectScim401(tokens.access);
  });
});
