import { Injectable } from '@nestjs/common';
import { In, type EntityManager } from 'typeorm';
import { Database, isUniqueViolation, textKey } from '@app/database';
import { ScimError, type AttrPath, type Filter, type SortOrder } from '@app/scim';
import { ScimUserEntity } from '../users/scim-user.entity.js';
import { compileFilter, positional, sortColumn, type SqlCondition } from '../sql/filter-compiler.js';
import { keysetPage, page, type KeysetPage, type KeysetRequest, type PageQuery } from '../sql/paging.js';
import { GROUP_FILTER } from './group-filter.js';
import type { GroupMember, StoredGroup } from './group-mapper.js';
import { ScimGroupEntity, ScimGroupMemberEntity, type MemberType } from './scim-group.entity.js';
import { EventLog, type EventDraft } from '../events/event-log.js';

export interface GroupListQuery {
  filter?: Filter;
  startIndex: number;
  count: number;
  sortBy?: AttrPath;
  sortOrder: SortOrder;
}

export type GroupFields = Pick<ScimGroupEntity, 'displayName' | 'externalId'>;

/** Membership changes inside one group's transaction; each returns how many rows it changed. */
export interface MemberEditor {
  add(memberIds: string[]): Promise<number>;
  remove(memberIds: string[]): Promise<number>;
  removeWhere(condition: SqlCondition): Promise<number>;
  removeAll(): Promise<number>;
}

/** Largest IN list or multi-row insert sent in one statement. */
const CHUNK = 500;

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/** Every query on SCIM groups and memberships; tenant first, always. */
@Injectable()
export class ScimGroupRepository {
  constructor(
    private readonly db: Database,
    private readonly events: EventLog,
  ) {}

  findById(tenantId: string, id: string, withMembers: boolean): Promise<StoredGroup | null> {
    return this.db.read(async (manager) => {
      const group = await manager.findOneBy(ScimGroupEntity, { tenantId, id });
      if (!group) return null;
      return { group, members: withMembers ? (await this.loadMembers(manager, [id])).get(id) ?? [] : undefined };
    });
  }

  async list(tenantId: string, query: GroupListQuery, withMembers: boolean): Promise<{ total: number; groups: StoredGroup[] }> {
    const { total, rows } = await page(this.db, ScimGroupEntity, this.pageQuery(tenantId, query), query);
    return { total, groups: await this.withMembers(rows, withMembers) };
  }

  /** One page of groups by keyset (cursor paging), with their members when asked. */
  async listByKeyset(tenantId: string, query: GroupListQuery, request: KeysetRequest, withMembers: boolean): Promise<KeysetPage<StoredGroup>> {
    const found = await keysetPage(this.db, ScimGroupEntity, this.pageQuery(tenantId, query), request);
    return { ...found, rows: await this.withMembers(found.rows, withMembers) };
  }

  private pageQuery(tenantId: string, query: GroupListQuery): PageQuery {
    const orderBy = query.sortBy ? sortColumn(GROUP_FILTER, query.sortBy, 'Groups') : undefined;
    const condition = query.filter ? positional(compileFilter(query.filter, GROUP_FILTER, (d) => this.db.dateParam(d))) : undefined;
    return {
      table: 'scim_groups',
      alias: 'g',
      where: condition ? `g.tenant_id = ? AND ${condition.sql}` : 'g.tenant_id = ?',
      params: [tenantId, ...(condition?.params ?? [])],
      orderBy,
    };
  }

  private async withMembers(rows: ScimGroupEntity[], withMembers: boolean): Promise<StoredGroup[]> {
    const members = withMembers ? await this.db.read((manager) => this.loadMembers(manager, rows.map((g) => g.id))) : undefined;
    return rows.map((group) => ({ group, members: members ? members.get(group.id) ?? [] : undefined }));
  }

