import { describe, expect, it } from 'vitest';
import { ScimError } from '../scim-error.js';
import { GROUP_RESOURCE, USER_RESOURCE } from './definitions.js';
import { findAttrPath, resolveAttrPath, resolveSubAttribute, splitAttrName } from './resolve.js';
import { ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from './urns.js';

const ENT = ENTERPRISE_USER_SCHEMA;

function scimError(fn: () => unknown): ScimError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ScimError) return e;
    throw e;
  }
  throw new Error('expected a ScimError');
}

describe('resolveAttrPath', () => {
  it('resolves core attributes case-insensitively to their exact names', () => {
    const r = resolveAttrPath(USER_RESOURCE, { attr: 'USERNAME' });
    expect(r).toMatchObject({ schemaUrn: USER_SCHEMA, extension: false, canonicalPath: 'userName' });
    expect(r.attribute.name).toBe('userName');
    expect(r.sub).toBeUndefined();
  });

  it('resolves sub-attributes', () => {
    expect(resolveAttrPath(USER_RESOURCE, { attr: 'name', sub: 'GivenName' }).canonicalPath).toBe('name.givenName');
    expect(resolveAttrPath(USER_RESOURCE, { attr: 'Emails', sub: 'value' }).canonicalPath).toBe('emails.value');
    expect(resolveAttrPath(USER_RESOURCE, { attr: 'meta', sub: 'lastmodified' }).canonicalPath).toBe('meta.lastModified');
  });

  it('resolves the common attributes on every resource', () => {
    for (const rs of [USER_RESOURCE, GROUP_RESOURCE]) {
      expect(resolveAttrPath(rs, { attr: 'id' }).attribute.mutability).toBe('readOnly');
      expect(resolveAttrPath(rs, { attr: 'externalid' }).canonicalPath).toBe('externalId');
      expect(resolveAttrPath(rs, { attr: 'meta' }).canonicalPath).toBe('meta');
    }
  });

  it('resolves core-URN-prefixed paths', () => {
    const r = resolveAttrPath(USER_RESOURCE, { uri: USER_SCHEMA.toUpperCase(), attr: 'name', sub: 'familyName' });
    expect(r).toMatchObject({ schemaUrn: USER_SCHEMA, extension: false, canonicalPath: 'name.familyName' });
    expect(resolveAttrPath(GROUP_RESOURCE, { uri: GROUP_SCHEMA, attr: 'displayName' }).canonicalPath).toBe('displayName');
  });

  it('resolves extension attributes with their URN (compared case-insensitively)', () => {
    const r = resolveAttrPath(USER_RESOURCE, { uri: ENT.toLowerCase(), attr: 'EmployeeNumber' });
    expect(r).toMatchObject({ schemaUrn: ENT, extension: true, canonicalPath: `${ENT}:employeeNumber` });
    expect(resolveAttrPath(USER_RESOURCE, { uri: ENT, attr: 'manager', sub: 'value' }).canonicalPath).toBe(
      `${ENT}:manager.value`,
    );
  });

  it('resolves an unqualified extension attribute when only one extension defines it', () => {
    expect(resolveAttrPath(USER_RESOURCE, { attr: 'department' }).canonicalPath).toBe(`${ENT}:department`);
  });

  it('throws invalidPath for unknown attributes, sub-attributes and schemas', () => {
    expect(scimError(() => resolveAttrPath(USER_RESOURCE, { attr: 'shoeSize' })).scimType).toBe('invalidPath');
    expect(scimError(() => resolveAttrPath(USER_RESOURCE, { attr: 'name', sub: 'nick' })).detail).toContain('nick');
    expect(scimError(() => resolveAttrPath(USER_RESOURCE, { attr: 'userName', sub: 'x' })).scimType).toBe('invalidPath');
    expect(scimError(() => resolveAttrPath(USER_RESOURCE, { uri: 'urn:example:x', attr: 'a' })).detail).toContain(
      'urn:example:x',
    );
    expect(scimError(() => resolveAttrPath(GROUP_RESOURCE, { attr: 'userName' })).scimType).toBe('invalidPath');
    expect(scimError(() => resolveAttrPath(GROUP_RESOURCE, { uri: ENT, attr: 'department' })).scimType).toBe(
      'invalidPath',
    );
    expect(scimError(() => resolveAttrPath(USER_RESOURCE, { uri: USER_SCHEMA, attr: 'department' })).scimType).toBe(
      'invalidPath',
    );
  });

  it('findAttrPath returns undefined instead of throwing', () => {
    expect(findAttrPath(USER_RESOURCE, { attr: 'nope' })).toBeUndefined();
  });
});

describe('resolveSubAttribute', () => {
  const emails = resolveAttrPath(USER_RESOURCE, { attr: 'emails' });
  const members = resolveAttrPath(GROUP_RESOURCE, { attr: 'members' });

  it('resolves bare names relative to the complex attribute', () => {
    expect(resolveSubAttribute(emails, { attr: 'TYPE' })).toMatchObject({ canonicalPath: 'emails.type' });
    expect(resolveSubAttribute(emails, 'value').sub!.name).toBe('value');
    expect(resolveSubAttribute(members, { attr: 'value' }).sub!.caseExact).toBe(true);
  });

  it('accepts the fully written form', () => {
    expect(resolveSubAttribute(emails, { attr: 'emails', sub: 'type' }).canonicalPath).toBe('emails.type');
    expect(resolveSubAttribute(emails, { uri: USER_SCHEMA, attr: 'emails', sub: 'type' }).canonicalPath).toBe(
      'emails.type',
    );
    const manager = resolveAttrPath(USER_RESOURCE, { uri: ENT, attr: 'manager' });
    expect(resolveSubAttribute(manager, 'value').canonicalPath).toBe(`${ENT}:manager.value`);
  });

  it('throws invalidPath for unknown sub-attributes or a simple parent', () => {
    expect(scimError(() => resolveSubAttribute(emails, { attr: 'colour' })).scimType).toBe('invalidPath');
    expect(scimError(() => resolveSubAttribute(emails, { attr: 'phoneNumbers', sub: 'type' })).scimType).toBe(
      'invalidPath',
    );
    const userName = resolveAttrPath(USER_RESOURCE, { attr: 'userName' });
    expect(scimError(() => resolveSubAttribute(userName, 'value')).scimType).toBe('invalidPath');
  });
});

describe('splitAttrName', () => {
  it('splits plain, dotted and URN-prefixed names (the last colon ends the URN)', () => {
    expect(splitAttrName('userName')).toEqual({ attr: 'userName' });
    expect(splitAttrName('name.givenName')).toEqual({ attr: 'name', sub: 'givenName' });
    expect(splitAttrName(`${ENT}:manager.value`)).toEqual({ uri: ENT, attr: 'manager', sub: 'value' });
    expect(splitAttrName(`${ENT}:employeeNumber`)).toEqual({ uri: ENT, attr: 'employeeNumber' });
    expect(splitAttrName('members.$ref')).toEqual({ attr: 'members', sub: '$ref' });
  });

  it('rejects malformed names', () => {
    expect(splitAttrName('a.b.c')).toBeUndefined();
    expect(splitAttrName('http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group')).toBeUndefined();
    expect(splitAttrName('1abc')).toBeUndefined();
    expect(splitAttrName('')).toBeUndefined();
  });
});
