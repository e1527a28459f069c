import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import type { SortOrder } from '@app/scim';

export interface PageRequest {
  startIndex: number;
  count: number;
  sortOrder: SortOrder;
}

/**
 * One page of a filtered query and its total. Without a sort column, rows come in creation order
 * (indexed per tenant). The total needs no second query when the page is the first and not full,
 * which is every lookup Entra makes.
 */
export async function page<T extends ObjectLiteral>(
  base: () => SelectQueryBuilder<T>,
  alias: string,
  request: PageRequest,
  orderBy: string | undefined,
): Promise<{ total: number; rows: T[] }> {
  const query = base();
  const direction = request.sortOrder === 'descending' ? 'DESC' : 'ASC';
  if (orderBy) query.orderBy(orderBy, direction).addOrderBy(`${alias}.id`, direction);
  else query.orderBy(`${alias}.created_at`, 'ASC').addOrderBy(`${alias}.id`, 'ASC');
  const rows = request.count > 0 ? await query.offset(request.startIndex - 1).limit(request.count).getMany() : [];
  const total = request.startIndex === 1 && rows.length < request.count ? rows.length : await base().getCount();
  return { total, rows };
}
