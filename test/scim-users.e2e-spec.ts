import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { dialects, startApp, type TestApp } from './support/test-app.js';
import { ENTERPRISE, entraUser, scimClient, SCIM_JSON, type ScimClient } from './support/scim-client.js';

describe.each(dialects())('SCIM Users on %s', (dialect) => {
  let t: TestApp;
  let scim: ScimClient;

  beforeAll(async () => {
    t = await startApp(dialect);
    const tenant = await t.tenant();
    scim = scimClient(t.scimUrl, tenant.token);
  });
  afterAll(() => t?.close());

  async function create(userName: string, overrides: Record<string, unknown> = {}) {
    const res = await scim.post('/Users', entraUser(userName, overrides));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as Record<string, any>;
  }

  describe('an Entra provisioning cycle', () => {
    it('Test Connection: a random userName gives an empty ListResponse', async () => {
      const res = await scim.filter('Users', `userName eq "${randomUUID()}"`);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
      expect(res.body).toEqual({
        schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
        totalResults: 0,
        startIndex: 1,
        itemsPerPage: 0,
        Resources: [],
      });
    });

    it('creates the user Entra sends and returns it with id, meta and Location', async () => {
      const res = await scim.post('/Users', entraUser('jdoe@contoso.com'));
      expect(res.status).toBe(201);
      expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
      const user = res.body;
      expect(user.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.headers.location).toBe(`${t.url}/scim/v2/Users/${user.id}`);
      expect(user).toMatchObject({
        userName: 'jdoe@contoso.com',
        externalId: 'ext-jdoe@contoso.com',
        active: true,
        emails: [{ primary: true, type: 'work', value: 'jdoe@contoso.com' }],
        name: { formatted: 'Jane Doe', familyName: 'Doe', givenName: 'Jane' },
        phoneNumbers: [{ type: 'mobile', value: '+1 425-555-0100' }],
        locale: 'en-US',
        meta: { resourceType: 'User', location: res.headers.location, version: 'W/"1"' },
      });
      expect(user.schemas).toContain('urn:ietf:params:scim:schemas:core:2.0:User');
      expect(Date.parse(user.meta.created)).not.toBeNaN();
      expect(user.meta.lastModified).toBe(user.meta.created);
      expect(res.headers.etag).toBe('W/"1"');
    });

    it('matches by userName in any case, and by externalId', async () => {
      const created = await create('Match.Me@contoso.com');
      for (const filter of ['userName eq "match.me@CONTOSO.com"', `externalId eq "${created.externalId}"`]) {
        const res = await scim.filter('Users', filter);
        expect(res.status).toBe(200);
        expect(res.body.totalResults).toBe(1);
        expect(res.body.Resources[0].id).toBe(created.id);
      }
    });

    it('reads a filter whose spaces arrive as +', async () => {
      const created = await create('plus@contoso.com');
      const res = await scim.get('/Users?filter=userName+eq+%22plus%40contoso.com%22');
      expect(res.body.Resources.map((r: { id: string }) => r.id)).toEqual([created.id]);
    });

    it('ignores unknown query parameters such as aadOptscim062020', async () => {
      const res = await scim.get(`/Users?aadOptscim062020&filter=${encodeURIComponent('userName eq "nobody@x"')}`);
      expect(res.status).toBe(200);
      expect(res.body.totalResults).toBe(0);
    });

    it('matches on emails[type eq "work"].value', async () => {
      const created = await create('mail-match@contoso.com', { emails: [{ type: 'work', value: 'Work.Mail@Contoso.com' }] });
      const res = await scim.filter('Users', 'emails[type eq "work"].value eq "work.mail@contoso.com"');
      expect(res.body.Resources.map((r: { id: string }) => r.id)).toEqual([created.id]);
      const other = await scim.filter('Users', 'emails[type eq "home"].value eq "work.mail@contoso.com"');
      expect(other.body.totalResults).toBe(0);
    });

    it('PATCH with Replace on a value path and a sub-attribute answers 200 with the resource', async () => {
      const created = await create('patchme@contoso.com');
      const res = await scim.patch(`/Users/${created.id}`, [
        { op: 'Replace', path: 'emails[type eq "work"].value', value: 'jane@contoso.com' },
        { op: 'Replace', path: 'name.familyName', value: 'Smith' },
      ]);
      expect(res.status).toBe(200);
      expect(res.body.emails).toEqual([{ primary: true, type: 'work', value: 'jane@contoso.com' }]);
      expect(res.body.name).toEqual({ formatted: 'Jane Doe', familyName: 'Smith', givenName: 'Jane' });
      expect(res.body.meta.version).toBe('W/"2"');
      const again = await scim.get(`/Users/${created.id}`);
      expect(again.body.emails[0].value).toBe('jane@contoso.com');
      expect(again.body.name.familyName).toBe('Smith');
    });

    it('PATCH replaces userName, the matching attribute itself', async () => {
      const created = await create('old-name@contoso.com');
      const res = await scim.patch(`/Users/${created.id}`, [{ op: 'Replace', path: 'userName', value: 'new-name@contoso.com' }]);
      expect(res.status).toBe(200);
      expect(res.body.userName).toBe('new-name@contoso.com');
      expect((await scim.filter('Users', 'userName eq "old-name@contoso.com"')).body.totalResults).toBe(0);
      expect((await scim.filter('Users', 'userName eq "new-name@contoso.com"')).body.totalResults).toBe(1);
    });

    it('Add through a filter that matches nothing creates the element', async () => {
      const created = await create('nomobile@contoso.com', { phoneNumbers: undefined });
      expect(created.phoneNumbers).toBeUndefined();
      const res = await scim.patch(`/Users/${created.id}`, [
        { op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 425-555-0199' },
      ]);
      expect(res.status).toBe(200);
      expect(res.body.phoneNumbers).toEqual([{ type: 'mobile', value: '+1 425-555-0199' }]);
      const replaced = await scim.patch(`/Users/${created.id}`, [
        { op: 'Replace', path: 'emails[type eq "home"].value', value: 'home@example.com' },
      ]);
      expect(replaced.status).toBe(200);
      expect(replaced.body.emails).toContainEqual({ type: 'home', value: 'home@example.com' });
    });

    it('expands path-less dotted and extension keys', async () => {
      const created = await create('dotted@contoso.com');
      const res = await scim.patch(`/Users/${created.id}`, [
        {
          op: 'replace',
          value: {
            displayName: 'Jane Smith',
            'name.givenName': 'Janet',
            [`${ENTERPRISE}:employeeNumber`]: '701984',
          },
        },
      ]);
      expect(res.status).toBe(200);
      expect(res.body.displayName).toBe('Jane Smith');
      expect(res.body.name.givenName).toBe('Janet');
      expect(res.body['name.givenName']).toBeUndefined();
      expect(res.body[ENTERPRISE]).toEqual({ employeeNumber: '701984' });
      expect(res.body.schemas).toContain(ENTERPRISE);
    });

    it.each([
      ['"False" / "True" (default job)', 'False', 'True'],
      ['"false" / "true"', 'false', 'true'],
      ['booleans (newer job)', false, true],
    ])('deactivates and reactivates with %s, and stores JSON booleans', async (_label, off, on) => {
      const created = await create(`toggle-${String(off)}-${randomUUID()}@contoso.com`);
      const disabled = await scim.patch(`/Users/${created.id}`, [{ op: 'Replace', path: 'active', value: off }]);
      expect(disabled.status).toBe(200);
      expect(disabled.body.active).toBe(false);
      const found = await scim.filter('Users', `userName eq "${created.userName}"`);
      expect(found.body.Resources[0].active).toBe(false);
      expect((await scim.get(`/Users/${created.id}`)).body.active).toBe(false);
      const enabled = await scim.patch(`/Users/${created.id}`, [{ op: 'replace', path: 'active', value: on }]);
      expect(enabled.body.active).toBe(true);
    });

    it('takes "active": "True" as a string on create', async () => {
      const created = await create('stringbool@contoso.com', { active: 'True' });
      expect(created.active).toBe(true);
    });

    it('answers an empty Operations array with 200 and changes nothing', async () => {
      const created = await create('noop@contoso.com');
      const res = await scim.patch(`/Users/${created.id}`, []);
      expect(res.status).toBe(200);
      expect(res.body.meta.version).toBe(created.meta.version);
    });

    it('sets, changes and removes the manager, always returned as {value}', async () => {
      const created = await create('managed@contoso.com');
      const path = `${ENTERPRISE}:manager`;
      let res = await scim.patch(`/Users/${created.id}`, [{ op: 'Add', path, value: 'boss-1' }]);
      expect(res.body[ENTERPRISE].manager).toEqual({ value: 'boss-1' });
      res = await scim.patch(`/Users/${created.id}`, [{ op: 'Replace', path, value: { value: 'boss-2' } }]);
      expect(res.body[ENTERPRISE].manager).toEqual({ value: 'boss-2' });
      res = await scim.patch(`/Users/${created.id}`, [{ op: 'Remove', path, value: [{ value: 'boss-2' }] }]);
      expect(res.status).toBe(200);
      expect(res.body[ENTERPRISE]?.manager).toBeUndefined();
    });

    it('stores name.formatted as sent, never recomputed', async () => {
      const created = await create('formatted@contoso.com', { name: { formatted: 'Dr. J. Doe (Sales)', familyName: 'Doe', givenName: 'Jane' } });
      expect(created.name.formatted).toBe('Dr. J. Doe (Sales)');
      const res = await scim.patch(`/Users/${created.id}`, [{ op: 'Replace', path: 'name.givenName', value: 'Janet' }]);
      expect(res.body.name.formatted).toBe('Dr. J. Doe (Sales)');
    });

    it('treats null attributes and client meta as absent on create', async () => {
      const created = await create('nulls@contoso.com', {
        displayName: null,
        title: null,
        name: { givenName: 'Jane', familyName: null },
        meta: { resourceType: 'User', created: '1999-01-01T00:00:00Z', version: 'W/"99"' },
      });
      expect(created.displayName).toBeUndefined();
      expect(created.title).toBeUndefined();
      expect(created.name).toEqual({ givenName: 'Jane' });
      expect(created.meta.version).toBe('W/"1"');
      expect(created.meta.created).not.toBe('1999-01-01T00:00:00Z');
    });

    it('clears attributes with Remove, and with Replace to null or ""', async () => {
      const created = await create('clear@contoso.com', { displayName: 'Jane', title: 'Engineer', locale: 'en-US' });
      const res = await scim.patch(`/Users/${created.id}`, [
        { op: 'Remove', path: 'displayName' },
        { op: 'Replace', path: 'title', value: null },
        { op: 'Replace', path: 'locale', value: '' },
        { op: 'Remove', path: 'phoneNumbers[type eq "mobile"]' },
      ]);
      expect(res.status).toBe(200);
      expect(res.body.displayName).toBeUndefined();
      expect(res.body.title).toBeUndefined();
      expect(res.body.locale).toBeUndefined();
      expect(res.body.phoneNumbers).toBeUndefined();
    });

    it('stores values exactly as sent', async () => {
      const created = await create('asis@contoso.com', { phoneNumbers: [{ type: 'mobile', value: '(425) 555 0100 ext. 7' }] });
      expect(created.phoneNumbers[0].value).toBe('(425) 555 0100 ext. 7');
    });

    it('deletes with 204; the user is then gone', async () => {
      const created = await create('deleteme@contoso.com');
      expect((await scim.delete(`/Users/${created.id}`)).status).toBe(204);
      const gone = await scim.get(`/Users/${created.id}`);
      expect(gone.status).toBe(404);
      expect(gone.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '404' });
      expect((await scim.delete(`/Users/${created.id}`)).status).toBe(404);
      expect((await scim.filter('Users', 'userName eq "deleteme@contoso.com"')).body.totalResults).toBe(0);
    });
  });

  describe('Okta and generic clients', () => {
    it('accepts application/json bodies and lower-case /users', async () => {
      const { token } = await t.tenant();
      const res = await request(t.scimUrl)
        .post('/users')
        .set('Authorization', `Bearer ${token}`)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ userName: 'plainjson@contoso.com', name: { givenName: 'P', familyName: 'J' } }));
      expect(res.status).toBe(201);
      expect(res.body.userName).toBe('plainjson@contoso.com');
      const list = await request(t.scimUrl).get('/users').set('Authorization', `Bearer ${token}`);
      expect(list.body.totalResults).toBe(1);
    });

    it('reads JSON bodies whatever the case and parameters of their media type', async () => {
      const { token } = await t.tenant();
      for (const [i, type] of ['application/scim+json; charset=utf-8', 'application/json;charset=UTF-8', 'Application/SCIM+JSON'].entries()) {
        const res = await request(t.scimUrl)
          .post('/Users')
          .set('Authorization', `Bearer ${token}`)
          .set('Content-Type', type)
          .send(JSON.stringify({ userName: `mediatype${i}@contoso.com` }));
        expect(res.status, type).toBe(201);
        expect(res.body.userName).toBe(`mediatype${i}@contoso.com`);
      }
    });

    it('PUT replaces the resource and keeps active when it is left out', async () => {
      const created = await create('put@contoso.com', { title: 'Old', active: true });
      await scim.patch(`/Users/${created.id}`, [{ op: 'replace', path: 'active', value: false }]);
      const res = await scim.put(`/Users/${created.id}`, {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        id: created.id,
        userName: 'put@contoso.com',
        name: { givenName: 'Pat', familyName: 'Tester' },
        emails: [{ value: 'pat@contoso.com', type: 'work', primary: true }],
      });
      expect(res.status).toBe(200);
      expect(res.body.title).toBeUndefined();
      expect(res.body.active).toBe(false);
      expect(res.body.name).toEqual({ givenName: 'Pat', familyName: 'Tester' });
      expect(res.body.phoneNumbers).toBeUndefined();
    });

    it('deactivates with a path-less replace', async () => {
      const created = await create('okta-deactivate@contoso.com');
      const res = await scim.patch(`/Users/${created.id}`, [{ op: 'replace', value: { active: false } }]);
      expect(res.body.active).toBe(false);
    });

    it('lists with startIndex and count, with correct totals', async () => {
      const prefix = `page-${randomUUID().slice(0, 8)}`;
      for (let i = 0; i < 5; i++) await create(`${prefix}-${i}@contoso.com`);
      const filter = encodeURIComponent(`userName sw "${prefix}"`);
      const page = await scim.get(`/Users?filter=${filter}&startIndex=2&count=2`);
      expect(page.body).toMatchObject({ totalResults: 5, startIndex: 2, itemsPerPage: 2 });
      expect(page.body.Resources.map((r: { userName: string }) => r.userName)).toEqual([`${prefix}-1@contoso.com`, `${prefix}-2@contoso.com`]);
      const last = await scim.get(`/Users?filter=${filter}&startIndex=5&count=2`);
      expect(last.body).toMatchObject({ totalResults: 5, startIndex: 5, itemsPerPage: 1 });
      const none = await scim.get(`/Users?filter=${filter}&count=0`);
      expect(none.body).toMatchObject({ totalResults: 5, itemsPerPage: 0, Resources: [] });
      const sorted = await scim.get(`/Users?filter=${filter}&sortBy=userName&sortOrder=descending&count=2`);
      expect(sorted.body.Resources.map((r: { userName: string }) => r.userName)).toEqual([`${prefix}-4@contoso.com`, `${prefix}-3@contoso.com`]);
      const unfiltered = await scim.get('/Users?startIndex=1&count=2');
      expect(unfiltered.body.itemsPerPage).toBe(2);
      expect(unfiltered.body.totalResults).toBeGreaterThanOrEqual(5);
    });

    it('supports the whole filter grammar in SQL', async () => {
      const tag = randomUUID().slice(0, 8);
      const a = await create(`${tag}-a@contoso.com`, { title: 'Engineer', name: { givenName: 'Ann', familyName: 'Employee' } });
      const b = await create(`${tag}-b@contoso.com`, { title: 'Manager', active: true, name: { givenName: 'Bob', familyName: 'Employee' } });
      await scim.patch(`/Users/${b.id}`, [{ op: 'replace', path: 'active', value: false }]);
      const ids = async (filter: string) =>
        ((await scim.filter('Users', `userName sw "${tag}" and (${filter})`)).body.Resources as { id: string }[]).map((r) => r.id).sort();
      expect(await ids('title eq "engineer"')).toEqual([a.id]);
      expect(await ids('title ne "Engineer"')).toEqual([b.id]);
      expect(await ids('not (title eq "Engineer")')).toEqual([b.id]);
      expect(await ids('active eq false')).toEqual([b.id]);
      expect(await ids('name.givenName co "n" or title ew "ger"')).toEqual([a.id, b.id].sort());
      expect(await ids('displayName pr')).toEqual([]);
      expect(await ids('title pr and not (active eq true)')).toEqual([b.id]);
      expect(await ids(`emails[type eq "work" and value co "${tag}-a"]`)).toEqual([a.id]);
      expect(await ids('name.FamilyName eq Employee and (emails.Value co contoso.com or emails.Value co example.org)')).toEqual([a.id, b.id].sort());
      expect(await ids('meta.created gt "2015-10-10T14:38:21Z"')).toEqual([a.id, b.id].sort());
      expect(await ids('meta.lastModified lt "2015-10-10T14:38:21Z"')).toEqual([]);
      expect(await ids('title gt "F"')).toEqual([b.id]);
      expect(await ids('title co "100%"')).toEqual([]);
    });

    it('honours attributes and excludedAttributes', async () => {
      const created = await create('projection@contoso.com');
      const only = await scim.get(`/Users/${created.id}?attributes=userName,emails`);
      expect(Object.keys(only.body).sort()).toEqual(['emails', 'id', 'schemas', 'userName']);
      const without = await scim.get(`/Users/${created.id}?excludedAttributes=emails,meta`);
      expect(without.body.emails).toBeUndefined();
      expect(without.body.meta).toBeUndefined();
      expect(without.body.userName).toBe('projection@contoso.com');
    });

    it('stores and returns the enterprise extension', async () => {
      const enterprise = {
        employeeNumber: '42',
        department: 'Sales',
        costCenter: 'CC-1',
        organization: 'Contoso',
        division: 'EMEA',
        manager: { value: 'mgr-1' },
      };
      const created = await create('enterprise@contoso.com', { [ENTERPRISE]: enterprise });
      expect(created[ENTERPRISE]).toEqual(enterprise);
      const found = await scim.filter('Users', `${ENTERPRISE}:department eq "sales" and ${ENTERPRISE}:employeeNumber eq "42"`);
      expect(found.body.Resources.map((r: { id: string }) => r.id)).toEqual([created.id]);
    });
  });

  describe('errors', () => {
    it('401 with WWW-Authenticate and a SCIM body without a token or with a bad one', async () => {
      for (const auth of [undefined, 'Bearer nope', 'Basic dXNlcjpwYXNz', 'non-token']) {
        const req = request(t.scimUrl).get('/Users');
        const res = await (auth ? req.set('Authorization', auth) : req);
        expect(res.status).toBe(401);
        expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="scim"/);
        expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
        expect(res.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '401' });
        expect(res.body.detail).toBeTruthy();
      }
    });

    it('409 uniqueness for a userName taken in any case, on create and on rename', async () => {
      const first = await create('Unique@contoso.com');
      const dup = await scim.post('/Users', entraUser('UNIQUE@contoso.com'));
      expect(dup.status).toBe(409);
      expect(dup.body).toMatchObject({ status: '409', scimType: 'uniqueness' });
      expect(dup.body.detail).toContain('UNIQUE@contoso.com');
      // An error carries no entity tag (only resources have versions).
      expect(dup.headers.etag).toBeUndefined();
      const other = await create('other-unique@contoso.com');
      const rename = await scim.patch(`/Users/${other.id}`, [{ op: 'replace', path: 'userName', value: 'unique@CONTOSO.com' }]);
      expect(rename.status).toBe(409);
      expect((await scim.get(`/Users/${first.id}`)).body.userName).toBe('Unique@contoso.com');
      expect((await scim.get(`/Users/${other.id}`)).body.userName).toBe('other-unique@contoso.com');
      // A refused PATCH changes nothing, not even its other operations.
      const both = await scim.patch(`/Users/${other.id}`, [
        { op: 'replace', path: 'emails[type eq "work"].value', value: 'moved@contoso.com' },
        { op: 'replace', path: 'userName', value: 'UNIQUE@contoso.com' },
      ]);
      expect(both.status).toBe(409);
      const unchanged = await scim.get(`/Users/${other.id}`);
      expect(unchanged.body.emails).toEqual([{ value: 'other-unique@contoso.com', type: 'work', primary: true }]);
      expect(unchanged.body.meta.version).toBe(other.meta.version);
      expect((await scim.filter('Users', 'emails.value eq "moved@contoso.com"')).body.totalResults).toBe(0);
    });

    it('400 invalidFilter for a filter it cannot parse or an attribute it cannot filter on', async () => {
      for (const filter of ['userName eq', 'userName xx "a"', '(userName eq "a"', 'password eq "x"', 'active gt true']) {
        const res = await scim.filter('Users', filter);
        expect(res.status, filter).toBe(400);
        expect(res.body).toMatchObject({ status: '400', scimType: 'invalidFilter' });
      }
    });

    it('400 invalidSyntax for malformed JSON and for a body that is not an object', async () => {
      const malformed = await request(t.scimUrl)
        .post('/Users')
        .set('Authorization', `Bearer ${(await t.tenant()).token}`)
        .set('Content-Type', SCIM_JSON)
        .send('{"userName": "x", tre}');
      expect(malformed.status).toBe(400);
      expect(malformed.body).toMatchObject({ status: '400', scimType: 'invalidSyntax' });
      expect(malformed.headers['content-type']).toMatch(/^application\/scim\+json/);
      const array = await scim.post('/Users', [1, 2]);
      expect(array.status).toBe(400);
    });

    it('415 for a body that is not JSON, 400 for JSON with a __proto__ key; nothing is written', async () => {
      const { token } = await t.tenant();
      const text = await request(t.scimUrl)
        .post('/Users')
        .set('Authorization', `Bearer ${token}`)
        .set('Content-Type', 'text/plain')
        .send(JSON.stringify({ userName: 'textplain@contoso.com' }));
      expect(text.status).toBe(415);
      expect(text.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '415' });
      const poisoned = await request(t.scimUrl)
        .post('/Users')
        .set('Authorization', `Bearer ${token}`)
        .set('Content-Type', SCIM_JSON)
        .send('{"userName": "proto@contoso.com", "__proto__": {"admin": true}}');
      expect(poisoned.status).toBe(400);
      expect(poisoned.body.scimType).toBe('invalidSyntax');
      const list = await request(t.scimUrl).get('/Users').set('Authorization', `Bearer ${token}`);
      expect(list.body.totalResults).toBe(0);
    });

    it('404 in SCIM form for an id of any length', async () => {
      const res = await scim.get(`/Users/${'x'.repeat(2000)}`);
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ status: '404' });
    });

    it('400 invalidValue for a missing userName or a wrong type; nothing is written', async () => {
      const missing = await scim.post('/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], active: true });
      expect(missing.status).toBe(400);
      expect(missing.body.scimType).toBe('invalidValue');
      const wrongType = await scim.post('/Users', entraUser('wrongtype@contoso.com', { active: 'maybe' }));
      expect(wrongType.status).toBe(400);
      expect(wrongType.body.scimType).toBe('invalidValue');
      const tooLong = await scim.post('/Users', entraUser(`${'x'.repeat(300)}@contoso.com`));
      expect(tooLong.status).toBe(400);
      expect((await scim.filter('Users', 'userName eq "wrongtype@contoso.com"')).body.totalResults).toBe(0);
    });

    it('400 invalidPath for a PATCH path it cannot resolve; the user is unchanged', async () => {
      const created = await create('badpath@contoso.com');
      const res = await scim.patch(`/Users/${created.id}`, [
        { op: 'replace', path: 'title', value: 'Changed' },
        { op: 'replace', path: 'emails[type eq', value: 'x' },
      ]);
      expect(res.status).toBe(400);
      expect(res.body.scimType).toBe('invalidPath');
      expect((await scim.get(`/Users/${created.id}`)).body.title).toBeUndefined();
      const unknown = await scim.patch(`/Users/${created.id}`, [{ op: 'replace', path: 'noSuchAttribute', value: 'x' }]);
      expect(unknown.status).toBe(400);
      const badOp = await scim.patch(`/Users/${created.id}`, [{ op: 'merge', path: 'title', value: 'x' }]);
      expect(badOp.status).toBe(400);
    });

    it('404 for unknown ids on every verb', async () => {
      const id = randomUUID();
      for (const res of [
        await scim.get(`/Users/${id}`),
        await scim.patch(`/Users/${id}`, [{ op: 'replace', path: 'title', value: 'x' }]),
        await scim.put(`/Users/${id}`, entraUser('ghost@contoso.com')),
        await scim.delete(`/Users/${id}`),
      ]) {
        expect(res.status).toBe(404);
        expect(res.body).toMatchObject({ status: '404', schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'] });
      }
    });

    it('412 when If-Match names another version; the right one passes', async () => {
      const created = await create('etag@contoso.com');
      const stale = await scim.patch(`/Users/${created.id}`, [{ op: 'replace', path: 'title', value: 'x' }]).set('If-Match', 'W/"7"');
      expect(stale.status).toBe(412);
      const fresh = await scim.patch(`/Users/${created.id}`, [{ op: 'replace', path: 'title', value: 'x' }]).set('If-Match', 'W/"1"');
      expect(fresh.status).toBe(200);
      expect((await scim.delete(`/Users/${created.id}`).set('If-Match', 'W/"1"')).status).toBe(412);
      expect((await scim.delete(`/Users/${created.id}`).set('If-Match', 'W/"2"')).status).toBe(204);
    });

    it('413 for an oversized body', async () => {
      const res = await scim.post('/Users', entraUser('big@contoso.com', { displayName: 'x'.repeat(2_000_000) }));
      expect(res.status).toBe(413);
      expect(res.body).toMatchObject({ status: '413', schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'] });
    });

    it('404 in SCIM format for an unknown SCIM endpoint', async () => {
      const res = await scim.get('/Nothing');
      expect(res.status).toBe(404);
      expect(res.body.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error']);
    });
  });

  describe('discovery', () => {
    it('tells the truth in ServiceProviderConfig', async () => {
      const res = await scim.get('/ServiceProviderConfig');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        patch: { supported: true },
        bulk: { supported: false },
        filter: { supported: true, maxResults: 1000 },
        sort: { supported: true },
        etag: { supported: true },
        changePassword: { supported: false },
      });
    });

    it('lists the User resource type and its schemas, without nulls', async () => {
      const types = await scim.get('/ResourceTypes');
      expect(types.body.Resources[0]).toMatchObject({ endpoint: '/Users', schema: 'urn:ietf:params:scim:schemas:core:2.0:User' });
      const schemas = await scim.get('/Schemas');
      expect(schemas.status).toBe(200);
      expect(schemas.text).toContain('User Account');
      expect(schemas.text).not.toContain('null');
      const ids = schemas.body.Resources.map((s: { id: string }) => s.id);
      expect(ids).toEqual(expect.arrayContaining(['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE]));
      const one = await scim.get(`/Schemas/${ENTERPRISE}`);
      expect(one.body.id).toBe(ENTERPRISE);
    });
  });

  describe('tenancy', () => {
    it("one tenant's token never reads or changes another tenant's users", async () => {
      const a = scimClient(t.scimUrl, (await t.tenant()).token);
      const b = scimClient(t.scimUrl, (await t.tenant()).token);
      const res = await a.post('/Users', entraUser('shared@contoso.com'));
      const id = res.body.id;
      expect((await b.get(`/Users/${id}`)).status).toBe(404);
      expect((await b.filter('Users', 'userName eq "shared@contoso.com"')).body.totalResults).toBe(0);
      expect((await b.get(`/Users?filter=${encodeURIComponent(`id eq "${id}"`)}`)).body.totalResults).toBe(0);
      expect((await b.patch(`/Users/${id}`, [{ op: 'replace', path: 'active', value: false }])).status).toBe(404);
      expect((await b.put(`/Users/${id}`, entraUser('shared@contoso.com'))).status).toBe(404);
      expect((await b.delete(`/Users/${id}`)).status).toBe(404);
      // The same userName is free in the other tenant.
      expect((await b.post('/Users', entraUser('shared@contoso.com'))).status).toBe(201);
      const still = await a.get(`/Users/${id}`);
      expect(still.body).toMatchObject({ active: true, userName: 'shared@contoso.com' });
      const listB = await b.get('/Users');
      expect(listB.body.totalResults).toBe(1);
    });
  });

  describe('concurrency', () => {
    it('racing creates of one userName give one 201 and 409s', async () => {
      const userName = `race-${randomUUID()}@contoso.com`;
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) => scim.post('/Users', entraUser(i % 2 ? userName.toUpperCase() : userName))),
      );
      const statuses = results.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(11);
      expect((await scim.filter('Users', `userName eq "${userName}"`)).body.totalResults).toBe(1);
      // The refused creates left no child rows behind: the e-mail finds the one user.
      expect((await scim.filter('Users', `emails.value eq "${userName}"`)).body.totalResults).toBe(1);
    });

    it('concurrent PATCHes of one user all apply', async () => {
      const created = await create(`patch-race-${randomUUID()}@contoso.com`, { phoneNumbers: undefined });
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => scim.patch(`/Users/${created.id}`, [{ op: 'add', path: 'phoneNumbers', value: [{ type: `t${i}`, value: `+${i}` }] }])),
      );
      expect(results.every((r) => r.status === 200)).toBe(true);
      const final = await scim.get(`/Users/${created.id}`);
      expect(final.body.phoneNumbers).toHaveLength(8);
      expect(final.body.meta.version).toBe('W/"9"');
    });
  });
});
