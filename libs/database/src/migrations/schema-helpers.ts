import type { QueryRunner, TableColumnOptions } from 'typeorm';

/**
 * Column builders shared by the migrations, so one migration serves SQLite and MySQL/MariaDB.
 * On MySQL every text column is utf8mb4 with binary collation: comparisons are exact, as on SQLite,
 * and case-insensitive matching is done explicitly through lower-cased key columns.
 */
export function columns(queryRunner: QueryRunner) {
  const mysql = queryRunner.connection.driver.options.type === 'mysql';
  const text = mysql ? { charset: 'utf8mb4', collation: 'utf8mb4_bin' } : {};
  return {
    id: (name = 'id'): TableColumnOptions => ({ name, type: 'varchar', length: '36', isPrimary: true, ...text }),
    ref: (name: string, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: '36', isNullable: nullable, ...text }),
    string: (name: string, length: number, nullable = true): TableColumnOptions => ({
      name,
      type: 'varchar',
      length: String(length),
      isNullable: nullable,
      ...text,
    }),
    longText: (name: string, nullable = true): TableColumnOptions => ({
      name,
      type: mysql ? 'longtext' : 'text',
      isNullable: nullable,
      ...text,
    }),
    boolean: (name: string, defaultValue: boolean): TableColumnOptions => ({
      name,
      type: 'boolean',
      default: defaultValue ? 1 : 0,
    }),
    integer: (name: string, defaultValue?: number): TableColumnOptions => ({
      name,
      type: 'int',
      ...(defaultValue === undefined ? {} : { default: defaultValue }),
    }),
    timestamp: (name: string, nullable = false): TableColumnOptions => ({
      name,
      type: 'datetime',
      ...(mysql ? { precision: 3 } : {}),
      isNullable: nullable,
    }),
  };
}
