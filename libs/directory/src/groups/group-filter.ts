import { GROUP_SCHEMA } from '@app/scim';
import type { FilterSpec, Target } from '../sql/filter-compiler.js';

/** What groups can be filtered and sorted on (over `scim_groups g`). */
export const GROUP_FILTER: FilterSpec = {
  alias: 'g',
  corePrefix: `${GROUP_SCHEMA.toLowerCase()}:`,
  targets: new Map<string, Target>([
    ['id', { kind: 'string', column: 'g.id', caseExact: true }],
    ['displayname', { kind: 'string', column: 'g.display_name_key', caseExact: false, lowered: true }],
    ['externalid', { kind: 'string', column: 'g.external_id', caseExact: true }],
    ['meta.created', { kind: 'dateTime', column: 'g.created_at', caseExact: true }],
    ['meta.lastmodified', { kind: 'dateTime', column: 'g.updated_at', caseExact: true }],
    ['members.value', { kind: 'string', column: 'c.member_id', caseExact: true, child: 'members' }],
    ['members.type', { kind: 'string', column: 'c.member_type', caseExact: false, child: 'members' }],
  ]),
  children: new Map([['members', { table: 'scim_group_members', foreignKey: 'group_id' }]]),
};

/**
 * The sub-attributes of one membership row, for the value filter of a PATCH path such as
 * `members[value eq "…"]` (compiled against `scim_group_members` without an alias).
 */
export const MEMBER_FILTER: FilterSpec = {
  alias: 'scim_group_members',
  corePrefix: '',
  targets: new Map<string, Target>([
    ['value', { kind: 'string', column: 'member_id', caseExact: true }],
    ['type', { kind: 'string', column: 'member_type', caseExact: false }],
  ]),
  children: new Map(),
};
