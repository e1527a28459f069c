import { TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Drops three of the indexes SupportTrace1796010000000 added, which every provisioning write kept up
 * to date for the sake of support's tools: each user create writes a row to `scim_users`,
 * `scim_user_emails` and `provisioning_events`, and paid for an entry in each of them (and, for the
 * event, a uniqueness check) on every write.
 * - `ix_scim_users_user_name_key` and `ix_scim_user_emails_value_key` (the key alone): support's
 *   search across tenants names the tenants instead (`tenant_id IN (…)`) and goes through the
 *   tenant-led indexes the SCIM door has anyway, `uq_scim_users_user_name` and
 *   `ix_scim_user_emails_value`.
 * - `uq_provisioning_events_bucket` (tenant and bucket, unique): only the counters of authentication
 *   failures used it, for their upsert; they now update their row by its id (or, for a row another
 *   instance inserted, by tenant, minute and bucket on `ix_provisioning_events_at`) and insert it
 *   when there is none.
 *
 * `down` merges the rows of a bucket first (two instances may each have inserted one since), so
 * that the unique index can be built again.
 */
export class LeanWriteIndexes1796605711164 implements MigrationInterface {
  name = 'LeanWriteIndexes1796605711164';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('scim_users', 'ix_scim_users_user_name_key');
    await queryRunner.dropIndex('scim_user_emails', 'ix_scim_user_emails_value_key');
    await queryRunner.dropIndex('provisioning_events', 'uq_provisioning_events_bucket');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const doubled: { tenant_id: string; bucket: string; keep: string | number; total: string | number; last: unknown }[] = await queryRunner.query(
      'SELECT tenant_id, bucket, MIN(id) AS keep, SUM(count) AS total, MAX(at) AS last FROM provisioning_events WHERE bucket IS NOT NULL GROUP BY tenant_id, bucket HAVING COUNT(*) > 1',
    );
    for (const { tenant_id, bucket, keep, total, last } of doubled) {
      await queryRunner.query('UPDATE provisioning_events SET count = ?, at = ? WHERE id = ?', [Number(total), last, keep]);
      await queryRunner.query('DELETE FROM provisioning_events WHERE tenant_id = ? AND bucket = ? AND id <> ?', [tenant_id, bucket, keep]);
    }
    await queryRunner.createIndex('provisioning_events', new TableIndex({ name: 'uq_provisioning_events_bucket', columnNames: ['tenant_id', 'bucket'], isUnique: true }));
    await queryRunner.createIndex('scim_user_emails', new TableIndex({ name: 'ix_scim_user_emails_value_key', columnNames: ['value_key'] }));
    await queryRunner.createIndex('scim_users', new TableIndex({ name: 'ix_scim_users_user_name_key', columnNames: ['user_name_key'] }));
  }
}
