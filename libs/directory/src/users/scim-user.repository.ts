import { Injectable } from '@nestjs/common';
import { Database, isUniqueViolation, type Row, type Statement, type UnitOfWork } from '@app/database';
import { ScimError, type Filter, type AttrPath, type SortOrder } from '@app/scim';
import { ScimUserEntity } from './scim-user.entity.js';
import { ScimUserEmailEntity, ScimUserPhoneNumberEntity, type MultiValuedRow } from './multi-valued-row.entity.js';
import type { ChildValues, StoredUser, UserData } from './user-mapper.js';
import { compileFilter, positional, sortColumn } from '../sql/filter-compiler.js';
import { page } from '../sql/paging.js';
import { USER_FILTER } from './user-filter.js';
import { removeMemberEverywhere } from '../groups/scim-group.repository.js';
import { EventLog, type EventDraft } from '../events/event-log.js';

export interface UserListQuery {
  filter?: Filter;
  startIndex: number;
  count: number;
  sortBy?: AttrPath;
  sortOrder: SortOrder;
}

const CHILDREN = [
  ['emails', ScimUserEmailEntity],
  ['phoneNumbers', ScimUserPhoneNumberEntity],
] as const;

/** A row of the combined child query: an e-mail, a phone number, or a group (value = group id, type = sort key). */
interface ChildRow {
  kind: 'emails' | 'phoneNumbers' | 'groups';
  owner: string;
  position: number | string;
  value: string;
  type: string | null;
  is_primary: number | string | boolean;
  display: string | null;
}

/** Every query on SCIM users; each method takes the tenant first and never leaves it. */
@Injectable()
export class ScimUserRepository {
  constructor(
    private readonly db: Database,
    private readonly events: EventLog,
  ) {}

  async findById(tenantId: string, id: string): Promise<StoredUser | null> {
    const [rows, children] = await this.db.select(
      { sql: 'SELECT * FROM scim_users WHERE tenant_id = ? AND id = ?', params: [tenantId, id] },
      childrenOf(tenantId, { sql: '?', params: [id] }),
    );
    return withChildren(this.db.hydrate(ScimUserEntity, rows), children)[0] ?? null;
  }

  /**
   * One page of users matching the filter, and the total. A page with users takes a second query for
   * their child rows (by id: far cheaper than repeating the filter); an empty one, the usual answer to
   * Entra's lookup before a create, takes one query only. The two are separate reads of committed
   * data: a write that commits between them shows in the child rows.
   */
  async list(tenantId: string, query: UserListQuery): Promise<{ total: number; users: StoredUser[] }> {
    const orderBy = query.sortBy ? sortColumn(USER_FILTER, query.sortBy, 'Users') : undefined;
    const condition = query.filter ? positional(compileFilter(query.filter, USER_FILTER, (d) => this.db.dateParam(d))) : undefined;
    const { total, rows } = await page(
      this.db,
      ScimUserEntity,
      {
        table: 'scim_users',
        alias: 'u',
        where: condition ? `u.tenant_id = ? AND ${condition.sql}` : 'u.tenant_id = ?',
        params: [tenantId, ...(condition?.params ?? [])],
        orderBy,
      },
      query,
    );
    if (rows.length === 0) return { total, users: [] };
    const ids = rows.map((u) => u.id);
    const [children] = await this.db.select(childrenOf(tenantId, { sql: ids.map(() => '?').join(', '), params: ids }));
    return { total, users: withChildren(rows, children) };
  }

  /**
   * Inserts a user and records `event` in the same transaction (one round trip on MySQL); a userName
   * taken in any case gives ScimError uniqueness.
   */
  async create(tenantId: string, id: string, data: UserData, event: EventDraft): Promise<StoredUser> {
    try {
      return await this.db.unitOfWork(async (unit) => {
        const now = new Date();
        const user = Object.assign(new ScimUserEntity(), { ...data.fields, id, tenantId, version: 1, createdAt: now, updatedAt: now });
        unit.queue(this.db.insertStatement(ScimUserEntity, [user])!);
        const stored: StoredUser = { user, emails: [], phoneNumbers: [], groups: [] };
        for (const [attribute, entity] of CHILDREN) {
          stored[attribute] = this.insertChildren(unit, entity, tenantId, id, data[attribute]);
        }
        unit.queue(this.events.statement(tenantId, { ...event, resourceId: id }, 201));
        return stored;
      });
    } catch (error) {
      throw this.translate(error, data);
    }
  }

  /**
   * Read-modify-write of one user under a row lock. `change` gets the current user and returns the
   * new data with the names of the changed attributes, or null to leave it as it is; a change is
   * recorded as `event` in the same transaction. Returns null when the user does not exist. On MySQL
   * this is two round trips: the locked read, then the writes with the COMMIT.
   */
  async modify(
    tenantId: string,
    id: string,
    change: (current: StoredUser) => { data: UserData; changed: string[] } | null,
    event: EventDraft,
  ): Promise<StoredUser | null> {
    let data: UserData | null = null;
    try {
      return await this.db.unitOfWork(async (unit) => {
        const lock = this.db.kind === 'mysql' ? ' FOR UPDATE' : '';
        const [rows, children] = await unit.run(
          { sql: `SELECT * FROM scim_users WHERE tenant_id = ? AND id = ?${lock}`, params: [tenantId, id] },
          childrenOf(tenantId, { sql: '?', params: [id] }),
        );
        const [current] = withChildren(this.db.hydrate(ScimUserEntity, rows), children);
        if (!current) return null;
        const result = change(current);
        if (!result) return current;
        data = result.data;
        const { user } = current;
        const changes: Partial<ScimUserEntity> = { version: user.version + 1, updatedAt: new Date() };
        for (const [key, value] of Object.entries(data.fields) as [keyof typeof data.fields, unknown][]) {
          if (user[key] !== value) (changes as Record<string, unknown>)[key] = value;
        }
        unit.queue(this.db.updateStatement(ScimUserEntity, changes, { tenantId, id })!);
        const updated = Object.assign(new ScimUserEntity(), user, changes);
        const stored: StoredUser = { user: updated, emails: current.emails, phoneNumbers: current.phoneNumbers, groups: current.groups };
        for (const [attribute, entity] of CHILDREN) {
          stored[attribute] = this.replaceChildren(unit, entity, tenantId, id, current[attribute], data[attribute]);
        }
        unit.queue(this.events.statement(tenantId, { ...event, resourceId: id, changed: result.changed }));
        return stored;
      });
    } catch (error) {
      throw this.translate(error, data);
    }
  }

