import { Table, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { columns } from './schema-helpers.js';

/**
 * Personal access tokens of support-staff accounts (`accounts` with realm `support`). Only the
 * SHA-256 of a token is stored, with its first characters so that people can tell tokens apart.
 */
export class SupportTokens1795701835989 implements MigrationInterface {
  name = 'SupportTokens1795701835989';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = columns(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'support_tokens',
        columns: [
          c.id(),
          c.ref('account_id'),
          c.string('token_hash', 64, false),
          c.string('token_prefix', 16, false),
          c.string('name', 100, false),
          c.timestamp('created_at'),
          c.timestamp('expires_at'),
          c.timestamp('revoked_at', true),
          c.timestamp('last_used_at', true),
        ],
        indices: [
          new TableIndex({ name: 'uq_support_tokens_hash', columnNames: ['token_hash'], isUnique: true }),
          new TableIndex({ name: 'ix_support_tokens_account', columnNames: ['account_id', 'created_at'] }),
        ],
        foreignKeys: [
          new TableForeignKey({ columnNames: ['account_id'], referencedTableName: 'accounts', referencedColumnNames: ['id'], onDelete: 'CASCADE' }),
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('support_tokens');
  }
}
