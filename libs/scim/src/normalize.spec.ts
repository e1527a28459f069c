import { describe, expect, it } from 'vitest';
import { canonicalizeResource, coerceScalar, normalizeResource } from './normalize.js';
import { GROUP_RESOURCE, USER_RESOURCE } from './schema/definitions.js';
import { ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from './schema/urns.js';
import { ScimError } from './scim-error.js';

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

const user = (extra: Record<string, unknown> = {}) => normalizeResource({ userName: 'jdoe@contoso.com', ...extra }, USER_RESOURCE);

describe('normalizeResource: Entra and Okta bodies', () => {
  it('normalizes the Entra create body (entra-facts §2.3)', () => {
    const body = JSON.parse(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
    "externalId":"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef","userName":"jdoe@contoso.com","active":true,
    "emails":[{"primary":true,"type":"work","value":"jdoe@contoso.com"}],"meta":{"resourceType":"User"},
    "name":{"formatted":"Jane Doe","familyName":"Doe","givenName":"Jane"},
    "phoneNumbers":[{"type":"mobile","value":"+1 425-555-0100"}],"locale":"en-US","roles":[]}`);
    const r = normalizeResource(body, USER_RESOURCE);
    expect(r).toEqual({
      schemas: [USER_SCHEMA],
      externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
      userName: 'jdoe@contoso.com',
      name: { formatted: 'Jane Doe', familyName: 'Doe', givenName: 'Jane' },
      locale: 'en-US',
      active: true,
      emails: [{ value: 'jdoe@contoso.com', type: 'work', primary: true }],
      phoneNumbers: [{ value: '+1 425-555-0100', type: 'mobile' }],
    });
    // Canonical key order: schemas, common attributes, core attributes in schema order.
    expect(Object.keys(r)).toEqual(['schemas', 'externalId', 'userName', 'name', 'locale', 'active', 'emails', 'phoneNumbers']);
    expect(Object.keys((r.name as object) ?? {})).toEqual(['formatted', 'familyName', 'givenName']);
  });

  it('normalizes the Entra group create body with the Microsoft schema URN (entra-facts §2.11)', () => {
    const body = JSON.parse(
      '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group","http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],"externalId":"8aa1a0c0-…","displayName":"Sales","meta":{"resourceType":"Group"}}',
    );
    expect(normalizeResource(body, GROUP_RESOURCE)).toEqual({
      schemas: [GROUP_SCHEMA],
      externalId: '8aa1a0c0-…',
      displayName: 'Sales',
    });
  });

  it('drops the empty members list of an Okta group push (entra-facts §8)', () => {
    expect(normalizeResource({ schemas: [GROUP_SCHEMA], displayName: 'Eng', members: [] }, GROUP_RESOURCE)).toEqual({
      schemas: [GROUP_SCHEMA],
      displayName: 'Eng',
    });
  });

  it('keeps members, drops "$ref": null and read-only display', () => {
    const r = normalizeResource(
      { displayName: 'Eng', members: [{ value: 'u1', $ref: null }, { value: 'u2', display: 'Jane' }, { $ref: null }] },
      GROUP_RESOURCE,
    );
    expect(r.members).toEqual([{ value: 'u1' }, { value: 'u2' }]);
  });

  it('stores active:"True" from the reference Postman collection as true', () => {
    expect(user({ active: 'True' }).active).toBe(true);
    expect(user({ active: 'False' }).active).toBe(false);
    expect(user({ active: 'true' }).active).toBe(true);
    expect(user({ active: 'false' }).active).toBe(false);
    expect(user({ active: 'TRUE' }).active).toBe(true);
  });

  it('rejects other strings for booleans', () => {
    const e = scimError(() => user({ active: 'yes' }));
    expect(e.scimType).toBe('invalidValue');
    expect(e.detail).toContain('active');
    expect(scimError(() => user({ active: 1 })).scimType).toBe('invalidValue');
    expect(scimError(() => user({ emails: [{ value: 'a@x', primary: 'sometimes' }] })).detail).toContain('emails.primary');
  });
});

describe('normalizeResource: shape rules', () => {
  it('requires a JSON object', () => {
    for (const body of [null, undefined, 'x', 42, [], [{ userName: 'a' }], true]) {
      expect(scimError(() => normalizeResource(body, USER_RESOURCE)).scimType).toBe('invalidSyntax');
    }
  });

  it('requires userName / group displayName, also when empty or null', () => {
    for (const userName of [undefined, null, '', '   ']) {
      const e = scimError(() => normalizeResource({ userName, active: true }, USER_RESOURCE));
      expect(e.scimType).toBe('invalidValue');
      expect(e.detail).toContain('userName is required');
    }
    expect(scimError(() => normalizeResource({ externalId: 'x' }, GROUP_RESOURCE)).detail).toContain(
      'displayName is required',
    );
  });

  it('matches attribute and sub-attribute names case-insensitively', () => {
    const r = normalizeResource(
      { USERNAME: 'a', Name: { GivenName: 'Jane' }, emails: [{ Value: 'a@x', Type: 'work', Primary: true }] },
      USER_RESOURCE,
    );
    expect(r).toEqual({
      schemas: [USER_SCHEMA],
      userName: 'a',
      name: { givenName: 'Jane' },
      emails: [{ value: 'a@x', type: 'work', primary: true }],
    });
  });

  it('drops unknown attributes, unknown sub-attributes and unknown URN keys silently', () => {
    const r = user({
      shoeSize: 44,
      name: { givenName: 'J', nick: 'x' },
      'urn:example:custom:2.0:User:foo': 'bar',
      'urn:example:custom:2.0:User': { foo: 'bar' },
      'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group': 'x',
    });
    expect(r).toEqual({ schemas: [USER_SCHEMA], userName: 'jdoe@contoso.com', name: { givenName: 'J' } });
  });

  it('names the unknown attributes it drops, and nothing else', () => {
    const ignored: string[] = [];
    normalizeResource(
      {
        userName: 'jdoe@contoso.com',
        id: 'client-id',
        shoeSize: 44,
        'urn:ietf:params:scim:schemas:extension:atea:2.0:User:costCenterCode': 'CC7',
        [ENT]: { department: 'D', department2: 'x' },
        'urn:example:custom:2.0:User': { foo: 'bar', baz: 1 },
      },
      USER_RESOURCE,
      ignored,
    );
    expect(ignored).toEqual([
      'shoeSize',
      'urn:ietf:params:scim:schemas:extension:atea:2.0:User:costCenterCode',
      `${ENT}:department2`,
      'urn:example:custom:2.0:User:foo',
      'urn:example:custom:2.0:User:baz',
    ]);
  });

  it('drops read-only attributes (id, meta, groups, manager.displayName) and client schemas', () => {
    const r = user({
      id: 'client-id',
      meta: { resourceType: 'User', created: '2020-01-01T00:00:00Z' },
      groups: [{ value: 'g1' }],
      schemas: ['urn:foo'],
      [ENT]: { manager: { value: 'm1', displayName: 'Boss' } },
    });
    expect(r).toEqual({ schemas: [USER_SCHEMA, ENT], userName: 'jdoe@contoso.com', [ENT]: { manager: { value: 'm1' } } });
  });

  it('treats null, "", [] and {} as absent', () => {
    const r = user({
      displayName: null,
      nickName: '',
      name: {},
      emails: [],
      title: 'Boss',
      addresses: [{}],
      [ENT]: {},
    });
    expect(r).toEqual({ schemas: [USER_SCHEMA], userName: 'jdoe@contoso.com', title: 'Boss' });
    expect(user({ name: { givenName: '', familyName: null } }).name).toBeUndefined();
  });

  it('lists extension URNs in schemas only when the extension has attributes', () => {
    expect(user({ schemas: [USER_SCHEMA, ENT] }).schemas).toEqual([USER_SCHEMA]);
    expect(user({ [ENT]: { department: 'Sales' } }).schemas).toEqual([USER_SCHEMA, ENT]);
  });

  it('nests extension attributes under the URN, written nested, flat, dotted or in any case', () => {
    const expected = { department: 'Sales', employeeNumber: '701984', manager: { value: 'm1' } };
    const forms: Record<string, unknown>[] = [
      { [ENT]: { department: 'Sales', employeeNumber: '701984', manager: { value: 'm1' } } },
      { [`${ENT}:department`]: 'Sales', [`${ENT}:employeeNumber`]: '701984', [`${ENT}:manager`]: 'm1' },
      { [ENT.toLowerCase()]: { Department: 'Sales' }, [`${ENT}:employeeNumber`]: '701984', [`${ENT}:manager.value`]: 'm1' },
      { [ENT]: { department: 'Sales', 'manager.value': 'm1' }, [`${ENT}:EMPLOYEENUMBER`]: '701984' },
    ];
    for (const form of forms) expect(user(form)[ENT]).toEqual(expected);
  });

  it('accepts dotted core keys and never stores them literally', () => {
    const r = user({ 'name.givenName': 'Jane', 'name.familyName': 'Doe', name: { formatted: 'Jane Doe' } });
    expect(r.name).toEqual({ formatted: 'Jane Doe', familyName: 'Doe', givenName: 'Jane' });
    expect(Object.keys(r).some((k) => k.includes('.'))).toBe(false);
  });

  it('turns a bare manager string into {value}', () => {
    expect(user({ [ENT]: { manager: 'm42' } })[ENT]).toEqual({ manager: { value: 'm42' } });
    expect(user({ [ENT]: { manager: '' } })[ENT]).toBeUndefined();
    expect(user({ [ENT]: { manager: { value: '' } } })[ENT]).toBeUndefined();
    expect(user({ [ENT]: { manager: { $ref: '../Users/m1' } } })[ENT]).toBeUndefined();
  });

  it('wraps a single object given for a multi-valued attribute', () => {
    expect(user({ emails: { value: 'a@x', type: 'work' } }).emails).toEqual([{ value: 'a@x', type: 'work' }]);
  });

  it('drops multi-valued elements without value', () => {
    expect(user({ emails: [{ type: 'work' }, { value: null, type: 'home' }, { value: 'a@x' }, null] }).emails).toEqual([
      { value: 'a@x' },
    ]);
    // addresses have no value sub-attribute: kept when anything is set
    expect(user({ addresses: [{ locality: 'Oslo' }] }).addresses).toEqual([{ locality: 'Oslo' }]);
  });

  it('keeps only the first primary:true (RFC 7643 §2.4)', () => {
    const r = user({
      emails: [
        { value: 'a@x', primary: false },
        { value: 'b@x', primary: true },
        { value: 'c@x', primary: 'True' },
      ],
    });
    expect(r.emails).toEqual([
      { value: 'a@x', primary: false },
      { value: 'b@x', primary: true },
      { value: 'c@x', primary: false },
    ]);
  });

  it('drops exact duplicate elements', () => {
    expect(user({ emails: [{ value: 'a@x', type: 'work' }, { Type: 'work', value: 'a@x' }] }).emails).toEqual([
      { value: 'a@x', type: 'work' },
    ]);
  });

  it('stores values exactly as sent', () => {
    const r = user({
      phoneNumbers: [{ value: '+1 (425) 555-0100 ext. 7', type: 'Work' }],
      emails: [{ value: ' Jane.Doe@Contoso.COM ' }],
      timezone: 'GMT+01:00',
      name: { formatted: '  Jane   Doe ' },
    });
    expect(r.phoneNumbers).toEqual([{ value: '+1 (425) 555-0100 ext. 7', type: 'Work' }]);
    expect(r.emails).toEqual([{ value: ' Jane.Doe@Contoso.COM ' }]);
    expect(r.timezone).toBe('GMT+01:00');
    expect(r.name).toEqual({ formatted: '  Jane   Doe ' });
  });

  it('rejects type mismatches with invalidValue naming the attribute', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ displayName: { text: 'x' } }, 'displayName'],
      [{ displayName: 42 }, 'displayName'],
      [{ displayName: ['a'] }, 'displayName'],
      [{ name: 'Jane Doe' }, 'name'],
      [{ name: ['x'] }, 'name'],
      [{ emails: [{ value: 7 }] }, 'emails.value'],
      [{ emails: [['a@x']] }, 'emails'],
      [{ [ENT]: 'x' }, ENT],
      [{ [ENT]: { department: true } }, `${ENT}:department`],
      [{ userName: 12 }, 'userName'],
    ];
    for (const [body, name] of cases) {
      const e = scimError(() => user(body));
      expect(e.scimType, JSON.stringify(body)).toBe('invalidValue');
      expect(e.detail).toContain(name);
    }
  });

  it('keeps password (writeOnly) for the service to handle', () => {
    expect(user({ password: 'S3cret!' }).password).toBe('S3cret!');
  });

  it('does not mutate its input', () => {
    const body = { userName: 'a', emails: [{ value: 'a@x', primary: true }, { value: 'b@x', primary: true }] };
    const copy = structuredClone(body);
    const r = normalizeResource(body, USER_RESOURCE);
    expect(body).toEqual(copy);
    (r.emails as Record<string, unknown>[])[0]!.value = 'changed';
    expect(body.emails[0]!.value).toBe('a@x');
  });

  it('is idempotent', () => {
    const r = user({
      name: { givenName: 'J' },
      emails: [{ value: 'a@x', primary: true }],
      [ENT]: { manager: 'm1', department: 'D' },
    });
    expect(normalizeResource(r, USER_RESOURCE)).toEqual(r);
  });
});

describe('canonicalizeResource (stored form)', () => {
  it('keeps read-only attributes when asked and orders meta last', () => {
    const stored = {
      meta: { resourceType: 'User', created: '2024-01-01T00:00:00Z' },
      userName: 'a',
      id: 'u1',
      groups: [{ value: 'g1', display: 'Sales' }],
    };
    const r = canonicalizeResource(stored, USER_RESOURCE, { keepReadOnly: true, checkRequired: true });
    expect(Object.keys(r)).toEqual(['schemas', 'id', 'userName', 'groups', 'meta']);
    expect(r.groups).toEqual([{ value: 'g1', display: 'Sales' }]);
  });
});

describe('coerceScalar', () => {
  const active = USER_RESOURCE.core.attributes.find((a) => a.name === 'active')!;
  it('coerces string booleans in any case and treats "" as absent', () => {
    expect(coerceScalar(active, ' TrUe ', 'active')).toBe(true);
    expect(coerceScalar(active, 'fAlse', 'active')).toBe(false);
    expect(coerceScalar(active, '', 'active')).toBeUndefined();
    expect(coerceScalar(active, null, 'active')).toBeUndefined();
  });
});
