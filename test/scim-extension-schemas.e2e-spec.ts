import { Database } from '@app/database';
import { dialects, startApp, type TestApp } from './support/test-app.js';
import { adminClient, supportAccount } from './support/admin.js';
import { entraUser, scimClient } from './support/scim-client.js';

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
});