  /** Inserts a group with its members and records `event` in the same transaction. */
  async create(tenantId: string, id: string, fields: GroupFields, memberIds: string[], event: EventDraft): Promise<StoredGroup> {
    try {
      return await this.db.transaction(async (manager) => {
        const now = new Date();
        const group = manager.create(ScimGroupEntity, {
          ...fields,
          displayNameKey: textKey(fields.displayName),
          id,
          tenantId,
          version: 1,
          createdAt: now,
          updatedAt: now,
        });
        await manager.insert(ScimGroupEntity, group);
        await this.editor(manager, tenantId, id).add(memberIds);
        await this.events.record(manager, tenantId, { ...event, resourceId: id }, 201);
        return { group };
      });
    } catch (error) {
      throw translate(error, fields.displayName);
    }
  }

  /**
   * Read-modify-write of one group under a row lock. `change` may edit memberships and returns the
   * new fields (or null to keep them); the version moves, and `event` is recorded in the same
   * transaction, only when something changed. Null when the group does not exist.
   */
  async modify(
    tenantId: string,
    id: string,
    change: (group: ScimGroupEntity, members: MemberEditor) => Promise<{ fields: GroupFields | null; membersChanged: boolean }>,
    event: EventDraft,
  ): Promise<StoredGroup | null> {
    let displayName: string | undefined;
    try {
      return await this.db.transaction(async (manager) => {
        const group = await manager.findOne(ScimGroupEntity, {
          where: { tenantId, id },
          ...(this.db.kind === 'mysql' ? { lock: { mode: 'pessimistic_write' as const } } : {}),
        });
        if (!group) return null;
        const { fields, membersChanged } = await change(group, this.editor(manager, tenantId, id));
        displayName = fields?.displayName;
        const fieldsChanged = fields !== null && (fields.displayName !== group.displayName || fields.externalId !== group.externalId);
        if (!fieldsChanged && !membersChanged) return { group };
        const changes = {
          ...(fieldsChanged ? { ...fields, displayNameKey: textKey(fields.displayName) } : {}),
          version: group.version + 1,
          updatedAt: new Date(),
        };
        await manager.update(ScimGroupEntity, { tenantId, id }, changes);
        const changed = [
          ...(fieldsChanged && fields.displayName !== group.displayName ? ['displayName'] : []),
          ...(fieldsChanged && fields.externalId !== group.externalId ? ['externalId'] : []),
          ...(membersChanged ? ['members'] : []),
        ];
        await this.events.record(manager, tenantId, { ...event, resourceId: id, changed });
        return { group: manager.create(ScimGroupEntity, { ...group, ...changes }) };
      });
    } catch (error) {
      throw translate(error, displayName);
    }
  }

  /** Deletes a group with its memberships, and its memberships in other groups. */
  delete(tenantId: string, id: string, event: EventDraft): Promise<boolean> {
    return this.db.transaction(async (manager) => {
      const group = await manager.findOneBy(ScimGroupEntity, { tenantId, id });
      if (!group) return false;
      await manager.delete(ScimGroupMemberEntity, { tenantId, groupId: id });
      await removeMemberEverywhere(manager, tenantId, id);
      await manager.delete(ScimGroupEntity, { tenantId, id });
      await this.events.record(manager, tenantId, { ...event, resourceId: id }, 204);
      return true;
    });
  }

  private editor(manager: EntityManager, tenantId: string, groupId: string): MemberEditor {
    const members = () => manager.createQueryBuilder().delete().from(ScimGroupMemberEntity).where('group_id = :groupId', { groupId });
    return {
      add: async (memberIds) => {
        const ids = [...new Set(memberIds)];
        if (ids.length === 0) return 0;
        if (ids.includes(groupId)) throw ScimError.invalidValue('A group cannot be a member of itself');
        const types = await resolveMembers(manager, tenantId, ids);
        const existing = new Set<string>();
        for (const part of chunks(ids)) {
          const rows = await manager.find(ScimGroupMemberEntity, { select: { memberId: true }, where: { groupId, memberId: In(part) } });
          for (const row of rows) existing.add(row.memberId);
        }
        const now = new Date();
        const fresh = ids
          .filter((memberId) => !existing.has(memberId))
          .map((memberId) => ({ groupId, memberId, tenantId, memberType: types.get(memberId)!, createdAt: now }));
        for (const part of chunks(fresh)) await manager.insert(ScimGroupMemberEntity, part);
        return fresh.length;
      },
      remove: async (memberIds) => {
        let removed = 0;
        for (const part of chunks([...new Set(memberIds)])) {
          removed += (await members().andWhere('member_id IN (:...part)', { part }).execute()).affected ?? 0;
        }
        return removed;
      },
      removeWhere: async (condition) => (await members().andWhere(condition.sql, condition.params).execute()).affected ?? 0,
      removeAll: async () => (await members().execute()).affected ?? 0,
    };
  }

