import { Table, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { columns } from './schema-helpers.js';

/** Tenants, per-tenant SCIM tokens, SCIM users with their e-mail addresses and phone numbers. */
export class ScimUsers1795700629383 implements MigrationInterface {
  name = 'ScimUsers1795700629383';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = columns(queryRunner);
    const tenantFk = new TableForeignKey({
      columnNames: ['tenant_id'],
      referencedTableName: 'tenants',
      referencedColumnNames: ['id'],
      onDelete: 'CASCADE',
    });

    await queryRunner.createTable(
      new Table({
        name: 'tenants',
        columns: [
          c.id(),
          c.string('slug', 64, false),
          c.string('name', 200, false),
          c.string('status', 16, false),
          c.timestamp('created_at'),
          c.timestamp('updated_at'),
        ],
        indices: [new TableIndex({ name: 'uq_tenants_slug', columnNames: ['slug'], isUnique: true })],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'scim_tokens',
        columns: [
          c.id(),
          c.ref('tenant_id'),
          c.string('token_hash', 64, false),
          c.string('token_prefix', 16, false),
          c.string('description', 200),
          c.timestamp('created_at'),
          c.timestamp('expires_at', true),
          c.timestamp('revoked_at', true),
          c.timestamp('last_used_at', true),
        ],
        indices: [
          new TableIndex({ name: 'uq_scim_tokens_hash', columnNames: ['token_hash'], isUnique: true }),
          new TableIndex({ name: 'ix_scim_tokens_tenant', columnNames: ['tenant_id'] }),
        ],
        foreignKeys: [tenantFk.clone()],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'scim_users',
        columns: [
          c.id(),
          c.ref('tenant_id'),
          c.string('user_name', 255, false),
          c.string('user_name_key', 255, false),
          c.string('external_id', 255),
          c.boolean('active', true),
          c.string('display_name', 255),
          c.string('nick_name', 255),
          c.string('profile_url', 1024),
          c.string('title', 255),
          c.string('user_type', 255),
          c.string('preferred_language', 255),
          c.string('locale', 255),
          c.string('timezone', 255),
          c.string('name_formatted', 512),
          c.string('name_family_name', 255),
          c.string('name_given_name', 255),
          c.string('name_middle_name', 255),
          c.string('name_honorific_prefix', 255),
          c.string('name_honorific_suffix', 255),
          c.string('employee_number', 255),
          c.string('cost_center', 255),
          c.string('organization', 255),
          c.string('division', 255),
          c.string('department', 255),
          c.string('manager_value', 255),
          c.longText('extra'),
          c.integer('version', 1),
          c.timestamp('created_at'),
          c.timestamp('updated_at'),
        ],
        indices: [
          new TableIndex({ name: 'uq_scim_users_user_name', columnNames: ['tenant_id', 'user_name_key'], isUnique: true }),
          new TableIndex({ name: 'ix_scim_users_external_id', columnNames: ['tenant_id', 'external_id'] }),
          new TableIndex({ name: 'ix_scim_users_created', columnNames: ['tenant_id', 'created_at', 'id'] }),
        ],
        foreignKeys: [tenantFk.clone()],
      }),
    );

    for (const table of ['scim_user_emails', 'scim_user_phone_numbers']) {
      await queryRunner.createTable(
        new Table({
          name: table,
          columns: [
            { ...c.ref('user_id'), isPrimary: true },
            { ...c.integer('position'), isPrimary: true },
            c.ref('tenant_id'),
            c.string('value', 320, false),
            c.string('value_key', 320, false),
            c.string('type', 64),
            c.boolean('is_primary', false),
            c.string('display', 255),
          ],
          indices: [new TableIndex({ name: `ix_${table}_value`, columnNames: ['tenant_id', 'value_key'] })],
          foreignKeys: [
            new TableForeignKey({
              columnNames: ['user_id'],
              referencedTableName: 'scim_users',
              referencedColumnNames: ['id'],
              onDelete: 'CASCADE',
            }),
          ],
        }),
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['scim_user_phone_numbers', 'scim_user_emails', 'scim_users', 'scim_tokens', 'tenants']) {
      await queryRunner.dropTable(table);
    }
  }
}
