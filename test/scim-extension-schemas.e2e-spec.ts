import { Database } from '@app/database';
import { ProvisioningEventEntity } from '@app/directory';
import { dialects, startApp, type TestApp } from './support/test-app.js';
import { adminClient, supportAccount } from './support/admin.js';
import { entraUser, scimClient, type ScimClient } from './support/scim-client.js';

const ATEA = 'urn:ietf:params:scim:schemas:extension:atea:2.0:User';
const COST_CENTER = { name: 'costCenterCode', type: 'string' };

/** A tenant's own extension schemas: declared through the admin API, kept apart per tenant. */
describe.each(dialects())('Per-tenant extension schemas, on %s', (dialect) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp(dialect);
  });
  afterAll(() => t?.close());

  /** Stores a value of the tenant's extension for `userId` as the SCIM door would. */
  const holdValue = (tenantId: string, userId: string, attr: string, value: string) =>
    t.app
      .get(Database)
      .transaction((m) =>
        m.query('INSERT INTO scim_user_extension_values (user_id, urn, attr, position, tenant_id, value, value_key) VALUES (?, ?, ?, 0, ?, ?, ?)', [
          userId,
          ATEA,
          attr,
          tenantId,
          value,
          value.toLowerCase(),
        ]),
      );

  it('are declared, replaced, listed and removed by support, operators only, recorded in the events', async () => {
    const tenant = await t.tenant();
    const operator = adminClient(t.url, (await supportAccount(t, 'operator')).token);
    const viewer = adminClient(t.url, (await supportAccount(t, 'viewer')).token);
    const base = `/tenants/${tenant.id}/schema-extensions`;
    const path = `${base}/${ATEA}`;

    expect((await viewer.request('PUT', path, { attributes: [COST_CENTER] })).status).toBe(403);
    const created = await operator.request('PUT', path, { attributes: [COST_CENTER] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      urn: ATEA,
      attributes: [{ name: 'costCenterCode', type: 'string', multiValued: false, caseExact: false, required: false, canonicalValues: [], description: '' }],
    });
    const replaced = await operator.request('PUT', path, { attributes: [COST_CENTER, { name: 'grade', type: 'integer', canonicalValues: ['1', '2'] }] });
    expect(replaced.status).toBe(200);
    expect((await viewer.get(base)).body.extensions.map((e: { urn: string; attributes: { name: string }[] }) => [e.urn, e.attributes.map((a) => a.name)])).toEqual([
      [ATEA, ['costCenterCode', 'grade']],
    ]);
    expect((await viewer.get(path)).body.urn).toBe(ATEA);
    expect((await viewer.get(`${base}/urn:example:none`)).status).toBe(404);

    const events = await viewer.get(`/tenants/${tenant.id}/events?operation=tenant.schema-extension.put`);
    expect(events.body.items.map((e: { status: number; changedAttributes: string[] }) => [e.status, e.changedAttributes])).toEqual([
      [200, [`${ATEA}:grade`]],
      [201, [`${ATEA}:costCenterCode`]],
    ]);

    expect((await operator.request('DELETE', path)).status).toBe(204);
    expect((await viewer.get(base)).body.extensions).toEqual([]);
    expect((await operator.request('DELETE', path)).status).toBe(404);
  });

  it('refuse bad declarations with 400 naming the field', async () => {
    const tenant = await t.tenant();
    const operator = adminClient(t.url, (await supportAccount(t, 'operator')).token);
    const put = (urn: string, body: unknown) => operator.request('PUT', `/tenants/${tenant.id}/schema-extensions/${urn}`, body);
    const bad = [
      [ATEA, { attributes: [{ name: 'cost center', type: 'string' }] }, 'name must be'],
      [ATEA, { attributes: [{ name: 'costCenterCode', type: 'text' }] }, 'type must be'],
      [ATEA, { attributes: [{ name: 'a', type: 'string', multiValued: null }] }, 'multiValued must not be null'],
      [ATEA, { attributes: [COST_CENTER, { ...COST_CENTER, name: 'COSTCENTERCODE' }] }, 'declared twice'],
      [ATEA, {}, 'attributes must'],
      ['not-a-urn', { attributes: [COST_CENTER] }, 'urn must be a URN'],
      ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', { attributes: [COST_CENTER] }, 'defined by SCIM itself'],
    ] as const;
    for (const [urn, body, message] of bad) {
      const response = await put(urn, body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(JSON.stringify(response.body.message)).toContain(message);
    }
  });

  it('never drop stored values without confirm=true', async () => {
    const tenant = await t.tenant();
    const operator = adminClient(t.url, (await supportAccount(t, 'operator')).token);
    const path = `/tenants/${tenant.id}/schema-extensions/${ATEA}`;
    await operator.request('PUT', path, { attributes: [COST_CENTER, { name: 'grade', type: 'integer' }] });
    const user = (await scimClient(t.scimUrl, tenant.token).post('/Users', entraUser('held@contoso.com'))).body;
    await holdValue(tenant.id, user.id, 'costCenterCode', 'CC7');

    // Dropping an attribute nobody holds a value of needs no confirmation.
    expect((await operator.request('PUT', path, { attributes: [COST_CENTER] })).status).toBe(200);
    const refused = await operator.request('PUT', path, { attributes: [] });
    expect(refused.status).toBe(409);
    expect(refused.body.message).toContain('costCenterCode');
    expect((await operator.request('DELETE', path)).status).toBe(409);
    expect((await operator.get(path)).body.attributes).toHaveLength(1);

    expect((await operator.request('PUT', `${path}?confirm=true`, { attributes: [] })).status).toBe(200);
    const left = await t.app.get(Database).read((m) => m.query('SELECT COUNT(*) AS n FROM scim_user_extension_values WHERE tenant_id = ?', [tenant.id]));
    expect(Number(left[0].n)).toBe(0);
    expect((await operator.request('DELETE', path)).status).toBe(204);
  });

  /** A tenant with the Atea extension (costCenterCode, and the extra attributes given) declared, and its SCIM client. */
  const declared = async (attributes: unknown[] = [COST_CENTER]) => {
    const tenant = await t.tenant();
    const operator = adminClient(t.url, (await supportAccount(t, 'operator')).token);
    expect((await operator.request('PUT', `/tenants/${tenant.id}/schema-extensions/${ATEA}`, { attributes })).status).toBe(201);
    return { tenant, operator, scim: scimClient(t.scimUrl, tenant.token) };
  };
  const userNames = async (scim: ScimClient, filter: string) => {
    const found = await scim.filter('Users', filter);
    expect(found.status, JSON.stringify(found.body)).toBe(200);
    return (found.body.Resources as { userName: string }[]).map((u) => u.userName).sort();
  };

  it("are the tenant's: its /Schemas and /ResourceTypes list them, another tenant's do not", async () => {
    const { tenant } = await declared();
    const other = scimClient(t.scimUrl, (await t.tenant()).token);
    const scim = scimClient(t.scimUrl, tenant.token);

    const schemas = await scim.get('/Schemas');
    const own = schemas.body.Resources.find((s: { id: string }) => s.id === ATEA);
    expect(own.attributes).toEqual([
      expect.objectContaining({ name: 'costCenterCode', type: 'string', multiValued: false, caseExact: false, mutability: 'readWrite', returned: 'default' }),
    ]);
    expect((await scim.get(`/Schemas/${ATEA}`)).status).toBe(200);
    const userType = await scim.get('/ResourceTypes/User');
    expect(userType.body.schemaExtensions).toEqual([
      { schema: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', required: false },
      { schema: ATEA, required: false },
    ]);

    expect((await other.get('/Schemas')).body.Resources.map((s: { id: string }) => s.id)).not.toContain(ATEA);
    expect((await other.get(`/Schemas/${ATEA}`)).status).toBe(404);
    expect((await other.get('/ResourceTypes/User')).body.schemaExtensions).toHaveLength(1);
  });

  it('store, return and PATCH the declared attributes in every form Entra sends, and filter on them', async () => {
    const { tenant, scim } = await declared();
    const created = await scim.post('/Users', { ...entraUser('ann@contoso.com'), schemas: [...entraUser('x').schemas, ATEA], [ATEA]: { costCenterCode: 'CC-Oslo' } });
    expect(created.status).toBe(201);
    expect(created.body[ATEA]).toEqual({ costCenterCode: 'CC-Oslo' });
    expect(created.body.schemas).toContain(ATEA);
    const id = created.body.id;

    // Entra's default job: one op per attribute, with the URN-qualified path.
    const bob = await scim.post('/Users', entraUser('bob@contoso.com'));
    const byPath = await scim.patch(`/Users/${bob.body.id}`, [{ op: 'Add', path: `${ATEA}:costCenterCode`, value: 'CC-Bergen' }]);
    expect(byPath.status).toBe(200);
    expect(byPath.body[ATEA]).toEqual({ costCenterCode: 'CC-Bergen' });
    // aadOptscim062020: path-less value with `urn:…:attr` keys.
    const cid = await scim.post('/Users', entraUser('cid@contoso.com'));
    const pathless = await scim.patch(`/Users/${cid.body.id}`, [{ op: 'replace', value: { [`${ATEA}:costCenterCode`]: 'cc-oslo-2' } }]);
    expect(pathless.body[ATEA]).toEqual({ costCenterCode: 'cc-oslo-2' });
    // A path-less value holding the extension as an object.
    const nested = await scim.patch(`/Users/${id}`, [{ op: 'replace', value: { [ATEA]: { costCenterCode: 'CC-Oslo-1' } } }]);
    expect(nested.body[ATEA]).toEqual({ costCenterCode: 'CC-Oslo-1' });
    expect((await scim.get(`/Users/${id}`)).body[ATEA]).toEqual({ costCenterCode: 'CC-Oslo-1' });

    // Filters: case-insensitive (the attribute is not caseExact), compiled to SQL.
    expect(await userNames(scim, `${ATEA}:costCenterCode eq "cc-oslo-1"`)).toEqual(['ann@contoso.com']);
    expect(await userNames(scim, `${ATEA}:costCenterCode sw "CC-OSLO"`)).toEqual(['ann@contoso.com', 'cid@contoso.com']);
    expect(await userNames(scim, `${ATEA}:costCenterCode co "berg"`)).toEqual(['bob@contoso.com']);
    expect(await userNames(scim, `${ATEA}:costCenterCode pr and not (${ATEA}:costCenterCode sw "cc-o")`)).toEqual(['bob@contoso.com']);
    await scim.post('/Users', entraUser('dan@contoso.com'));
    expect(await userNames(scim, `not (${ATEA}:costCenterCode pr)`)).toEqual(['dan@contoso.com']);

    // Removing the attribute unassigns it; PUT replaces it.
    const removed = await scim.patch(`/Users/${bob.body.id}`, [{ op: 'remove', path: `${ATEA}:costCenterCode` }]);
    expect(removed.body[ATEA]).toBeUndefined();
    expect(await userNames(scim, `${ATEA}:costCenterCode co "berg"`)).toEqual([]);
    const put = await scim.put(`/Users/${id}`, { ...nested.body, [ATEA]: { costCenterCode: 'CC-Trondheim' } });
    expect(put.body[ATEA]).toEqual({ costCenterCode: 'CC-Trondheim' });
    expect(await userNames(scim, `${ATEA}:costCenterCode eq "cc-trondheim"`)).toEqual(['ann@contoso.com']);

    // Another tenant with the same attribute name declared sees none of these users.
    const { scim: other } = await declared();
    expect(await userNames(other, `${ATEA}:costCenterCode pr`)).toEqual([]);
    expect(tenant.id).toBeTruthy();
  });

  it('validate values against the declaration with SCIM errors, writing nothing', async () => {
    const { scim } = await declared([
      COST_CENTER,
      { name: 'grade', type: 'integer', canonicalValues: ['1', '2', '3'] },
      { name: 'startsOn', type: 'dateTime' },
      { name: 'region', type: 'string', canonicalValues: ['North', 'South'] },
      { name: 'badge', type: 'string', required: true },
      { name: 'tags', type: 'string', multiValued: true, caseExact: true },
    ]);
    const user = await scim.post('/Users', entraUser('val@contoso.com'));
    const bad = [
      { grade: 'two', badge: 'b' },
      { grade: 7, badge: 'b' },
      { startsOn: 'next monday', badge: 'b' },
      { region: 'East', badge: 'b' },
      { costCenterCode: ['a', 'b'], badge: 'b' },
      { costCenterCode: 'x'.repeat(256), badge: 'b' },
      { costCenterCode: 'CC1' },
    ];
    for (const value of bad) {
      const response = await scim.patch(`/Users/${user.body.id}`, [{ op: 'replace', value: { [ATEA]: value } }]);
      expect(response.status, JSON.stringify(value)).toBe(400);
      expect(response.body.scimType).toBe('invalidValue');
    }
    expect((await scim.get(`/Users/${user.body.id}`)).body[ATEA]).toBeUndefined();
    const good = await scim.patch(`/Users/${user.body.id}`, [
      { op: 'replace', value: { [ATEA]: { grade: 2, startsOn: '2026-01-31T12:00:00Z', region: 'north', badge: 'B-1', tags: ['VIP', 'vip'] } } },
    ]);
    expect(good.status).toBe(200);
    expect(good.body[ATEA]).toEqual({ grade: 2, startsOn: '2026-01-31T12:00:00Z', region: 'north', badge: 'B-1', tags: ['VIP', 'vip'] });
    expect(await userNames(scim, `${ATEA}:tags eq "VIP"`)).toEqual(['val@contoso.com']);
    expect(await userNames(scim, `${ATEA}:tags eq "Vip"`)).toEqual([]);
    expect(await userNames(scim, `${ATEA}:grade eq 2`)).toEqual(['val@contoso.com']);

    // PATCH through value filters on a multi-valued attribute (caseExact: "vip" is not "VIP").
    const tags = async (ops: unknown[]) => {
      const response = await scim.patch(`/Users/${user.body.id}`, ops);
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      return (await scim.get(`/Users/${user.body.id}`)).body[ATEA].tags;
    };
    expect(await tags([{ op: 'remove', path: `${ATEA}:tags[value eq "vip"]` }])).toEqual(['VIP']);
    expect(await tags([{ op: 'add', path: `${ATEA}:tags[value eq "Oslo"]`, value: 'Oslo' }])).toEqual(['VIP', 'Oslo']);
    expect(await tags([{ op: 'replace', path: `${ATEA}:tags[value eq "VIP"]`, value: 'VVIP' }])).toEqual(['VVIP', 'Oslo']);
    expect(await userNames(scim, `${ATEA}:tags eq "VIP"`)).toEqual([]);
    expect(await userNames(scim, `${ATEA}:tags eq "VVIP"`)).toEqual(['val@contoso.com']);
    const badFilter = await scim.patch(`/Users/${user.body.id}`, [{ op: 'remove', path: `${ATEA}:tags[type eq "work"]` }]);
    expect(badFilter.status).toBe(400);
    expect(badFilter.body.scimType).toBe('invalidFilter');
  });

  it('store, return and filter boolean, decimal and reference attributes by their type', async () => {
    const { scim } = await declared([
      { name: 'vip', type: 'boolean' },
      { name: 'fte', type: 'decimal' },
      { name: 'homePage', type: 'reference', caseExact: true },
    ]);
    const ann = await scim.post('/Users', { ...entraUser('ann@contoso.com'), [ATEA]: { vip: true, fte: 0.5, homePage: 'https://contoso.example/Ann' } });
    expect(ann.status, JSON.stringify(ann.body)).toBe(201);
    expect(ann.body[ATEA]).toEqual({ vip: true, fte: 0.5, homePage: 'https://contoso.example/Ann' });
    const bob = await scim.post('/Users', entraUser('bob@contoso.com'));
    // Entra sends booleans as "True"/"False" text.
    const patched = await scim.patch(`/Users/${bob.body.id}`, [{ op: 'Add', path: `${ATEA}:vip`, value: 'False' }, { op: 'Add', path: `${ATEA}:fte`, value: 1 }]);
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body[ATEA]).toEqual({ vip: false, fte: 1 });
    expect((await scim.get(`/Users/${bob.body.id}`)).body[ATEA]).toEqual({ vip: false, fte: 1 });

    expect(await userNames(scim, `${ATEA}:vip eq true`)).toEqual(['ann@contoso.com']);
    expect(await userNames(scim, `${ATEA}:vip eq false`)).toEqual(['bob@contoso.com']);
    expect(await userNames(scim, `${ATEA}:fte eq 0.5`)).toEqual(['ann@contoso.com']);
    expect(await userNames(scim, `${ATEA}:homePage sw "https://contoso.example/A"`)).toEqual(['ann@contoso.com']);
    expect(await userNames(scim, `${ATEA}:homePage co "/ann"`)).toEqual([]);
    for (const value of [{ vip: 'maybe' }, { fte: 'half' }, { homePage: 7 }]) {
      const response = await scim.patch(`/Users/${bob.body.id}`, [{ op: 'replace', value: { [ATEA]: value } }]);
      expect(response.status, JSON.stringify(value)).toBe(400);
      expect(response.body.scimType).toBe('invalidValue');
    }
  });

  it("cannot be written by another tenant: its attributes are dropped and named in that tenant's events", async () => {
    await declared();
    const tenantB = await t.tenant();
    const scimB = scimClient(t.scimUrl, tenantB.token);
    const created = await scimB.post('/Users', { ...entraUser('eve@fabrikam.com'), [ATEA]: { costCenterCode: 'CC-X' } });
    expect(created.status).toBe(201);
    expect(created.body[ATEA]).toBeUndefined();
    const patched = await scimB.patch(`/Users/${created.body.id}`, [{ op: 'Add', path: `${ATEA}:costCenterCode`, value: 'CC-Y' }]);
    expect(patched.status).toBe(200);
    expect(patched.body[ATEA]).toBeUndefined();
    const log = await t.app.get(Database).read((m) => m.find(ProvisioningEventEntity, { where: { tenantId: tenantB.id }, order: { id: 'ASC' } }));
    expect(log.map((e) => [e.operation, e.ignoredAttributes])).toEqual([
      ['create', JSON.stringify([`${ATEA}:costCenterCode`])],
      ['patch', JSON.stringify([`${ATEA}:costCenterCode`])],
    ]);
    const stored = await t.app.get(Database).read((m) => m.query('SELECT COUNT(*) AS n FROM scim_user_extension_values WHERE tenant_id = ?', [tenantB.id]));
    expect(Number(stored[0].n)).toBe(0);
  });

  it('refuse to drop an attribute users hold values of without confirm=true (409), and drop them with it', async () => {
    const { tenant, operator, scim } = await declared();
    const kim = await scim.post('/Users', { ...entraUser('kim@contoso.com'), [ATEA]: { costCenterCode: 'CC-1' } });
    const path = `/tenants/${tenant.id}/schema-extensions/${ATEA}`;
    const refused = await operator.request('PUT', path, { attributes: [{ name: 'other', type: 'string' }] });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ statusCode: 409, error: 'Conflict' });
    // Changing the type of an attribute with values drops them too: refused likewise.
    expect((await operator.request('PUT', path, { attributes: [{ name: 'costCenterCode', type: 'integer' }] })).status).toBe(409);
    expect(await userNames(scim, `${ATEA}:costCenterCode eq "cc-1"`)).toEqual(['kim@contoso.com']);
    expect((await operator.request('PUT', `${path}?confirm=true`, { attributes: [{ name: 'other', type: 'string' }] })).status).toBe(200);
    const events = await operator.get(`/tenants/${tenant.id}/events?operation=tenant.schema-extension.put`);
    expect(events.body.items[0].changedAttributes).toEqual([`${ATEA}:other`, `${ATEA}:costCenterCode`]);
    // Declared again, the attribute starts empty: the dropped values are gone, and the user's version moved on.
    expect((await operator.request('PUT', path, { attributes: [COST_CENTER] })).status).toBe(200);
    const read = await scim.get(`/Users/${kim.body.id}`);
    expect(read.body[ATEA]).toBeUndefined();
    expect(read.body.meta.version).not.toBe(kim.body.meta.version);
    expect(await userNames(scim, `${ATEA}:costCenterCode pr`)).toEqual([]);
  });
});
