import { existsSync, mkdirSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { TenantService } from '@app/directory';
import { startApp, type TestApp } from '../support/test-app.js';
import { authorizationPath, ENTRA_REDIRECT, tokenRequest } from '../support/oauth.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const available = existsSync(CHROMIUM);
if (!available && process.env.CI === 'true') throw new Error(`Chromium is required for the browser test (CI=true): not found at ${CHROMIUM}`);
if (!available) console.warn(`Chromium not found at ${CHROMIUM}: the browser test of the Authorize dialog is skipped`);

describe.runIf(available)('the Authorize dialog in a real browser', () => {
  let t: TestApp;
  let browser: Browser;
  let tenant: { id: string; slug: string };
  let admin: { email: string; password: string };
  let client: { clientId: string; clientSecret: string };

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    t = await startApp('sqlite');
    tenant = await t.app.get(TenantService).create('acme', 'Acme Corporation');
    admin = await t.admin(tenant.id, 'jane.admin@acme.test');
    client = await t.client(tenant.id);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('signs in, shows the consent, and ends at the redirect URI with a code and the state', async () => {
    const context = await browser.newContext({ viewport: { width: 1000, height: 760 } });
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      // (The wrong password's 401 page is logged as a failed load; only policy violations count.)
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });
    // Entra's portal is not reached: the final redirect is answered in the browser.
    await page.route('https://portal.azure.com/**', (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<title>Entra</title>' }));

    await page.goto(`${t.url}${authorizationPath({ clientId: client.clientId, state: 'browser-state' })}`);
    await expect.poll(() => page.title()).toBe('Sign in to Acme Corporation – Atea');
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Sign in to authorize Microsoft Entra provisioning');

    // A wrong password first: the form comes back with the error in place.
    await page.getByLabel('Email address').fill(admin.email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('The email address or password is wrong');
    expect(await page.getByLabel('Email address').inputValue()).toBe(admin.email);
    await page.screenshot({ path: `${ARTIFACTS}login-error.png`, fullPage: true });

    await page.getByLabel('Password').fill(admin.password);
    await page.screenshot({ path: `${ARTIFACTS}login.png`, fullPage: true });
    await page.getByRole('button', { name: 'Sign in' }).click();

    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Allow access to Acme Corporation?');
    expect(await page.locator('main').textContent()).toContain('Microsoft Entra provisioning wants to manage users of Acme Corporation.');
    await page.screenshot({ path: `${ARTIFACTS}consent.png`, fullPage: true });
    await page.getByRole('button', { name: 'Allow' }).click();

    await page.waitForURL((url) => url.href.startsWith(ENTRA_REDIRECT));
    const redirect = new URL(page.url());
    expect(redirect.searchParams.get('state')).toBe('browser-state');
    const code = redirect.searchParams.get('code');
    expect(code).toBeTruthy();
    // No Content-Security-Policy violation on the way (the stylesheet applies, the redirect chain is allowed).
    expect(violations).toEqual([]);

    // The code is good for tokens, as Entra would redeem it.
    const token = await tokenRequest(t, { grant_type: 'authorization_code', code: code!, redirect_uri: ENTRA_REDIRECT }, { ...client, method: 'basic' });
    expect(token.status).toBe(200);
    await context.close();
  });

  it('works without JavaScript and returns access_denied when the admin declines', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.route('https://portal.azure.com/**', (route) => route.fulfill({ status: 200, body: 'ok' }));
    await page.goto(`${t.url}${authorizationPath({ clientId: client.clientId, state: 'no-js' })}`);
    await page.getByLabel('Email address').fill(admin.email);
    await page.getByLabel('Password').fill(admin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Deny' }).click();
    await page.waitForURL((url) => url.href.startsWith(ENTRA_REDIRECT));
    const redirect = new URL(page.url());
    expect(redirect.searchParams.get('error')).toBe('access_denied');
    expect(redirect.searchParams.get('state')).toBe('no-js');
    await context.close();
  });
});

/** A reverse proxy that serves the service under `prefix` and strips it, as a shared gateway would. */
async function strippingProxy(prefix: string, target: () => string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    if (!req.url?.startsWith(`${prefix}/`)) {
      res.writeHead(404).end();
      return;
    }
    const upstream = new URL(target());
    const forwarded = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url.slice(prefix.length), headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forwarded.on('error', () => res.writeHead(502).end());
    req.pipe(forwarded);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${prefix}` };
}

describe.runIf(available)('the Authorize dialog in a real browser, served under a path by a proxy', () => {
  let t: TestApp;
  let proxy: { server: Server; url: string };
  let browser: Browser;
  let admin: { email: string; password: string };
  let client: { clientId: string; clientSecret: string };

  beforeAll(async () => {
    proxy = await strippingProxy('/atea', () => t.url);
    t = await startApp('sqlite', { PUBLIC_URL: proxy.url });
    const tenant = await t.app.get(TenantService).create('acme-gw', 'Acme Gateway');
    admin = await t.admin(tenant.id, 'jane.admin@acme-gw.test');
    client = await t.client(tenant.id);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    proxy?.server.close();
  });

  it('signs in and consents through the proxy: cookies and forms stay under the path, the issuer names it', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.route('https://portal.azure.com/**', (route) => route.fulfill({ status: 200, body: 'ok' }));
    await page.goto(`${proxy.url}${authorizationPath({ clientId: client.clientId, state: 'gateway' })}`);
    await expect.poll(() => page.title()).toBe('Sign in to Acme Gateway – Atea');
    expect(page.url()).toMatch(new RegExp(`^${proxy.url}/interaction/`));
    await page.getByLabel('Email address').fill(admin.email);
    await page.getByLabel('Password').fill(admin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Allow access to Acme Gateway?');
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((url) => url.href.startsWith(ENTRA_REDIRECT));
    const redirect = new URL(page.url());
    expect(redirect.searchParams.get('state')).toBe('gateway');
    expect(redirect.searchParams.get('iss')).toBe(`${proxy.url}/oauth`);
    const token = await tokenRequest(t, { grant_type: 'authorization_code', code: redirect.searchParams.get('code')!, redirect_uri: ENTRA_REDIRECT }, { ...client, method: 'basic' });
    expect(token.status).toBe(200);
    await context.close();
  });
});
