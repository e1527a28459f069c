import { randomUUID } from 'node:crypto';
import { startApp, type TestApp } from './support/test-app.js';
import { CapturingLogger } from './support/capturing-logger.js';
import { entraUser, scimClient } from './support/scim-client.js';
import { authorizeAsAdmin, ENTRA_REDIRECT, startAuthorization, submitLogin, tokenRequest, type ClientAuth } from './support/oauth.js';

describe('logs', () => {
  const logger = new CapturingLogger();
  const written: string[] = [];
  let t: TestApp;
  let restore: () => void;

  beforeAll(async () => {
    const out = process.stdout.write.bind(process.stdout);
    const err = process.stderr.write.bind(process.stderr);
    process.stdout.write = ((chunk: unknown, ...args: unknown[]) => (written.push(String(chunk)), out(chunk as string, ...(args as [])))) as typeof process.stdout.write;
    process.stderr.write = ((chunk: unknown, ...args: unknown[]) => (written.push(String(chunk)), err(chunk as string, ...(args as [])))) as typeof process.stderr.write;
    const consoleMethods = ['log', 'info', 'warn', 'error', 'debug'] as const;
    const originals = consoleMethods.map((name) => console[name]);
    consoleMethods.forEach((name, i) => {
      console[name] = (...args: unknown[]) => {
        written.push(args.map(String).join(' '));
        originals[i](...args);
      };
    });
    restore = () => {
      process.stdout.write = out;
      process.stderr.write = err;
      consoleMethods.forEach((name, i) => (console[name] = originals[i]));
    };
    t = await startApp('sqlite', { LOG_LEVEL: 'verbose' }, { logger });
  });
  afterAll(async () => {
    restore?.();
    await t?.close();
  });

  it('never contain a token, secret, code or password', async () => {
    const tenant = await t.tenant();
    const admin = await t.admin(tenant.id);
    const client = await t.client(tenant.id);
    const secrets: string[] = [admin.password, client.clientSecret, tenant.token];

    // A wrong password, then the whole code grant, refresh, replay, revocation, client credentials.
    const { browser, uid } = await startAuthorization(t, { clientId: client.clientId });
    const wrongPassword = `wrong-${randomUUID()}`;
    secrets.push(wrongPassword);
    expect((await submitLogin(browser, uid, admin.email, wrongPassword)).status).toBe(401);

    for (const method of ['basic', 'post'] as const) {
      const auth: ClientAuth = { ...client, method };
      const { redirect } = await authorizeAsAdmin(t, { clientId: client.clientId }, admin);
      const code = redirect.searchParams.get('code')!;
      const tokens = await tokenRequest(t, { grant_type: 'authorization_code', code, redirect_uri: ENTRA_REDIRECT }, auth);
      expect(tokens.status).toBe(200);
      const replay = await tokenRequest(t, { grant_type: 'authorization_code', code, redirect_uri: ENTRA_REDIRECT }, auth);
      expect(replay.status).toBe(400);
      const again = await authorizeAsAdmin(t, { clientId: client.clientId }, admin);
      const code2 = again.redirect.searchParams.get('code')!;
      const tokens2 = await tokenRequest(t, { grant_type: 'authorization_code', code: code2, redirect_uri: ENTRA_REDIRECT }, auth);
      const refreshed = await tokenRequest(t, { grant_type: 'refresh_token', refresh_token: tokens2.body.refresh_token }, auth);
      expect(refreshed.status).toBe(200);
      await scimClient(t.scimUrl, refreshed.body.access_token).post('/Users', entraUser(`logs-${randomUUID()}@contoso.com`));
      await tokenRequest(t, { token: refreshed.body.access_token }, auth, '/oauth/token/revocation');
      await scimClient(t.scimUrl, refreshed.body.access_token).get('/Users');
      const wrongSecret = `atea_cs_${randomUUID()}`;
      secrets.push(wrongSecret);
      expect((await tokenRequest(t, { grant_type: 'client_credentials' }, { ...auth, clientSecret: wrongSecret })).status).toBe(401);
      const cc = await tokenRequest(t, { grant_type: 'client_credentials' }, auth);
      secrets.push(code, code2, tokens.body.access_token, tokens.body.refresh_token, tokens2.body.access_token, tokens2.body.refresh_token);
      secrets.push(refreshed.body.access_token, refreshed.body.refresh_token, cc.body.access_token);
    }
    await scimClient(t.scimUrl, tenant.token).get('/Users');

    const everything = [...logger.lines, ...written].join('\n');
    // The logs did record what happened.
    expect(everything).toContain('token issued: grant_type=authorization_code');
    expect(everything).toContain('token request refused: invalid_grant');
    expect(everything).toContain('sign-in refused (invalid)');
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(10);
      expect(everything).not.toContain(secret);
    }
  });
});
