import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Two RFC 7643 details of users that were lost:
 * - the manager's `$ref` (§8.7.1: readWrite, returned by default) gets a column, `manager_ref`;
 * - `primary: false` on an e-mail or phone number is now kept in the JSON copies, and a missing
 *   `primary` is left out. Until now every element without `primary: true` was written with
 *   `"primary":false`, which told nothing; those are removed so that existing users read as before.
 *   The text replaced cannot occur inside a JSON string (its quotes would be escaped there).
 *
 * Plain ALTER TABLE, as in UserMultiValuedJson1795711879150 (no SQLite table rebuild).
 */
export class UserManagerRef1796009937354 implements MigrationInterface {
  name = 'UserManagerRef1796009937354';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = queryRunner.connection.driver.options.type === 'mysql';
    const type = mysql ? 'VARCHAR(1024) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin' : 'VARCHAR(1024)';
    await queryRunner.query(`ALTER TABLE scim_users ADD COLUMN manager_ref ${type} NULL`);
    for (const column of ['emails_json', 'phone_numbers_json']) {
      await queryRunner.query(
        `UPDATE scim_users SET ${column} = REPLACE(${column}, '"primary":false,', '') WHERE ${column} LIKE '%"primary":false,%'`,
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE scim_users DROP COLUMN manager_ref');
  }
}