  /** Members of the given groups in the order they were added, with a name to show. */
  private async loadMembers(manager: EntityManager, groupIds: string[]): Promise<Map<string, GroupMember[]>> {
    const byGroup = new Map<string, GroupMember[]>();
    for (const part of chunks(groupIds)) {
      const rows: { group_id: string; member_id: string; member_type: MemberType; display: string | null }[] = await manager.query(
        `SELECT m.group_id, m.member_id, m.member_type, COALESCE(u.display_name, u.user_name, g.display_name) AS display
           FROM scim_group_members m
           LEFT JOIN scim_users u ON m.member_type = 'User' AND u.id = m.member_id
           LEFT JOIN scim_groups g ON m.member_type = 'Group' AND g.id = m.member_id
          WHERE m.group_id IN (${part.map(() => '?').join(', ')})
          ORDER BY m.created_at, m.member_id`,
        part,
      );
      for (const row of rows) {
        const list = byGroup.get(row.group_id) ?? [];
        list.push({ id: row.member_id, type: row.member_type, display: row.display });
        byGroup.set(row.group_id, list);
      }
    }
    return byGroup;
  }
}

/** The kind of each id among the tenant's users and groups; an unknown id is a client error. */
async function resolveMembers(manager: EntityManager, tenantId: string, ids: string[]): Promise<Map<string, MemberType>> {
  const types = new Map<string, MemberType>();
  for (const part of chunks(ids)) {
    for (const u of await manager.find(ScimUserEntity, { select: { id: true }, where: { tenantId, id: In(part) } })) types.set(u.id, 'User');
  }
  const rest = ids.filter((id) => !types.has(id));
  for (const part of chunks(rest)) {
    for (const g of await manager.find(ScimGroupEntity, { select: { id: true }, where: { tenantId, id: In(part) } })) types.set(g.id, 'Group');
  }
  const missing = ids.filter((id) => !types.has(id));
  if (missing.length > 0) {
    const shown = missing.slice(0, 5).map((id) => `"${id}"`).join(', ');
    throw ScimError.invalidValue(
      `No user or group of this tenant has the id ${shown}${missing.length > 5 ? ` (and ${missing.length - 5} more)` : ''}: members must be provisioned first`,
    );
  }
  return types;
}

/** Removes a user or group from every group it belongs to, moving those groups' versions. */
export async function removeMemberEverywhere(manager: EntityManager, tenantId: string, memberId: string): Promise<void> {
  const memberships = await manager.find(ScimGroupMemberEntity, { select: { groupId: true }, where: { tenantId, memberId } });
  if (memberships.length === 0) return;
  await manager.delete(ScimGroupMemberEntity, { tenantId, memberId });
  for (const part of chunks(memberships.map((m) => m.groupId))) {
    await manager
      .createQueryBuilder()
      .update(ScimGroupEntity)
      .set({ version: () => 'version + 1', updatedAt: new Date() })
      .where('tenant_id = :tenantId AND id IN (:...part)', { tenantId, part })
      .execute();
  }
}

function translate(error: unknown, displayName: string | undefined): unknown {
  if (isUniqueViolation(error)) {
    return ScimError.uniqueness(
      displayName ? `A group with displayName "${displayName}" already exists (matched without regard to case)` : 'The displayName is already taken',
    );
  }
  return error;
}
