import { Table, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { columns } from './schema-helpers.js';

/** The append-only provisioning event log: every SCIM and admin write, and every failed one. */
export class ProvisioningEvents1795701540349 implements MigrationInterface {
  name = 'ProvisioningEvents1795701540349';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = columns(queryRunner);
    const mysql = queryRunner.connection.driver.options.type === 'mysql';
    await queryRunner.createTable(
      new Table({
        name: 'provisioning_events',
        columns: [
          { name: 'id', type: mysql ? 'bigint' : 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          c.ref('tenant_id'),
          c.timestamp('at'),
          c.string('actor_type', 16, false),
          c.string('actor_id', 64),
          c.string('operation', 32, false),
          c.string('resource_type', 16, false),
          c.string('resource_id', 64),
          { ...c.integer('status'), isNullable: false },
          c.string('request_id', 128),
          c.longText('changed_attributes'),
          c.string('detail', 512),
        ],
        indices: [
          new TableIndex({ name: 'ix_provisioning_events_at', columnNames: ['tenant_id', 'at'] }),
          new TableIndex({ name: 'ix_provisioning_events_resource', columnNames: ['tenant_id', 'resource_type', 'resource_id'] }),
          new TableIndex({ name: 'ix_provisioning_events_prune', columnNames: ['at'] }),
        ],
        foreignKeys: [
          new TableForeignKey({ columnNames: ['tenant_id'], referencedTableName: 'tenants', referencedColumnNames: ['id'], onDelete: 'CASCADE' }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('provisioning_events');
  }
}
