import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { TestApp } from './test-app.js';

export const ENTRA_REDIRECT = 'https://portal.azure.com/TokenAuthorize';

/** A cookie-keeping HTTP client that does not follow redirects: a browser, seen from the test. */
export class TestBrowser {
  readonly cookies = new Map<string, string>();

  constructor(
    readonly base: string,
    readonly headers: Record<string, string> = {},
  ) {}

  /** The same browser (cookies and headers), talking to another instance. */
  on(base: string): TestBrowser {
    const moved = new TestBrowser(base, this.headers);
    for (const [name, value] of this.cookies) moved.cookies.set(name, value);
    return moved;
  }

  async get(pathOrUrl: string): Promise<Response> {
    return this.send('GET', pathOrUrl);
  }

  async post(pathOrUrl: string, form: Record<string, string>): Promise<Response> {
    return this.send('POST', pathOrUrl, new URLSearchParams(form).toString());
  }

  private async send(method: string, pathOrUrl: string, body?: string): Promise<Response> {
    const url = new URL(pathOrUrl, this.base);
    const target = new URL(this.base);
    // PUBLIC_URL may name another host than the one the test talks to: always talk to this instance.
    url.protocol = target.protocol;
    url.host = target.host;
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const headers = {
      ...this.headers,
      ...(cookie ? { cookie } : {}),
      ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
    };
    // fetch always sends the URL's own Host: a browser given another Host header goes through node:http.
    const res = this.headers.host ? await rawRequest(method, url, headers, body) : await fetch(url, { method, redirect: 'manual', headers, body });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a));
      if (!value || expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }
}

/** One HTTP exchange with exactly the headers given (Host included), as a fetch Response. */
export function rawRequest(method: string, url: URL, headers: Record<string, string>, body?: string): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) responseHeaders.append(name, v);
        }
        const response = new Response(res.statusCode === 204 ? null : Buffer.concat(chunks), { status: res.statusCode, headers: responseHeaders });
        Object.defineProperty(response, 'url', { value: url.toString() });
        resolve(response);
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

export function csrfOf(html: string): string {
  const match = /name="csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error(`no CSRF field in page:\n${html.slice(0, 500)}`);
  return match[1];
}

export function uidOf(location: string | null): string {
  const match = /\/interaction\/([^/?#]+)/.exec(location ?? '');
  if (!match) throw new Error(`not an interaction URL: ${location}`);
  return match[1];
}

export interface AuthorizeOptions {
  clientId: string;
  redirectUri?: string;
  state?: string;
  /** Extra query parameters (scope, resource, code_challenge, …); Entra sends none. */
  params?: Record<string, string>;
}

/** The authorization URL as Entra opens it: no scope, no resource, no PKCE. */
export function authorizationPath(o: AuthorizeOptions): string {
  const query = new URLSearchParams({
    client_id: o.clientId,
    response_type: 'code',
    redirect_uri: o.redirectUri ?? ENTRA_REDIRECT,
    state: o.state ?? 'entra-state',
    ...o.params,
  });
  return `/oauth/auth?${query}`;
}

/** Opens the authorization URL; returns the browser and the login interaction it was sent to. */
export async function startAuthorization(t: TestApp, o: AuthorizeOptions, headers: Record<string, string> = {}) {
  const browser = new TestBrowser(t.url, headers);
  const res = await browser.get(authorizationPath(o));
  if (res.status !== 303 && res.status !== 302) throw new Error(`authorize answered ${res.status}: ${await res.text()}`);
  return { browser, uid: uidOf(res.headers.get('location')) };
}

/** Submits the login form of an interaction (fetching the form first, for its CSRF token). */
export async function submitLogin(browser: TestBrowser, uid: string, email: string, password: string): Promise<Response> {
  const page = await browser.get(`/interaction/${uid}`);
  const html = await page.text();
  return browser.post(`/interaction/${uid}/login`, { csrf: csrfOf(html), email, password });
}

/** Follows redirects within the service until one leaves it (or a page is shown). */
export async function follow(browser: TestBrowser, res: Response): Promise<Response> {
  let current = res;
  for (let hops = 0; hops < 10 && [302, 303].includes(current.status); hops++) {
    const location = current.headers.get('location')!;
    if (!location.startsWith('/') && !location.startsWith(browser.base) && !isServiceUrl(location)) return current;
    current = await browser.get(location);
  }
  return current;
}

/** A URL of the service under another name (PUBLIC_URL): the resume endpoint or a login page. */
const isServiceUrl = (location: string) => /^\/(oauth\/auth|interaction)\//.test(new URL(location, 'http://x').pathname);

/** The whole dialog: authorize, sign in, consent (allow or deny). Returns the final redirect to the client. */
export async function authorizeAsAdmin(
  t: TestApp,
  o: AuthorizeOptions,
  admin: { email: string; password: string },
  decision: 'allow' | 'deny' = 'allow',
): Promise<{ redirect: URL; browser: TestBrowser }> {
  const { browser, uid } = await startAuthorization(t, o);
  const login = await submitLogin(browser, uid, admin.email, admin.password);
  if (login.status !== 303) throw new Error(`login answered ${login.status}: ${await login.text()}`);
  const consentPage = await follow(browser, login);
  if (consentPage.status !== 200) throw new Error(`expected the consent page, got ${consentPage.status} ${consentPage.headers.get('location')}`);
  const html = await consentPage.text();
  const consentUid = uidOf(consentPage.url);
  const decided = await browser.post(`/interaction/${consentUid}/consent`, { csrf: csrfOf(html), decision });
  const final = await follow(browser, decided);
  if (![302, 303].includes(final.status)) throw new Error(`expected a redirect to the client, got ${final.status}: ${await final.text()}`);
  return { redirect: new URL(final.headers.get('location')!), browser };
}

export type ClientAuth = { clientId: string; clientSecret: string; method: 'basic' | 'post' };

/** POST /oauth/token with client_secret_basic (form-urlencoded parts, RFC 6749 §2.3.1) or client_secret_post. */
export async function tokenRequest(t: TestApp, params: Record<string, string>, auth: ClientAuth, path = '/oauth/token') {
  const form = new URLSearchParams(params);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (auth.method === 'basic') {
    const encode = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
    headers.authorization = `Basic ${Buffer.from(`${encode(auth.clientId)}:${encode(auth.clientSecret)}`).toString('base64')}`;
  } else {
    form.set('client_id', auth.clientId);
    form.set('client_secret', auth.clientSecret);
  }
  const res = await fetch(new URL(path, t.url), { method: 'POST', headers, body: form.toString() });
  const text = await res.text();
  let body: Record<string, any> = {};
  try {
    body = JSON.parse(text);
  } catch {
    body = { raw: text };
  }
  return { status: res.status, body, headers: res.headers };
}

export function pkcePair() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}
