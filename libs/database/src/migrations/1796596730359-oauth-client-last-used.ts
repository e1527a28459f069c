import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When an OAuth client's access token last got a SCIM call through (written at most once a minute
 * per client), as `scim_tokens.last_used_at` is for SCIM tokens: a tenant's health then shows its
 * last successful call whichever credential Entra uses, reads included. Plain ALTER TABLE.
 */
export class OAuthClientLastUsed1796596730359 implements MigrationInterface {
  name = 'OAuthClientLastUsed1796596730359';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type === 'mysql';
    await queryRunner.query(`ALTER TABLE oauth_clients ADD COLUMN last_used_at ${mysql ? 'DATETIME(3)' : 'datetime'} NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE oauth_clients DROP COLUMN last_used_at');
  }
}
