import { Injectable } from '@nestjs/common';
import { Database, isUniqueViolation, type Row, type Statement, type UnitOfWork } from '@app/database';
import { ScimError, type Filter, type AttrPath, type SortOrder } from '@app/scim';
import { ScimUserEntity } from './scim-user.entity.js';
import { ScimUserEmailEntity, ScimUserPhoneNumberEntity } from './multi-valued-row.entity.js';
import { childRow, indexedRow, multiValuedRows, type ChildElement, type ChildValues, type StoredUser, type UserData } from './user-mapper.js';
import { CHILD_ATTRIBUTES, type ChildAttribute } from './user-attributes.js';
import { compileFilter, positional, sortColumn, type FilterSpec } from '../sql/filter-compiler.js';
import { keysetPage, page, type KeysetPage, type KeysetRequest, type PageQuery } from '../sql/paging.js';
import { USER_FILTER } from './user-filter.js';
import { removeMemberEverywhere } from '../groups/scim-group.repository.js';
import { EventLog, type EventDraft } from '../events/event-log.js';
import { ScimUserExtensionValueEntity } from '../extensions/schema-extension.entity.js';

export interface UserListQuery {
  filter?: Filter;
  startIndex: number;
  count: number;
  sortBy?: AttrPath;
  sortOrder: SortOrder;
}

const CHILD_ENTITIES = { emails: ScimUserEmailEntity, phoneNumbers: ScimUserPhoneNumberEntity } as const;
const CHILDREN = Object.keys(CHILD_ENTITIES) as ChildAttribute[];

/** A row of `groupsOf`: a group of a user. */
interface GroupRow {
  owner: string;
  id: string;
  display_name_key: string | null;
  display_name: string | null;
}

/** Every query on SCIM users; each method takes the tenant first and never leaves it. */
@Injectable()
export class ScimUserRepository {
  constructor(
    private readonly db: Database,
    private readonly events: EventLog,
  ) {}

  async findById(tenantId: string, id: string): Promise<StoredUser | null> {
    const [rows, groups] = await this.db.select(
      { sql: 'SELECT * FROM scim_users WHERE tenant_id = ? AND id = ?', params: [tenantId, id] },
      groupsOf(tenantId, { sql: '?', params: [id] }),
    );
    return withChildren(this.db.hydrate(ScimUserEntity, rows), groups)[0] ?? null;
  }

  /**
   * One page of users matching the filter, and the total. A page with users takes a second query for
   * their groups (by id: far cheaper than repeating the filter); an empty one, the usual answer to
   * Entra's lookup before a create, takes one query only. The two are separate reads of committed
   * data: a membership change that commits between them shows in the groups.
   */
  async list(tenantId: string, query: UserListQuery, spec: FilterSpec = USER_FILTER): Promise<{ total: number; users: StoredUser[] }> {
    const { total, rows } = await page(this.db, ScimUserEntity, this.pageQuery(tenantId, query, spec), query);
    return { total, users: await this.withGroups(tenantId, rows) };
  }

  /**
   * One page of users by keyset (cursor paging): the users after or before a position, one query
   * for the page (no OFFSET, no total) and, when it has users, one for their groups.
   */
  async listByKeyset(tenantId: string, query: UserListQuery, request: KeysetRequest, spec: FilterSpec = USER_FILTER): Promise<KeysetPage<StoredUser>> {
    const found = await keysetPage(this.db, ScimUserEntity, this.pageQuery(tenantId, query, spec), request);
    return { ...found, rows: await this.withGroups(tenantId, found.rows) };
  }

  /** The page's query; `spec` says what can be filtered and sorted on (the tenant's own extension attributes too). */
  private pageQuery(tenantId: string, query: UserListQuery, spec: FilterSpec): PageQuery {
    const orderBy = query.sortBy ? sortColumn(spec, query.sortBy, 'Users') : undefined;
    const condition = query.filter ? positional(compileFilter(query.filter, spec, (d) => this.db.dateParam(d))) : undefined;
    return {
      table: 'scim_users',
      alias: 'u',
      where: condition ? `u.tenant_id = ? AND ${condition.sql}` : 'u.tenant_id = ?',
      params: [tenantId, ...(condition?.params ?? [])],
      orderBy,
    };
  }

