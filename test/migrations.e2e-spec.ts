import { DataSource } from 'typeorm';
import { Database, dataSourceOptions } from '@app/database';
import { AuthFailureLog, ProvisioningEventEntity, type AuthFailure } from '@app/directory';
import { bootApp, createTestDatabase, dialects, testKeyMaterial } from './support/test-app.js';
import { entraUser, scimClient } from './support/scim-client.js';
import { authorizedTokens } from './support/admin.js';

/** Undoes migrations, newest first, up to and including `name` (later migrations may have been added). */
async function undoThrough(dataSource: DataSource, name: string): Promise<void> {
  for (;;) {
    const [last] = (await dataSource.query('SELECT name FROM migrations ORDER BY id DESC LIMIT 1')) as { name: string }[];
    await dataSource.undoLastMigration({ transaction: 'each' });
    if (!last || last.name === name) return;
  }
}

/**
 * A database with users from before the JSON copies of e-mails and phone numbers: the migration
 * fills them from the child rows exactly as the app writes them, and the users read the same.
 */
describe.each(dialects())('the user JSON-copy migration on %s', (dialect) => {
  it('fills the copies of existing users as the app writes them; reads are unchanged', async () => {
    const database = await createTestDatabase(dialect);
    const env = dialect === 'mysql' ? { ...testKeyMaterial() } : {};
    try {
      let app = await bootApp(database.url, env);
      const tenant = await app.tenant();
      const scim = scimClient(app.scimUrl, tenant.token);
      const rich = await scim.post(
        '/Users',
        entraUser('rich@contoso.com', {
          emails: [
            { value: 'rich@contoso.com', type: 'work', primary: true },
            { value: 'Rich@Home.example', type: 'home', display: 'Home' },
          ],
          phoneNumbers: [{ value: '+47 22 00 00 00', type: 'mobile' }],
        }),
      );
      const bare = await scim.post('/Users', entraUser('bare@contoso.com', { emails: undefined, phoneNumbers: undefined }));
      expect([rich.status, bare.status]).toEqual([201, 201]);
      const copies = () => app.app.get(Database).read((m) => m.query('SELECT id, emails_json, phone_numbers_json FROM scim_users ORDER BY id'));
      const written = await copies();
      // meta.location carries the port, which changes when the app starts again.
      const read = async (client: ReturnType<typeof scimClient>, base: string) =>
        JSON.parse(JSON.stringify([(await client.get(`/Users/${rich.body.id}`)).body, (await client.get(`/Users/${bare.body.id}`)).body]).replaceAll(base, 'BASE'));
      const before = await read(scim, app.scimUrl);
      await app.close();

      // Back to the schema before the copies (undoing every later migration too), then forward again:
      // the migration fills them (with `"primary":false` for every element without primary, which
      // the manager-ref migration after it removes again).
      const dataSource = await new DataSource(dataSourceOptions(database.url, [])).initialize();
      await undoThrough(dataSource, 'UserMultiValuedJson1795711879150');
      await expect(dataSource.query('SELECT emails_json FROM scim_users')).rejects.toThrow();
      await dataSource.runMigrations({ transaction: 'each' });
      await dataSource.destroy();

      app = await bootApp(database.url, env);
      expect(await copies()).toEqual(written);
      const after = scimClient(app.scimUrl, tenant.token);
      expect(await read(after, app.scimUrl)).toEqual(before);
      expect(before[0].emails).toEqual([
        { value: 'rich@contoso.com', type: 'work', primary: true },
        { value: 'Rich@Home.example', type: 'home', display: 'Home' },
      ]);
      await app.close();
    } finally {
      await database.drop();
    }
  });
});

/**
 * Grants and tokens stored before their client and tenant had columns of their own: the migration
 * fills them from the payloads, and support's grant list and client deletion find them through them.
 */
