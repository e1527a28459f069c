import { TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * What support needs to answer "why did provisioning fail?":
 * - provisioning events name the user a SCIM write was about (`user_name`, its lower-cased
 *   `user_name_key`, `external_id`, `display_name`), so a failed create is found by the userName it
 *   tried; and carry a `count` with an aggregation `bucket`: authentication failures are counted in
 *   one row per tenant, reason and minute (unique on tenant and bucket), never one row per request;
 *   and an index on tenant and id, the cursor of exports and live streams of a tenant's events;
 * - users get a lower-cased `external_id_key`, and the user, e-mail and external-id keys get indexes
 *   of their own (the existing ones start with the tenant), for support's search across tenants.
 *
 * Columns are added with plain ALTER TABLE (see UserMultiValuedJson1795711879150 for why).
 */
export class SupportTrace1796010000000 implements MigrationInterface {
  name = 'SupportTrace1796010000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type === 'mysql';
    const text = (length: number) => (mysql ? `VARCHAR(${length}) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin` : `VARCHAR(${length})`);
    for (const [column, type] of [
      ['user_name', text(255)],
      ['user_name_key', text(255)],
      ['external_id', text(255)],
      ['display_name', text(255)],
      ['bucket', text(96)],
    ]) {
      await queryRunner.query(`ALTER TABLE provisioning_events ADD COLUMN ${column} ${type} NULL`);
    }
    await queryRunner.query('ALTER TABLE provisioning_events ADD COLUMN count INT NOT NULL DEFAULT 1');
    await queryRunner.createIndex('provisioning_events', new TableIndex({ name: 'ix_provisioning_events_user_name', columnNames: ['tenant_id', 'user_name_key'] }));
    await queryRunner.createIndex('provisioning_events', new TableIndex({ name: 'ix_provisioning_events_external_id', columnNames: ['tenant_id', 'external_id'] }));
    await queryRunner.createIndex('provisioning_events', new TableIndex({ name: 'ix_provisioning_events_tenant_id', columnNames: ['tenant_id', 'id'] }));
    await queryRunner.createIndex('provisioning_events', new TableIndex({ name: 'uq_provisioning_events_bucket', columnNames: ['tenant_id', 'bucket'], isUnique: true }));

    await queryRunner.query(`ALTER TABLE scim_users ADD COLUMN external_id_key ${text(255)} NULL`);
    await queryRunner.query('UPDATE scim_users SET external_id_key = LOWER(external_id) WHERE external_id IS NOT NULL');
    await queryRunner.createIndex('scim_users', new TableIndex({ name: 'ix_scim_users_user_name_key', columnNames: ['user_name_key'] }));
    await queryRunner.createIndex('scim_users', new TableIndex({ name: 'ix_scim_users_external_id_key', columnNames: ['external_id_key'] }));
    await queryRunner.createIndex('scim_user_emails', new TableIndex({ name: 'ix_scim_user_emails_value_key', columnNames: ['value_key'] }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('scim_user_emails', 'ix_scim_user_emails_value_key');
    await queryRunner.dropIndex('scim_users', 'ix_scim_users_external_id_key');
    await queryRunner.dropIndex('scim_users', 'ix_scim_users_user_name_key');
    await queryRunner.query('ALTER TABLE scim_users DROP COLUMN external_id_key');
    for (const index of ['uq_provisioning_events_bucket', 'ix_provisioning_events_tenant_id', 'ix_provisioning_events_external_id', 'ix_provisioning_events_user_name']) {
      await queryRunner.dropIndex('provisioning_events', index);
    }
    for (const column of ['count', 'bucket', 'display_name', 'external_id', 'user_name_key', 'user_name']) {
      await queryRunner.query(`ALTER TABLE provisioning_events DROP COLUMN ${column}`);
    }
  }
}
