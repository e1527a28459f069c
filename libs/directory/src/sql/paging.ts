import type { EntityTarget, ObjectLiteral } from 'typeorm';
import type { Database } from '@app/database';
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
