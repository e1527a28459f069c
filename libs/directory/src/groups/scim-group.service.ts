import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { columnTextProblem } from '@app/database';
import {
  applyPatch,
  GROUP_RESOURCE,
  GROUP_SCHEMA,
  isAttributeReturned,
  normalizeResource,
  parsePatchRequest,
  ScimError,
  type ListQuery,
  type PatchOperation,
  type Projection,
  type ScimResource,
} from '@app/scim';
import { compileFilter } from '../sql/filter-compiler.js';
import { MEMBER_FILTER } from './group-filter.js';
import { groupResource, type StoredGroup } from './group-mapper.js';
import { checkIfMatch } from '../etag.js';
import type { KeysetPage, KeysetRequest } from '../sql/paging.js';
import { ScimGroupRepository, type GroupFields, type MemberEditor } from './scim-group.repository.js';
import { EventLog, subjectOf, type Actor, type EventDraft } from '../events/event-log.js';

const GROUP_URN = GROUP_SCHEMA.toLowerCase();

/**
 * The SCIM rules for groups. Membership operations run as SQL on the membership rows, so adding or
 * removing k members costs O(k) whatever the group's size; members are loaded only when returned.
 */
@Injectable()
export class ScimGroupService {
  constructor(
    private readonly groups: ScimGroupRepository,
    private readonly events: EventLog,
    private readonly config: AppConfig,
  ) {}

  async create(tenantId: string, body: unknown, actor: Actor, projection: Projection = {}): Promise<ScimResource> {
    const event = { ...draft(actor, 'create'), subject: subjectOf(body) };
    const id = randomUUID();
    await this.events.track(tenantId, event, async () => {
      const ignored: string[] = [];
      const resource = normalizeResource(body, GROUP_RESOURCE, ignored);
      const changed = ['displayName', ...(resource.externalId ? ['externalId'] : []), ...(resource.members ? ['members'] : [])];
      await this.groups.create(tenantId, id, groupFields(resource), memberIds(resource.members), { ...event, changed, ignored });
    });
    return this.get(tenantId, id, projection);
  }

  async get(tenantId: string, id: string, projection: Projection = {}): Promise<ScimResource> {
    const stored = await this.groups.findById(tenantId, id, this.wantsMembers(projection));
    if (!stored) throw notFound(id);
    return this.toResource(stored);
  }

  async list(tenantId: string, query: ListQuery): Promise<{ total: number; resources: ScimResource[] }> {
    const { total, groups } = await this.groups.list(tenantId, query, this.wantsMembers(query));
    return { total, resources: groups.map((g) => this.toResource(g)) };
  }

  /** One page by keyset, for cursor paging (RFC 9865). */
  async listByKeyset(tenantId: string, query: ListQuery, request: KeysetRequest): Promise<KeysetPage<ScimResource>> {
    const found = await this.groups.listByKeyset(tenantId, query, request, this.wantsMembers(query));
    return { ...found, rows: found.rows.map((g) => this.toResource(g)) };
  }

  /** PUT: replaces displayName, externalId and the whole member list. */
  async replace(tenantId: string, id: string, body: unknown, actor: Actor, ifMatch?: string, projection: Projection = {}): Promise<ScimResource> {
    const event = { ...draft(actor, 'replace', id), subject: subjectOf(body) };
    await this.events.track(tenantId, event, async () => {
      const ignored: string[] = [];
      const resource = normalizeResource(body, GROUP_RESOURCE, ignored);
      let wrote = false;
      const found = await this.groups.modify(
        tenantId,
        id,
        async (group, members) => {
          checkIfMatch(group.version, ifMatch, 'group');
          const wanted = memberIds(resource.members);
          const removed = await members.removeAll();
          const added = await members.add(wanted);
          const fields = groupFields(resource);
          const membersChanged = removed > 0 || added > 0;
          wrote = membersChanged || (Object.keys(fields) as (keyof GroupFields)[]).some((key) => fields[key] !== group[key]);
          return { fields, membersChanged };
        },
        { ...event, ignored },
      );
      if (!found) throw notFound(id);
      if (!wrote && ignored.length > 0) await this.events.recordUnchanged(tenantId, { ...event, resourceId: id, ignored });
    });
    return this.get(tenantId, id, projection);
  }

  /** PATCH; returns the group as it now is. `status` is what the caller will get (204, or 200 with a body). */
  async patch(tenantId: string, id: string, body: unknown, actor: Actor, ifMatch?: string, status: 200 | 204 = 204): Promise<StoredGroup> {
    const event = { ...draft(actor, 'patch', id), status };
    return this.events.track(tenantId, event, async () => {
      const { memberOps, attributeOps } = splitOperations(parsePatchRequest(body));
      // Filled by the change below, before the write's event is recorded (the same array).
      const ignored: string[] = [];
      let wrote = false;
      const found = await this.groups.modify(
        tenantId,
        id,
        async (group, members) => {
          checkIfMatch(group.version, ifMatch, 'group');
          let fields: GroupFields | null = null;
          if (attributeOps.length > 0) {
            const patched = applyPatch(this.toResource({ group }), attributeOps, GROUP_RESOURCE);
            ignored.splice(0, ignored.length, ...patched.ignored);
            if (patched.changed.length > 0) fields = groupFields(patched.resource);
          }
          let membersChanged = false;
          for (const op of memberOps) membersChanged = (await applyMemberOperation(op, members)) > 0 || membersChanged;
          wrote = fields !== null || membersChanged;
          return { fields, membersChanged };
        },
        { ...event, ignored },
      );
      if (!found) throw notFound(id);
      if (!wrote && ignored.length > 0) await this.events.recordUnchanged(tenantId, { ...event, resourceId: id, ignored });
      return found;
    });
  }

