import { describe, expect, it } from 'vitest';
import type { ScimResource } from '../normalize.js';
import { GROUP_RESOURCE, USER_RESOURCE } from '../schema/definitions.js';
import { resolveAttrPath } from '../schema/resolve.js';
import type { ResourceSchema } from '../schema/types.js';
import { ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from '../schema/urns.js';
import { ScimError } from '../scim-error.js';
import { parseFilter } from '../filter/parser.js';
import { applyPatch, matchesValueFilter, type PatchResult } from './apply.js';
import { parsePatchRequest, type PatchOperation } from './parse.js';

const ENT = ENTERPRISE_USER_SCHEMA;
const META = {
  resourceType: 'User',
  created: '2024-01-01T00:00:00Z',
  lastModified: '2024-01-01T00:00:00Z',
  location: 'https://scim.example.com/Users/u1',
};

function scimError(fn: () => unknown): ScimError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ScimError) return e;
    throw e;
  }
  throw new Error('expected a ScimError');
}

/** The user of the Entra create in entra-facts §2.3, as stored. */
function storedUser(extra: ScimResource = {}): ScimResource {
  return {
    schemas: [USER_SCHEMA],
    id: 'u1',
    externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
    userName: 'jdoe@contoso.com',
    name: { formatted: 'Jane Doe', familyName: 'Doe', givenName: 'Jane' },
    locale: 'en-US',
    active: true,
    emails: [{ value: 'jdoe@contoso.com', type: 'work', primary: true }],
    phoneNumbers: [{ value: '+1 425-555-0100', type: 'mobile' }],
    ...extra,
    meta: META,
  };
}

function storedGroup(extra: ScimResource = {}): ScimResource {
  return {
    schemas: [GROUP_SCHEMA],
    id: 'g1',
    externalId: '8aa1a0c0-…',
    displayName: 'Sales',
    ...extra,
    meta: { ...META, resourceType: 'Group', location: 'https://scim.example.com/Groups/g1' },
  };
}

/** Runs a PATCH body exactly as received (JSON text or object) through parse and apply. */
function patch(resource: ScimResource, body: string | object, rs: ResourceSchema = USER_RESOURCE): PatchResult {
  const parsed: unknown = typeof body === 'string' ? JSON.parse(body) : body;
  return applyPatch(resource, parsePatchRequest(parsed), rs);
}

const ops = (...operations: object[]) => ({
  schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
  Operations: operations,
});

