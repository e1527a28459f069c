import { ENTERPRISE_USER_SCHEMA, USER_SCHEMA } from '@app/scim';
import { childTargets, type FilterSpec, type Target } from '../sql/filter-compiler.js';
import { CHILD_ATTRIBUTES, USER_COLUMNS, type ChildAttribute } from './user-attributes.js';
import type { TenantSchemaExtensionEntity } from '../extensions/schema-extension.entity.js';

/** What users can be filtered and sorted on, and how (over `scim_users u`). */
export const USER_FILTER: FilterSpec = {
  alias: 'u',
  corePrefix: `${USER_SCHEMA.toLowerCase()}:`,
  targets: new Map<string, Target>([
    ['id', { kind: 'string', column: 'u.id', caseExact: true }],
    ['username', { kind: 'string', column: 'u.user_name_key', caseExact: false, lowered: true }],
    ['active', { kind: 'boolean', column: 'u.active', caseExact: true }],
    ['meta.created', { kind: 'dateTime', column: 'u.created_at', caseExact: true }],
    ['meta.lastmodified', { kind: 'dateTime', column: 'u.updated_at', caseExact: true }],
    ...USER_COLUMNS.map((c): [string, Target] => [c.path.toLowerCase(), { kind: 'string', column: `u.${c.column}`, caseExact: c.caseExact }]),
    ...(Object.keys(CHILD_ATTRIBUTES) as ChildAttribute[]).flatMap((child) =>
      childTargets(child, { value: 'value_key', type: 'type', display: 'display', primary: 'is_primary' }),
    ),
    ['groups.value', { kind: 'string', column: 'c.group_id', caseExact: true, child: 'groups' }],
  ]),
  children: new Map([
    ...(Object.entries(CHILD_ATTRIBUTES).map(([name, { table }]) => [name.toLowerCase(), { table, foreignKey: 'user_id' }]) as [
      string,
      { table: string; foreignKey: string },
    ][]),
    ['groups', { table: 'scim_group_members', foreignKey: 'member_id' }],
  ]),
  valueAliases: new Set([`${ENTERPRISE_USER_SCHEMA.toLowerCase()}:manager`]),
};

/**
 * USER_FILTER plus the attributes of a tenant's own extension schemas: each an EXISTS on its values
 * (`scim_user_extension_values`), case-insensitive through `value_key` unless declared caseExact.
 */
export function userFilterWith(extensions: readonly Pick<TenantSchemaExtensionEntity, 'urn' | 'attributes'>[]): FilterSpec {
  if (extensions.length === 0) return USER_FILTER;
  const targets = new Map(USER_FILTER.targets);
  const children = new Map(USER_FILTER.children);
  for (const { urn, attributes } of extensions) {
    for (const attribute of attributes) {
      // Lower-cased like every key; an attribute path without `.value` gets it (see pathKey).
      const key = `${urn}:${attribute.name}`.toLowerCase();
      const column = attribute.caseExact ? 'c.value' : 'c.value_key';
      targets.set(`${key}.value`, { kind: 'string', column, caseExact: attribute.caseExact, lowered: !attribute.caseExact, child: key, textual: true });
      children.set(key, { table: 'scim_user_extension_values', foreignKey: 'user_id', tenant: true, match: { urn, attr: attribute.name } });
    }
  }
  return { ...USER_FILTER, targets, children };
}