describe.each(dialects())('the OAuth payload client migration on %s', (dialect) => {
  it('fills client and tenant of existing grants and tokens from their payloads', async () => {
    const database = await createTestDatabase(dialect);
    const env = dialect === 'mysql' ? { ...testKeyMaterial() } : {};
    try {
      let app = await bootApp(database.url, env);
      const tenant = await app.tenant();
      const other = await app.tenant();
      const mine = await authorizedTokens(app, tenant.id);
      await authorizedTokens(app, other.id);
      const owners = () =>
        app.app
          .get(Database)
          .read((m) => m.query("SELECT model, client_id, tenant_id FROM oidc_payloads WHERE model IN ('Grant', 'AccessToken', 'RefreshToken') ORDER BY model, client_id"));
      const written = await owners();
      expect(written).toHaveLength(6);
      expect(written.filter((r: { tenant_id: string }) => r.tenant_id === tenant.id)).toEqual([
        { model: 'AccessToken', client_id: mine.client.clientId, tenant_id: tenant.id },
        { model: 'Grant', client_id: mine.client.clientId, tenant_id: tenant.id },
        { model: 'RefreshToken', client_id: mine.client.clientId, tenant_id: tenant.id },
      ]);
      await app.close();

      const dataSource = await new DataSource(dataSourceOptions(database.url, [])).initialize();
      await undoThrough(dataSource, 'OidcPayloadClient1796010718722');
      await expect(dataSource.query('SELECT client_id FROM oidc_payloads')).rejects.toThrow();
      await dataSource.runMigrations({ transaction: 'each' });
      await dataSource.destroy();

      app = await bootApp(database.url, env);
      expect(await owners()).toEqual(written);
      await app.close();
    } finally {
      await database.drop();
    }
  });
});

/**
 * The indexes of support's tools that every provisioning write paid for: gone after the migration,
 * back after undoing it, with the counter rows of a bucket that two instances each inserted merged
 * first (the unique index on tenant and bucket could not be built over them).
 */
describe.each(dialects())('the lean write indexes migration on %s', (dialect) => {
  it('drops the three indexes; undone, it merges the doubled counter rows and builds them again', async () => {
    const database = await createTestDatabase(dialect);
    const env = dialect === 'mysql' ? { ...testKeyMaterial() } : {};
    const indexes = async (dataSource: DataSource) => {
      const runner = dataSource.createQueryRunner();
      try {
        const tables = await runner.getTables(['scim_users', 'scim_user_emails', 'provisioning_events']);
        return tables.flatMap((table) => table.indices.map((index) => index.name!)).filter((name) => ['ix_scim_users_user_name_key', 'ix_scim_user_emails_value_key', 'uq_provisioning_events_bucket'].includes(name)).sort();
      } finally {
        await runner.release();
      }
    };
    try {
      const app = await bootApp(database.url, env);
      const tenant = await app.tenant();
      const log = app.app.get(AuthFailureLog);
      const failure: AuthFailure = { reason: 'scim-token-revoked', actor: { type: 'scim-token', id: 'token-1' }, status: 401 };
      await log.count(tenant.id, failure, new Date('2026-03-01T08:00:05Z'));
      await log.count(tenant.id, failure, new Date('2026-03-01T08:01:05Z'));
      // A second instance's row of the first bucket, as when two instances count a new bucket at once.
      const db = app.app.get(Database);
      const [first] = await db.read((m) => m.find(ProvisioningEventEntity, { where: { tenantId: tenant.id }, order: { id: 'ASC' }, take: 1 }));
      const { id: _id, ...row } = first;
      const insert = db.insertStatement(ProvisioningEventEntity, [{ ...row, count: 4, at: new Date('2026-03-01T08:00:20Z') }])!;
      await db.transaction((m) => m.query(insert.sql, [...insert.params]));
      await app.close();

      const dataSource = await new DataSource(dataSourceOptions(database.url, [ProvisioningEventEntity])).initialize();
      expect(await indexes(dataSource)).toEqual([]);
      await undoThrough(dataSource, 'LeanWriteIndexes1796605711164');
      expect(await indexes(dataSource)).toEqual(['ix_scim_user_emails_value_key', 'ix_scim_users_user_name_key', 'uq_provisioning_events_bucket']);
      const rows = await dataSource.manager.find(ProvisioningEventEntity, { where: { tenantId: tenant.id }, order: { id: 'ASC' } });
      expect(rows.map((r) => ({ id: r.id, bucket: r.bucket, count: r.count, at: r.at.toISOString() }))).toEqual([
        { id: first.id, bucket: 'auth:scim-token-revoked:2026-03-01T08:00', count: 5, at: '2026-03-01T08:00:20.000Z' },
        { id: expect.anything(), bucket: 'auth:scim-token-revoked:2026-03-01T08:01', count: 1, at: '2026-03-01T08:01:05.000Z' },
      ]);
      await dataSource.runMigrations({ transaction: 'each' });
      expect(await indexes(dataSource)).toEqual([]);
      await dataSource.destroy();
    } finally {
      await database.drop();
    }
  });
});
