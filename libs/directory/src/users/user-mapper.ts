import { columnTextProblem, textKey } from '@app/database';
import { ENTERPRISE_USER_SCHEMA, ScimError, USER_SCHEMA, type ScimResource } from '@app/scim';
import type { ScimUserEntity } from './scim-user.entity.js';
import type { MultiValuedRow } from './multi-valued-row.entity.js';
import { CHILD_ATTRIBUTES, EXTRA_ATTRIBUTES, USER_COLUMNS, type ChildAttribute } from './user-attributes.js';
import { etag } from '../etag.js';
import { declaredExtensionJson, extensionValues, type ExtensionValue } from '../extensions/extension-values.js';
import type { TenantSchemaExtensionEntity } from '../extensions/schema-extension.entity.js';

/** A user as stored: its row and its child rows. */
export interface StoredUser {
  user: ScimUserEntity;
  emails: ChildElement[];
  phoneNumbers: ChildElement[];
  /** Groups the user is a direct member of. */
  groups: { id: string; displayName: string }[];
}

/** Column values of a user, without identity and bookkeeping fields. */
export type UserFields = Omit<ScimUserEntity, 'id' | 'tenantId' | 'version' | 'createdAt' | 'updatedAt'>;
/**
 * An element of `emails` or `phoneNumbers` as held in memory and in the JSON copy: `primary` is
 * null when the element carries none, so a `primary: false` that was sent is returned as sent. The
 * indexed child row stores that null as false.
 */
export type ChildElement = Omit<MultiValuedRow, 'primary'> & { primary: boolean | null };
export type ChildValues = Pick<ChildElement, 'value' | 'type' | 'primary' | 'display'>;
export interface UserData {
  fields: UserFields;
  emails: ChildValues[];
  phoneNumbers: ChildValues[];
  /** The values of the tenant's own extension attributes, the indexed rows of filters. */
  extensionValues: ExtensionValue[];
}

type Json = Record<string, unknown>;

function get(resource: ScimResource, path: string): unknown {
  const urnEnd = path.lastIndexOf(':');
  let target: unknown = resource;
  let rest = path;
  if (urnEnd >= 0) {
    target = resource[path.slice(0, urnEnd)];
    rest = path.slice(urnEnd + 1);
  }
  for (const part of rest.split('.')) {
    if (target === null || typeof target !== 'object') return undefined;
    target = (target as Json)[part];
  }
  return target;
}

function set(resource: Json, path: string, value: string): void {
  const urnEnd = path.lastIndexOf(':');
  let target = resource;
  let rest = path;
  if (urnEnd >= 0) {
    const urn = path.slice(0, urnEnd);
    target = (resource[urn] ??= {}) as Json;
    rest = path.slice(urnEnd + 1);
  }
  const parts = rest.split('.');
  for (const part of parts.slice(0, -1)) target = (target[part] ??= {}) as Json;
  target[parts[parts.length - 1]] = value;
}

/** A string that fits its VARCHAR(maxLength) column, and so does its lower-cased key when `keyed`. */
function checkedString(value: unknown, label: string, maxLength: number, keyed = false): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw ScimError.invalidValue(`${label} must be a string`);
  const problem = columnTextProblem(value, maxLength, keyed);
  if (problem) throw ScimError.invalidValue(`${label} ${problem}`);
  return value;
}

function childValues(resource: ScimResource, attribute: ChildAttribute): ChildValues[] {
  const list = resource[attribute];
  if (!Array.isArray(list)) return [];
  const max = CHILD_ATTRIBUTES[attribute].valueMax;
  return list.map((element: Json, index) => ({
    value: checkedString(element.value, `${attribute}[${index}].value`, max, true) ?? '',
    type: checkedString(element.type, `${attribute}[${index}].type`, 64),
    primary: typeof element.primary === 'boolean' ? element.primary : null,
    display: checkedString(element.display, `${attribute}[${index}].display`, 255),
  }));
}

/**
 * `active` of a user is never unassigned: when a PATCH removes it or clears it (`remove`, or
 * `replace` with null or `""`), RFC 7644 §3.5.2.2 leaves it unassigned, and for us an unassigned
 * `active` keeps the status the user had. So a deactivated user never comes back on by accident,
 * and an active one is not switched off by a clearing op either: only `true` or `false` changes it
 * (as a PUT without `active` keeps it). Returns the resource and its changed paths, with `active`
 * restored and no longer counted as changed.
 */
export function keepStatusWhenUnassigned(
  patched: { resource: ScimResource; changed: string[] },
  currentActive: boolean,
): { resource: ScimResource; changed: string[] } {
  if (patched.resource.active !== undefined) return patched;
  return { resource: { ...patched.resource, active: currentActive }, changed: patched.changed.filter((path) => path !== 'active') };
}

/**
 * Column values for a canonical User resource; values too long for their column are rejected. The
 * tenant's own extension attributes (`extensions`) are kept in the row's JSON, with one indexed row
 * per value.
 */
