import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A tenant's own SCIM rate limit (requests per second), set by support; NULL keeps the service's
 * default (SCIM_RATE_LIMIT_PER_SECOND). Plain ALTER TABLE on both databases: no table rebuild.
 */
export class TenantRateLimit1796010466160 implements MigrationInterface {
  name = 'TenantRateLimit1796010466160';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE tenants ADD COLUMN scim_rate_limit_per_second INT NULL');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE tenants DROP COLUMN scim_rate_limit_per_second');
  }
}
