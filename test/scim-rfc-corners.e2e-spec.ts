import { dialects, startApp, type TestApp } from './support/test-app.js';
import { ENTERPRISE, entraUser, scimClient, type ScimClient } from './support/scim-client.js';

/** RFC 7643/7644 corners a strict checker looks at: what is sent is what is stored and returned. */
describe.each(dialects())('SCIM RFC corners on %s', (dialect) => {
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

  describe('manager.$ref (RFC 7643 §8.7.1)', () => {
    it('is stored and returned when created, replaced by PATCH and cleared with the manager', async () => {
      const boss = await create('boss@contoso.com');
      const bossRef = `${t.scimUrl}/Users/${boss.id}`;
      const created = await create('ref@contoso.com', { [ENTERPRISE]: { manager: { value: boss.id, $ref: bossRef } } });
      expect(created[ENTERPRISE].manager).toEqual({ value: boss.id, $ref: bossRef });
      expect((await scim.get(`/Users/${created.id}`)).body[ENTERPRISE].manager).toEqual({ value: boss.id, $ref: bossRef });

      let res = await scim.patch(`/Users/${created.id}`, [{ op: 'replace', path: `${ENTERPRISE}:manager.$ref`, value: '../Users/other' }]);
      expect(res.status).toBe(200);
      expect(res.body[ENTERPRISE].manager).toEqual({ value: boss.id, $ref: '../Users/other' });
      expect((await scim.get(`/Users/${created.id}`)).body[ENTERPRISE].manager.$ref).toBe('../Users/other');

      res = await scim.patch(`/Users/${created.id}`, [{ op: 'remove', path: `${ENTERPRISE}:manager` }]);
      expect(res.body[ENTERPRISE]?.manager).toBeUndefined();
      expect((await scim.get(`/Users/${created.id}`)).body[ENTERPRISE]?.manager).toBeUndefined();
    });
  });

  describe('removing active (RFC 7644 §3.5.2.2)', () => {
    for (const [label, operation] of [
      ['remove', { op: 'remove', path: 'active' }],
      ['replace with null', { op: 'Replace', path: 'active', value: null }],
      ['replace with ""', { op: 'replace', path: 'active', value: '' }],
      ['a path-less replace with null', { op: 'replace', value: { active: null } }],
    ] as const) {
      it(`${label} never re-activates a deactivated user`, async () => {
        const created = await create(`inactive-${label.replaceAll(/\W/g, '')}@contoso.com`);
        const off = await scim.patch(`/Users/${created.id}`, [{ op: 'Replace', path: 'active', value: 'False' }]);
        expect(off.body.active).toBe(false);
        const res = await scim.patch(`/Users/${created.id}`, [operation]);
        expect(res.status).toBe(200);
        expect(res.body.active).toBe(false);
        expect(res.body.meta.version).toBe(off.body.meta.version);
        expect((await scim.get(`/Users/${created.id}`)).body.active).toBe(false);
        const found = await scim.filter('Users', `userName eq "${created.userName}" and active eq false`);
        expect(found.body.totalResults).toBe(1);
      });
    }

    it('leaves an active user active', async () => {
      const created = await create('still-active@contoso.com');
      const res = await scim.patch(`/Users/${created.id}`, [{ op: 'remove', path: 'active' }]);
      expect(res.body.active).toBe(true);
    });
  });

  describe('primary: false (RFC 7643 §2.4)', () => {
    it('is kept on e-mails and phone numbers, through create, PUT and PATCH', async () => {
      const created = await create('primary@contoso.com', {
        emails: [
          { value: 'primary@contoso.com', type: 'work', primary: true },
          { value: 'home@example.com', type: 'home', primary: false },
          { value: 'other@example.com', type: 'other' },
        ],
        phoneNumbers: [{ value: '+47 22 00 00 00', type: 'mobile', primary: false }],
      });
      const emails = [
        { value: 'primary@contoso.com', type: 'work', primary: true },
        { value: 'home@example.com', type: 'home', primary: false },
        { value: 'other@example.com', type: 'other' },
      ];
      expect(created.emails).toEqual(emails);
      expect(created.phoneNumbers).toEqual([{ value: '+47 22 00 00 00', type: 'mobile', primary: false }]);
      const read = (await scim.get(`/Users/${created.id}`)).body;
      expect(read.emails).toEqual(emails);
      expect(read.phoneNumbers).toEqual([{ value: '+47 22 00 00 00', type: 'mobile', primary: false }]);

      const patched = await scim.patch(`/Users/${created.id}`, [{ op: 'add', path: 'emails[type eq "other"].primary', value: false }]);
      expect(patched.body.emails[2]).toEqual({ value: 'other@example.com', type: 'other', primary: false });
      const put = await scim.put(`/Users/${created.id}`, { ...read, phoneNumbers: [{ value: '+47 1', type: 'work', primary: false }] });
      expect(put.body.phoneNumbers).toEqual([{ value: '+47 1', type: 'work', primary: false }]);
      expect((await scim.get(`/Users/${created.id}`)).body.phoneNumbers).toEqual([{ value: '+47 1', type: 'work', primary: false }]);

      const filtered = await scim.filter('Users', 'userName eq "primary@contoso.com" and emails[type eq "home" and primary eq false]');
      expect(filtered.body.totalResults).toBe(1);
    });
  });
});
