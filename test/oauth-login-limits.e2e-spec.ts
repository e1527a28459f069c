import { Database } from '@app/database';
import { AccountEntity } from '@app/identity';
import { dialects, startApp, type TestApp } from './support/test-app.js';
import { csrfOf, startAuthorization, type TestBrowser } from './support/oauth.js';
import { adminClient, supportAccount } from './support/admin.js';

let ipCounter = 0;
/** Every post comes from an address of its own (TRUST_PROXY is on): only the account's own limit counts. */
const freshIp = () => ({ 'x-forwarded-for': `198.18.${Math.floor(++ipCounter / 250)}.${ipCounter % 250}` });

/** `n` login forms, each in its own browser and interaction, ready to be posted at once. */
async function loginForms(t: TestApp, clientId: string, n: number): Promise<Array<(email: string, password: string) => Promise<Response>>> {
  const forms: Array<(email: string, password: string) => Promise<Response>> = [];
  for (let i = 0; i < n; i++) {
    const { browser, uid } = await startAuthorization(t, { clientId }, freshIp());
    const csrf = csrfOf(await (await browser.get(`/interaction/${uid}`)).text());
    forms.push((email, password) => (browser as TestBrowser).post(`/interaction/${uid}/login`, { csrf, email, password }));
  }
  return forms;
}

const count = (statuses: number[], status: number) => statuses.filter((s) => s === status).length;

describe.each(dialects())('Sign-in limits under parallel posts on %s', (dialect) => {
  const MAX = 5;
  let t: TestApp;
  let tenantId: string;
  let clientId: string;

  beforeAll(async () => {
    // Enough check slots that the posts really run in parallel.
    t = await startApp(dialect, { TRUST_PROXY: 'true', LOGIN_MAX_FAILURES: String(MAX), LOGIN_CHECK_CONCURRENCY: '8', LOGIN_CHECK_QUEUE: '64' });
    tenantId = (await t.tenant()).id;
    clientId = (await t.client(tenantId)).clientId;
  });
  afterAll(() => t?.close());

  const lockedUntil = async (id: string) =>
    (await t.app.get(Database).read((m) => m.findOneByOrFail(AccountEntity, { id }))).lockedUntil;

  it('gives 16 parallel wrong passwords no more checks than the policy allows, then refuses the right one', async () => {
    const victim = await t.admin(tenantId);
    const forms = await loginForms(t, clientId, 16);
    const statuses = (await Promise.all(forms.map((post, i) => post(victim.email, `wrong-${i}`)))).map((r) => r.status);
    // Each checked wrong password below the limit answers 401; the one that uses up the last attempt
    // locks (423), and so does every post that found no attempt left.
    expect(count(statuses, 401)).toBe(MAX - 1);
    expect(count(statuses, 423)).toBe(16 - (MAX - 1));
    expect(await lockedUntil(victim.id)).not.toBeNull();

    const [right] = await loginForms(t, clientId, 1);
    const res = await right(victim.email, victim.password);
    expect(res.status).toBe(423);
    expect(await res.text()).toContain('This account is locked');
  });

  it('lets 15 wrong passwords and the right one in parallel check at most the policy, and never sign in after the lock', async () => {
    const victim = await t.admin(tenantId);
    const forms = await loginForms(t, clientId, 16);
    const rightAt = 7;
    const statuses = (await Promise.all(forms.map((post, i) => post(victim.email, i === rightAt ? victim.password : `wrong-${i}`)))).map((r) => r.status);
    const signedIn = statuses[rightAt] === 303;
    // Wrong passwords checked answer 401 (the one that uses up the last attempt, 423). A right password
    // checked within the limit signs in and starts the count again, so at most one more round follows it.
    expect(count(statuses, 401)).toBeLessThanOrEqual(signedIn ? 2 * (MAX - 1) : MAX - 1);
    expect(statuses.every((s) => [303, 401, 423].includes(s)), statuses.join(',')).toBe(true);
    if (!signedIn) {
      // The right password arrived after the attempts were used up: locked, and it stays so.
      expect(statuses[rightAt]).toBe(423);
      expect(await lockedUntil(victim.id)).not.toBeNull();
      const [again] = await loginForms(t, clientId, 1);
      expect((await again(victim.email, victim.password)).status).toBe(423);
    }
  });

  it('locks across two instances on one database', async () => {
    if (dialect === 'sqlite') return; // one SQLite file serves one instance
    const { bootApp } = await import('./support/test-app.js');
    const second = await bootApp(t.databaseUrl, { TRUST_PROXY: 'true', LOGIN_MAX_FAILURES: String(MAX), LOGIN_CHECK_CONCURRENCY: '8', LOGIN_CHECK_QUEUE: '64' });
    try {
      const victim = await t.admin(tenantId);
      const forms = [...(await loginForms(t, clientId, 8)), ...(await loginForms(second, clientId, 8))];
      const statuses = (await Promise.all(forms.map((post, i) => post(victim.email, `wrong-${i}`)))).map((r) => r.status);
      expect(count(statuses, 401)).toBe(MAX - 1);
      expect(count(statuses, 423)).toBe(16 - (MAX - 1));
    } finally {
      await second.close();
    }
  });
});

