import { randomUUID } from 'node:crypto';
import { Database } from '@app/database';
import { ProvisioningEventEntity } from '@app/directory';
import { dialects, startApp, type TestApp } from './support/test-app.js';
import { entraUser, scimClient } from './support/scim-client.js';
import { EventRetentionService } from '../apps/api/src/maintenance/event-retention.service.js';

describe.each(dialects())('provisioning event log on %s', (dialect) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp(dialect, { EVENT_RETENTION_DAYS: '30' });
  });
  afterAll(() => t?.close());

  const events = (tenantId: string) =>
    t.app.get(Database).read((m) => m.find(ProvisioningEventEntity, { where: { tenantId }, order: { id: 'ASC' } }));

  it('records every SCIM write with actor, request id, status and changed attributes', async () => {
    const tenant = await t.tenant();
    const scim = scimClient(t.scimUrl, tenant.token);
    const created = await scim.post('/Users', entraUser('events@contoso.com')).set('client-request-id', 'req-create-1');
    await scim.patch(`/Users/${created.body.id}`, [{ op: 'Replace', path: 'name.familyName', value: 'Smith' }]).set('client-request-id', 'req-patch-1');
    await scim.patch(`/Users/${created.body.id}`, []);
    const group = await scim.post('/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Event Group' });
    await scim.patch(`/Groups/${group.body.id}`, [{ op: 'add', path: 'members', value: [{ value: created.body.id }] }]);
    await scim.delete(`/Users/${created.body.id}`);

    const log = await events(tenant.id);
    expect(log.map((e) => [e.operation, e.resourceType, e.status])).toEqual([
      ['create', 'User', 201],
      ['patch', 'User', 200],
      ['create', 'Group', 201],
      ['patch', 'Group', 204],
      ['delete', 'User', 204],
    ]);
    expect(log[0]).toMatchObject({ actorType: 'scim-token', requestId: 'req-create-1', resourceId: created.body.id });
    expect(log[0].actorId).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(log[0].changedAttributes!)).toEqual(expect.arrayContaining(['userName', 'emails', 'name.givenName']));
    expect(log[1]).toMatchObject({ requestId: 'req-patch-1', changedAttributes: '["name.familyName"]' });
    expect(JSON.parse(log[3].changedAttributes!)).toEqual(['members']);
    const text = JSON.stringify(log);
    expect(text).not.toContain(tenant.token);
  });

  it('a failed write leaves neither the change nor a success event, and the failure is recorded', async () => {
    const tenant = await t.tenant();
    const scim = scimClient(t.scimUrl, tenant.token);
    const first = await scim.post('/Users', entraUser('dup@contoso.com'));
    expect(first.status).toBe(201);
    // The second insert fails at the database (unique key) after the transaction began.
    const dup = await scim.post('/Users', entraUser('DUP@contoso.com', { externalId: 'second' }));
    expect(dup.status).toBe(409);
    // A group create whose member list is invalid fails inside its transaction, after the group row was inserted.
    const badGroup = await scim.post('/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName: 'Half Written',
      members: [{ value: randomUUID() }],
    });
    expect(badGroup.status).toBe(400);
    expect((await scim.filter('Groups', 'displayName eq "Half Written"')).body.totalResults).toBe(0);
    expect((await scim.filter('Users', 'externalId eq "second"')).body.totalResults).toBe(0);

    const log = await events(tenant.id);
    expect(log.map((e) => [e.operation, e.resourceType, e.status])).toEqual([
      ['create', 'User', 201],
      ['create', 'User', 409],
      ['create', 'Group', 400],
    ]);
    expect(log[1].detail).toContain('DUP@contoso.com');
    expect(log.filter((e) => e.status < 300)).toHaveLength(1);
  });

  it('records 404s of writes, which predict an Entra quarantine', async () => {
    const tenant = await t.tenant();
    const scim = scimClient(t.scimUrl, tenant.token);
    const id = randomUUID();
    expect((await scim.patch(`/Users/${id}`, [{ op: 'replace', path: 'active', value: false }])).status).toBe(404);
    const log = await events(tenant.id);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ operation: 'patch', resourceType: 'User', resourceId: id, status: 404 });
  });

  it('prunes events older than the retention setting', async () => {
    const tenant = await t.tenant();
    const scim = scimClient(t.scimUrl, tenant.token);
    await scim.post('/Users', entraUser('old@contoso.com'));
    await scim.post('/Users', entraUser('new@contoso.com'));
    const db = t.app.get(Database);
    const [old] = await events(tenant.id);
    await db.transaction((m) => m.update(ProvisioningEventEntity, { id: old.id }, { at: new Date(Date.now() - 31 * 86_400_000) }));
    expect(await t.app.get(EventRetentionService).prune()).toBeGreaterThanOrEqual(1);
    const left = await events(tenant.id);
    expect(left).toHaveLength(1);
    expect(left[0].id).not.toBe(old.id);
  });
});
