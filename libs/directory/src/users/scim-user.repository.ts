import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Database, isUniqueViolation } from '@app/database';
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

const CHILD_TABLES = { emails: 'scim_user_emails', phoneNumbers: 'scim_user_phone_numbers' } as const;

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

  findById(tenantId: string, id: string): Promise<StoredUser | null> {
    return this.db.read(async (manager) => {
      const [user] = this.db.hydrate(ScimUserEntity, await manager.query('SELECT * FROM scim_users WHERE tenant_id = ? AND id = ?', [tenantId, id]));
      return user ? (await this.withChildren(manager, [user]))[0] : null;
    });
  }

  /** One page of users matching the filter, and the total. */
  list(tenantId: string, query: UserListQuery): Promise<{ total: number; users: StoredUser[] }> {
    const orderBy = query.sortBy ? sortColumn(USER_FILTER, query.sortBy, 'Users') : undefined;
    const condition = query.filter ? positional(compileFilter(query.filter, USER_FILTER, (d) => this.db.dateParam(d))) : undefined;
    return this.db.read(async (manager) => {
      const { total, rows } = await page(
        this.db,
        manager,
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
      return { total, users: await this.withChildren(manager, rows) };
    });
  }

  /** Inserts a user; a userName taken in any case gives ScimError uniqueness. */
  /** Inserts a user and records `event` in the same transaction. */
  async create(tenantId: string, id: string, data: UserData, event: EventDraft): Promise<StoredUser> {
    try {
      return await this.db.transaction(async (manager) => {
        const now = new Date();
        const user = Object.assign(new ScimUserEntity(), { ...data.fields, id, tenantId, version: 1, createdAt: now, updatedAt: now });
        await this.db.insertRows(manager, ScimUserEntity, [user]);
        const stored: StoredUser = { user, emails: [], phoneNumbers: [], groups: [] };
        for (const [attribute, entity] of CHILDREN) {
          stored[attribute] = await this.insertChildren(manager, entity, tenantId, id, data[attribute]);
        }
        await this.events.record(manager, tenantId, { ...event, resourceId: id }, 201);
        return stored;
      });
    } catch (error) {
      throw this.translate(error, data);
    }
  }

  /**
   * Read-modify-write of one user under a row lock. `change` gets the current user and returns the
   * new data with the names of the changed attributes, or null to leave it as it is; a change is
   * recorded as `event` in the same transaction. Returns null when the user does not exist.
   */
  async modify(
    tenantId: string,
    id: string,
    change: (current: StoredUser) => { data: UserData; changed: string[] } | null,
    event: EventDraft,
  ): Promise<StoredUser | null> {
    let data: UserData | null = null;
    try {
      return await this.db.transaction(async (manager) => {
        const lock = this.db.kind === 'mysql' ? ' FOR UPDATE' : '';
        const [user] = this.db.hydrate(
          ScimUserEntity,
          await manager.query(`SELECT * FROM scim_users WHERE tenant_id = ? AND id = ?${lock}`, [tenantId, id]),
        );
        if (!user) return null;
        const [current] = await this.withChildren(manager, [user]);
        const result = change(current);
        if (!result) return current;
        data = result.data;
        const changes: Partial<ScimUserEntity> = { version: user.version + 1, updatedAt: new Date() };
        for (const [key, value] of Object.entries(data.fields) as [keyof typeof data.fields, unknown][]) {
          if (user[key] !== value) (changes as Record<string, unknown>)[key] = value;
        }
        await this.db.updateRows(manager, ScimUserEntity, changes, { tenantId, id });
        const updated = Object.assign(new ScimUserEntity(), user, changes);
        const stored: StoredUser = { user: updated, emails: current.emails, phoneNumbers: current.phoneNumbers, groups: current.groups };
        for (const [attribute, entity] of CHILDREN) {
          if (sameChildren(current[attribute], data[attribute])) continue;
          await manager.query(`DELETE FROM ${CHILD_TABLES[attribute]} WHERE user_id = ?`, [id]);
          stored[attribute] = await this.insertChildren(manager, entity, tenantId, id, data[attribute]);
        }
        await this.events.record(manager, tenantId, { ...event, resourceId: id, changed: result.changed });
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

  private async insertChildren(
    manager: EntityManager,
    entity: typeof ScimUserEmailEntity,
    tenantId: string,
    userId: string,
    values: ChildValues[],
  ): Promise<MultiValuedRow[]> {
    const rows = values.map((v, position) =>
      Object.assign(new entity(), { ...v, userId, tenantId, position, valueKey: v.value.toLowerCase() }),
    );
    await this.db.insertRows(manager, entity, rows);
    return rows;
  }

  /** Adds e-mails, phone numbers and groups to the users, in one query. */
  private async withChildren(manager: EntityManager, users: ScimUserEntity[]): Promise<StoredUser[]> {
    if (users.length === 0) return [];
    const ids = users.map((u) => u.id);
    const byUser = new Map(users.map((user) => [user.id, { user, emails: [], phoneNumbers: [], groups: [] } as StoredUser]));
    const list = ids.map(() => '?').join(', ');
    const rows: ChildRow[] = await manager.query(
      `SELECT 'emails' AS kind, user_id AS owner, position, value, type, is_primary, display FROM scim_user_emails WHERE user_id IN (${list})
       UNION ALL
       SELECT 'phoneNumbers', user_id, position, value, type, is_primary, display FROM scim_user_phone_numbers WHERE user_id IN (${list})
       UNION ALL
       SELECT 'groups', m.member_id, 0, g.id, g.display_name_key, 0, g.display_name
         FROM scim_group_members m JOIN scim_groups g ON g.id = m.group_id
        WHERE m.tenant_id = ? AND m.member_id IN (${list})`,
      [...ids, ...ids, users[0].tenantId, ...ids],
    );
    rows.sort((a, b) =>
      a.kind !== b.kind ? a.kind.localeCompare(b.kind) : a.kind === 'groups' ? (a.type ?? '').localeCompare(b.type ?? '') : Number(a.position) - Number(b.position),
    );
    for (const row of rows) {
      const stored = byUser.get(row.owner)!;
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

function sameChildren(rows: MultiValuedRow[], values: ChildValues[]): boolean {
  return (
    rows.length === values.length &&
    rows.every((r, i) => r.value === values[i].value && r.type === values[i].type && r.primary === values[i].primary && r.display === values[i].display)
  );
}
