import request from 'supertest';
import { dialects, startApp, type TestApp } from './support/test-app.js';
import { entraUser, scimClient, SCIM_JSON, type ScimClient } from './support/scim-client.js';

const ERROR_URN = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** The response is a SCIM Error of `status` in application/scim+json. */
function expectScimError(res: request.Response, status: number, scimType?: string) {
  expect(res.status, res.text).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
  const body = JSON.parse(res.text);
  expect(body.schemas).toEqual([ERROR_URN]);
  expect(body.status).toBe(String(status));
  if (scimType) expect(body.scimType).toBe(scimType);
  return body as { detail: string };
}

describe.each(dialects())('SCIM limits on %s', (dialect) => {
  let t: TestApp;
  let scim: ScimClient;
  let token: string;

  beforeAll(async () => {
    t = await startApp(dialect);
    ({ token } = await t.tenant());
    scim = scimClient(t.scimUrl, token);
  });
  afterAll(() => t?.close());

  describe('lengths are checked on the stored, lower-cased text', () => {
    // 'İ' (U+0130) lower-cases to 'i' + U+0307: twice as long.
    const dotted = (n: number) => 'İ'.repeat(n);

    it('refuses a userName whose lower-case form is too long, and stores nothing', async () => {
      const body = expectScimError(await scim.post('/Users', entraUser(dotted(255), { externalId: 'x' })), 400, 'invalidValue');
      expect(body.detail).toMatch(/userName/);
      const list = await scim.filter('Users', `userName sw "${dotted(1)}"`);
      expect(list.body.totalResults).toBe(0);
    });

    it('accepts a userName whose lower-case form fits', async () => {
      const res = await scim.post('/Users', entraUser(dotted(127), { externalId: 'fits' }));
      expect(res.status, res.text).toBe(201);
      expect(res.body.userName).toBe(dotted(127));
    });

    it('refuses an externalId whose lower-case form is too long (it is kept lower-cased for search)', async () => {
      const body = expectScimError(await scim.post('/Users', entraUser('long-external-id', { externalId: dotted(200) })), 400, 'invalidValue');
      expect(body.detail).toMatch(/externalId/);
    });

    it('refuses e-mail and phone values whose lower-case form is too long', async () => {
      const email = expectScimError(await scim.post('/Users', entraUser('long-email', { emails: [{ type: 'work', value: `${dotted(200)}@x.test` }] })), 400, 'invalidValue');
      expect(email.detail).toMatch(/emails/);
      const phone = expectScimError(await scim.post('/Users', entraUser('long-phone', { phoneNumbers: [{ type: 'work', value: dotted(200) }] })), 400, 'invalidValue');
      expect(phone.detail).toMatch(/phoneNumbers/);
    });

    it('refuses the same through PUT and PATCH of userName', async () => {
      const created = await scim.post('/Users', entraUser('short@x.test'));
      expect(created.status).toBe(201);
      const id = created.body.id as string;
      expectScimError(await scim.put(`/Users/${id}`, entraUser(dotted(255), { externalId: 'x' })), 400, 'invalidValue');
      expectScimError(await scim.patch(`/Users/${id}`, [{ op: 'replace', path: 'userName', value: dotted(255) }]), 400, 'invalidValue');
      expectScimError(await scim.patch(`/Users/${id}`, [{ op: 'add', path: 'emails[type eq "work"].value', value: dotted(200) }]), 400, 'invalidValue');
      const after = await scim.get(`/Users/${id}`);
      expect(after.body.userName).toBe('short@x.test');
      expect(after.body.meta.version).toBe('W/"1"');
    });

    it('refuses a group displayName whose lower-case form is too long, on POST, PUT and PATCH', async () => {
      expectScimError(await scim.post('/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: dotted(255) }), 400, 'invalidValue');
      const created = await scim.post('/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Short' });
      expect(created.status).toBe(201);
      const id = created.body.id as string;
      expectScimError(await scim.put(`/Groups/${id}`, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: dotted(255) }), 400, 'invalidValue');
      expectScimError(await scim.patch(`/Groups/${id}`, [{ op: 'replace', path: 'displayName', value: dotted(255) }]), 400, 'invalidValue');
      expect((await scim.get(`/Groups/${id}`)).body.displayName).toBe('Short');
    });

    it('counts characters as the database does: 255 emoji fit a 255-character column', async () => {
      const res = await scim.post('/Users', entraUser('😀'.repeat(255), { externalId: '😀'.repeat(255), emails: [] }));
      expect(res.status, res.text).toBe(201);
      expect((await scim.get(`/Users/${res.body.id}`)).body.userName).toBe('😀'.repeat(255));
    });
  });

  describe('filters are bounded by what they compile to', () => {
    const chain = (term: string, op: string, n: number) => Array.from({ length: n }, () => term).join(` ${op} `);

    it('answers odd paging parameters', async () => {
      for (const query of ['startIndex=99999999999999999999&count=1e30', 'startIndex=-1&count=-1', 'count=99999999999', 'startIndex=1.5', 'sortBy=emails.value', 'sortBy=%C4%B0', 'attributes=%00']) {
        const res = await request(t.scimUrl).get(`/Users?${query}`).set({ Authorization: `Bearer ${token}` });
        expect(res.status, `${query}: ${res.text}`).toBeLessThan(500);
        if (res.status >= 400) expectScimError(res, res.status);
      }
    });

    it('refuses a flat chain of 1,100 terms with 400 invalidFilter', async () => {
      const filter = chain('id pr', 'or', 1100);
      expect(filter.length).toBeLessThan(10_000);
      // Spaces as '+' keep the URL under Node's 16 KiB header limit.
      const res = await request(t.scimUrl).get(`/Users?filter=${filter.replaceAll(' ', '+')}`).set({ Authorization: `Bearer ${token}` });
      const body = expectScimError(res, 400, 'invalidFilter');
      expect(body.detail).toMatch(/too many|complex/i);
    });

    it('runs every filter under the limits, however it nests, on users and groups', async () => {
      const users = [
        chain('id pr', 'or', 200),
        chain('id pr', 'and', 200),
        chain('emails[type eq "work" or value pr]', 'or', 100),
        `emails[${chain('value pr', 'or', 199)}]`,
        `${'not ('.repeat(63)}userName pr${')'.repeat(63)}`,
        `${'('.repeat(63)}${chain('userName pr', 'or', 199)}${')'.repeat(63)}`,
        chain('(userName pr and not (emails.value co "x"))', 'or', 66),
        // The deepest nesting the parser allows, alternating operators, a value filter inside.
        `${Array.from({ length: 62 }, (_, i) => (i % 2 ? 'not (' : '(id pr or ')).join('')}emails[${chain('value co "İ"', 'or', 150)}]${')'.repeat(62)}`,
      ];
      for (const filter of users) {
        const res = await request(t.scimUrl).get(`/Users?filter=${encodeURIComponent(filter).replaceAll('%20', '+')}`).set({ Authorization: `Bearer ${token}` });
        expect(res.status, `${filter.slice(0, 80)}: ${res.text}`).toBe(200);
      }
      const groups = await scim.filter('Groups', chain('displayName pr', 'or', 200));
      expect(groups.status).toBe(200);
      const nested = await scim.filter('Groups', `${'not ('.repeat(63)}members[${chain('value pr', 'or', 100)}]${')'.repeat(63)}`);
      expect(nested.status, nested.text).toBe(200);
    });

    it('refuses 201 comparisons, however they are written', async () => {
      expectScimError(await scim.filter('Users', chain('id pr', 'or', 201)), 400, 'invalidFilter');
      expectScimError(await scim.filter('Users', `emails[${chain('value pr', 'and', 201)}]`), 400, 'invalidFilter');
    });
  });

  describe('errors of the HTTP layer are SCIM errors', () => {
    const auth = () => ({ Authorization: `Bearer ${token}` });

    it('answers a malformed URL with 400 in SCIM form', async () => {
      expectScimError(await request(t.url).get('/scim/v2/Users/%').set(auth()), 400);
    });

    it('answers an id over 8,192 characters with 414 in SCIM form', async () => {
      expectScimError(await request(t.url).get(`/scim/v2/Users/${'a'.repeat(9000)}`).set(auth()), 414);
    });

    it('answers a URL over 16 KiB with 431 in SCIM form', async () => {
      expectScimError(await request(t.url).get(`/scim/v2/Users?filter=${'a'.repeat(17_000)}`).set(auth()), 431);
    });

    it('answers an unknown SCIM route with 404 in SCIM form, and admin paths in Nest form', async () => {
      expectScimError(await request(t.url).get('/scim/v2/Nothing').set(auth()), 404);
      expectScimError(await request(t.url).get('/scim/v3/Users').set(auth()), 404);
      const admin = await request(t.url).get('/admin/nothing');
      expect(admin.status).toBe(404);
      expect(admin.body).toMatchObject({ statusCode: 404 });
    });

    it('refuses a form body under /scim with 415 and creates nothing', async () => {
      const res = await request(t.url).post('/scim/v2/Users').set(auth()).set('Content-Type', 'application/x-www-form-urlencoded').send('userName=form-x');
      expectScimError(res, 415);
      expect((await scim.filter('Users', 'userName eq "form-x"')).body.totalResults).toBe(0);
      for (const type of ['text/plain', 'multipart/form-data; boundary=x', 'application/xml']) {
        const other = await request(t.url).post('/scim/v2/Users').set(auth()).set('Content-Type', type).send('userName=x');
        expectScimError(other, 415);
      }
    });

    it('still reads JSON with any +json type', async () => {
      const res = await request(t.url).post('/scim/v2/Users').set(auth()).set('Content-Type', `${SCIM_JSON}; charset=utf-8`).send(JSON.stringify(entraUser('json-ok')));
      expect(res.status).toBe(201);
    });
  });
});