  async delete(tenantId: string, id: string, actor: Actor, ifMatch?: string): Promise<void> {
    const event = draft(actor, 'delete', id);
    await this.events.track(tenantId, event, async () => {
      if (ifMatch) {
        const stored = await this.groups.findById(tenantId, id, false);
        if (!stored) throw notFound(id);
        checkIfMatch(stored.group.version, ifMatch, 'group');
      }
      if (!(await this.groups.delete(tenantId, id, event))) throw notFound(id);
    });
  }

  toResource(stored: StoredGroup): ScimResource {
    return groupResource(stored, `${this.config.publicUrl}/scim/v2`);
  }

  private wantsMembers(projection: Projection): boolean {
    return isAttributeReturned(GROUP_RESOURCE, projection, 'members');
  }
}

function draft(actor: Actor, operation: string, resourceId?: string): EventDraft {
  return { actor, operation, resourceType: 'Group', resourceId };
}

function notFound(id: string): ScimError {
  return ScimError.notFound(`Group ${id} not found`);
}

function groupFields(resource: ScimResource): GroupFields {
  const displayName = resource.displayName;
  if (typeof displayName !== 'string' || displayName.trim() === '') throw ScimError.invalidValue('displayName is required');
  const nameProblem = columnTextProblem(displayName, 255, true);
  if (nameProblem) throw ScimError.invalidValue(`displayName ${nameProblem}`);
  const externalId = typeof resource.externalId === 'string' ? resource.externalId : null;
  const idProblem = externalId && columnTextProblem(externalId, 255);
  if (idProblem) throw ScimError.invalidValue(`externalId ${idProblem}`);
  return { displayName, externalId };
}

/** Member ids from a members value: a list of `{value}` (any key case, `$ref` ignored), one `{value}`, or a bare id. */
function memberIds(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((item, index) => {
    if (typeof item === 'string' && item !== '') return item;
    if (item && typeof item === 'object') {
      const entry = Object.entries(item).find(([k]) => k.toLowerCase() === 'value');
      if (entry && typeof entry[1] === 'string' && entry[1] !== '') return entry[1];
    }
    throw ScimError.invalidValue(`members[${index}] needs a "value" with the id of a user or group`);
  });
}

function isMembersPath(op: PatchOperation): boolean {
  const path = op.path?.attrPath;
  return !!path && path.attr.toLowerCase() === 'members' && (!path.uri || path.uri.toLowerCase() === GROUP_URN);
}

/** Membership operations go to SQL; the rest (displayName, externalId) through the PATCH engine. */
function splitOperations(operations: PatchOperation[]): { memberOps: PatchOperation[]; attributeOps: PatchOperation[] } {
  const memberOps: PatchOperation[] = [];
  const attributeOps: PatchOperation[] = [];
  for (const op of operations) {
    if (op.path) {
      (isMembersPath(op) ? memberOps : attributeOps).push(op);
      continue;
    }
    if (!op.value || typeof op.value !== 'object' || Array.isArray(op.value)) {
      attributeOps.push(op);
      continue;
    }
    const rest: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(op.value)) {
      const lower = key.toLowerCase();
      if (lower === 'members' || lower === `${GROUP_URN}:members`) memberOps.push({ op: op.op, path: { attrPath: { attr: 'members' } }, value });
      else rest[key] = value;
    }
    if (Object.keys(rest).length > 0) attributeOps.push({ ...op, value: rest });
  }
  return { memberOps, attributeOps };
}

/** Applies one operation on `members`; returns how many memberships it added or removed. */
async function applyMemberOperation(op: PatchOperation, members: MemberEditor): Promise<number> {
  const path = op.path!;
  if (path.attrPath.sub || path.subAttr) {
    throw ScimError.invalidPath('Members are added or removed whole: use the path "members" or "members[value eq \\"…\\"]"');
  }
  if (path.filter) {
    if (op.op !== 'remove') throw ScimError.invalidPath('Add members with the path "members" and a list of {"value": id}');
    return members.removeWhere(compileFilter(path.filter, MEMBER_FILTER, () => {
      throw ScimError.invalidFilter('Members have no date attributes');
    }));
  }
  switch (op.op) {
    case 'add':
      return members.add(memberIds(op.value));
    case 'remove':
      return op.value === undefined || op.value === null ? members.removeAll() : members.remove(memberIds(op.value));
    case 'replace': {
      const removed = await members.removeAll();
      return removed + (await members.add(memberIds(op.value)));
    }
  }
}
