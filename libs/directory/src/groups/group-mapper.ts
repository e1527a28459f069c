import { GROUP_SCHEMA, type ScimResource } from '@app/scim';
import type { MemberType, ScimGroupEntity } from './scim-group.entity.js';
import { etag } from '../etag.js';

/** A member as returned: its id, kind and a name to show. */
export interface GroupMember {
  id: string;
  type: MemberType;
  display: string | null;
}

export interface StoredGroup {
  group: ScimGroupEntity;
  /** Undefined when members were not loaded (not asked for). */
  members?: GroupMember[];
}

/** The canonical SCIM Group resource of a stored group. */
export function groupResource(stored: StoredGroup, baseUrl: string): ScimResource {
  const { group, members } = stored;
  const resource: ScimResource = { schemas: [GROUP_SCHEMA], id: group.id, displayName: group.displayName };
  if (group.externalId !== null) resource.externalId = group.externalId;
  if (members && members.length > 0) {
    resource.members = members.map((m) => {
      const member: Record<string, unknown> = { value: m.id, $ref: `${baseUrl}/${m.type}s/${m.id}`, type: m.type };
      if (m.display) member.display = m.display;
      return member;
    });
  }
  resource.meta = {
    resourceType: 'Group',
    created: group.createdAt.toISOString(),
    lastModified: group.updatedAt.toISOString(),
    location: `${baseUrl}/Groups/${group.id}`,
    version: etag(group.version),
  };
  return resource;
}
