import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '@app/config';
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
import { groupEtag, groupResource, type StoredGroup } from './group-mapper.js';
import { ScimGroupRepository, type GroupFields, type MemberEditor } from './scim-group.repository.js';
import type { ScimGroupEntity } from './scim-group.entity.js';

const GROUP_URN = GROUP_SCHEMA.toLowerCase();

/**
 * The SCIM rules for groups. Membership operations run as SQL on the membership rows, so adding or
 * removing k members costs O(k) whatever the group's size; members are loaded only when returned.
 */
@Injectable()
export class ScimGroupService {
  constructor(
    private readonly groups: ScimGroupRepository,
    private readonly config: AppConfig,
  ) {}

  async create(tenantId: string, body: unknown, projection: Projection = {}): Promise<ScimResource> {
    const resource = normalizeResource(body, GROUP_RESOURCE);
    const id = randomUUID();
    await this.groups.create(tenantId, id, groupFields(resource), memberIds(resource.members));
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

  /** PUT: replaces displayName, externalId and the whole member list. */
  async replace(tenantId: string, id: string, body: unknown, ifMatch?: string, projection: Projection = {}): Promise<ScimResource> {
    const resource = normalizeResource(body, GROUP_RESOURCE);
    const found = await this.groups.modify(tenantId, id, async (group, members) => {
      checkPrecondition(group, ifMatch);
      const wanted = memberIds(resource.members);
      const removed = await members.removeAll();
      const added = await members.add(wanted);
      return { fields: groupFields(resource), membersChanged: removed > 0 || added > 0 };
    });
    if (!found) throw notFound(id);
    return this.get(tenantId, id, projection);
  }

  /** PATCH; returns the group as it now is. */
  async patch(tenantId: string, id: string, body: unknown, ifMatch?: string): Promise<StoredGroup> {
    const { memberOps, attributeOps } = splitOperations(parsePatchRequest(body));
    const found = await this.groups.modify(tenantId, id, async (group, members) => {
      checkPrecondition(group, ifMatch);
      let fields: GroupFields | null = null;
      if (attributeOps.length > 0) {
        const { resource, changed } = applyPatch(this.toResource({ group }), attributeOps, GROUP_RESOURCE);
        if (changed.length > 0) fields = groupFields(resource);
      }
      let membersChanged = false;
      for (const op of memberOps) membersChanged = (await applyMemberOperation(op, members)) > 0 || membersChanged;
      return { fields, membersChanged };
    });
    if (!found) throw notFound(id);
    return found;
  }

  async delete(tenantId: string, id: string, ifMatch?: string): Promise<void> {
    if (ifMatch) {
      const stored = await this.groups.findById(tenantId, id, false);
      if (!stored) throw notFound(id);
      checkPrecondition(stored.group, ifMatch);
    }
    if (!(await this.groups.delete(tenantId, id))) throw notFound(id);
  }

  toResource(stored: StoredGroup): ScimResource {
    return groupResource(stored, `${this.config.publicUrl}/scim/v2`);
  }

  private wantsMembers(projection: Projection): boolean {
    return isAttributeReturned(GROUP_RESOURCE, projection, 'members');
  }
}

function notFound(id: string): ScimError {
  return ScimError.notFound(`Group ${id} not found`);
}

function groupFields(resource: ScimResource): GroupFields {
  const displayName = resource.displayName;
  if (typeof displayName !== 'string' || displayName.trim() === '') throw ScimError.invalidValue('displayName is required');
  if (displayName.length > 255) throw ScimError.invalidValue('displayName is longer than 255 characters');
  const externalId = typeof resource.externalId === 'string' ? resource.externalId : null;
  if (externalId && externalId.length > 255) throw ScimError.invalidValue('externalId is longer than 255 characters');
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

function checkPrecondition(group: ScimGroupEntity, ifMatch: string | undefined): void {
  if (!ifMatch || ifMatch.trim() === '*') return;
  const current = groupEtag(group.version).replace(/^W\//, '');
  if (!ifMatch.split(',').map((t) => t.trim().replace(/^W\//, '')).includes(current)) {
    throw ScimError.preconditionFailed(`The group has changed: its version is ${groupEtag(group.version)}`);
  }
}
