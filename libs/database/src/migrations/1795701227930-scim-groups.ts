import { Table, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { columns } from './schema-helpers.js';

/**
 * SCIM groups and their memberships. A membership row is keyed by (group, member), so adding or
 * removing k members touches k index entries whatever the group's size.
 */
export class ScimGroups1795701227930 implements MigrationInterface {
  name = 'ScimGroups1795701227930';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = columns(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'scim_groups',
        columns: [
          c.id(),
          c.ref('tenant_id'),
          c.string('display_name', 255, false),
          c.string('display_name_key', 255, false),
          c.string('external_id', 255),
          c.integer('version', 1),
          c.timestamp('created_at'),
          c.timestamp('updated_at'),
        ],
        indices: [
          new TableIndex({ name: 'uq_scim_groups_display_name', columnNames: ['tenant_id', 'display_name_key'], isUnique: true }),
          new TableIndex({ name: 'ix_scim_groups_external_id', columnNames: ['tenant_id', 'external_id'] }),
          new TableIndex({ name: 'ix_scim_groups_created', columnNames: ['tenant_id', 'created_at', 'id'] }),
        ],
        foreignKeys: [
          new TableForeignKey({ columnNames: ['tenant_id'], referencedTableName: 'tenants', referencedColumnNames: ['id'], onDelete: 'CASCADE' }),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'scim_group_members',
        columns: [
          { ...c.ref('group_id'), isPrimary: true },
          { ...c.ref('member_id'), isPrimary: true },
          c.ref('tenant_id'),
          c.string('member_type', 8, false),
          c.timestamp('created_at'),
        ],
        indices: [new TableIndex({ name: 'ix_scim_group_members_member', columnNames: ['tenant_id', 'member_id'] })],
        foreignKeys: [
          new TableForeignKey({ columnNames: ['group_id'], referencedTableName: 'scim_groups', referencedColumnNames: ['id'], onDelete: 'CASCADE' }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('scim_group_members');
    await queryRunner.dropTable('scim_groups');
  }
}
