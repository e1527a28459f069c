import { Database } from '@app/database';
import { ProvisioningEventEntity } from '@app/directory';
import { dialects, startApp, type TestApp } from './support/test-app.js';
import { ENTERPRISE, entraUser, scimClient, SCIM_JSON } from './support/scim-client.js';
import { adminClient, supportAccount } from './support/admin.js';

const CUSTOM = 'urn:ietf:params:scim:schemas:extension:atea:2.0:User';

/**
 * Attributes no schema of the tenant defines (an Entra admin's custom attribute, say) are not
 * stored, and each write that dropped some names them in its provisioning event.
 */
describe.each(dialects())('SCIM attributes nothing declares, on %s', (dialect) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp(dialect);
  });
  afterAll(() => t?.close());

  const events = (tenantId: string) =>
    t.app.get(Database).read((m) => m.find(ProvisioningEventEntity, { where: { tenantId }, order: { id: 'ASC' } }));

  it('are dropped from create, PATCH (every form) and PUT, and named in the events support reads', async () => {
    const tenant = await t.tenant();
    const scim = scimClient(t.scimUrl, tenant.token);
    const created = await scim.post('/Users', {
      ...entraUser('custom@contoso.com'),
      [`${CUSTOM}:costCenterCode`]: 'CC7',
      [ENTERPRISE]: { department: 'Sales', department2: 'x' },
    });
    expect(created.status).toBe(201);
    expect(created.body[CUSTOM]).toBeUndefined();
    expect(created.body[ENTERPRISE]).toEqual({ department: 'Sales' });

    // Entra's default job: a path per attribute; the known one is applied, the request succeeds.
    const patched = await scim.patch(`/Users/${created.body.id}`, [
      { op: 'Add', path: `${CUSTOM}:costCenterCode`, value: 'CC8' },
      { op: 'Replace', path: 'title', value: 'Boss' },
    ]);
    expect(patched.status).toBe(200);
    expect(patched.body.title).toBe('Boss');
    expect(patched.body[CUSTOM]).toBeUndefined();
    // The aadOptscim062020 form, changing nothing that is known: still recorded.
    const pathless = await scim.patch(`/Users/${created.body.id}`, [{ op: 'replace', value: { [`${CUSTOM}:costCenterCode`]: 'CC9', shoeSize: 44 } }]);
    expect(pathless.status).toBe(200);
    expect(pathless.body.meta.version).toBe(patched.body.meta.version);
    const put = await scim.put(`/Users/${created.body.id}`, { ...patched.body, [CUSTOM]: { costCenterCode: 'CC1' } });
    expect(put.status).toBe(200);
    expect((await scim.get(`/Users/${created.body.id}`)).body[CUSTOM]).toBeUndefined();

    const log = await events(tenant.id);
    expect(log.map((e) => [e.operation, e.status, e.ignoredAttributes ? JSON.parse(e.ignoredAttributes) : null])).toEqual([
      ['create', 201, [`${CUSTOM}:costCenterCode`, `${ENTERPRISE}:department2`]],
      ['patch', 200, [`${CUSTOM}:costCenterCode`]],
      ['patch', 200, [`${CUSTOM}:costCenterCode`, 'shoeSize']],
      ['replace', 200, [`${CUSTOM}:costCenterCode`]],
    ]);

    const support = await supportAccount(t, 'viewer');
    const listed = await adminClient(t.url, support.token).get(`/tenants/${tenant.id}/events?operation=create`);
    expect(listed.status).toBe(200);
    expect(listed.body.items[0].ignoredAttributes).toEqual([`${CUSTOM}:costCenterCode`, `${ENTERPRISE}:department2`]);
  });

  it('are dropped from groups too, and named in their events', async () => {
    const tenant = await t.tenant();
    const scim = scimClient(t.scimUrl, tenant.token);
    const group = await scim.post('/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Sales', colour: 'red' });
    expect(group.status).toBe(201);
    expect(group.body.colour).toBeUndefined();
    const patched = await scim.patch(`/Groups/${group.body.id}`, [{ op: 'replace', value: { id: group.body.id, displayName: 'Sales', colour: 'blue' } }]);
    expect(patched.status).toBe(204);
    const log = await events(tenant.id);
    expect(log.map((e) => [e.operation, e.resourceType, e.ignoredAttributes])).toEqual([
      ['create', 'Group', '["colour"]'],
      ['patch', 'Group', '["colour"]'],
    ]);
  });

  it('a write that sends only known attributes records none', async () => {
    const tenant = await t.tenant();
    const scim = scimClient(t.scimUrl, tenant.token);
    await scim.post('/Users', entraUser('plain@contoso.com')).set('Content-Type', SCIM_JSON);
    const [event] = await events(tenant.id);
    expect(event.ignoredAttributes).toBeNull();
  });
});
