import type { MigrationInterface, QueryRunner } from 'typeorm';

const ATTRIBUTES = [
  { column: 'emails_json', table: 'scim_user_emails' },
  { column: 'phone_numbers_json', table: 'scim_user_phone_numbers' },
] as const;

const BATCH = 500;

/**
 * A user's e-mails and phone numbers, also as JSON in the user's row: reads take them from there (one
 * statement less per read), while the child rows stay the indexed source of filters. Existing users
 * are filled from their child rows, in the format the user mapper writes: an array, in position
 * order, of `{value, type, primary, display}`; one UPDATE per batch of users.
 *
 * The columns are added and dropped with plain ALTER TABLE (SQLite 3.35+ has DROP COLUMN): TypeORM
 * would rebuild the SQLite table instead, and its rollback does so with foreign keys on, which
 * cascades the rebuild's DROP TABLE into the child rows.
 */
export class UserMultiValuedJson1795711879150 implements MigrationInterface {
  name = 'UserMultiValuedJson1795711879150';

  async up(queryRunner: QueryRunner): Promise<void> {
    const type = queryRunner.connection.driver.options.type === 'mysql' ? 'LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin' : 'TEXT';
    for (const { column } of ATTRIBUTES) await queryRunner.query(`ALTER TABLE scim_users ADD COLUMN ${column} ${type} NULL`);
    for (let after = ''; ; ) {
      const users: { id: string }[] = await queryRunner.query(`SELECT id FROM scim_users WHERE id > ? ORDER BY id LIMIT ${BATCH}`, [after]);
      if (users.length === 0) return;
      after = users[users.length - 1].id;
      const ids = users.map((u) => u.id);
      const list = ids.map(() => '?').join(', ');
      // One UPDATE per batch: each column set through CASE on the user id.
      const sets: string[] = [];
      const params: unknown[] = [];
      for (const { column, table } of ATTRIBUTES) {
        const rows: ChildRow[] = await queryRunner.query(
          `SELECT user_id, value, type, is_primary, display FROM ${table} WHERE user_id IN (${list}) ORDER BY user_id, position`,
          ids,
        );
        const byUser = new Map<string, ChildRow[]>(ids.map((id) => [id, []]));
        for (const row of rows) byUser.get(row.user_id)?.push(row);
        for (const [id, values] of byUser) {
          params.push(id, JSON.stringify(values.map((v) => ({ value: v.value, type: v.type, primary: Boolean(Number(v.is_primary)), display: v.display }))));
        }
        sets.push(`${column} = CASE id ${ids.map(() => 'WHEN ? THEN ?').join(' ')} END`);
      }
      await queryRunner.query(`UPDATE scim_users SET ${sets.join(', ')} WHERE id IN (${list})`, [...params, ...ids]);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const { column } of ATTRIBUTES) await queryRunner.query(`ALTER TABLE scim_users DROP COLUMN ${column}`);
  }
}

interface ChildRow {
  user_id: string;
  value: string;
  type: string | null;
  is_primary: number | string | boolean;
  display: string | null;
}
