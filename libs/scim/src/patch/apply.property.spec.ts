import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { normalizeResource, type ScimResource } from '../normalize.js';
import { GROUP_RESOURCE, USER_RESOURCE } from '../schema/definitions.js';
import type { ResourceSchema } from '../schema/types.js';
import { ENTERPRISE_USER_SCHEMA, PATCH_OP_SCHEMA } from '../schema/urns.js';
import { ScimError } from '../scim-error.js';
import { applyPatch, type PatchResult } from './apply.js';
import { parsePatchPath, parsePatchRequest, type PatchOperation } from './parse.js';

const ENT = ENTERPRISE_USER_SCHEMA;
const META = { resourceType: 'User', created: '2024-01-01T00:00:00Z', lastModified: '2024-01-02T00:00:00Z' };

// ---- values -----------------------------------------------------------------------------------

const text = fc.oneof(
  fc.constantFrom('work', 'home', 'mobile', 'Work', 'a@x.com', 'A@X.com', '+1 425-555-0100', 'm1', 'u1', ' ', ''),
  fc.string({ maxLength: 6 }),
);
const boolish = fc.oneof(fc.boolean(), fc.constantFrom('True', 'False', 'true', 'false', 'TRUE', 'yes'));
const multiElement = fc.record(
  {
    value: fc.oneof(text, fc.constant(null)),
    type: fc.constantFrom('work', 'home', 'mobile', 'Work', 'other'),
    primary: boolish,
    display: text,
    $ref: fc.constant(null),
  },
  { requiredKeys: [] },
);
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: text },
  { weight: 2, arbitrary: boolish },
  { weight: 2, arbitrary: fc.constantFrom(null, '', [], {}) },
  { weight: 3, arbitrary: multiElement },
  { weight: 3, arbitrary: fc.array(multiElement, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.record({ givenName: text, familyName: fc.oneof(text, fc.constant(null)) }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

// ---- resources --------------------------------------------------------------------------------

const userBody = fc.record(
  {
    userName: fc.string({ minLength: 1, maxLength: 8 }).filter((s) => s.trim() !== ''),
    displayName: text,
    title: text,
    active: boolish.filter((b) => b !== 'yes'),
    name: fc.record({ givenName: text, familyName: text, formatted: text }, { requiredKeys: [] }),
    emails: fc.array(multiElement.map((e) => ({ ...e, primary: typeof e.primary === 'boolean' ? e.primary : undefined })), {
      maxLength: 3,
    }),
    phoneNumbers: fc.array(fc.record({ value: text, type: fc.constantFrom('work', 'mobile') }), { maxLength: 2 }),
    [ENT]: fc.record(
      { department: text, employeeNumber: text, manager: fc.oneof(text, fc.record({ value: text })) },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: ['userName'] },
);

/** A canonical stored user: normalized body plus server-side id and meta. */
const storedUser = fc
  .tuple(userBody, fc.uuid())
  .map(([body, id]): ScimResource => ({ ...normalizeResource(body, USER_RESOURCE), id, meta: META }));

const storedGroup = fc
  .tuple(fc.string({ minLength: 1, maxLength: 8 }).filter((s) => s.trim() !== ''), fc.array(fc.constantFrom('u1', 'u2', 'U1', 'u3'), { maxLength: 3 }), fc.uuid())
  .map(([displayName, members, id]): ScimResource => ({
    ...normalizeResource({ displayName, members: members.map((value) => ({ value })) }, GROUP_RESOURCE),
    id,
    meta: { ...META, resourceType: 'Group' },
  }));

// ---- operations -------------------------------------------------------------------------------

const USER_PATHS = [
  'userName',
  'displayName',
  'title',
  'active',
  'ACTIVE',
  'name',
  'name.givenName',
  'name.familyName',
  'emails',
  'emails.type',
  'emails[type eq "work"]',
  'emails[type eq "work"].value',
  'emails[type eq "home"].primary',
  'emails[type eq "work" and primary eq true].value',
  'emails[value co "x"]',
  'phoneNumbers[type eq "mobile"].value',
  'roles',
  `${ENT}:employeeNumber`,
  `${ENT}:manager`,
  `${ENT}:manager.value`,
  `${ENT}:manager.displayName`,
  ENT,
  'urn:ietf:params:scim:schemas:core:2.0:User:nickName',
  'id',
  'meta',
  'meta.created',
  'groups',
  'externalId',
  'shoeSize',
  'name.nick',
  'emails[kind eq "x"].value',
  'urn:example:x:Foo:bar',
  'bad path[',
];
const GROUP_PATHS = ['displayName', 'members', 'members[value eq "u1"]', 'members[value eq "u2"].value', 'members.display', 'id', 'externalId'];

const PATHLESS_KEYS = [
  'displayName',
  'title',
  'active',
  'name.givenName',
  'name.familyName',
  'NAME.Formatted',
  'emails',
  'userName',
  `${ENT}:employeeNumber`,
  `${ENT}:manager`,
  `${ENT}:manager.value`,
  `${ENT.toLowerCase()}:department`,
  'urn:ietf:params:scim:schemas:core:2.0:User:nickName',
];

const opName = fc.constantFrom('add', 'Add', 'replace', 'Replace', 'REMOVE', 'remove');

function rawOps(paths: string[], keys: string[]): fc.Arbitrary<unknown[]> {
  const pathOp = fc.record({ op: opName, path: fc.constantFrom(...paths), value: anyValue }, { requiredKeys: ['op', 'path'] });
  const pathless = fc.record({
    op: fc.constantFrom('add', 'Replace'),
    value: fc.dictionary(fc.constantFrom(...keys, 'id', 'schemas', 'meta', 'unknownKey', ENT), anyValue, { maxKeys: 4 }),
  });
  const junk = fc.jsonValue({ maxDepth: 2 });
  return fc.array(fc.oneof({ weight: 6, arbitrary: pathOp }, { weight: 3, arbitrary: pathless }, { weight: 1, arbitrary: junk }), {
    maxLength: 6,
  });
}

// Mostly valid operations: each path with a value of a fitting shape (clears included).
const validBool = fc.oneof(fc.boolean(), fc.constantFrom('True', 'False', 'true', 'false'));
const validElement = multiElement.map((e) => ({ ...e, primary: e.primary === 'yes' ? undefined : e.primary }));
const clear = fc.constantFrom(null, '');
const str = fc.oneof({ weight: 5, arbitrary: text }, { weight: 1, arbitrary: clear });
const pairs = (paths: string[], value: fc.Arbitrary<unknown>) => fc.tuple(fc.constantFrom(...paths), value);
const validPair: fc.Arbitrary<[string, unknown]> = fc.oneof(
  pairs(
    [
      'displayName',
      'title',
      'externalId',
      'name.givenName',
      'Name.FamilyName',
      'name.formatted',
      `${ENT}:employeeNumber`,
      `${ENT}:manager.value`,
      'urn:ietf:params:scim:schemas:core:2.0:User:nickName',
    ],
    str,
  ),
  pairs(['userName'], fc.string({ minLength: 1, maxLength: 6 })),
  pairs(['active'], validBool),
  pairs(['name'], fc.record({ givenName: str, familyName: str }, { requiredKeys: [] })),
  pairs(['emails', 'roles', 'phoneNumbers'], fc.oneof(fc.array(validElement, { maxLength: 3 }), validElement)),
  pairs(['emails[type eq "work"].value', 'phoneNumbers[type eq "mobile"].value', 'emails.display'], str),
  pairs(['emails[type eq "home"].primary', 'emails[value eq "a@x.com"].primary'], validBool),
  pairs(['emails[type eq "work"]', 'emails[type eq "work" and primary eq true]', 'roles[value co "x"]'], validElement),
  pairs([`${ENT}:manager`], fc.oneof(text, fc.record({ value: str }), clear)),
  pairs([ENT], fc.record({ department: str, costCenter: str }, { requiredKeys: [] })),
);
const validOps: fc.Arbitrary<unknown[]> = fc.array(
  fc.oneof(
    { weight: 5, arbitrary: fc.tuple(opName, validPair).map(([op, [path, value]]) => ({ op, path, value })) },
    {
      weight: 2,
      arbitrary: fc.tuple(fc.constantFrom('add', 'Replace'), fc.array(validPair.filter(([k]) => !k.includes('[')), { maxLength: 4 }))
        .map(([op, entries]) => ({ op, value: Object.fromEntries(entries) })),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.constantFrom('emails', 'roles'), fc.array(validElement, { maxLength: 2 }))
        .map(([path, value]) => ({ op: 'Remove', path, value })),
    },
  ),
  { maxLength: 6 },
);
const someOps = fc.oneof(validOps, rawOps(USER_PATHS, PATHLESS_KEYS));

/** Parses and applies a raw body; any failure must be a ScimError (returned as such). */
function run(resource: ScimResource, ops: unknown[], rs: ResourceSchema): PatchResult | ScimError {
  try {
    return applyPatch(resource, parsePatchRequest({ schemas: [PATCH_OP_SCHEMA], Operations: ops }), rs);
  } catch (e) {
    if (e instanceof ScimError) return e;
    throw e;
  }
}

/** What normalizeResource would drop: the read-only attributes. */
function withoutReadOnly(resource: ScimResource): ScimResource {
  const { id: _id, meta: _meta, groups: _groups, ...rest } = resource;
  return rest;
}

describe('applyPatch properties', () => {
  test.prop([storedUser, someOps], { numRuns: 400 })(
    '(a) users: id never changes, input never mutated, only ScimError thrown',
    (user, ops) => {
      const before = structuredClone(user);
      const result = run(user, ops, USER_RESOURCE);
      expect(user).toEqual(before);
      if (result instanceof ScimError) return;
      expect(result.resource.id).toBe(user.id);
      expect(result.resource.meta).toEqual(user.meta);
    },
  );

  test.prop([storedGroup, rawOps(GROUP_PATHS, ['displayName', 'members', 'externalId'])], { numRuns: 300 })(
    '(a) groups: id never changes, only ScimError thrown',
    (group, ops) => {
      const result = run(group, ops, GROUP_RESOURCE);
      if (result instanceof ScimError) return;
      expect(result.resource.id).toBe(group.id);
    },
  );

  test.prop(
    [
      storedUser,
      fc.constantFrom('add', 'replace'),
      fc.array(
        fc.oneof(
          validPair.filter(([k]) => !k.includes('[')),
          fc.tuple(fc.constantFrom(...PATHLESS_KEYS), anyValue),
        ),
        { minLength: 1, maxLength: 5 },
      ),
    ],
    { numRuns: 400 },
  )('(b) a path-less op with dotted keys equals the same change written as path ops', (user, op, entries) => {
    // Later duplicates of a key win in a JSON object; keep the path ops in the same order.
    const value = Object.fromEntries(entries);
    const pathless: PatchOperation[] = [{ op, value }];
    const withPaths: PatchOperation[] = Object.entries(value).map(([key, v]) => ({ op, path: parsePatchPath(key), value: v }));
    const attempt = (operations: PatchOperation[]) => {
      try {
        return applyPatch(user, operations, USER_RESOURCE);
      } catch (e) {
        if (e instanceof ScimError) return e.scimType;
        throw e;
      }
    };
    expect(attempt(pathless)).toEqual(attempt(withPaths));
  });

  test.prop([storedUser, someOps], { numRuns: 400 })(
    '(c) users: the result is canonical',
    (user, ops) => {
      const result = run(user, ops, USER_RESOURCE);
      if (result instanceof ScimError) return;
      expect(normalizeResource(result.resource, USER_RESOURCE)).toEqual(withoutReadOnly(result.resource));
      // and stable: patching again with nothing changes nothing
      const again = applyPatch(result.resource, [], USER_RESOURCE);
      expect(again.resource).toEqual(result.resource);
      expect(again.changed).toEqual([]);
    },
  );

  test.prop([storedGroup, rawOps(GROUP_PATHS, ['displayName', 'members', 'externalId'])], { numRuns: 200 })(
    '(c) groups: the result is canonical',
    (group, ops) => {
      const result = run(group, ops, GROUP_RESOURCE);
      if (result instanceof ScimError) return;
      // members.display is read-only: normalize drops it, so compare without it
      const expected = withoutReadOnly(result.resource);
      if (Array.isArray(expected.members)) {
        expected.members = expected.members.map((m: Record<string, unknown>) => {
          const { display: _display, ...rest } = m;
          return rest;
        });
      }
      expect(normalizeResource(result.resource, GROUP_RESOURCE)).toEqual(expected);
    },
  );

  test.prop([storedUser, someOps], { numRuns: 300 })(
    'changed is empty exactly when the resource is unchanged',
    (user, ops) => {
      const result = run(user, ops, USER_RESOURCE);
      if (result instanceof ScimError) return;
      const unchanged = applyPatch(user, [], USER_RESOURCE).resource;
      expect(result.changed.length === 0).toBe(JSON.stringify(result.resource) === JSON.stringify(unchanged));
    },
  );
});