export function userData(resource: ScimResource, extensions: readonly TenantSchemaExtensionEntity[] = []): UserData {
  const userName = checkedString(resource.userName, 'userName', 255, true);
  if (!userName) throw ScimError.invalidValue('userName is required');
  const fields = {
    userName,
    userNameKey: textKey(userName),
    active: resource.active !== false,
    extra: null,
  } as UserFields;
  for (const column of USER_COLUMNS) {
    fields[column.property] = checkedString(get(resource, column.path), column.path, column.maxLength);
  }
  // externalId is also kept lower-cased, for support's case-insensitive search: that key must fit too.
  fields.externalIdKey = fields.externalId === null ? null : textKey(checkedString(fields.externalId, 'externalId', 255, true)!);
  const extra: Json = {};
  for (const name of EXTRA_ATTRIBUTES) if (resource[name] !== undefined) extra[name] = resource[name];
  const own = extensionValues(resource, extensions);
  Object.assign(extra, own.json);
  if (Object.keys(extra).length > 0) {
    fields.extra = JSON.stringify(extra);
    if (fields.extra.length > 1_000_000) throw ScimError.invalidValue('The user has too much data in its multi-valued attributes');
  }
  const emails = childValues(resource, 'emails');
  const phoneNumbers = childValues(resource, 'phoneNumbers');
  fields.emailsJson = multiValuedJson(emails);
  fields.phoneNumbersJson = multiValuedJson(phoneNumbers);
  return { fields, emails, phoneNumbers, extensionValues: own.values };
}

/**
 * The JSON copy of a multi-valued attribute kept in the user's row (CHILD_ATTRIBUTES): an array of
 * `{value, type, primary, display}`, `primary` left out when the element has none.
 */
export function multiValuedJson(values: ChildValues[]): string {
  return JSON.stringify(values.map(({ value, type, primary, display }) => ({ value, type, primary: primary ?? undefined, display })));
}

/** A child element of a user: the element at `position` of one of its multi-valued attributes. */
export function childRow(values: ChildValues, userId: string, tenantId: string, position: number): ChildElement {
  const { value, type, primary, display } = values;
  return { userId, tenantId, position, value, valueKey: textKey(value), type, primary, display };
}

/** The indexed row of a child element (a `primary` that is not given is stored as false). */
export function indexedRow(element: ChildElement): MultiValuedRow {
  return { ...element, primary: element.primary === true };
}

/** The child elements of a user, from the JSON copy in its row. */
export function multiValuedRows(user: ScimUserEntity, attribute: ChildAttribute): ChildElement[] {
  const json = user[CHILD_ATTRIBUTES[attribute].json];
  const values = json ? (JSON.parse(json) as Partial<ChildValues>[]) : [];
  return values.map((v, position) =>
    childRow({ value: v.value ?? '', type: v.type ?? null, primary: v.primary ?? null, display: v.display ?? null }, user.id, user.tenantId, position),
  );
}

function childResource(rows: ChildElement[]): Json[] | undefined {
  if (rows.length === 0) return undefined;
  return [...rows]
    .sort((a, b) => a.position - b.position)
    .map((row) => {
      const element: Json = { value: row.value };
      if (row.type !== null) element.type = row.type;
      if (row.primary !== null) element.primary = row.primary;
      if (row.display !== null) element.display = row.display;
      return element;
    });
}

/** The canonical SCIM User resource of a stored user, with the values of the extensions the tenant declares (`extensions`). */
export function userResource(stored: StoredUser, baseUrl: string, extensions: readonly TenantSchemaExtensionEntity[] = []): ScimResource {
  const { user } = stored;
  const resource: Json = { schemas: [USER_SCHEMA], id: user.id, userName: user.userName };
  for (const column of USER_COLUMNS) {
    const value = user[column.property];
    if (value !== null) set(resource, column.path, value);
  }
  resource.active = user.active;
  const emails = childResource(stored.emails);
  if (emails) resource.emails = emails;
  const phoneNumbers = childResource(stored.phoneNumbers);
  if (phoneNumbers) resource.phoneNumbers = phoneNumbers;
  if (user.extra) {
    const extra = JSON.parse(user.extra) as Json;
    for (const name of EXTRA_ATTRIBUTES) if (extra[name] !== undefined) resource[name] = extra[name];
    Object.assign(resource, declaredExtensionJson(extra, extensions));
  }
  if (stored.groups.length > 0) {
    resource.groups = stored.groups.map((g) => ({ value: g.id, $ref: `${baseUrl}/Groups/${g.id}`, display: g.displayName, type: 'direct' }));
  }
  const schemas = [USER_SCHEMA];
  if (resource[ENTERPRISE_USER_SCHEMA]) schemas.push(ENTERPRISE_USER_SCHEMA);
  for (const extension of extensions) if (resource[extension.urn]) schemas.push(extension.urn);
  resource.schemas = schemas;
  resource.meta = {
    resourceType: 'User',
    created: user.createdAt.toISOString(),
    lastModified: user.updatedAt.toISOString(),
    location: `${baseUrl}/Users/${user.id}`,
    version: etag(user.version),
  };
  return resource;
}