describe('The password-check queue', () => {
  let t: TestApp;
  let tenantId: string;
  let clientId: string;

  beforeAll(async () => {
    t = await startApp('sqlite', { TRUST_PROXY: 'true', LOGIN_CHECK_CONCURRENCY: '1', LOGIN_CHECK_QUEUE: '2' });
    tenantId = (await t.tenant()).id;
    clientId = (await t.client(tenantId)).clientId;
  });
  afterAll(() => t?.close());

  it('answers 503 with Retry-After on the login page once the queue is full, and checks the rest', async () => {
    const forms = await loginForms(t, clientId, 40);
    const responses = await Promise.all(forms.map((post, i) => post(`nobody-${i}@example.test`, 'not a password')));
    const statuses = responses.map((r) => r.status);
    expect(statuses.every((s) => s === 401 || s === 503), statuses.join(',')).toBe(true);
    expect(count(statuses, 401)).toBeGreaterThanOrEqual(3);
    const busy = responses.filter((r) => r.status === 503);
    expect(busy.length).toBeGreaterThan(0);
    for (const res of busy) {
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      const html = await res.text();
      // Answered before any other work once the queue is full; the sign-in request stays valid.
      expect(html).toContain('Try again in a moment');
      expect(html).toContain('role="alert"');
      expect(html).not.toContain('expired');
    }
    // The same forms work once the flood is over.
    const res = await forms[0]('nobody-again@example.test', 'not a password');
    expect(res.status).toBe(401);
  });

  it('is the one the admin API hashes new passwords in: creating and resetting admins answer 503 with Retry-After once it is full', async () => {
    const support = adminClient(t.url, (await supportAccount(t, 'operator')).token);
    const expectBusyOrDone = (responses: Array<{ status: number; headers: Record<string, string>; body: any }>, done: number) => {
      const statuses = responses.map((r) => r.status);
      expect(statuses.every((s) => s === done || s === 503), statuses.join(',')).toBe(true);
      expect(count(statuses, done)).toBeGreaterThanOrEqual(3);
      const busy = responses.filter((r) => r.status === 503);
      expect(busy.length).toBeGreaterThan(0);
      for (const res of busy) {
        expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        expect(res.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable', message: expect.stringMatching(/try again/) });
      }
    };

    const created = await Promise.all(Array.from({ length: 16 }, (_, i) => support.post(`/tenants/${tenantId}/admins`, { email: `queued-${i}@example.test` })));
    expectBusyOrDone(created, 201);
    // A refused create leaves no account behind.
    const listed = await support.get(`/tenants/${tenantId}/admins?limit=100`);
    const made = created.filter((r) => r.status === 201).map((r) => r.body.email as string);
    expect(listed.body.items.map((a: { email: string }) => a.email).sort()).toEqual(made.sort());

    const id = created.find((r) => r.status === 201)!.body.id as string;
    const resets = await Promise.all(Array.from({ length: 16 }, () => support.post(`/tenants/${tenantId}/admins/${id}/reset-password`)));
    expectBusyOrDone(resets, 200);
    // Once the queue has room again, a reset goes through.
    expect((await support.post(`/tenants/${tenantId}/admins/${id}/reset-password`)).status).toBe(200);
  });
});