  /** The users with their groups: a second query, by id, when there are users. */
  private async withGroups(tenantId: string, rows: ScimUserEntity[]): Promise<StoredUser[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((u) => u.id);
    const [groups] = await this.db.select(groupsOf(tenantId, { sql: ids.map(() => '?').join(', '), params: ids }));
    return withChildren(rows, groups);
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
        for (const attribute of CHILDREN) {
          stored[attribute] = this.insertChildren(unit, attribute, tenantId, id, data[attribute]);
        }
        this.insertExtensionValues(unit, tenantId, id, data);
        unit.queue(this.events.statement(tenantId, { ...event, resourceId: id }, 201));
        unit.markCommitWith({ sql: 'SELECT 1 FROM scim_users WHERE tenant_id = ? AND id = ?', params: [tenantId, id] });
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
        const [rows, groups] = await unit.run(
          { sql: `SELECT * FROM scim_users WHERE tenant_id = ? AND id = ?${lock}`, params: [tenantId, id] },
          groupsOf(tenantId, { sql: '?', params: [id] }),
        );
        const [current] = withChildren(this.db.hydrate(ScimUserEntity, rows), groups);
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
        for (const attribute of CHILDREN) {
          stored[attribute] = this.replaceChildren(unit, attribute, tenantId, id, current[attribute], data[attribute]);
        }
        // A user's extension values are written with their JSON copy in `extra`, under the extension's
        // URN: a user whose JSON names none has no rows to replace (most users, of most tenants).
        if (user.extra?.includes('"urn:')) {
          unit.queue({ sql: 'DELETE FROM scim_user_extension_values WHERE tenant_id = ? AND user_id = ?', params: [tenantId, id] });
        }
        this.insertExtensionValues(unit, tenantId, id, data);
        unit.queue(this.events.statement(tenantId, { ...event, resourceId: id, changed: result.changed }));
        // Versions only grow, and each write is based on the one before under the row lock.
        unit.markCommitWith({ sql: 'SELECT 1 FROM scim_users WHERE tenant_id = ? AND id = ? AND version >= ?', params: [tenantId, id, changes.version] });
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
      for (const attribute of CHILDREN) await manager.delete(CHILD_ENTITIES[attribute], { userId: id });
      await manager.delete(ScimUserExtensionValueEntity, { tenantId, userId: id });
      await removeMemberEverywhere(manager, tenantId, id);
      await manager.delete(ScimUserEntity, { tenantId, id });
      await this.events.record(manager, tenantId, { ...event, resourceId: id }, 204);
      return true;
    });
  }

  /** Queues the rows of the user's extension values (the filters' index). */
  private insertExtensionValues(unit: UnitOfWork, tenantId: string, userId: string, data: UserData): void {
    const insert = this.db.insertStatement(
      ScimUserExtensionValueEntity,
      data.extensionValues.map((v) => ({ ...v, tenantId, userId })),
    );
    if (insert) unit.queue(insert);
  }

  private insertChildren(unit: UnitOfWork, attribute: ChildAttribute, tenantId: string, userId: string, values: ChildValues[]): ChildElement[] {
    const rows = values.map((v, position) => childRow(v, userId, tenantId, position));
    const insert = this.db.insertStatement(CHILD_ENTITIES[attribute], rows.map(indexedRow));
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
    attribute: ChildAttribute,
    tenantId: string,
    userId: string,
    rows: ChildElement[],
    values: ChildValues[],
  ): ChildElement[] {
    if (rows.length !== values.length) {
      unit.queue({ sql: `DELETE FROM ${CHILD_ATTRIBUTES[attribute].table} WHERE user_id = ?`, params: [userId] });
      return this.insertChildren(unit, attribute, tenantId, userId, values);
    }
    return rows.map((row, position) => {
      const v = values[position];
      if (row.value === v.value && row.type === v.type && row.primary === v.primary && row.display === v.display) return row;
      const changed = childRow(v, userId, tenantId, position);
      const { value, valueKey, type, primary, display } = indexedRow(changed);
      unit.queue(this.db.updateStatement(CHILD_ENTITIES[attribute], { value, valueKey, type, primary, display }, { userId, position })!);
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

/** The groups of the users whose ids `ids` lists (`?, ?` and their values), with their display names. */
function groupsOf(tenantId: string, ids: Statement): Statement {
  return {
    sql: `SELECT m.member_id AS owner, g.id, g.display_name_key, g.display_name
            FROM scim_group_members m JOIN scim_groups g ON g.id = m.group_id
           WHERE m.tenant_id = ? AND m.member_id IN (${ids.sql})`,
    params: [tenantId, ...ids.params],
  };
}

/** The users, in their order, with their e-mails and phone numbers (from their rows) and their groups (rows of `groupsOf`). */
function withChildren(users: ScimUserEntity[], groupRows: Row[]): StoredUser[] {
  const byUser = new Map(
    users.map((user) => [
      user.id,
      { user, emails: multiValuedRows(user, 'emails'), phoneNumbers: multiValuedRows(user, 'phoneNumbers'), groups: [] } as StoredUser,
    ]),
  );
  const groups = groupRows as unknown as GroupRow[];
  groups.sort((a, b) => (a.display_name_key ?? '').localeCompare(b.display_name_key ?? ''));
  for (const row of groups) byUser.get(row.owner)?.groups.push({ id: row.id, displayName: row.display_name ?? '' });
  return users.map((u) => byUser.get(u.id)!);
}
