import { Injectable } from '@nestjs/common';
import { Database, type Row } from '@app/database';
import type { TenantStatus } from '../tenants/tenant.entity.js';

export type UserSearchField = 'userName' | 'email' | 'externalId';
export const USER_SEARCH_FIELDS: readonly UserSearchField[] = ['userName', 'email', 'externalId'];

export interface UserSearchQuery {
  /** What to look for; compared without regard to case. */
  text: string;
  /** Where to look; every field when absent. */
  field?: UserSearchField;
  /** Exact match, or every value that starts with the text. */
  prefix: boolean;
  limit: number;
}

export interface UserSearchHit {
  tenant: { id: string; slug: string; name: string; status: TenantStatus };
  user: { id: string; userName: string; externalId: string | null; displayName: string | null; active: boolean };
  /** The field that matched (and, for e-mail, the matching address). */
  matched: { field: UserSearchField; value: string };
}

/**
 * Where each field's lower-cased key column is, and the tenant column that leads its index: the
 * userName and e-mail keys are searched through the tenant-led indexes the SCIM door uses
 * (`uq_scim_users_user_name`, `ix_scim_user_emails_value`), one range per tenant; the externalId key
 * has an index of its own (`ix_scim_users_external_id_key`: the door's externalId index is on the
 * case-exact value).
 */
const KEY_COLUMN: Record<UserSearchField, { from: string; column: string; value: string; tenant: string | null }> = {
  userName: { from: 'scim_users u', column: 'u.user_name_key', value: 'u.user_name', tenant: 'u.tenant_id' },
  externalId: { from: 'scim_users u', column: 'u.external_id_key', value: 'u.external_id', tenant: null },
  email: { from: 'scim_user_emails k JOIN scim_users u ON u.id = k.user_id', column: 'k.value_key', value: 'k.value', tenant: 'k.tenant_id' },
};

/** Tenants named in one query of a tenant-led search (a bounded IN list, whatever the number of tenants). */
export const TENANTS_PER_QUERY = 500;

/** Binary order of two strings (UTF-8 bytes, which is code point order), as the key columns sort on both databases. */
function binaryOrder(a: string, b: string): number {
  return a === b ? 0 : Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * Support's search for users across every tenant by userName, e-mail or externalId, exact or by
 * prefix, without regard to case. A prefix is a range (`key >= text AND key < text + U+10FFFF`),
 * which every database serves from an index, unlike LIKE on SQLite. The userName and e-mail
 * searches read the tenants first and name them in the query (`tenant_id IN (…)`, TENANTS_PER_QUERY
 * at a time in the order of their ids, every query in one round trip), so that each tenant is one
 * range of the tenant-led index; the rows of the queries are merged in key order and cut to the
 * limit. The externalId search is one query on its own index. The only read in the service that is
 * not scoped to one tenant: it is for support staff, and it answers with each user's tenant.
 */
@Injectable()
export class UserSearchService {
  constructor(private readonly db: Database) {}

  async search(query: UserSearchQuery): Promise<UserSearchHit[]> {
    const key = query.text.toLowerCase();
    const fields = query.field ? [query.field] : USER_SEARCH_FIELDS;
    const hits: UserSearchHit[] = [];
    const seen = new Set<string>();
    let tenantIds: string[] | undefined;
    for (const field of fields) {
      const { from, column, value, tenant } = KEY_COLUMN[field];
      const match = query.prefix ? `${column} >= ? AND ${column} < ?` : `${column} = ?`;
      const params = query.prefix ? [key, `${key}\u{10FFFF}`] : [key];
      const statement = (where: string, tenants: string[]) => ({
        sql:
          `SELECT u.id, u.tenant_id, u.user_name, u.external_id, u.display_name, u.active, ${value} AS matched, ${column} AS match_key, ` +
          `t.slug, t.name AS tenant_name, t.status FROM ${from} JOIN tenants t ON t.id = u.tenant_id ` +
          `WHERE ${where} ORDER BY ${column}, u.id LIMIT ${query.limit + 1}`,
        params: [...tenants, ...params],
      });
      let rows: Row[];
      if (!tenant) {
        [rows] = await this.db.select(statement(match, []));
      } else {
        tenantIds ??= (await this.db.select({ sql: 'SELECT id FROM tenants ORDER BY id', params: [] }))[0].map((row) => String(row.id));
        const parts: string[][] = [];
        for (let i = 0; i < tenantIds.length; i += TENANTS_PER_QUERY) parts.push(tenantIds.slice(i, i + TENANTS_PER_QUERY));
        if (parts.length === 0) continue;
        const results = await this.db.select(...parts.map((part) => statement(`${tenant} IN (${part.map(() => '?').join(', ')}) AND ${match}`, part)));
        rows = results.flat();
        if (results.length > 1) {
          // Each query's rows are in order; together they are merged, in the same order, and cut.
          rows.sort((a, b) => binaryOrder(String(a.match_key), String(b.match_key)) || binaryOrder(String(a.id), String(b.id)));
          rows = rows.slice(0, query.limit + 1);
        }
      }
      for (const row of rows) {
        if (seen.has(String(row.id))) continue;
        seen.add(String(row.id));
        hits.push({
          tenant: { id: String(row.tenant_id), slug: String(row.slug), name: String(row.tenant_name), status: row.status as TenantStatus },
          user: {
            id: String(row.id),
            userName: String(row.user_name),
            externalId: (row.external_id as string | null) ?? null,
            displayName: (row.display_name as string | null) ?? null,
            active: Boolean(Number(row.active)),
          },
          matched: { field, value: String(row.matched) },
        });
      }
    }
    return hits.slice(0, query.limit);
  }
}
