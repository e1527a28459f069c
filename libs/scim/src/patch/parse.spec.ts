import { describe, expect, it } from 'vitest';
import { ScimError } from '../scim-error.js';
import { ENTERPRISE_USER_SCHEMA, PATCH_OP_SCHEMA } from '../schema/urns.js';
import { parsePatchPath, parsePatchRequest } from './parse.js';

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

const body = (...ops: unknown[]) => ({ schemas: [PATCH_OP_SCHEMA], Operations: ops });

describe('parsePatchRequest: Entra and Okta bodies', () => {
  it('parses the Entra multi-valued PATCH (entra-facts §2.5)', () => {
    const ops = parsePatchRequest(
      JSON.parse(
        '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"emails[type eq \\"work\\"].value","value":"jane@contoso.com"},{"op":"Replace","path":"name.familyName","value":"Smith"}]}',
      ),
    );
    expect(ops).toEqual([
      {
        op: 'replace',
        path: {
          attrPath: { attr: 'emails' },
          filter: { op: 'eq', path: { attr: 'type' }, value: 'work' },
          subAttr: 'value',
        },
        value: 'jane@contoso.com',
      },
      { op: 'replace', path: { attrPath: { attr: 'name', sub: 'familyName' } }, value: 'Smith' },
    ]);
  });

  it('parses a single-valued replace (§2.6)', () => {
    expect(parsePatchRequest(body({ op: 'Replace', path: 'userName', value: 'jsmith@contoso.com' }))).toEqual([
      { op: 'replace', path: { attrPath: { attr: 'userName' } }, value: 'jsmith@contoso.com' },
    ]);
  });

  it('parses an Add through a value filter (§2.7)', () => {
    const [op] = parsePatchRequest(
      body({ op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 425-555-0199' }),
    );
    expect(op).toEqual({
      op: 'add',
      path: {
        attrPath: { attr: 'phoneNumbers' },
        filter: { op: 'eq', path: { attr: 'type' }, value: 'mobile' },
        subAttr: 'value',
      },
      value: '+1 425-555-0199',
    });
  });

  it('keeps a path-less value raw (§2.8)', () => {
    const value = { displayName: 'Jane Smith', 'name.givenName': 'Jane', [`${ENT}:employeeNumber`]: '701984' };
    expect(parsePatchRequest(body({ op: 'replace', value }))).toEqual([{ op: 'replace', value }]);
  });

  it('keeps string booleans raw (§2.9)', () => {
    expect(parsePatchRequest(body({ op: 'Replace', path: 'active', value: 'False' }))[0]!.value).toBe('False');
    expect(parsePatchRequest(body({ op: 'replace', path: 'active', value: false }))[0]!.value).toBe(false);
  });

  it('parses group member operations (§2.13, §2.14)', () => {
    const value = [
      { $ref: null, value: 'u1' },
      { $ref: null, value: 'u2' },
    ];
    expect(parsePatchRequest(body({ op: 'Add', path: 'members', value }))).toEqual([
      { op: 'add', path: { attrPath: { attr: 'members' } }, value },
    ]);
    expect(parsePatchRequest(body({ op: 'Remove', path: 'members', value: [{ value: 'u1' }] }))).toEqual([
      { op: 'remove', path: { attrPath: { attr: 'members' } }, value: [{ value: 'u1' }] },
    ]);
    expect(parsePatchRequest(body({ op: 'remove', path: 'members[value eq "u1"]' }))).toEqual([
      {
        op: 'remove',
        path: { attrPath: { attr: 'members' }, filter: { op: 'eq', path: { attr: 'value' }, value: 'u1' } },
      },
    ]);
  });

  it('accepts an empty Operations array (§4.7)', () => {
    expect(parsePatchRequest({ schemas: [PATCH_OP_SCHEMA], Operations: [] })).toEqual([]);
  });

  it('accepts op in any case (§4.1)', () => {
    for (const op of ['Add', 'add', 'ADD', 'Replace', 'replace', 'REPLACE']) {
      expect(parsePatchRequest(body({ op, path: 'title', value: 'x' }))[0]!.op).toBe(op.toLowerCase());
    }
    expect(parsePatchRequest(body({ op: 'Remove', path: 'title' }))[0]!.op).toBe('remove');
  });

  it('parses the Okta path-less deactivation and group rename (§8)', () => {
    expect(parsePatchRequest(body({ op: 'replace', value: { active: false } }))).toEqual([
      { op: 'replace', value: { active: false } },
    ]);
    expect(parsePatchRequest(body({ op: 'replace', value: { id: 'g1', displayName: 'Eng' } }))).toEqual([
      { op: 'replace', value: { id: 'g1', displayName: 'Eng' } },
    ]);
  });

  it('tolerates a missing schemas member and key names in any case', () => {
    expect(parsePatchRequest({ operations: [{ OP: 'add', Path: 'title', VALUE: 'x' }] })).toEqual([
      { op: 'add', path: { attrPath: { attr: 'title' } }, value: 'x' },
    ]);
    expect(parsePatchRequest({ schemas: [], Operations: [] })).toEqual([]);
  });

  it('treats an empty or null path as no path', () => {
    expect(parsePatchRequest(body({ op: 'replace', path: '', value: { title: 'x' } }))).toEqual([
      { op: 'replace', value: { title: 'x' } },
    ]);
    expect(parsePatchRequest(body({ op: 'replace', path: null, value: { title: 'x' } }))).toEqual([
      { op: 'replace', value: { title: 'x' } },
    ]);
  });

  it('keeps value null (a clear) distinct from a missing value', () => {
    expect(parsePatchRequest(body({ op: 'replace', path: 'title', value: null }))[0]).toEqual({
      op: 'replace',
      path: { attrPath: { attr: 'title' } },
      value: null,
    });
    expect('value' in parsePatchRequest(body({ op: 'remove', path: 'title' }))[0]!).toBe(false);
  });
});

describe('parsePatchRequest: errors', () => {
  it('rejects a body that is not an object', () => {
    for (const b of [null, 'x', [], 3]) expect(scimError(() => parsePatchRequest(b)).scimType).toBe('invalidSyntax');
  });

  it('rejects missing or non-array Operations', () => {
    expect(scimError(() => parsePatchRequest({ schemas: [PATCH_OP_SCHEMA] })).scimType).toBe('invalidSyntax');
    expect(scimError(() => parsePatchRequest({ Operations: {} })).scimType).toBe('invalidSyntax');
  });

  it('rejects a schemas list without the PatchOp URN', () => {
    const e = scimError(() =>
      parsePatchRequest({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], Operations: [] }),
    );
    expect(e.scimType).toBe('invalidSyntax');
  });

  it('rejects unknown or missing op', () => {
    for (const op of ['merge', '', undefined, 3]) {
      const e = scimError(() => parsePatchRequest(body({ op, path: 'title', value: 'x' })));
      expect(e.scimType).toBe('invalidSyntax');
      expect(e.detail).toContain('Operations[0].op');
    }
    expect(scimError(() => parsePatchRequest(body('add'))).scimType).toBe('invalidSyntax');
  });

  it('rejects add/replace without value', () => {
    expect(scimError(() => parsePatchRequest(body({ op: 'add', path: 'title' }))).scimType).toBe('invalidSyntax');
  });

  it('answers noTarget to a remove without path (RFC 7644 §3.5.2.2)', () => {
    const e = scimError(() => parsePatchRequest(body({ op: 'remove' })));
    expect(e.scimType).toBe('noTarget');
    expect(e.detail).toContain('path');
  });

  it('rejects malformed paths with invalidPath', () => {
    for (const path of [
      'a.b.c',
      'emails[type eq "work"',
      'emails]',
      'emails[type eq "work"]value',
      'emails[type eq "work"].value.x',
      'emails.value[type eq "work"]',
      '[type eq "work"]',
      'emails[]',
      'na me',
      '1name',
      'emails[type eq "x"][value eq "y"]',
    ]) {
      expect(scimError(() => parsePatchRequest(body({ op: 'remove', path }))).scimType, path).toBe('invalidPath');
    }
    expect(scimError(() => parsePatchRequest(body({ op: 'remove', path: 42 }))).scimType).toBe('invalidPath');
  });

  it('answers invalidFilter to a malformed filter inside brackets (RFC 7644 Table 9)', () => {
    expect(scimError(() => parsePatchPath('emails[type eq]')).scimType).toBe('invalidFilter');
    expect(scimError(() => parsePatchPath('emails[type foo "x"]')).scimType).toBe('invalidFilter');
  });
});

describe('parsePatchPath', () => {
  it('parses every path form', () => {
    expect(parsePatchPath('userName')).toEqual({ attrPath: { attr: 'userName' } });
    expect(parsePatchPath('name.familyName')).toEqual({ attrPath: { attr: 'name', sub: 'familyName' } });
    expect(parsePatchPath('emails[type eq "work"]')).toEqual({
      attrPath: { attr: 'emails' },
      filter: { op: 'eq', path: { attr: 'type' }, value: 'work' },
    });
    expect(parsePatchPath(`${ENT}:employeeNumber`)).toEqual({ attrPath: { uri: ENT, attr: 'employeeNumber' } });
    expect(parsePatchPath(`${ENT}:manager.value`)).toEqual({ attrPath: { uri: ENT, attr: 'manager', sub: 'value' } });
    expect(parsePatchPath(`urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"].value`)).toEqual({
      attrPath: { uri: 'urn:ietf:params:scim:schemas:core:2.0:User', attr: 'emails' },
      filter: { op: 'eq', path: { attr: 'type' }, value: 'work' },
      subAttr: 'value',
    });
    expect(parsePatchPath('members[value eq "id"]')).toEqual({
      attrPath: { attr: 'members' },
      filter: { op: 'eq', path: { attr: 'value' }, value: 'id' },
    });
  });

  it('handles brackets and quotes inside the filter value', () => {
    expect(parsePatchPath('emails[value eq "a]b[c\\"d"].type')).toEqual({
      attrPath: { attr: 'emails' },
      filter: { op: 'eq', path: { attr: 'value' }, value: 'a]b[c"d' },
      subAttr: 'type',
    });
  });

  it('parses logical filters', () => {
    const p = parsePatchPath('emails[type eq "work" and primary eq true]');
    expect(p.filter).toMatchObject({ op: 'and' });
  });

  it('trims surrounding whitespace', () => {
    expect(parsePatchPath('  userName ')).toEqual({ attrPath: { attr: 'userName' } });
  });
});
