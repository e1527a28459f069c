import { describe, expect, it } from 'vitest';
import type { ScimResource } from './normalize.js';
import { isAttributeReturned, projectResource } from './projection.js';
import { GROUP_RESOURCE, USER_RESOURCE } from './schema/definitions.js';
import { ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from './schema/urns.js';

const ENT = ENTERPRISE_USER_SCHEMA;
const META = { resourceType: 'User', created: '2024-01-01T00:00:00Z', location: 'https://x/Users/u1' };

const user: ScimResource = {
  schemas: [USER_SCHEMA, ENT],
  id: 'u1',
  externalId: 'e1',
  userName: 'jdoe@contoso.com',
  name: { familyName: 'Doe', givenName: 'Jane' },
  active: true,
  password: 'secret',
  emails: [
    { value: 'a@x', type: 'work', primary: true },
    { value: 'b@x', type: 'home' },
  ],
  [ENT]: { department: 'Sales', manager: { value: 'm1', displayName: 'Ann' } },
  meta: META,
};

const group: ScimResource = {
  schemas: [GROUP_SCHEMA],
  id: 'g1',
  displayName: 'Sales',
  members: [{ value: 'u1' }],
  meta: { ...META, resourceType: 'Group' },
};

const project = (attributes?: string[], excludedAttributes?: string[]) =>
  projectResource(user, USER_RESOURCE, { attributes, excludedAttributes });

describe('projectResource', () => {
  it('returns everything except returned:never attributes by default', () => {
    const { password: _password, ...rest } = user;
    expect(project()).toEqual(rest);
    expect(projectResource(user, USER_RESOURCE, {})).not.toHaveProperty('password');
  });

  it('keeps key order', () => {
    expect(Object.keys(project())).toEqual(['schemas', 'id', 'externalId', 'userName', 'name', 'active', 'emails', ENT, 'meta']);
  });

  it('attributes: only those plus id and schemas, names case-insensitive', () => {
    expect(project(['USERNAME', 'Emails'])).toEqual({
      schemas: [USER_SCHEMA],
      id: 'u1',
      userName: 'jdoe@contoso.com',
      emails: user.emails,
    });
    expect(project(['userName,emails'])).toEqual(project(['userName', 'emails']));
  });

  it('attributes: a sub-attribute keeps only that sub-attribute', () => {
    expect(project(['name.givenName', 'emails.value'])).toEqual({
      schemas: [USER_SCHEMA],
      id: 'u1',
      name: { givenName: 'Jane' },
      emails: [{ value: 'a@x' }, { value: 'b@x' }],
    });
  });

  it('attributes: URN-prefixed names and a bare extension URN', () => {
    expect(project([`${ENT}:department`])).toEqual({ schemas: [USER_SCHEMA, ENT], id: 'u1', [ENT]: { department: 'Sales' } });
    expect(project([`${ENT}:manager.value`])).toEqual({
      schemas: [USER_SCHEMA, ENT],
      id: 'u1',
      [ENT]: { manager: { value: 'm1' } },
    });
    expect(project([ENT.toLowerCase()])).toEqual({ schemas: [USER_SCHEMA, ENT], id: 'u1', [ENT]: user[ENT] });
    expect(project([`${USER_SCHEMA}:userName`])).toEqual({ schemas: [USER_SCHEMA], id: 'u1', userName: 'jdoe@contoso.com' });
  });

  it('attributes: the core URN selects every core attribute', () => {
    const { password: _p, [ENT]: _e, ...core } = user;
    expect(project([USER_SCHEMA])).toEqual({ ...core, schemas: [USER_SCHEMA] });
  });

  it('attributes: password is never returned, even when asked for', () => {
    expect(project(['password', 'userName'])).not.toHaveProperty('password');
  });

  it('attributes: unknown names are ignored', () => {
    expect(project(['shoeSize', 'userName', 'name.nick', 'urn:example:x'])).toEqual({
      schemas: [USER_SCHEMA],
      id: 'u1',
      userName: 'jdoe@contoso.com',
    });
    expect(project(['shoeSize'])).toEqual({ schemas: [USER_SCHEMA], id: 'u1' });
  });

  it('excludedAttributes removes those; id and schemas stay', () => {
    const r = project(undefined, ['emails', 'NAME.givenName', 'id', 'schemas', 'meta']);
    expect(r).toEqual({
      schemas: [USER_SCHEMA, ENT],
      id: 'u1',
      externalId: 'e1',
      userName: 'jdoe@contoso.com',
      name: { familyName: 'Doe' },
      active: true,
      [ENT]: user[ENT],
    });
  });

  it('excludedAttributes: an extension URN or all its attributes removes it from schemas too', () => {
    for (const ex of [[ENT], [`${ENT}:department`, `${ENT}:manager`]]) {
      const r = project(undefined, ex);
      expect(r).not.toHaveProperty(ENT);
      expect(r.schemas).toEqual([USER_SCHEMA]);
    }
  });

  it('excludedAttributes: unknown names are ignored', () => {
    expect(project(undefined, ['shoeSize'])).toEqual(project());
  });

  it('excludedAttributes=members for groups (entra-facts §2.12)', () => {
    expect(projectResource(group, GROUP_RESOURCE, { excludedAttributes: ['members'] })).toEqual({
      schemas: [GROUP_SCHEMA],
      id: 'g1',
      displayName: 'Sales',
      meta: group.meta,
    });
  });

  it('attributes and excludedAttributes together', () => {
    expect(project(['name', 'emails'], ['name.familyName'])).toEqual({
      schemas: [USER_SCHEMA],
      id: 'u1',
      name: { givenName: 'Jane' },
      emails: user.emails,
    });
  });

  it('drops complex values left empty', () => {
    expect(project(['emails.display'])).toEqual({ schemas: [USER_SCHEMA], id: 'u1' });
  });

  it('does not mutate its input', () => {
    const copy = structuredClone(user);
    project(['name.givenName'], ['emails']);
    expect(user).toEqual(copy);
  });
});

describe('isAttributeReturned', () => {
  it('tells whether members must be loaded', () => {
    expect(isAttributeReturned(GROUP_RESOURCE, {}, 'members')).toBe(true);
    expect(isAttributeReturned(GROUP_RESOURCE, { excludedAttributes: ['members'] }, 'members')).toBe(false);
    expect(isAttributeReturned(GROUP_RESOURCE, { excludedAttributes: ['Members'] }, 'MEMBERS')).toBe(false);
    expect(isAttributeReturned(GROUP_RESOURCE, { attributes: ['displayName'] }, 'members')).toBe(false);
    expect(isAttributeReturned(GROUP_RESOURCE, { attributes: ['members.value'] }, 'members')).toBe(true);
    expect(isAttributeReturned(GROUP_RESOURCE, { excludedAttributes: ['members.display'] }, 'members')).toBe(true);
    expect(isAttributeReturned(GROUP_RESOURCE, {}, 'id')).toBe(true);
    expect(isAttributeReturned(USER_RESOURCE, {}, 'password')).toBe(false);
    expect(isAttributeReturned(USER_RESOURCE, {}, 'nope')).toBe(false);
  });
});
