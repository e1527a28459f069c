import type { EntityTarget, ObjectLiteral } from 'typeorm';
import type { Database, Row } from '@app/database';
import type { SortOrder } from '@app/scim';

export interface PageRequest {
  startIndex: number;
  count: number;
  sortOrder: SortOrder;
}

export interface PageQuery {
  table: string;
  alias: string;
  /** Condition on the alias, with `?` parameters; always starts with the tenant. */
  where: string;
  params: unknown[];
  /** Sort column from the allow-list; without one, rows come in creation order (indexed per tenant). */
  orderBy?: string;
}

/**
 * One page of a filtered query and its total, in plain parameterised SQL. The total needs no second
 * query when the page is the first and not full, which is every lookup Entra makes.
 */
export async function page<T extends ObjectLiteral>(
  db: Database,
  target: EntityTarget<T>,
  query: PageQuery,
  request: PageRequest,
): Promise<{ total: number; rows: T[] }> {
  const { table, alias, where, params } = query;
  const direction = request.sortOrder === 'descending' ? 'DESC' : 'ASC';
  const order = query.orderBy ? `${query.orderBy} ${direction}, ${alias}.id ${direction}` : `${alias}.created_at ASC, ${alias}.id ASC`;
  // startIndex and count are validated integers, so they can stand in the SQL text.
  const [raw] =
    request.count > 0
      ? await db.select({
          sql: `SELECT ${alias}.* FROM ${table} ${alias} WHERE ${where} ORDER BY ${order} LIMIT ${Math.trunc(request.count)} OFFSET ${Math.trunc(request.startIndex - 1)}`,
          params,
        })
      : [[]];
  const total =
    request.startIndex === 1 && raw.length < request.count
      ? raw.length
      : Number((await db.select({ sql: `SELECT COUNT(*) AS n FROM ${table} ${alias} WHERE ${where}`, params }))[0][0].n);
  return { total, rows: db.hydrate(target, raw) };
}

/** A row's place in the order of a list: its sort value (null without sortBy: creation time) and id. */
export interface Position {
  /** The sort column's value as JSON: text, number, boolean, null, or `{ at: ISO date }` for a date. */
  value: string | number | boolean | null | { at: string };
  id: string;
}

export interface KeysetRequest {
  count: number;
  sortOrder: SortOrder;
  /** Rows after this position in list order, or before it; the first page when absent. */
  after?: Position;
  before?: Position;
}

export interface KeysetPage<T> {
  rows: T[];
  /** Positions of the first and last rows, to continue from. */
  first?: Position;
  last?: Position;
  /** Whether rows exist beyond the page in the direction it was read (after `last`, or before `first`). */
  more: boolean;
}

/**
 * One page of a filtered query by keyset (RFC 9865 cursors): the rows after (or before) a position,
 * in list order, with no OFFSET, so every page costs what the first one costs. The order is the
 * sort column then the id (or, without a sort column, the creation time then the id, indexed per
 * tenant), so positions are unique; a row inserted while a client pages lands at its place in the
 * order and is never returned twice. NULL sort values come first in ascending order, last in
 * descending order, as both SQLite and MySQL sort them.
 */
export async function keysetPage<T extends ObjectLiteral>(
  db: Database,
  target: EntityTarget<T>,
  query: PageQuery,
  request: KeysetRequest,
): Promise<KeysetPage<T>> {
  const { table, alias, where, params } = query;
  const column = query.orderBy ?? `${alias}.created_at`;
  const nullable = query.orderBy !== undefined;
  const listDescending = query.orderBy !== undefined && request.sortOrder === 'descending';
  const backwards = request.before !== undefined;
  const descending = listDescending !== backwards;
  const direction = descending ? 'DESC' : 'ASC';
  const position = request.after ?? request.before;
  const conditions = [where];
  const allParams = [...params];
  if (position) {
    const keyset = keysetCondition(column, `${alias}.id`, descending, nullable, position, (v) => toParam(db, v));
    conditions.push(keyset.sql);
    allParams.push(...keyset.params);
  }
  // count is a validated integer; one row more tells whether the page is the last one that way.
  const limit = Math.trunc(request.count) + 1;
  const [raw] = await db.select({
    sql: `SELECT ${alias}.* FROM ${table} ${alias} WHERE ${conditions.join(' AND ')} ORDER BY ${column} ${direction}, ${alias}.id ${direction} LIMIT ${limit}`,
    params: allParams,
  });
  const more = raw.length > request.count;
  const rows = raw.slice(0, request.count);
  if (backwards) rows.reverse();
  const columnName = column.slice(column.indexOf('.') + 1);
  const positionOf = (row: Row | undefined): Position | undefined => row && { value: fromColumn(row[columnName]), id: String(row.id) };
  return { rows: db.hydrate(target, rows), first: positionOf(rows[0]), last: positionOf(rows[rows.length - 1]), more };
}

/**
 * Rows strictly past `position` in the order `column, id` (descending or not). Written so that the
 * index on (tenant, created_at, id) serves it: `column >= v AND (column > v OR id > i)`.
 */
function keysetCondition(
  column: string,
  id: string,
  descending: boolean,
  nullable: boolean,
  position: Position,
  param: (value: Position['value']) => unknown,
): { sql: string; params: unknown[] } {
  const [past, pastOrAt] = descending ? ['<', '<='] : ['>', '>='];
  if (position.value === null) {
    // NULLs sort first ascending: past a NULL come later NULLs by id, then every value.
    return descending
      ? { sql: `(${column} IS NULL AND ${id} < ?)`, params: [position.id] }
      : { sql: `((${column} IS NULL AND ${id} > ?) OR ${column} IS NOT NULL)`, params: [position.id] };
  }
  const value = param(position.value);
  const sql = `(${column} ${pastOrAt} ? AND (${column} ${past} ? OR ${id} ${past} ?))`;
  // Descending, NULLs come last: they are past every value.
  return nullable && descending
    ? { sql: `(${sql} OR ${column} IS NULL)`, params: [value, value, position.id] }
    : { sql, params: [value, value, position.id] };
}

function fromColumn(value: unknown): Position['value'] {
  if (value instanceof Date) return { at: value.toISOString() };
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return String(value);
}

function toParam(db: Database, value: Position['value']): unknown {
  if (value !== null && typeof value === 'object') return db.dateParam(new Date(value.at));
  return value;
}
