import { randomUUID } from 'node:crypto';
import { dialects, startApp, type TestApp } from './support/test-app.js';
import { entraUser, scimClient, type ScimClient } from './support/scim-client.js';

const MS_GROUP = 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';

describe.each(dialects())('SCIM Groups on %s', (dialect) => {
  let t: TestApp;
  let scim: ScimClient;

  beforeAll(async () => {
    t = await startApp(dialect);
    scim = scimClient(t.scimUrl, (await t.tenant()).token);
  });
  afterAll(() => t?.close());

  const users = async (n: number) => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const res = await scim.post('/Users', entraUser(`member-${randomUUID()}@contoso.com`, { displayName: `Member ${i}` }));
      expect(res.status).toBe(201);
      ids.push(res.body.id);
    }
    return ids;
  };
  const group = async (displayName = `Sales ${randomUUID().slice(0, 8)}`, extra: Record<string, unknown> = {}) => {
    const res = await scim.post('/Groups', { schemas: [GROUP, MS_GROUP], externalId: randomUUID(), displayName, meta: { resourceType: 'Group' }, ...extra });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as Record<string, any>;
  };
  const memberIds = async (id: string) =>
    (((await scim.get(`/Groups/${id}`)).body.members ?? []) as { value: string }[]).map((m) => m.value).sort();

  describe('an Entra provisioning cycle', () => {
    it('creates a group with the Microsoft schema URN, without members', async () => {
      const res = await scim.post('/Groups', {
        schemas: [GROUP, MS_GROUP],
        externalId: '8aa1a0c0-0000-4000-8000-000000000001',
        displayName: 'Sales Entra',
        meta: { resourceType: 'Group' },
      });
      expect(res.status).toBe(201);
      expect(res.headers.location).toBe(`${t.url}/scim/v2/Groups/${res.body.id}`);
      expect(res.body).toMatchObject({
        schemas: [GROUP],
        displayName: 'Sales Entra',
        externalId: '8aa1a0c0-0000-4000-8000-000000000001',
        meta: { resourceType: 'Group', version: 'W/"1"' },
      });
      expect(res.body.members).toBeUndefined();
    });

    it('queries and reads without members when excludedAttributes=members', async () => {
      const g = await group('Query Me');
      const [u] = await users(1);
      await scim.patch(`/Groups/${g.id}`, [{ op: 'Add', path: 'members', value: [{ $ref: null, value: u }] }]);
      const found = await scim.get(`/Groups?excludedAttributes=members&filter=${encodeURIComponent('displayName eq "query me"')}`);
      expect(found.status).toBe(200);
      expect(found.body.totalResults).toBe(1);
      expect(found.body.Resources[0].id).toBe(g.id);
      expect(found.body.Resources[0]).not.toHaveProperty('members');
      const one = await scim.get(`/Groups/${g.id}?excludedAttributes=members`);
      expect(one.body).not.toHaveProperty('members');
      expect(one.body.displayName).toBe('Query Me');
      const full = await scim.get(`/Groups/${g.id}`);
      expect(full.body.members).toEqual([{ value: u, $ref: `${t.url}/scim/v2/Users/${u}`, type: 'User', display: 'Member 0' }]);
    });

    it('adds several members in one op (204), with $ref null or absent', async () => {
      const g = await group();
      const ids = await users(3);
      const res = await scim.patch(`/Groups/${g.id}`, [
        { op: 'Add', path: 'members', value: [{ $ref: null, value: ids[0] }, { $ref: null, value: ids[1] }, { value: ids[2] }] },
      ]);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expect(await memberIds(g.id)).toEqual([...ids].sort());
      const again = await scim.patch(`/Groups/${g.id}`, [{ op: 'add', path: 'members', value: [{ value: ids[0] }] }]);
      expect(again.status).toBe(204);
      expect(await memberIds(g.id)).toHaveLength(3);
    });

    it('removes members with a value list (default job) and with a filtered path (flagged job)', async () => {
      const g = await group();
      const ids = await users(3);
      await scim.patch(`/Groups/${g.id}`, [{ op: 'Add', path: 'members', value: ids.map((value) => ({ value })) }]);
      const before = (await scim.get(`/Groups/${g.id}`)).body.meta.version;
      expect((await scim.patch(`/Groups/${g.id}`, [{ op: 'Remove', path: 'members', value: [{ value: ids[0] }] }])).status).toBe(204);
      expect((await scim.patch(`/Groups/${g.id}`, [{ op: 'remove', path: `members[value eq "${ids[1]}"]` }])).status).toBe(204);
      expect(await memberIds(g.id)).toEqual([ids[2]]);
      const after = (await scim.get(`/Groups/${g.id}`)).body.meta.version;
      expect(after).not.toBe(before);
      // A removal that removes nothing changes nothing, not even the version.
      expect((await scim.patch(`/Groups/${g.id}`, [{ op: 'remove', path: `members[value eq "${ids[0]}"]` }])).status).toBe(204);
      expect((await scim.get(`/Groups/${g.id}`)).body.meta.version).toBe(after);
    });

    it('renames with Replace displayName (204) and keeps members', async () => {
      const g = await group();
      const [u] = await users(1);
      await scim.patch(`/Groups/${g.id}`, [{ op: 'Add', path: 'members', value: [{ value: u }] }]);
      const name = `Sales EMEA ${randomUUID().slice(0, 4)}`;
      expect((await scim.patch(`/Groups/${g.id}`, [{ op: 'Replace', path: 'displayName', value: name }])).status).toBe(204);
      const res = await scim.get(`/Groups/${g.id}`);
      expect(res.body.displayName).toBe(name);
      expect(res.body.members.map((m: { value: string }) => m.value)).toEqual([u]);
    });

    it('removes all members with Remove on members', async () => {
      const g = await group();
      await scim.patch(`/Groups/${g.id}`, [{ op: 'add', path: 'members', value: (await users(2)).map((value) => ({ value })) }]);
      expect((await scim.patch(`/Groups/${g.id}`, [{ op: 'remove', path: 'members' }])).status).toBe(204);
      expect((await scim.get(`/Groups/${g.id}`)).body.members).toBeUndefined();
    });

    it('deletes with 204; then 404', async () => {
      const g = await group();
      expect((await scim.delete(`/Groups/${g.id}`)).status).toBe(204);
      expect((await scim.get(`/Groups/${g.id}`)).status).toBe(404);
      expect((await scim.delete(`/Groups/${g.id}`)).status).toBe(404);
    });
  });

  describe('Okta group push and generic clients', () => {
    it('creates with "members": [] and renames with a path-less replace carrying the id', async () => {
      const g = await group(undefined, { members: [] });
      const res = await scim.patch(`/Groups/${g.id}`, [{ op: 'replace', value: { id: g.id, displayName: `Okta ${g.id}` } }]);
      expect(res.status).toBe(204);
      expect((await scim.get(`/Groups/${g.id}`)).body.displayName).toBe(`Okta ${g.id}`);
    });

    it('creates with members, replaces with PUT, answers PATCH with 200 when attributes are asked', async () => {
      const ids = await users(3);
      const g = await group(undefined, { members: [{ value: ids[0] }, { value: ids[1] }] });
      expect(g.members.map((m: { value: string }) => m.value).sort()).toEqual([ids[0], ids[1]].sort());
      const put = await scim.put(`/Groups/${g.id}`, { schemas: [GROUP], displayName: 'Put Name', members: [{ value: ids[2] }] });
      expect(put.status).toBe(200);
      expect(put.body.members.map((m: { value: string }) => m.value)).toEqual([ids[2]]);
      const patched = await scim.patch(`/Groups/${g.id}?attributes=displayName,members`, [{ op: 'add', path: 'members', value: [{ value: ids[0] }] }]);
      expect(patched.status).toBe(200);
      expect(patched.body.members).toHaveLength(2);
      expect(patched.body.meta).toBeUndefined();
    });

    it('filters by displayName, externalId and members[value eq]', async () => {
      const [u] = await users(1);
      const g = await group(`Filter ${randomUUID().slice(0, 6)}`);
      await scim.patch(`/Groups/${g.id}`, [{ op: 'add', path: 'members', value: [{ value: u }] }]);
      for (const filter of [`displayName eq "${g.displayName.toUpperCase()}"`, `externalId eq "${g.externalId}"`, `members[value eq "${u}"]`, `members.value eq "${u}"`]) {
        const res = await scim.filter('Groups', filter);
        expect(res.status, filter).toBe(200);
        expect(res.body.Resources.map((r: { id: string }) => r.id), filter).toEqual([g.id]);
      }
    });

    it("shows a user's groups and drops memberships when the user is deleted", async () => {
      const [u] = await users(1);
      const g1 = await group();
      const g2 = await group();
      for (const g of [g1, g2]) await scim.patch(`/Groups/${g.id}`, [{ op: 'add', path: 'members', value: [{ value: u }] }]);
      const user = await scim.get(`/Users/${u}`);
      expect(user.body.groups.map((g: { value: string }) => g.value).sort()).toEqual([g1.id, g2.id].sort());
      expect(user.body.groups[0]).toMatchObject({ type: 'direct', $ref: expect.stringContaining('/Groups/') });
      const byGroup = await scim.filter('Users', `groups.value eq "${g1.id}"`);
      expect(byGroup.body.Resources.map((r: { id: string }) => r.id)).toEqual([u]);
      // groups is read-only: a PATCH on it is refused and changes nothing.
      const refused = await scim.patch(`/Users/${u}`, [{ op: 'add', path: 'groups', value: [{ value: g1.id }] }]);
      expect(refused.status).toBe(400);
      expect((await scim.delete(`/Users/${u}`)).status).toBe(204);
      expect(await memberIds(g1.id)).toEqual([]);
      expect(await memberIds(g2.id)).toEqual([]);
    });

    it('lists groups in ResourceTypes and /Schemas', async () => {
      const types = await scim.get('/ResourceTypes');
      expect(types.body.Resources.map((r: { endpoint: string }) => r.endpoint)).toEqual(['/Users', '/Groups']);
      const schema = await scim.get(`/Schemas/${GROUP}`);
      expect(schema.body.attributes.map((a: { name: string }) => a.name)).toEqual(expect.arrayContaining(['displayName', 'members']));
    });
  });

  describe('errors and tenancy', () => {
    it('409 for a displayName taken in any case, on create and on rename', async () => {
      const a = await group(`Unique ${randomUUID().slice(0, 6)}`);
      const dup = await scim.post('/Groups', { schemas: [GROUP], displayName: a.displayName.toLowerCase() });
      expect(dup.status).toBe(409);
      expect(dup.body.scimType).toBe('uniqueness');
      const b = await group();
      const rename = await scim.patch(`/Groups/${b.id}`, [{ op: 'replace', path: 'displayName', value: a.displayName.toUpperCase() }]);
      expect(rename.status).toBe(409);
    });

    it('400 for unknown member ids and for members of another tenant; nothing is added', async () => {
      const g = await group();
      const [mine] = await users(1);
      const other = scimClient(t.scimUrl, (await t.tenant()).token);
      const theirs = (await other.post('/Users', entraUser(`theirs-${randomUUID()}@x.com`))).body.id;
      for (const bad of [randomUUID(), theirs, 'string id 1']) {
        const res = await scim.patch(`/Groups/${g.id}`, [{ op: 'add', path: 'members', value: [{ value: mine }, { value: bad }] }]);
        expect(res.status, bad).toBe(400);
        expect(res.body.scimType).toBe('invalidValue');
        expect(res.body.detail).toContain(bad);
      }
      expect(await memberIds(g.id)).toEqual([]);
      const badName = `Bad ${randomUUID()}`;
      const create = await scim.post('/Groups', { schemas: [GROUP], displayName: badName, members: [{ value: theirs }] });
      expect(create.status).toBe(400);
      expect((await scim.filter('Groups', `displayName eq "${badName}"`)).body.totalResults).toBe(0);
    });

    it('400 for a missing displayName, 404 for unknown ids, 412 for a stale If-Match', async () => {
      expect((await scim.post('/Groups', { schemas: [GROUP] })).status).toBe(400);
      const id = randomUUID();
      expect((await scim.get(`/Groups/${id}`)).status).toBe(404);
      expect((await scim.patch(`/Groups/${id}`, [{ op: 'replace', path: 'displayName', value: 'x' }])).status).toBe(404);
      const g = await group();
      const stale = await scim.patch(`/Groups/${g.id}`, [{ op: 'replace', path: 'displayName', value: `x ${g.id}` }]).set('If-Match', 'W/"9"');
      expect(stale.status).toBe(412);
    });

    it("one tenant never sees or changes another tenant's groups", async () => {
      const g = await group();
      const other = scimClient(t.scimUrl, (await t.tenant()).token);
      expect((await other.get(`/Groups/${g.id}`)).status).toBe(404);
      expect((await other.filter('Groups', `displayName eq "${g.displayName}"`)).body.totalResults).toBe(0);
      expect((await other.patch(`/Groups/${g.id}`, [{ op: 'remove', path: 'members' }])).status).toBe(404);
      expect((await other.delete(`/Groups/${g.id}`)).status).toBe(404);
      expect((await other.post('/Groups', { schemas: [GROUP], displayName: g.displayName })).status).toBe(201);
    });
  });

  it('adds a thousand members in one PATCH and pages groups with totals', async () => {
    const ids: string[] = [];
    const batch = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => scim.post('/Users', entraUser(`bulk-${i}-${randomUUID()}@contoso.com`))),
    );
    for (const res of batch) ids.push(res.body.id);
    const g = await group();
    const res = await scim.patch(`/Groups/${g.id}`, [{ op: 'add', path: 'members', value: ids.map((value) => ({ value })) }]);
    expect(res.status).toBe(204);
    expect(await memberIds(g.id)).toHaveLength(1000);
    const removed = await scim.patch(`/Groups/${g.id}`, [{ op: 'remove', path: 'members', value: ids.slice(0, 600).map((value) => ({ value })) }]);
    expect(removed.status).toBe(204);
    expect(await memberIds(g.id)).toHaveLength(400);
  });
});