  /** Deletes a user, its child rows and memberships; false when there was none. */
  delete(tenantId: string, id: string, event: EventDraft): Promise<boolean> {
    return this.db.transaction(async (manager) => {
      const user = await manager.findOneBy(ScimUserEntity, { tenantId, id });
      if (!user) return false;
      for (const [, entity] of CHILDREN) await manager.delete(entity, { userId: id });
      await removeMemberEverywhere(manager, tenantId, id);
      await manager.delete(ScimUserEntity, { tenantId, id });
      await this.events.record(manager, tenantId, { ...event, resourceId: id }, 204);
      return true;
    });
  }

  private insertChildren(
    unit: UnitOfWork,
    entity: typeof ScimUserEmailEntity,
    tenantId: string,
    userId: string,
    values: ChildValues[],
  ): MultiValuedRow[] {
    const rows = values.map((v, position) =>
      Object.assign(new entity(), { ...v, userId, tenantId, position, valueKey: v.value.toLowerCase() }),
    );
    const insert = this.db.insertStatement(entity, rows);
    if (insert) unit.queue(insert);
    return rows;
  }

  /**
   * Brings a user's child rows from `rows` to `values`: changed positions are updated in place when
   * the number of values stays the same (a changed work e-mail is one UPDATE), otherwise the rows are
   * replaced. Nothing is sent when nothing changed.
   */
  private replaceChildren(
    unit: UnitOfWork,
    entity: typeof ScimUserEmailEntity,
    tenantId: string,
    userId: string,
    rows: MultiValuedRow[],
    values: ChildValues[],
  ): MultiValuedRow[] {
    if (rows.length !== values.length) {
      unit.queue({ sql: `DELETE FROM ${this.db.tableName(entity)} WHERE user_id = ?`, params: [userId] });
      return this.insertChildren(unit, entity, tenantId, userId, values);
    }
    return rows.map((row, position) => {
      const v = values[position];
      if (row.value === v.value && row.type === v.type && row.primary === v.primary && row.display === v.display) return row;
      const changed = Object.assign(new entity(), { ...v, userId, tenantId, position, valueKey: v.value.toLowerCase() });
      const { value, valueKey, type, primary, display } = changed;
      unit.queue(this.db.updateStatement(entity, { value, valueKey, type, primary, display }, { userId, position })!);
      return changed;
    });
  }

  private translate(error: unknown, data: UserData | null): unknown {
    if (isUniqueViolation(error)) {
      const name = data?.fields.userName;
      return ScimError.uniqueness(
        name ? `A user with userName "${name}" already exists (userName is matched without regard to case)` : 'The userName is already taken',
      );
    }
    return error;
  }
}

/** E-mails, phone numbers and groups of the users whose ids `ids` lists (`?, ?` and their values). */
function childrenOf(tenantId: string, ids: Statement): Statement {
  return {
    sql: `SELECT 'emails' AS kind, user_id AS owner, position, value, type, is_primary, display FROM scim_user_emails WHERE user_id IN (${ids.sql})
          UNION ALL
          SELECT 'phoneNumbers', user_id, position, value, type, is_primary, display FROM scim_user_phone_numbers WHERE user_id IN (${ids.sql})
          UNION ALL
          SELECT 'groups', m.member_id, 0, g.id, g.display_name_key, 0, g.display_name
            FROM scim_group_members m JOIN scim_groups g ON g.id = m.group_id
           WHERE m.tenant_id = ? AND m.member_id IN (${ids.sql})`,
    params: [...ids.params, ...ids.params, tenantId, ...ids.params],
  };
}

/** The users with their rows of `childrenOf`, in the users' order. */
function withChildren(users: ScimUserEntity[], rows: Row[]): StoredUser[] {
  const byUser = new Map(users.map((user) => [user.id, { user, emails: [], phoneNumbers: [], groups: [] } as StoredUser]));
  const children = rows as unknown as ChildRow[];
  children.sort((a, b) =>
    a.kind !== b.kind ? a.kind.localeCompare(b.kind) : a.kind === 'groups' ? (a.type ?? '').localeCompare(b.type ?? '') : Number(a.position) - Number(b.position),
  );
  for (const row of children) {
    const stored = byUser.get(row.owner);
    if (!stored) continue;
    if (row.kind === 'groups') {
      stored.groups.push({ id: row.value, displayName: row.display ?? '' });
      continue;
    }
    stored[row.kind].push(
      Object.assign(new ScimUserEmailEntity(), {
        userId: row.owner,
        tenantId: stored.user.tenantId,
        position: Number(row.position),
        value: row.value,
        valueKey: row.value.toLowerCase(),
        type: row.type,
        primary: Boolean(Number(row.is_primary)),
        display: row.display,
      }),
    );
  }
  return users.map((u) => byUser.get(u.id)!);
}