describe('applyPatch: Entra provisioning cycle (entra-facts §2)', () => {
  it('§2.5 replaces a filtered e-mail value and the family name', () => {
    const r = patch(
      storedUser(),
      '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"emails[type eq \\"work\\"].value","value":"jane@contoso.com"},{"op":"Replace","path":"name.familyName","value":"Smith"}]}',
    );
    expect(r.resource.emails).toEqual([{ value: 'jane@contoso.com', type: 'work', primary: true }]);
    expect(r.resource.name).toEqual({ formatted: 'Jane Doe', familyName: 'Smith', givenName: 'Jane' });
    expect(r.changed).toEqual(['name.familyName', 'emails']);
  });

  it('§2.6 replaces userName', () => {
    const r = patch(storedUser(), ops({ op: 'Replace', path: 'userName', value: 'jsmith@contoso.com' }));
    expect(r.resource.userName).toBe('jsmith@contoso.com');
    expect(r.changed).toEqual(['userName']);
  });

  it('§2.7 Add through a filter that matches nothing creates the element', () => {
    const r = patch(
      storedUser({ phoneNumbers: undefined }),
      '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"phoneNumbers[type eq \\"mobile\\"].value","value":"+1 425-555-0199"}]}',
    );
    expect(r.resource.phoneNumbers).toEqual([{ value: '+1 425-555-0199', type: 'mobile' }]);
    expect(r.changed).toEqual(['phoneNumbers']);
  });

  it('§2.7 Add through a filter appends next to elements of another type', () => {
    const r = patch(
      storedUser({ phoneNumbers: [{ value: '+1 425-555-0100', type: 'work' }] }),
      ops({ op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 425-555-0199' }),
    );
    expect(r.resource.phoneNumbers).toEqual([
      { value: '+1 425-555-0100', type: 'work' },
      { value: '+1 425-555-0199', type: 'mobile' },
    ]);
  });

  it('§2.7 Replace through a filter that matches nothing creates the element (never noTarget)', () => {
    const r = patch(
      storedUser({ emails: undefined }),
      ops({ op: 'Replace', path: 'emails[type eq "work"].value', value: 'jane@contoso.com' }),
    );
    expect(r.resource.emails).toEqual([{ value: 'jane@contoso.com', type: 'work' }]);
  });

  it('§2.7 Add through a filter updates the matching element in place', () => {
    const r = patch(storedUser(), ops({ op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 425-555-0199' }));
    expect(r.resource.phoneNumbers).toEqual([{ value: '+1 425-555-0199', type: 'mobile' }]);
  });

  it('§2.8 expands a path-less op with dotted and extension keys', () => {
    const r = patch(
      storedUser(),
      '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"displayName":"Jane Smith","name.givenName":"Jane","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"701984"}}]}',
    );
    expect(r.resource.displayName).toBe('Jane Smith');
    expect(r.resource.name).toEqual({ formatted: 'Jane Doe', familyName: 'Doe', givenName: 'Jane' });
    expect(r.resource[ENT]).toEqual({ employeeNumber: '701984' });
    expect(r.resource.schemas).toEqual([USER_SCHEMA, ENT]);
    expect(Object.keys(r.resource).some((k) => k.includes('.') && k !== ENT)).toBe(false);
    expect(r.changed).toEqual(['displayName', `${ENT}:employeeNumber`]);
  });

  it('§2.9 disables and re-enables with string booleans (default job)', () => {
    for (const [value, expected] of [
      ['False', false],
      ['false', false],
      ['FALSE', false],
      ['True', true],
      ['true', true],
    ] as const) {
      const start = storedUser({ active: !expected });
      const r = patch(start, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"${value}"}]}`);
      expect(r.resource.active).toBe(expected);
      expect(r.changed).toEqual(['active']);
    }
  });

  it('§2.9 disables and re-enables with JSON booleans (flagged job)', () => {
    expect(patch(storedUser(), ops({ op: 'replace', path: 'active', value: false })).resource.active).toBe(false);
    expect(patch(storedUser({ active: false }), ops({ op: 'replace', path: 'active', value: true })).resource.active).toBe(
      true,
    );
  });

  it('§2.9 reports nothing changed when the value is already set', () => {
    const r = patch(storedUser(), ops({ op: 'Replace', path: 'active', value: 'True' }));
    expect(r.changed).toEqual([]);
    expect(r.resource).toEqual(applyPatch(storedUser(), [], USER_RESOURCE).resource);
  });

  it('rejects a non-boolean string for active', () => {
    const e = scimError(() => patch(storedUser(), ops({ op: 'Replace', path: 'active', value: 'disabled' })));
    expect(e.scimType).toBe('invalidValue');
    expect(e.detail).toContain('active');
  });
});

describe('applyPatch: Entra groups (entra-facts §2.13–2.15)', () => {
  it('§2.13 adds several members in one op, with "$ref": null', () => {
    const r = patch(
      storedGroup(),
      '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"members","value":[{"$ref":null,"value":"u1"},{"$ref":null,"value":"u2"}]}]}',
      GROUP_RESOURCE,
    );
    expect(r.resource.members).toEqual([{ value: 'u1' }, { value: 'u2' }]);
    expect(r.changed).toEqual(['members']);
  });

  it('§2.13 adding an existing member changes nothing', () => {
    const r = patch(
      storedGroup({ members: [{ value: 'u1', display: 'Jane' }] }),
      ops({ op: 'Add', path: 'members', value: [{ $ref: null, value: 'u1' }] }),
      GROUP_RESOURCE,
    );
    expect(r.resource.members).toEqual([{ value: 'u1', display: 'Jane' }]);
    expect(r.changed).toEqual([]);
  });

  it('adding a member stored with a type, without the type, changes nothing', () => {
    const r = patch(
      storedGroup({ members: [{ value: 'u1', type: 'User' }] }),
      ops({ op: 'add', path: 'members', value: [{ value: 'u1' }] }),
      GROUP_RESOURCE,
    );
    expect(r.resource.members).toEqual([{ value: 'u1', type: 'User' }]);
    expect(r.changed).toEqual([]);
  });

  it('handles large member lists in linear-ish time', () => {
    const members = Array.from({ length: 20_000 }, (_, i) => ({ value: `u${i}` }));
    const started = Date.now();
    const r = patch(
      storedGroup({ members }),
      ops(
        { op: 'add', path: 'members', value: [{ value: 'new' }, { value: 'u5' }] },
        { op: 'remove', path: 'members', value: [{ value: 'u7' }] },
      ),
      GROUP_RESOURCE,
    );
    expect((r.resource.members as unknown[]).length).toBe(20_000);
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('§2.14 removes members with a value list (default job)', () => {
    const r = patch(
      storedGroup({ members: [{ value: 'u1' }, { value: 'u2', display: 'Bob' }, { value: 'u3' }] }),
      '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Remove","path":"members","value":[{"value":"u2"}]}]}',
      GROUP_RESOURCE,
    );
    expect(r.resource.members).toEqual([{ value: 'u1' }, { value: 'u3' }]);
    expect(r.changed).toEqual(['members']);
  });

  it('§2.14 removes a member through a filter (flagged job)', () => {
    const r = patch(
      storedGroup({ members: [{ value: 'u1' }, { value: 'u2' }] }),
      '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \\"u1\\"]"}]}',
      GROUP_RESOURCE,
    );
    expect(r.resource.members).toEqual([{ value: 'u2' }]);
  });

  it('§2.14 a removal that removes nothing reports no change', () => {
    const group = storedGroup({ members: [{ value: 'u1' }] });
    for (const op of [
      { op: 'Remove', path: 'members', value: [{ value: 'u9' }] },
      { op: 'remove', path: 'members[value eq "u9"]' },
    ]) {
      const r = patch(group, ops(op), GROUP_RESOURCE);
      expect(r.changed).toEqual([]);
      expect(r.resource.members).toEqual([{ value: 'u1' }]);
    }
  });

  it('member ids are case-exact', () => {
    const r = patch(
      storedGroup({ members: [{ value: 'ABC' }] }),
      ops({ op: 'remove', path: 'members[value eq "abc"]' }),
      GROUP_RESOURCE,
    );
    expect(r.changed).toEqual([]);
  });

  it('removing the last member drops the attribute', () => {
    const r = patch(storedGroup({ members: [{ value: 'u1' }] }), ops({ op: 'Remove', path: 'members', value: [{ value: 'u1' }] }), GROUP_RESOURCE);
    expect(r.resource).not.toHaveProperty('members');
  });

  it('remove members without value removes them all', () => {
    const r = patch(storedGroup({ members: [{ value: 'u1' }, { value: 'u2' }] }), ops({ op: 'remove', path: 'members' }), GROUP_RESOURCE);
    expect(r.resource).not.toHaveProperty('members');
    expect(r.changed).toEqual(['members']);
  });

  it('§2.15 renames a group', () => {
    const r = patch(storedGroup(), ops({ op: 'Replace', path: 'displayName', value: 'Sales EMEA' }), GROUP_RESOURCE);
    expect(r.resource.displayName).toBe('Sales EMEA');
    expect(r.changed).toEqual(['displayName']);
  });

  it('Okta renames with a path-less replace carrying id (entra-facts §8), ignoring id', () => {
    const r = patch(
      storedGroup(),
      ops({ op: 'replace', value: { id: 'g1', displayName: 'Sales EMEA' } }),
      GROUP_RESOURCE,
    );
    expect(r.resource.displayName).toBe('Sales EMEA');
    expect(r.resource.id).toBe('g1');
    const other = patch(storedGroup(), ops({ op: 'replace', value: { id: 'other', schemas: ['x'], meta: {} } }), GROUP_RESOURCE);
    expect(other.resource.id).toBe('g1');
    expect(other.changed).toEqual([]);
  });

  it('Okta deactivates with a path-less replace (entra-facts §8)', () => {
    const r = patch(storedUser(), ops({ op: 'replace', value: { active: false } }));
    expect(r.resource.active).toBe(false);
  });

  it('Okta adds and removes members with lower-case ops', () => {
    let g = patch(storedGroup(), ops({ op: 'add', path: 'members', value: [{ value: 'u1', display: 'Jane' }] }), GROUP_RESOURCE);
    expect(g.resource.members).toEqual([{ value: 'u1' }]);
    g = patch(g.resource, ops({ op: 'remove', path: 'members', value: [{ value: 'u1', display: 'Jane' }] }), GROUP_RESOURCE);
    expect(g.resource).not.toHaveProperty('members');
  });
});

describe('applyPatch: quirks to tolerate (entra-facts §4)', () => {
  it('§4.1 op in any case', () => {
    for (const op of ['Add', 'add', 'Replace', 'replace']) {
      expect(patch(storedUser(), ops({ op, path: 'title', value: 'CEO' })).resource.title).toBe('CEO');
    }
    for (const op of ['Remove', 'remove']) {
      expect(patch(storedUser({ title: 'CEO' }), ops({ op, path: 'title' })).resource).not.toHaveProperty('title');
    }
  });

  it('§4.2 string booleans in path-less values and in complex values', () => {
    expect(patch(storedUser(), ops({ op: 'Replace', value: { active: 'False' } })).resource.active).toBe(false);
    const r = patch(
      storedUser(),
      ops({ op: 'Add', path: 'emails', value: [{ value: 'home@x', type: 'home', primary: 'True' }] }),
    );
    expect(r.resource.emails).toEqual([
      { value: 'jdoe@contoso.com', type: 'work', primary: false },
      { value: 'home@x', type: 'home', primary: true },
    ]);
  });

  it('§4.3 path-less value with dotted keys, URN-prefixed keys and a manager key', () => {
    const r = patch(
      storedUser(),
      ops({
        op: 'Add',
        value: {
          'name.familyName': 'Smith',
          [`${ENT}:department`]: 'Sales',
          [`${ENT}:manager`]: 'm1',
          'urn:ietf:params:scim:schemas:core:2.0:User:title': 'Boss',
        },
      }),
    );
    expect(r.resource.name).toEqual({ formatted: 'Jane Doe', familyName: 'Smith', givenName: 'Jane' });
    expect(r.resource.title).toBe('Boss');
    expect(r.resource[ENT]).toEqual({ department: 'Sales', manager: { value: 'm1' } });
    expect(r.changed).toEqual(['name.familyName', 'title', `${ENT}:department`, `${ENT}:manager.value`]);
  });

  it('§4.3 path-less value whose key is the extension URN merges into the extension', () => {
    const r = patch(
      storedUser({ [ENT]: { department: 'Sales', costCenter: 'CC1' } }),
      ops({ op: 'replace', value: { [ENT]: { department: 'Marketing', manager: { value: 'm2' } } } }),
    );
    expect(r.resource[ENT]).toEqual({ costCenter: 'CC1', department: 'Marketing', manager: { value: 'm2' } });
  });

  it('§4.3 unknown keys in a path-less value are dropped as in POST bodies, and named', () => {
    const r = patch(storedUser(), ops({ op: 'replace', value: { shoeSize: 44, 'urn:example:x:Foo:bar': 1, title: 'X' } }));
    expect(r.changed).toEqual(['title']);
    expect(r.ignored).toEqual(['shoeSize', 'urn:example:x:Foo:bar']);
    const ext = patch(storedUser(), ops({ op: 'add', path: ENT, value: { department: 'D', department2: 'x' } }, { op: 'add', value: { shoeSize: 1 } }));
    expect(ext.ignored).toEqual([`${ENT}:department2`, 'shoeSize']);
    expect(patch(storedUser(), ops({ op: 'replace', path: 'title', value: 'Y' })).ignored).toEqual([]);
  });

  it('§4.4 Add with an object through a filter that matches nothing appends with the eq attributes', () => {
    const r = patch(
      storedUser(),
      ops({ op: 'add', path: 'emails[type eq "home"]', value: { value: 'home@x', display: 'Home' } }),
    );
    expect(r.resource.emails).toEqual([
      { value: 'jdoe@contoso.com', type: 'work', primary: true },
      { value: 'home@x', display: 'Home', type: 'home' },
    ]);
  });

  it('§4.4 Add with an object through a matching filter merges into the element', () => {
    const r = patch(storedUser(), ops({ op: 'add', path: 'emails[type eq "work"]', value: { display: 'Work' } }));
    expect(r.resource.emails).toEqual([{ value: 'jdoe@contoso.com', display: 'Work', type: 'work', primary: true }]);
  });

  it('§4.4 Replace with an object through a matching filter replaces the element, keeping the filter attributes', () => {
    const r = patch(storedUser(), ops({ op: 'replace', path: 'emails[type eq "work"]', value: { value: 'new@x' } }));
    expect(r.resource.emails).toEqual([{ value: 'new@x', type: 'work' }]);
  });

  it('§4.4 creates from every eq clause joined by and', () => {
    const r = patch(
      storedUser({ emails: undefined }),
      ops({ op: 'add', path: 'emails[type eq "work" and primary eq true].value', value: 'w@x' }),
    );
    expect(r.resource.emails).toEqual([{ value: 'w@x', type: 'work', primary: true }]);
  });

  it('§4.5 both member-removal forms give the same result', () => {
    const group = storedGroup({ members: [{ value: 'u1' }, { value: 'u2' }] });
    const a = patch(group, ops({ op: 'Remove', path: 'members', value: [{ value: 'u1' }] }), GROUP_RESOURCE);
    const b = patch(group, ops({ op: 'remove', path: 'members[value eq "u1"]' }), GROUP_RESOURCE);
    expect(a).toEqual(b);
  });

  it('§4.6 null attributes inside values are ignored', () => {
    const r = patch(storedUser(), ops({ op: 'add', path: 'emails', value: [{ value: 'x@y', type: null, display: null }] }));
    expect(r.resource.emails).toEqual([{ value: 'jdoe@contoso.com', type: 'work', primary: true }, { value: 'x@y' }]);
  });

  it('§4.7 an empty Operations array is a no-op', () => {
    const user = storedUser();
    const r = patch(user, '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[]}');
    expect(r.changed).toEqual([]);
    expect(r.resource).toEqual(user);
  });

  describe('§4.8 manager', () => {
    it('is added with Add as a bare string or as {value}', () => {
      for (const value of ['m1', { value: 'm1' }]) {
        const r = patch(storedUser(), ops({ op: 'Add', path: `${ENT}:manager`, value }));
        expect(r.resource[ENT]).toEqual({ manager: { value: 'm1' } });
        expect(r.resource.schemas).toEqual([USER_SCHEMA, ENT]);
        expect(r.changed).toEqual([`${ENT}:manager.value`]);
      }
    });

    it('is set through manager.value', () => {
      const r = patch(storedUser(), ops({ op: 'replace', path: `${ENT}:manager.value`, value: 'm2' }));
      expect(r.resource[ENT]).toEqual({ manager: { value: 'm2' } });
    });

    it('is changed, dropping what described the previous manager', () => {
      const r = patch(
        storedUser({ [ENT]: { department: 'D', manager: { value: 'm1', $ref: '../Users/m1', displayName: 'Ann' } } }),
        ops({ op: 'Replace', path: `${ENT}:manager`, value: { value: 'm2' } }),
      );
      expect(r.resource[ENT]).toEqual({ department: 'D', manager: { value: 'm2' } });
    });

    it('is removed with Remove or with an empty value', () => {
      const start = storedUser({ [ENT]: { manager: { value: 'm1' }, department: 'D' } });
      for (const op of [
        { op: 'Remove', path: `${ENT}:manager` },
        { op: 'Replace', path: `${ENT}:manager`, value: { value: '' } },
        { op: 'Replace', path: `${ENT}:manager`, value: '' },
        { op: 'Replace', path: `${ENT}:manager`, value: null },
        { op: 'Add', path: `${ENT}:manager`, value: { value: null } },
        { op: 'Replace', path: `${ENT}:manager.value`, value: '' },
        { op: 'Remove', path: `${ENT}:manager.value` },
        { op: 'replace', value: { [`${ENT}:manager`]: '' } },
      ]) {
        const r = patch(start, ops(op));
        expect(r.resource[ENT], JSON.stringify(op)).toEqual({ department: 'D' });
        expect(r.changed).toEqual([`${ENT}:manager.value`]);
      }
    });

    it('removing the last extension attribute drops the extension from schemas', () => {
      const r = patch(storedUser({ [ENT]: { manager: { value: 'm1' } } }), ops({ op: 'Remove', path: `${ENT}:manager` }));
      expect(r.resource).not.toHaveProperty(ENT);
      expect(r.resource.schemas).toEqual([USER_SCHEMA]);
    });

    it('ignores an echoed read-only displayName', () => {
      const r = patch(storedUser(), ops({ op: 'Add', path: `${ENT}:manager`, value: { value: 'm1', displayName: 'Ann' } }));
      expect(r.resource[ENT]).toEqual({ manager: { value: 'm1' } });
    });
  });

  it('§4.9 multi-valued attributes are extended with Add', () => {
    const r = patch(
      storedUser({ roles: [{ value: 'reader' }] }),
      ops({ op: 'Add', path: 'roles', value: [{ value: 'writer' }, { value: 'reader' }] }),
    );
    expect(r.resource.roles).toEqual([{ value: 'reader' }, { value: 'writer' }]);
  });

  it('§4.10 stores name.formatted as sent, never recomputed', () => {
    const r = patch(
      storedUser(),
      ops(
        { op: 'Replace', path: 'name.givenName', value: 'Janet' },
        { op: 'Replace', path: 'name.formatted', value: 'Dr. J. Doe' },
      ),
    );
    expect(r.resource.name).toEqual({ formatted: 'Dr. J. Doe', familyName: 'Doe', givenName: 'Janet' });
    const r2 = patch(storedUser(), ops({ op: 'Replace', path: 'name.givenName', value: 'Janet' }));
    expect((r2.resource.name as Record<string, unknown>).formatted).toBe('Jane Doe');
  });

  it('§4.11 stores values exactly as sent', () => {
    const r = patch(
      storedUser(),
      ops({ op: 'Replace', path: 'phoneNumbers[type eq "mobile"].value', value: '(425) 555 0199 ext.3' }),
    );
    expect(r.resource.phoneNumbers).toEqual([{ value: '(425) 555 0199 ext.3', type: 'mobile' }]);
  });

  it('§4.12 Remove, and Replace with null or "", clear an attribute', () => {
    const start = storedUser({ title: 'CEO', nickName: 'JD' });
    for (const op of [
      { op: 'Remove', path: 'title' },
      { op: 'Replace', path: 'title', value: null },
      { op: 'Replace', path: 'title', value: '' },
      { op: 'Add', path: 'title', value: null },
      { op: 'replace', value: { title: null } },
      { op: 'replace', value: { title: '' } },
    ]) {
      const r = patch(start, ops(op));
      expect(r.resource, JSON.stringify(op)).not.toHaveProperty('title');
      expect(r.resource.nickName).toBe('JD');
      expect(r.changed).toEqual(['title']);
    }
  });

  it('§4.12 clears multi-valued and complex attributes', () => {
    expect(patch(storedUser(), ops({ op: 'Replace', path: 'emails', value: [] })).resource).not.toHaveProperty('emails');
    expect(patch(storedUser(), ops({ op: 'Replace', path: 'emails', value: null })).resource).not.toHaveProperty('emails');
    expect(patch(storedUser(), ops({ op: 'Replace', path: 'name', value: null })).resource).not.toHaveProperty('name');
    expect(patch(storedUser(), ops({ op: 'Remove', path: 'name.givenName' })).resource.name).toEqual({
      formatted: 'Jane Doe',
      familyName: 'Doe',
    });
    // add with [] or {} adds nothing
    expect(patch(storedUser(), ops({ op: 'Add', path: 'emails', value: [] })).changed).toEqual([]);
    expect(patch(storedUser(), ops({ op: 'Add', path: 'name', value: {} })).changed).toEqual([]);
  });

  it('§4.12 clears a filtered element or sub-attribute', () => {
    const start = storedUser({
      phoneNumbers: [
        { value: '1', type: 'mobile' },
        { value: '2', type: 'work' },
      ],
    });
    expect(patch(start, ops({ op: 'Replace', path: 'phoneNumbers[type eq "mobile"].value', value: '' })).resource.phoneNumbers).toEqual([
      { value: '2', type: 'work' },
    ]);
    expect(patch(start, ops({ op: 'Remove', path: 'phoneNumbers[type eq "mobile"]' })).resource.phoneNumbers).toEqual([
      { value: '2', type: 'work' },
    ]);
    expect(patch(start, ops({ op: 'Remove', path: 'phoneNumbers[type eq "work"].type' })).resource.phoneNumbers).toEqual([
      { value: '1', type: 'mobile' },
      { value: '2' },
    ]);
  });

  it('§4.12 removing what is not there is a no-op', () => {
    for (const op of [
      { op: 'Remove', path: 'title' },
      { op: 'Remove', path: 'emails[type eq "home"]' },
      { op: 'Remove', path: 'emails[type eq "home"].value' },
      { op: 'Remove', path: `${ENT}:manager` },
      { op: 'Remove', path: `${ENT}:manager.value` },
      { op: 'Remove', path: 'ims' },
      { op: 'Remove', path: 'ims', value: [{ value: 'x' }] },
      { op: 'Replace', path: 'title', value: null },
    ]) {
      const r = patch(storedUser(), ops(op));
      expect(r.changed, JSON.stringify(op)).toEqual([]);
    }
  });

  it('§4.13 both PATCH styles on one request', () => {
    const r = patch(
      storedUser(),
      ops(
        { op: 'Replace', path: 'displayName', value: 'A' },
        { op: 'replace', value: { 'name.givenName': 'B', active: 'False' } },
      ),
    );
    expect(r.resource).toMatchObject({ displayName: 'A', active: false, name: { givenName: 'B' } });
  });
});

describe('applyPatch: RFC 7644 §3.5.2 semantics', () => {
  it('add to a complex attribute merges sub-attributes', () => {
    const r = patch(storedUser(), ops({ op: 'add', path: 'name', value: { middleName: 'Q' } }));
    expect(r.resource.name).toEqual({ formatted: 'Jane Doe', familyName: 'Doe', givenName: 'Jane', middleName: 'Q' });
    expect(r.changed).toEqual(['name.middleName']);
  });

  it('replace of a complex attribute leaves sub-attributes not given unchanged (§3.5.2.3)', () => {
    const r = patch(storedUser(), ops({ op: 'replace', path: 'name', value: { familyName: 'Smith', givenName: null } }));
    expect(r.resource.name).toEqual({ formatted: 'Jane Doe', familyName: 'Smith' });
    expect(r.changed).toEqual(['name.familyName', 'name.givenName']);
  });

  it('replace of a multi-valued attribute replaces the list', () => {
    const r = patch(storedUser(), ops({ op: 'replace', path: 'emails', value: [{ value: 'n@x', type: 'home' }] }));
    expect(r.resource.emails).toEqual([{ value: 'n@x', type: 'home' }]);
  });

  it('add of a single object to a multi-valued attribute appends it', () => {
    const r = patch(storedUser(), ops({ op: 'add', path: 'emails', value: { value: 'n@x', type: 'home' } }));
    expect(r.resource.emails).toHaveLength(2);
  });

  it('add of an element with the same value and type merges instead of duplicating', () => {
    const r = patch(storedUser(), ops({ op: 'add', path: 'emails', value: [{ value: 'JDOE@contoso.com', type: 'Work', display: 'W' }] }));
    expect(r.resource.emails).toEqual([{ value: 'JDOE@contoso.com', display: 'W', type: 'Work', primary: true }]);
  });

  it('a new primary element takes primary from the others', () => {
    const r = patch(storedUser(), ops({ op: 'add', path: 'emails[type eq "home"]', value: { value: 'h@x', primary: true } }));
    expect(r.resource.emails).toEqual([
      { value: 'jdoe@contoso.com', type: 'work', primary: false },
      { value: 'h@x', type: 'home', primary: true },
    ]);
    const r2 = patch(
      storedUser({ emails: [{ value: 'a', primary: true }, { value: 'b', type: 'home' }] }),
      ops({ op: 'replace', path: 'emails[type eq "home"].primary', value: 'True' }),
    );
    expect(r2.resource.emails).toEqual([
      { value: 'a', primary: false },
      { value: 'b', type: 'home', primary: true },
    ]);
  });

  it('replace on a multi-valued attribute keeps at most one primary', () => {
    const r = patch(storedUser(), ops({ op: 'replace', path: 'emails', value: [{ value: 'a', primary: true }, { value: 'b', primary: true }] }));
    expect(r.resource.emails).toEqual([{ value: 'a', primary: true }, { value: 'b', primary: false }]);
  });

  it('sub-attribute path on a multi-valued attribute without filter applies to every element', () => {
    const r = patch(
      storedUser({ emails: [{ value: 'a' }, { value: 'b' }] }),
      ops({ op: 'replace', path: 'emails.type', value: 'work' }),
    );
    expect(r.resource.emails).toEqual([{ value: 'a', type: 'work' }, { value: 'b', type: 'work' }]);
  });

  it('filters compare case-insensitively unless caseExact', () => {
    const r = patch(storedUser(), ops({ op: 'replace', path: 'EMAILS[TYPE EQ "WORK"].VALUE', value: 'x@y' }));
    expect(r.resource.emails).toEqual([{ value: 'x@y', type: 'work', primary: true }]);
  });

  it('filters support or, not, pr, co, sw, ew, ne', () => {
    const start = storedUser({
      emails: [
        { value: 'a@work.com', type: 'work' },
        { value: 'b@home.com', type: 'home' },
        { value: 'c@other.com' },
      ],
    });
    const displays = (path: string) =>
      (patch(start, ops({ op: 'add', path: `${path}.display`, value: 'hit' })).resource.emails as Record<string, unknown>[])
        .filter((e) => e.display === 'hit')
        .map((e) => e.value);
    expect(displays('emails[type eq "work" or type eq "home"]')).toEqual(['a@work.com', 'b@home.com']);
    expect(displays('emails[not (type eq "work")]')).toEqual(['b@home.com', 'c@other.com']);
    expect(displays('emails[type pr]')).toEqual(['a@work.com', 'b@home.com']);
    expect(displays('emails[value co "HOME"]')).toEqual(['b@home.com']);
    expect(displays('emails[value sw "c@"]')).toEqual(['c@other.com']);
    expect(displays('emails[value ew ".com"]')).toEqual(['a@work.com', 'b@home.com', 'c@other.com']);
    expect(displays('emails[type ne "work"]')).toEqual(['b@home.com', 'c@other.com']);
  });

  it('URN-qualified core paths work', () => {
    const r = patch(storedUser(), ops({ op: 'replace', path: `${USER_SCHEMA}:name.familyName`, value: 'X' }));
    expect((r.resource.name as Record<string, unknown>).familyName).toBe('X');
  });

  it('a path naming the extension URN targets the whole extension', () => {
    const start = storedUser({ [ENT]: { department: 'D' } });
    expect(patch(start, ops({ op: 'add', path: ENT, value: { costCenter: 'C' } })).resource[ENT]).toEqual({
      costCenter: 'C',
      department: 'D',
    });
    expect(patch(start, ops({ op: 'remove', path: ENT })).resource).not.toHaveProperty(ENT);
  });

  it('an unqualified extension attribute name resolves to the extension', () => {
    expect(patch(storedUser(), ops({ op: 'add', path: 'department', value: 'D' })).resource[ENT]).toEqual({ department: 'D' });
  });

  it('applies operations in order', () => {
    const r = patch(
      storedUser(),
      ops(
        { op: 'remove', path: 'emails' },
        { op: 'add', path: 'emails[type eq "work"].value', value: 'a@x' },
        { op: 'replace', path: 'emails[type eq "work"].value', value: 'b@x' },
      ),
    );
    expect(r.resource.emails).toEqual([{ value: 'b@x', type: 'work' }]);
  });

  it('changed lists canonical paths, complex per sub-attribute, in schema order', () => {
    const r = patch(
      storedUser(),
      ops(
        { op: 'replace', path: 'active', value: false },
        { op: 'replace', path: 'emails[type eq "work"].value', value: 'n@x' },
        { op: 'replace', path: 'name.familyName', value: 'S' },
        { op: 'replace', path: 'externalId', value: 'e2' },
        { op: 'add', path: `${ENT}:costCenter`, value: 'C' },
      ),
    );
    expect(r.changed).toEqual(['externalId', 'name.familyName', 'active', 'emails', `${ENT}:costCenter`]);
  });

  it('never mutates its input', () => {
    const user = storedUser({ [ENT]: { manager: { value: 'm1' } } });
    const copy = structuredClone(user);
    const operations = parsePatchRequest(
      ops(
        { op: 'replace', path: 'emails[type eq "work"].value', value: 'n@x' },
        { op: 'replace', path: 'name.familyName', value: 'S' },
        { op: 'remove', path: `${ENT}:manager` },
        { op: 'add', path: 'emails', value: [{ value: 'h@x', primary: true }] },
      ),
    );
    const opsCopy = structuredClone(operations);
    const r = applyPatch(user, operations, USER_RESOURCE);
    expect(user).toEqual(copy);
    expect(operations).toEqual(opsCopy);
    (r.resource.name as Record<string, unknown>).givenName = 'mutated';
    expect((user.name as Record<string, unknown>).givenName).toBe('Jane');
  });

  it('keeps id and meta', () => {
    const r = patch(storedUser(), ops({ op: 'replace', path: 'title', value: 'X' }));
    expect(r.resource.id).toBe('u1');
    expect(r.resource.meta).toEqual(META);
  });
});

describe('applyPatch: errors', () => {
  it('read-only attributes: mutability', () => {
    for (const op of [
      { op: 'replace', path: 'id', value: 'x' },
      { op: 'remove', path: 'id' },
      { op: 'replace', path: 'meta.created', value: '2020-01-01T00:00:00Z' },
      { op: 'add', path: 'groups', value: [{ value: 'g1' }] },
      { op: 'remove', path: 'groups[value eq "g1"]' },
      { op: 'replace', path: `${ENT}:manager.displayName`, value: 'x' },
      { op: 'replace', value: { groups: [{ value: 'g1' }] } },
    ]) {
      expect(scimError(() => patch(storedUser(), ops(op))).scimType, JSON.stringify(op)).toBe('mutability');
    }
    expect(
      scimError(() => patch(storedGroup(), ops({ op: 'add', path: 'members[value eq "u1"].display', value: 'x' }), GROUP_RESOURCE))
        .scimType,
    ).toBe('mutability');
  });

  it('immutable member values cannot be changed', () => {
    const e = scimError(() =>
      patch(storedGroup({ members: [{ value: 'u1' }] }), ops({ op: 'replace', path: 'members[value eq "u1"].value', value: 'u2' }), GROUP_RESOURCE),
    );
    expect(e.scimType).toBe('mutability');
  });

  it('unknown attributes in a path: invalidPath', () => {
    for (const path of ['shoeSize', 'name.nick', 'emails[type eq "work"].colour', `${ENT}:manager.x`]) {
      expect(scimError(() => patch(storedUser(), ops({ op: 'replace', path, value: 'x' }))).scimType, path).toBe('invalidPath');
    }
  });

  it('paths into an unknown schema or to an unknown extension attribute are dropped and named', () => {
    const custom = 'urn:ietf:params:scim:schemas:extension:atea:2.0:User:costCenterCode';
    const r = patch(
      storedUser(),
      ops({ op: 'Add', path: custom, value: 'CC7' }, { op: 'replace', path: `${ENT}:department2`, value: 'x' }, { op: 'remove', path: 'urn:example:foo:Bar:baz' }, { op: 'replace', path: 'title', value: 'T' }),
    );
    expect(r.ignored).toEqual([custom, `${ENT}:department2`, 'urn:example:foo:Bar:baz']);
    expect(r.changed).toEqual(['title']);
  });

  it('a value filter on a single-valued attribute: invalidPath', () => {
    expect(scimError(() => patch(storedUser(), ops({ op: 'replace', path: 'name[givenName eq "x"]', value: {} }))).scimType).toBe(
      'invalidPath',
    );
  });

  it('unknown sub-attributes inside a value filter: invalidFilter', () => {
    const e = scimError(() => patch(storedUser({ emails: undefined }), ops({ op: 'add', path: 'emails[kind eq "x"].value', value: 'a' })));
    expect(e.scimType).toBe('invalidFilter');
    expect(scimError(() => patch(storedUser(), ops({ op: 'add', path: 'emails[primary gt true].value', value: 'a' }))).scimType).toBe(
      'invalidFilter',
    );
  });

  it('type mismatches: invalidValue', () => {
    for (const op of [
      { op: 'replace', path: 'userName', value: { a: 1 } },
      { op: 'replace', path: 'displayName', value: 42 },
      { op: 'replace', path: 'name', value: 'Jane' },
      { op: 'replace', path: 'emails', value: [{ value: 1 }] },
      { op: 'replace', path: 'emails[type eq "work"].value', value: ['a'] },
      { op: 'replace', path: 'title', value: ['a'] },
      { op: 'replace', value: 'not an object' },
      { op: 'replace', value: [{ title: 'x' }] },
    ]) {
      expect(scimError(() => patch(storedUser(), ops(op))).scimType, JSON.stringify(op)).toBe('invalidValue');
    }
  });

  it('a bare string for a multi-valued attribute with a value sub-attribute becomes {value}', () => {
    expect(patch(storedUser(), ops({ op: 'replace', path: 'emails', value: 'a@x' })).resource.emails).toEqual([{ value: 'a@x' }]);
  });

  it('removing a required attribute: invalidValue', () => {
    for (const op of [
      { op: 'remove', path: 'userName' },
      { op: 'replace', path: 'userName', value: '' },
      { op: 'replace', value: { userName: null } },
    ]) {
      const e = scimError(() => patch(storedUser(), ops(op)));
      expect(e.scimType).toBe('invalidValue');
      expect(e.detail).toContain('userName is required');
    }
    expect(scimError(() => patch(storedGroup(), ops({ op: 'remove', path: 'displayName' }), GROUP_RESOURCE)).scimType).toBe(
      'invalidValue',
    );
  });

  it('a remove without path built by hand: noTarget', () => {
    const op: PatchOperation = { op: 'remove' };
    expect(scimError(() => applyPatch(storedUser(), [op], USER_RESOURCE)).scimType).toBe('noTarget');
  });
});

describe('matchesValueFilter', () => {
  const emails = resolveAttrPath(USER_RESOURCE, { attr: 'emails' });
  const members = resolveAttrPath(GROUP_RESOURCE, { attr: 'members' });
  const meta = resolveAttrPath(USER_RESOURCE, { attr: 'meta' });

  it('compares strings by caseExact', () => {
    expect(matchesValueFilter({ value: 'A@X' }, parseFilter('value eq "a@x"'), emails)).toBe(true);
    expect(matchesValueFilter({ value: 'ABC' }, parseFilter('value eq "abc"'), members)).toBe(false);
  });

  it('compares booleans, null and absent values', () => {
    expect(matchesValueFilter({ value: 'a', primary: true }, parseFilter('primary eq true'), emails)).toBe(true);
    expect(matchesValueFilter({ value: 'a' }, parseFilter('primary eq true'), emails)).toBe(false);
    expect(matchesValueFilter({ value: 'a' }, parseFilter('primary ne true'), emails)).toBe(true);
    expect(matchesValueFilter({ value: 'a' }, parseFilter('type eq null'), emails)).toBe(true);
    expect(matchesValueFilter({ value: 'a', type: 'w' }, parseFilter('type ne null'), emails)).toBe(true);
  });

  it('orders strings and dateTimes', () => {
    expect(matchesValueFilter({ value: 'b' }, parseFilter('value gt "a"'), emails)).toBe(true);
    expect(matchesValueFilter({ value: 'b' }, parseFilter('value le "a"'), emails)).toBe(false);
    // meta is single-valued, but the evaluator works on any complex value
    expect(
      matchesValueFilter({ created: '2024-01-01T01:00:00+01:00' }, parseFilter('created ge "2024-01-01T00:00:00Z"'), meta),
    ).toBe(true);
    expect(
      matchesValueFilter({ created: '2024-01-01T00:30:00+01:00' }, parseFilter('created lt "2024-01-01T00:00:00Z"'), meta),
    ).toBe(true);
  });
});
