import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The names of the attributes a write sent that no schema of the tenant defines (dropped, not
 * stored): JSON array on the write's provisioning event, so support can see what a client sends in
 * vain. Plain ALTER TABLE, as in UserMultiValuedJson1795711879150.
 */
export class EventIgnoredAttributes1796012638228 implements MigrationInterface {
  name = 'EventIgnoredAttributes1796012638228';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type === 'mysql';
    await queryRunner.query(`ALTER TABLE provisioning_events ADD COLUMN ignored_attributes ${mysql ? 'TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin' : 'TEXT'} NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE provisioning_events DROP COLUMN ignored_attributes');
  }
}
