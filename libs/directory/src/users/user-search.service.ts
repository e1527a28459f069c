import { Injectable } from '@nestjs/common';
import { Database } from '@app/database';
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

/** Where each field's lower-cased key column is, each with an index of its own (not led by the tenant). */
const KEY_COLUMN: Record<UserSearchField, { from: string; column: string; value: string }> = {
  userName: { from: 'scim_users u', column: 'u.user_name_key', value: 'u.user_name' },
  externalId: { from: 'scim_users u', column: 'u.external_id_key', value: 'u.external_id' },
  email: { from: 'scim_user_emails k JOIN scim_users u ON u.id = k.user_id', column: 'k.value_key', value: 'k.value' },
};

/**
 * Support's search for users across every tenant by userName, e-mail or externalId, exact or by
 * prefix, without regard to case. Each field is one query on its lower-cased key column's index: a
 * prefix is a range (`key >= text AND key < text + U+10FFFF`), which every database serves from the
 * index, unlike LIKE on SQLite. The only read in the service that is not scoped to one tenant: it
 * is for support staff, and it answers with each user's tenant.
 */
@Injectable()
export class UserSearchService {
  constructor(private readonly db: Database) {}

  async search(query: UserSearchQuery): Promise<UserSearchHit[]> {
    const key = query.text.toLowerCase();
    const fields = query.field ? [query.field] : USER_SEARCH_FIELDS;
    const hits: UserSearchHit[] = [];
    const seen = new Set<string>();
    for (const field of fields) {
      const { from, column, value } = KEY_COLUMN[field];
      const match = query.prefix ? `${column} >= ? AND ${column} < ?` : `${column} = ?`;
      const params = query.prefix ? [key, `${key}\u{10FFFF}`] : [key];
      const [rows] = await this.db.select({
        sql:
          `SELECT u.id, u.tenant_id, u.user_name, u.external_id, u.display_name, u.active, ${value} AS matched, ` +
          `t.slug, t.name AS tenant_name, t.status FROM ${from} JOIN tenants t ON t.id = u.tenant_id ` +
          `WHERE ${match} ORDER BY ${column}, u.id LIMIT ${query.limit + 1}`,
        params,
      });
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
