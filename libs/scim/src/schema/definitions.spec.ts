import { describe, expect, it } from 'vitest';
import { ALL_SCHEMA_DEFINITIONS, COMMON_ATTRIBUTES, GROUP_RESOURCE, USER_RESOURCE } from './definitions.js';
import type { AttributeDefinition } from './types.js';
import { ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from './urns.js';

function findNulls(value: unknown, path = '$'): string[] {
  if (value === null) return [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => findNulls(v, `${path}[${i}]`));
  if (typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => findNulls(v, `${path}.${k}`));
  return [];
}

function duplicateNames(attrs: AttributeDefinition[], where: string): string[] {
  const seen = new Set<string>();
  const dups: string[] = [];
  for (const a of attrs) {
    const key = a.name.toLowerCase();
    if (seen.has(key)) dups.push(`${where}.${a.name}`);
    seen.add(key);
    if (a.subAttributes) dups.push(...duplicateNames(a.subAttributes, `${where}.${a.name}`));
  }
  return dups;
}

const byName = (attrs: AttributeDefinition[], name: string) => attrs.find((a) => a.name === name)!;

describe('schema definitions', () => {
  it('lists User, EnterpriseUser and Group', () => {
    expect(ALL_SCHEMA_DEFINITIONS.map((s) => s.id)).toEqual([USER_SCHEMA, ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA]);
  });

  it('has no null anywhere in the JSON served by /Schemas', () => {
    const json = JSON.parse(JSON.stringify({ ALL_SCHEMA_DEFINITIONS, USER_RESOURCE, GROUP_RESOURCE, COMMON_ATTRIBUTES }));
    expect(findNulls(json)).toEqual([]);
  });

  it('has unique attribute names (case-insensitively) at every level', () => {
    for (const s of ALL_SCHEMA_DEFINITIONS) expect(duplicateNames(s.attributes, s.name)).toEqual([]);
    const userTop = [...COMMON_ATTRIBUTES, ...USER_RESOURCE.core.attributes];
    const groupTop = [...COMMON_ATTRIBUTES, ...GROUP_RESOURCE.core.attributes];
    expect(duplicateNames(userTop, 'User')).toEqual([]);
    expect(duplicateNames(groupTop, 'Group')).toEqual([]);
  });

  it('describes the User schema as "User Account" (checked by Microsoft\'s validator)', () => {
    const user = ALL_SCHEMA_DEFINITIONS.find((s) => s.id === USER_SCHEMA)!;
    expect(user.description).toBe('User Account');
    expect(JSON.stringify(ALL_SCHEMA_DEFINITIONS)).toContain('User Account');
  });

  it('defines every RFC 7643 core User attribute', () => {
    expect(USER_RESOURCE.core.attributes.map((a) => a.name)).toEqual([
      'userName',
      'name',
      'displayName',
      'nickName',
      'profileUrl',
      'title',
      'userType',
      'preferredLanguage',
      'locale',
      'timezone',
      'active',
      'password',
      'emails',
      'phoneNumbers',
      'ims',
      'photos',
      'addresses',
      'groups',
      'entitlements',
      'roles',
      'x509Certificates',
    ]);
    const attrs = USER_RESOURCE.core.attributes;
    expect(byName(attrs, 'userName')).toMatchObject({ required: true, caseExact: false, uniqueness: 'server' });
    expect(byName(attrs, 'active').type).toBe('boolean');
    expect(byName(attrs, 'password')).toMatchObject({ mutability: 'writeOnly', returned: 'never' });
    expect(byName(attrs, 'groups').mutability).toBe('readOnly');
    expect(byName(attrs, 'name').subAttributes!.map((s) => s.name)).toEqual([
      'formatted',
      'familyName',
      'givenName',
      'middleName',
      'honorificPrefix',
      'honorificSuffix',
    ]);
    for (const mv of ['emails', 'phoneNumbers', 'ims', 'photos', 'entitlements', 'roles', 'x509Certificates']) {
      expect(byName(attrs, mv)).toMatchObject({ type: 'complex', multiValued: true });
      expect(byName(attrs, mv).subAttributes!.map((s) => s.name)).toEqual(['value', 'display', 'type', 'primary']);
    }
    expect(byName(attrs, 'addresses').subAttributes!.map((s) => s.name)).toEqual([
      'formatted',
      'streetAddress',
      'locality',
      'region',
      'postalCode',
      'country',
      'type',
      'primary',
    ]);
    expect(byName(attrs, 'groups').subAttributes!.map((s) => s.name)).toEqual(['value', '$ref', 'display', 'type']);
  });

  it('defines the common attributes id, externalId and meta', () => {
    expect(COMMON_ATTRIBUTES.map((a) => a.name)).toEqual(['id', 'externalId', 'meta']);
    expect(byName(COMMON_ATTRIBUTES, 'id')).toMatchObject({ mutability: 'readOnly', returned: 'always', caseExact: true });
    expect(byName(COMMON_ATTRIBUTES, 'externalId')).toMatchObject({ mutability: 'readWrite', caseExact: true });
    expect(byName(COMMON_ATTRIBUTES, 'meta').subAttributes!.map((s) => s.name)).toEqual([
      'resourceType',
      'created',
      'lastModified',
      'location',
      'version',
    ]);
  });

  it('defines the Enterprise User extension as optional', () => {
    expect(USER_RESOURCE.extensions).toHaveLength(1);
    const { schema, required } = USER_RESOURCE.extensions[0]!;
    expect(required).toBe(false);
    expect(schema.attributes.map((a) => a.name)).toEqual([
      'employeeNumber',
      'costCenter',
      'organization',
      'division',
      'department',
      'manager',
    ]);
    expect(byName(schema.attributes, 'manager').subAttributes!.map((s) => s.name)).toEqual(['value', '$ref', 'displayName']);
  });

  it('defines Group with a required, unique displayName and members', () => {
    expect(GROUP_RESOURCE).toMatchObject({ name: 'Group', endpoint: '/Groups', extensions: [] });
    const attrs = GROUP_RESOURCE.core.attributes;
    expect(byName(attrs, 'displayName')).toMatchObject({ required: true, uniqueness: 'server' });
    const members = byName(attrs, 'members');
    expect(members).toMatchObject({ type: 'complex', multiValued: true });
    expect(members.subAttributes!.map((s) => s.name)).toEqual(['value', '$ref', 'display', 'type']);
    expect(byName(members.subAttributes!, 'value').mutability).toBe('immutable');
  });

  it('uses valid characteristics everywhere', () => {
    const all = (attrs: AttributeDefinition[]): AttributeDefinition[] =>
      attrs.flatMap((a) => [a, ...all(a.subAttributes ?? [])]);
    for (const a of all([...COMMON_ATTRIBUTES, ...ALL_SCHEMA_DEFINITIONS.flatMap((s) => s.attributes)])) {
      expect(['string', 'boolean', 'decimal', 'integer', 'dateTime', 'reference', 'binary', 'complex']).toContain(a.type);
      expect(a.description.length).toBeGreaterThan(0);
      expect(a.type === 'complex').toBe(a.subAttributes !== undefined);
      if (a.type === 'reference') expect(a.referenceTypes?.length).toBeGreaterThan(0);
    }
  });

  it('is frozen', () => {
    expect(Object.isFrozen(USER_RESOURCE)).toBe(true);
    expect(Object.isFrozen(USER_RESOURCE.core.attributes[0])).toBe(true);
    expect(Object.isFrozen(ALL_SCHEMA_DEFINITIONS)).toBe(true);
  });
});
