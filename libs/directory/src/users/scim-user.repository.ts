import { Injectable } from '@nestjs/common';
import { In, type EntityManager } from 'typeorm';
import { Database, isUniqueViolation } from '@app/database';
import { ScimError, type Filter, type AttrPath, type SortOrder } from '@app/scim';
import { ScimUserEntity } from './scim-user.entity.js';
import { ScimUserEmailEntity, ScimUserPhoneNumberEntity, type MultiValuedRow } from './multi-valued-row.entity.js';
import type { ChildValues, StoredUser, UserData } from './user-mapper.js';
import { compileFilter, sortColumn } from '../sql/filter-compiler.js';
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

/** Every query on SCIM users; each method takes the tenant first and never leaves it. */
@Injectable()
export class ScimUserRepository {
  constructor(
    private readonly db: Database,
    private readonly events: EventLog,
  ) {}

  findById(tenantId: string, id: string): Promise<StoredUser | null> {
    return this.db.read(async (manager) => {
      const user = await manager.findOneBy(ScimUserEntity, { tenantId, id });
      return user ? (await this.withChildren(manager, [user]))[0] : null;
    });
  }

  /** One page of users matching the filter, and the total. */
  list(tenantId: string, query: UserListQuery): Promise<{ total: number; users: StoredUser[] }> {
    const orderBy = query.sortBy ? sortColumn(USER_FILTER, query.sortBy, 'Users') : undefined;
    const condition = query.filter ? compileFilter(query.filter, USER_FILTER, (d) => this.db.dateParam(d)) : undefined;
    return this.db.read(async (manager) => {
      const base = () => {
        const qb = manager.createQueryBuilder(ScimUserEntity, 'u').where('u.tenant_id = :tenantId', { tenantId });
        if (condition) qb.andWhere(condition.sql, condition.params);
        return qb;
      };
      const { total, rows } = await page(base, 'u', query, orderBy);
      return { total, users: await this.withChildren(manager, rows) };
    });
  }

  /** Inserts a user; a userName taken in any case gives ScimError uniqueness. */
  /** Inserts a user and records `event` in the same transaction. */
  async create(tenantId: string, id: string, data: UserData, event: EventDraft): Promise<StoredUser> {
    try {
      return await this.db.transaction(async (manager) => {
        const now = new Date();
        const user = manager.create(ScimUserEntity, { ...data.fields, id, tenantId, version: 1, createdAt: now, updatedAt: now });
        await manager.insert(ScimUserEntity, user);
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
        const user = await manager.findOne(ScimUserEntity, {
          where: { tenantId, id },
          ...(this.db.kind === 'mysql' ? { lock: { mode: 'pessimistic_write' as const } } : {}),
        });
        if (!user) return null;
        const [current] = await this.withChildren(manager, [user]);
        const result = change(current);
        if (!result) return current;
        data = result.data;
        const changes = { ...data.fields, version: user.version + 1, updatedAt: new Date() };
        await manager.update(ScimUserEntity, { tenantId, id }, changes);
        const updated = manager.create(ScimUserEntity, { ...user, ...changes });
        const stored: StoredUser = { user: updated, emails: current.emails, phoneNumbers: current.phoneNumbers, groups: current.groups };
        for (const [attribute, entity] of CHILDREN) {
          if (sameChildren(current[attribute], data[attribute])) continue;
          await manager.delete(entity, { userId: id });
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
      manager.create(entity, { ...v, userId, tenantId, position, valueKey: v.value.toLowerCase() }),
    );
    if (rows.length > 0) await manager.insert(entity, rows);
    return rows;
  }

  private async withChildren(manager: EntityManager, users: ScimUserEntity[]): Promise<StoredUser[]> {
    if (users.length === 0) return [];
    const ids = users.map((u) => u.id);
    const byUser = new Map(users.map((user) => [user.id, { user, emails: [], phoneNumbers: [], groups: [] } as StoredUser]));
    for (const [attribute, entity] of CHILDREN) {
      const rows = await manager.find(entity, { where: { userId: ids.length === 1 ? ids[0] : In(ids) }, order: { position: 'ASC' } });
      for (const row of rows) byUser.get(row.userId)![attribute].push(row);
    }
    const memberships: { member_id: string; id: string; display_name: string }[] = await manager.query(
      `SELECT m.member_id, g.id, g.display_name FROM scim_group_members m JOIN scim_groups g ON g.id = m.group_id
        WHERE m.tenant_id = ? AND m.member_id IN (${ids.map(() => '?').join(', ')}) ORDER BY g.display_name_key`,
      [users[0].tenantId, ...ids],
    );
    for (const m of memberships) byUser.get(m.member_id)!.groups.push({ id: m.id, displayName: m.display_name });
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
