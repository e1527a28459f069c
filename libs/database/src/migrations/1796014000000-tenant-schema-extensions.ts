import { Table, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { columns } from './schema-helpers.js';

/**
 * A tenant's own SCIM extension schemas (`tenant_schema_extensions`: one row per URN, its attributes
 * as JSON) and the values its users hold for them (`scim_user_extension_values`: one row per value,
 * `position` orders a multi-valued attribute). `value_key` is the lower-cased value (first 255
 * characters), indexed with the tenant, URN and attribute, for filters.
 */
export class TenantSchemaExtensions1796014000000 implements MigrationInterface {
  name = 'TenantSchemaExtensions1796014000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = columns(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'tenant_schema_extensions',
        columns: [
          c.id(),
          c.ref('tenant_id'),
          c.string('urn', 255, false),
          c.longText('attributes', false),
          c.timestamp('created_at'),
          c.timestamp('updated_at'),
        ],
        indices: [new TableIndex({ name: 'uq_tenant_schema_extensions_urn', columnNames: ['tenant_id', 'urn'], isUnique: true })],
        foreignKeys: [
          new TableForeignKey({ columnNames: ['tenant_id'], referencedTableName: 'tenants', referencedColumnNames: ['id'], onDelete: 'CASCADE' }),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'scim_user_extension_values',
        columns: [
          { ...c.ref('user_id'), isPrimary: true },
          { ...c.string('urn', 255, false), isPrimary: true },
          { ...c.string('attr', 128, false), isPrimary: true },
          { ...c.integer('position'), isPrimary: true },
          c.ref('tenant_id'),
          c.longText('value', false),
          c.string('value_key', 255, false),
        ],
        indices: [
          new TableIndex({ name: 'ix_scim_user_extension_values_key', columnNames: ['tenant_id', 'urn', 'attr', 'value_key'] }),
        ],
        foreignKeys: [
          new TableForeignKey({ columnNames: ['user_id'], referencedTableName: 'scim_users', referencedColumnNames: ['id'], onDelete: 'CASCADE' }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('scim_user_extension_values');
    await queryRunner.dropTable('tenant_schema_extensions');
  }
}
