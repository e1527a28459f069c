import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { dialects, startApp, type TestApp } from './support/test-app.js';
import { entraUser, scimClient } from './support/scim-client.js';
import { authorizeAsAdmin, ENTRA_REDIRECT, pkcePair, tokenRequest, type ClientAuth } from './support/oauth.js';

describe.each(dialects())('OAuth authorization server on %s', (dialect) => {
  let t: TestApp;
  let tenant: { id: string; slug: string };
  let admin: { email: string; password: string };
  let client: { clientId: string; clientSecret: string };

  beforeAll(async () => {
    t = await startApp(dialect);
    tenant = await t.tenant();
    admin = await t.admin(tenant.id);
    client = await t.client(tenant.id);
  });
  afterAll(() => t?.close());

  it('publishes its metadata under /oauth', async () => {
    const res = await fetch(`${t.url}/oauth/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, any>;
    expect(body).toMatchObject({
      issuer: `${t.url}/oauth`,
      authorization_endpoint: `${t.url}/oauth/auth`,
      token_endpoint: `${t.url}/oauth/token`,
      revocation_endpoint: `${t.url}/oauth/token/revocation`,
      response_types_supported: ['code'],
    });
    expect(body.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token', 'client_credentials']));
    expect(body.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['client_secret_basic', 'client_secret_post']));
  });

  for (const method of ['basic', 'post'] as const) {
    it(`runs Entra's code grant with client_secret_${method}: authorize, login, consent, code, token, SCIM, refresh, SCIM`, async () => {
      const auth: ClientAuth = { ...client, method };
      const state = randomUUID();
      const { redirect } = await authorizeAsAdmin(t, { clientId: client.clientId, state }, admin);
      expect(`${redirect.origin}${redirect.pathname}`).toBe(ENTRA_REDIRECT);
      expect(redirect.searchParams.get('state')).toBe(state);
      expect(redirect.searchParams.get('iss')).toBe(`${t.url}/oauth`);
      const code = redirect.searchParams.get('code')!;
      expect(code).toBeTruthy();

      const token = await tokenRequest(t, { grant_type: 'authorization_code', code, redirect_uri: ENTRA_REDIRECT }, auth);
      expect(token.status, JSON.stringify(token.body)).toBe(200);
      expect(token.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
      expect(token.body.access_token).toEqual(expect.any(String));
      expect(token.body.refresh_token).toEqual(expect.any(String));
      expect(token.headers.get('cache-control')).toBe('no-store');

      const scim = scimClient(t.scimUrl, token.body.access_token);
      const created = await scim.post('/Users', entraUser(`oauth-${method}-${randomUUID()}@contoso.com`));
      expect(created.status).toBe(201);

      const refreshed = await tokenRequest(t, { grant_type: 'refresh_token', refresh_token: token.body.refresh_token }, auth);
      expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
      expect(refreshed.body.access_token).not.toBe(token.body.access_token);
      expect(refreshed.body.refresh_token).toEqual(expect.any(String));
      expect(refreshed.body.refresh_token).not.toBe(token.body.refresh_token);

      const again = await scimClient(t.scimUrl, refreshed.body.access_token).get(`/Users/${created.body.id}`);
      expect(again.status).toBe(200);
      expect(again.body.userName).toBe(created.body.userName);
    });
  }

  it('runs the client-credentials grant (no scope, no resource) and the token works on SCIM', async () => {
    for (const method of ['basic', 'post'] as const) {
      const token = await tokenRequest(t, { grant_type: 'client_credentials' }, { ...client, method });
      expect(token.status, JSON.stringify(token.body)).toBe(200);
      expect(token.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
      expect(token.body.refresh_token).toBeUndefined();
      const res = await scimClient(t.scimUrl, token.body.access_token).filter('Users', `userName eq "${randomUUID()}"`);
      expect(res.status).toBe(200);
      expect(res.body.totalResults).toBe(0);
    }
  });

  it('accepts and verifies PKCE when it is sent', async () => {
    const { verifier, challenge } = pkcePair();
    const params = { code_challenge: challenge, code_challenge_method: 'S256' };
    const first = await authorizeAsAdmin(t, { clientId: client.clientId, params }, admin);
    const wrong = await tokenRequest(
      t,
      { grant_type: 'authorization_code', code: first.redirect.searchParams.get('code')!, redirect_uri: ENTRA_REDIRECT, code_verifier: pkcePair().verifier },
      { ...client, method: 'basic' },
    );
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toBe('invalid_grant');

    const second = await authorizeAsAdmin(t, { clientId: client.clientId, params }, admin);
    const right = await tokenRequest(
      t,
      { grant_type: 'authorization_code', code: second.redirect.searchParams.get('code')!, redirect_uri: ENTRA_REDIRECT, code_verifier: verifier },
      { ...client, method: 'basic' },
    );
    expect(right.status, JSON.stringify(right.body)).toBe(200);
  });
});

describe('operator CLI for the authorization server', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp('sqlite');
  });
  afterAll(() => t?.close());

  it('admin:create and client:create print what the Authorize flow needs', async () => {
    const { COMMANDS } = await import('../apps/cli/src/commands.js');
    const tenant = await t.tenant();
    const piped = { stdin: Readable.from(['a long enough password\n']), stderr: process.stderr };
    const admin = (await COMMANDS['admin:create'].run(t.app, { tenant: tenant.slug, email: 'Cli.Admin@example.test' }, piped)) as Record<string, string>;
    expect(Object.keys(admin).sort()).toEqual(['email', 'id']);
    const client = (await COMMANDS['client:create'].run(t.app, { tenant: tenant.slug })) as Record<string, string>;
    expect(Object.keys(client).sort()).toEqual(['client_id', 'client_secret']);
    const listed = (await COMMANDS['client:list'].run(t.app, { tenant: tenant.slug })) as { redirectUris: string[]; secrets: unknown[] }[];
    expect(listed[0].redirectUris).toEqual([ENTRA_REDIRECT]);
    const expiry = Date.parse((listed[0].secrets[0] as { expiresAt: string }).expiresAt);
    expect(Math.round((expiry - Date.now()) / 86_400_000)).toBe(730);

    const { redirect } = await authorizeAsAdmin(t, { clientId: client.client_id }, { email: 'cli.admin@example.test', password: 'a long enough password' });
    const token = await tokenRequest(
      t,
      { grant_type: 'authorization_code', code: redirect.searchParams.get('code')!, redirect_uri: ENTRA_REDIRECT },
      { clientId: client.client_id, clientSecret: client.client_secret, method: 'post' },
    );
    expect(token.status).toBe(200);

    const several = (await COMMANDS['client:create'].run(t.app, {
      tenant: tenant.slug,
      'redirect-uri': ['https://one.example/cb', 'https://two.example/cb'],
    })) as Record<string, string>;
    const all = (await COMMANDS['client:list'].run(t.app, { tenant: tenant.slug })) as { clientId: string; redirectUris: string[] }[];
    expect(all.find((c) => c.clientId === several.client_id)?.redirectUris).toEqual(['https://one.example/cb', 'https://two.example/cb']);
    await expect(COMMANDS['client:create'].run(t.app, { tenant: tenant.slug, 'redirect-uri': 'http://plain.example/cb' })).rejects.toThrow(/must use https/);
  });

  it('secrets:generate prints a valid .env block', async () => {
    const { COMMANDS } = await import('../apps/cli/src/commands.js');
    const { loadConfig } = await import('@app/config');
    const text = String(await COMMANDS['secrets:generate'].run(undefined, {}));
    const env: Record<string, string> = {};
    for (const line of text.split('\n')) {
      const match = /^([A-Z_]+)=(.*)$/.exec(line);
      if (match) env[match[1]] = match[2].replace(/^'(.*)'$/, '$1');
    }
    expect(Object.keys(env).sort()).toEqual(['OIDC_COOKIE_KEYS', 'OIDC_JWKS', 'SECRET_ENCRYPTION_KEY']);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://u@h:3306/db', ...env })).not.toThrow();
  });

  it('honours ACCESS_TOKEN_TTL_SECONDS', async () => {
    const longer = await startApp('sqlite', { ACCESS_TOKEN_TTL_SECONDS: '7200' });
    try {
      const tenant = await longer.tenant();
      const client = await longer.client(tenant.id);
      const token = await tokenRequest(longer, { grant_type: 'client_credentials' }, { ...client, method: 'basic' });
      expect(token.body.expires_in).toBe(7200);
    } finally {
      await longer.close();
    }
  });
});
