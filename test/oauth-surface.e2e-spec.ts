import { dialects, startApp, type Dialect, type TestApp } from './support/test-app.js';
import { scimClient } from './support/scim-client.js';
import {
  authorizationPath,
  csrfOf,
  ENTRA_REDIRECT,
  follow,
  rawRequest,
  submitLogin,
  TestBrowser,
  tokenRequest,
  uidOf,
} from './support/oauth.js';

/** A Host and forwarded headers naming someone else's server. */
const FORGED = { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.7' };

async function discovery(t: TestApp, headers: Record<string, string> = {}): Promise<Record<string, any>> {
  const res = await rawRequest('GET', new URL('/oauth/.well-known/openid-configuration', t.url), headers);
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, any>;
}

/** An app started with `env`, a tenant of it, the tenant's admin and an OAuth client of the tenant. */
async function appWithClient(dialect: Dialect, env: Record<string, string>) {
  const t = await startApp(dialect, env);
  const tenant = await t.tenant();
  return { t, admin: await t.admin(tenant.id), client: await t.client(tenant.id) };
}

/** Every absolute URL anywhere in a JSON document. */
function urlsIn(value: unknown): string[] {
  if (typeof value === 'string') return /^[a-z]+:\/\//i.test(value) ? [value] : [];
  if (Array.isArray(value)) return value.flatMap(urlsIn);
  if (value && typeof value === 'object') return Object.values(value).flatMap(urlsIn);
  return [];
}

describe.each(dialects())('What the authorization server emits and accepts, on %s', (dialect) => {
  let t: TestApp;
  let admin: { email: string; password: string };
  let client: { clientId: string; clientSecret: string };

  beforeAll(async () => {
    // Forwarded headers are trusted for the client address, never for the URLs.
    ({ t, admin, client } = await appWithClient(dialect, { TRUST_PROXY: 'true' }));
  });
  afterAll(() => t?.close());

  describe('URLs come from PUBLIC_URL, whatever the Host header says', () => {
    it('names PUBLIC_URL in every URL of the discovery document with a forged Host', async () => {
      const body = await discovery(t, FORGED);
      expect(body).toMatchObject({
        issuer: `${t.url}/oauth`,
        authorization_endpoint: `${t.url}/oauth/auth`,
        token_endpoint: `${t.url}/oauth/token`,
        jwks_uri: `${t.url}/oauth/jwks`,
        revocation_endpoint: `${t.url}/oauth/token/revocation`,
      });
      const urls = urlsIn(body);
      expect(urls.length).toBeGreaterThanOrEqual(5);
      for (const url of urls) expect(url.startsWith(`${t.url}/`), url).toBe(true);
      expect(JSON.stringify(body)).not.toContain('evil.example');
    });

    it('sends the browser to PUBLIC_URL at every step of the dialog, and back with its issuer, under a forged Host', async () => {
      const browser = new TestBrowser(t.url, FORGED);
      const start = await browser.get(authorizationPath({ clientId: client.clientId, state: 'forged' }));
      expect(start.status).toBe(303);
      const loginUrl = start.headers.get('location')!;
      expect(loginUrl).toMatch(new RegExp(`^${t.url}/interaction/[^/]+$`));
      const uid = uidOf(loginUrl);

      const login = await submitLogin(browser, uid, admin.email, admin.password);
      expect(login.status).toBe(303);
      expect(login.headers.get('location')).toMatch(new RegExp(`^${t.url}/oauth/auth/${uid}$`));

      const consentRedirect = await browser.get(login.headers.get('location')!);
      expect(consentRedirect.status).toBe(303);
      expect(consentRedirect.headers.get('location')).toMatch(new RegExp(`^${t.url}/interaction/[^/]+$`));
      const consentUid = uidOf(consentRedirect.headers.get('location'));
      const consentPage = await browser.get(consentRedirect.headers.get('location')!);
      expect(consentPage.status).toBe(200);
      const decided = await browser.post(`/interaction/${consentUid}/consent`, { csrf: csrfOf(await consentPage.text()), decision: 'allow' });
      expect(decided.headers.get('location')).toMatch(new RegExp(`^${t.url}/oauth/auth/${consentUid}$`));

      const final = await follow(browser, decided);
      const redirect = new URL(final.headers.get('location')!);
      expect(`${redirect.origin}${redirect.pathname}`).toBe(ENTRA_REDIRECT);
      expect(redirect.searchParams.get('iss')).toBe(`${t.url}/oauth`);
      expect(redirect.searchParams.get('state')).toBe('forged');
      // Plain http PUBLIC_URL: no cookie claims Secure because a proxy said https.
      for (const line of [start, login, consentPage].flatMap((r) => r.headers.getSetCookie())) expect(line).not.toMatch(/;\s*secure/i);
    });

    it('sends a form post of the wrong page back to PUBLIC_URL, not to the Host', async () => {
      const browser = new TestBrowser(t.url, FORGED);
      const uid = uidOf((await browser.get(authorizationPath({ clientId: client.clientId }))).headers.get('location'));
      const page = await browser.get(`/interaction/${uid}`);
      const res = await browser.post(`/interaction/${uid}/consent`, { csrf: csrfOf(await page.text()), decision: 'allow' });
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe(`${t.url}/interaction/${uid}`);
    });
  });

  describe('advertises exactly what it serves', () => {
    it('lists only confidential client authentication, the code flow in the query, and the SCIM scope', async () => {
      const body = await discovery(t);
      expect(body.token_endpoint_auth_methods_supported).toEqual(['client_secret_basic', 'client_secret_post']);
      expect(body.response_types_supported).toEqual(['code']);
      expect(body.response_modes_supported).toEqual(['query']);
      expect(body.scopes_supported).toEqual(['scim']);
      expect(body.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token', 'client_credentials']));
      expect(body.grant_types_supported).toHaveLength(3);
      expect(JSON.stringify(body)).not.toMatch(/openid"|"none"|private_key_jwt|client_secret_jwt|form_post|fragment/);
    });

    it('accepts both advertised methods at the token endpoint', async () => {
      for (const method of ['basic', 'post'] as const) {
        const res = await tokenRequest(t, { grant_type: 'client_credentials' }, { ...client, method });
        expect(res.status, JSON.stringify(res.body)).toBe(200);
      }
    });

    it('refuses a client that authenticates with none or client_secret_jwt', async () => {
      const none = await fetch(`${t.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.clientId }).toString(),
      });
      expect(none.status).toBe(401);
      expect(await none.json()).toMatchObject({ error: 'invalid_client' });

      // A client_secret_jwt assertion: HS256 over the client secret, as RFC 7523 describes it.
      const { createHmac, randomUUID } = await import('node:crypto');
      const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
      const now = Math.floor(Date.now() / 1000);
      const unsigned = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ iss: client.clientId, sub: client.clientId, aud: `${t.url}/oauth/token`, jti: randomUUID(), iat: now, exp: now + 60 })}`;
      const assertion = `${unsigned}.${createHmac('sha256', client.clientSecret).update(unsigned).digest('base64url')}`;
      const jwt = await fetch(`${t.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: client.clientId,
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: assertion,
        }).toString(),
      });
      expect(jwt.status).toBe(401);
      expect(await jwt.json()).toMatchObject({ error: 'invalid_client' });
    });

    it('refuses a response type other than code, and every grant it does not advertise', async () => {
      for (const type of ['token', 'id_token', 'code id_token', 'code token']) {
        const res = await new TestBrowser(t.url).get(authorizationPath({ clientId: client.clientId, params: { response_type: type } }));
        const location = res.headers.get('location');
        if (location) {
          const back = new URL(location);
          expect(`${back.origin}${back.pathname}`).toBe(ENTRA_REDIRECT);
          const answer = new URLSearchParams(back.hash.slice(1) || back.search);
          // A type that would answer in the fragment fails on its response mode first (invalid_request).
          expect(answer.get('error'), `${type}: ${answer.get('error_description')}`).toMatch(/^(unsupported_response_type|invalid_request)$/);
          for (const issued of ['code', 'access_token', 'id_token']) expect(answer.get(issued)).toBeNull();
        } else {
          expect(res.status, type).toBe(400);
        }
      }
      for (const grant of ['password', 'implicit', 'urn:ietf:params:oauth:grant-type:device_code', 'urn:ietf:params:oauth:grant-type:jwt-bearer']) {
        const res = await tokenRequest(t, { grant_type: grant, username: 'a', password: 'b', device_code: 'c', assertion: 'd' }, { ...client, method: 'basic' });
        expect(res.status, grant).toBe(400);
        expect(res.body.error, grant).toBe('unsupported_grant_type');
      }
    });

    it('refuses a response mode other than query', async () => {
      for (const mode of ['form_post', 'fragment']) {
        const res = await new TestBrowser(t.url).get(authorizationPath({ clientId: client.clientId, params: { response_mode: mode } }));
        const location = res.headers.get('location');
        // Either an error page or an error back to the client, never a login (no code in another mode).
        if (location) {
          const back = new URL(location);
          expect(`${back.origin}${back.pathname}`).toBe(ENTRA_REDIRECT);
          const answer = new URLSearchParams(back.hash.slice(1) || back.search);
          expect(answer.get('error')).toBe('invalid_request');
          expect(answer.get('error_description')).toMatch(/response_mode/);
          expect(answer.get('code')).toBeNull();
        } else {
          expect(res.status).toBe(400);
        }
      }
    });

    it('issues no ID token when a client asks for openid', async () => {
      const browser = new TestBrowser(t.url);
      const start = await browser.get(authorizationPath({ clientId: client.clientId, params: { scope: 'openid scim' } }));
      const uid = uidOf(start.headers.get('location'));
      const login = await submitLogin(browser, uid, admin.email, admin.password);
      const consentPage = await follow(browser, login);
      const consentUid = uidOf(consentPage.url);
      const decided = await browser.post(`/interaction/${consentUid}/consent`, { csrf: csrfOf(await consentPage.text()), decision: 'allow' });
      const final = await follow(browser, decided);
      const code = new URL(final.headers.get('location')!).searchParams.get('code')!;
      const token = await tokenRequest(t, { grant_type: 'authorization_code', code, redirect_uri: ENTRA_REDIRECT }, { ...client, method: 'basic' });
      expect(token.status).toBe(200);
      expect(token.body.id_token).toBeUndefined();
      expect(token.body.scope).toBe('scim');
    });
  });
});

describe('Cookies behind TLS termination', () => {
  let t: TestApp;
  let admin: { email: string; password: string };
  let client: { clientId: string };
  const PUBLIC = 'https://atea.example.test';

  beforeAll(async () => {
    // The test talks plain http to the instance, as a TLS-terminating load balancer would, and sends no X-Forwarded-Proto.
    ({ t, admin, client } = await appWithClient('sqlite', { PUBLIC_URL: PUBLIC }));
  });
  afterAll(() => t?.close());

  it('marks every cookie Secure and names the https PUBLIC_URL', async () => {
    const browser = new TestBrowser(t.url);
    const start = await browser.get(authorizationPath({ clientId: client.clientId }));
    expect(start.headers.get('location')).toMatch(new RegExp(`^${PUBLIC}/interaction/`));
    const uid = uidOf(start.headers.get('location'));
    const page = await browser.get(`/interaction/${uid}`);
    const login = await browser.post(`/interaction/${uid}/login`, { csrf: csrfOf(await page.text()), email: admin.email, password: admin.password });
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe(`${PUBLIC}/oauth/auth/${uid}`);
    const resumed = await browser.get(login.headers.get('location')!);
    const cookies = [start, page, login, resumed].flatMap((r) => r.headers.getSetCookie());
    expect(cookies.map((c) => c.split('=')[0])).toEqual(expect.arrayContaining(['_interaction', '_interaction_resume', 'atea_csrf', '_session']));
    for (const line of cookies) expect(line, line).toMatch(/;\s*secure/i);
    const body = await discovery(t);
    expect(body.token_endpoint).toBe(`${PUBLIC}/oauth/token`);
  });
});

describe('PUBLIC_URL with a path, behind a proxy that strips it', () => {
  let t: TestApp;
  let admin: { email: string; password: string };
  let client: { clientId: string; clientSecret: string };
  const PUBLIC = 'https://gateway.example.test/atea';

  /** The path the proxy passes on for a URL the browser was sent to, which must be under PUBLIC_URL. */
  const behindProxy = (url: string | null): string => {
    expect(url?.startsWith(`${PUBLIC}/`), String(url)).toBe(true);
    return url!.slice(PUBLIC.length);
  };
  const cookiePath = (res: Response, name: string) =>
    /;\s*path=([^;]+)/i.exec(res.headers.getSetCookie().find((line) => line.startsWith(`${name}=`)) ?? '')?.[1];

  beforeAll(async () => {
    ({ t, admin, client } = await appWithClient('sqlite', { PUBLIC_URL: PUBLIC }));
  });
  afterAll(() => t?.close());

  it('keeps the path in discovery, every redirect, form action and cookie path; the dialog ends in a token for the SCIM API', async () => {
    const body = await discovery(t);
    expect(body).toMatchObject({ issuer: `${PUBLIC}/oauth`, authorization_endpoint: `${PUBLIC}/oauth/auth`, token_endpoint: `${PUBLIC}/oauth/token` });
    for (const url of urlsIn(body)) expect(url === `${PUBLIC}/oauth` || url.startsWith(`${PUBLIC}/oauth/`), url).toBe(true);

    const browser = new TestBrowser(t.url);
    const start = await browser.get(authorizationPath({ clientId: client.clientId }));
    const loginPath = behindProxy(start.headers.get('location'));
    const uid = uidOf(loginPath);
    // A browser sends a cookie only under its path: the paths it sees, PUBLIC_URL's path included.
    expect(cookiePath(start, '_interaction')).toBe(`/atea/interaction/${uid}`);
    expect(cookiePath(start, '_interaction_resume')).toBe(`/atea/oauth/auth/${uid}`);
    const page = await browser.get(loginPath);
    const loginHtml = await page.text();
    expect(loginHtml).toContain(`action="/atea/interaction/${uid}/login"`);
    expect(cookiePath(page, 'atea_csrf')).toBe('/atea/interaction');

    const login = await browser.post(`/interaction/${uid}/login`, { csrf: csrfOf(loginHtml), email: admin.email, password: admin.password });
    expect(login.status).toBe(303);
    expect(behindProxy(login.headers.get('location'))).toBe(`/oauth/auth/${uid}`);
    const toConsent = await browser.get(`/oauth/auth/${uid}`);
    const consentPath = behindProxy(toConsent.headers.get('location'));
    const consentUid = uidOf(consentPath);
    const consentPage = await browser.get(consentPath);
    const consentHtml = await consentPage.text();
    expect(consentHtml).toContain(`action="/atea/interaction/${consentUid}/consent"`);
    const decided = await browser.post(`/interaction/${consentUid}/consent`, { csrf: csrfOf(consentHtml), decision: 'allow' });
    const final = await browser.get(behindProxy(decided.headers.get('location')));
    const back = new URL(final.headers.get('location')!);
    expect(`${back.origin}${back.pathname}`).toBe(ENTRA_REDIRECT);
    expect(back.searchParams.get('iss')).toBe(`${PUBLIC}/oauth`);

    const token = await tokenRequest(t, { grant_type: 'authorization_code', code: back.searchParams.get('code')!, redirect_uri: ENTRA_REDIRECT }, { ...client, method: 'basic' });
    expect(token.status, JSON.stringify(token.body)).toBe(200);
    expect((await scimClient(t.scimUrl, token.body.access_token as string).get('/Users')).status).toBe(200);
  });
});
