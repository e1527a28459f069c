import { describe, expect, it } from 'vitest';
import { normalizeResource } from '../normalize.js';
import { applyPatch } from '../patch/apply.js';
import { parsePatchRequest } from '../patch/parse.js';
import { USER_RESOURCE, userResourceWith } from './definitions.js';
import type { SchemaDefinition } from './types.js';
import { ENTERPRISE_USER_SCHEMA, USER_SCHEMA } from './urns.js';

const ATEA = 'urn:ietf:params:scim:schemas:extension:atea:2.0:User';
const atea: SchemaDefinition = {
  id: ATEA,
  name: 'User',
  description: 'Atea',
  attributes: [
    { name: 'costCenterCode', type: 'string', multiValued: false, description: '', required: false, caseExact: false, mutability: 'readWrite', returned: 'default', uniqueness: 'none' },
  ],
};
const patch = (...Operations: unknown[]) => parsePatchRequest({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations });

describe('userResourceWith', () => {
  it('is USER_RESOURCE itself without extensions, and adds them after the enterprise one, USER_RESOURCE untouched', () => {
    expect(userResourceWith([])).toBe(USER_RESOURCE);
    const rs = userResourceWith([atea]);
    expect(rs.extensions.map((e) => [e.schema.id, e.required])).toEqual([
      [ENTERPRISE_USER_SCHEMA, false],
      [ATEA, false],
    ]);
    expect(USER_RESOURCE.extensions).toHaveLength(1);
    expect(Object.isFrozen(rs)).toBe(true);
  });

  it('lets bodies and every PATCH form reach the declared attributes, which USER_RESOURCE drops as ignored', () => {
    const rs = userResourceWith([atea]);
    const ignored: string[] = [];
    const body = { schemas: [USER_SCHEMA, ATEA], userName: 'a', [ATEA]: { costcentercode: 'CC1' } };
    expect(normalizeResource(body, rs, ignored)[ATEA]).toEqual({ costCenterCode: 'CC1' });
    expect(ignored).toEqual([]);
    expect(normalizeResource(body, USER_RESOURCE, ignored)[ATEA]).toBeUndefined();
    expect(ignored).toEqual([`${ATEA}:costcentercode`]);

    const user = normalizeResource({ userName: 'a' }, rs);
    const byPath = applyPatch(user, patch({ op: 'Add', path: `${ATEA}:costCenterCode`, value: 'CC2' }), rs);
    expect(byPath.resource[ATEA]).toEqual({ costCenterCode: 'CC2' });
    expect(byPath.changed).toEqual([`${ATEA}:costCenterCode`]);
    const pathless = applyPatch(user, patch({ op: 'replace', value: { [`${ATEA}:costCenterCode`]: 'CC3' } }), rs);
    expect(pathless.resource[ATEA]).toEqual({ costCenterCode: 'CC3' });
    const removed = applyPatch(byPath.resource, patch({ op: 'remove', path: `${ATEA}:costCenterCode` }), rs);
    expect(removed.resource[ATEA]).toBeUndefined();
    expect(applyPatch(user, patch({ op: 'Add', path: `${ATEA}:costCenterCode`, value: 'CC2' }), USER_RESOURCE).ignored).toEqual([`${ATEA}:costCenterCode`]);
  });

  it('lets PATCH reach the elements of a multi-valued declared attribute through value filters', () => {
    const tags = { ...atea.attributes[0]!, name: 'tags', multiValued: true };
    const rs = userResourceWith([{ ...atea, attributes: [tags] }]);
    const user = normalizeResource({ userName: 'a', [ATEA]: { tags: ['VIP', 'Oslo', 'x'] } }, rs);
    const path = (filter: string, sub = '') => `${ATEA}:tags[${filter}]${sub}`;
    const run = (...ops: unknown[]) => applyPatch(user, patch(...ops), rs);

    // Not caseExact: "vip" matches "VIP".
    expect(run({ op: 'remove', path: path('value eq "vip"') }).resource[ATEA]).toEqual({ tags: ['Oslo', 'x'] });
    expect(run({ op: 'remove', path: path('value sw "o" or value eq "x"') }).resource[ATEA]).toEqual({ tags: ['VIP'] });
    expect(run({ op: 'replace', path: path('value eq "oslo"'), value: 'Bergen' }).resource[ATEA]).toEqual({ tags: ['VIP', 'Bergen', 'x'] });
    expect(run({ op: 'Replace', path: path('value eq "oslo"', '.value'), value: ['Bergen'] }).resource[ATEA]).toEqual({ tags: ['VIP', 'Bergen', 'x'] });
    // A filter that matches nothing adds the value; an element is never held twice.
    expect(run({ op: 'add', path: path('value eq "new"'), value: 'new' }).resource[ATEA]).toEqual({ tags: ['VIP', 'Oslo', 'x', 'new'] });
    expect(run({ op: 'replace', path: path('value eq "oslo"'), value: 'x' }).resource[ATEA]).toEqual({ tags: ['VIP', 'x'] });
    expect(run({ op: 'remove', path: path('value eq "none"') }).changed).toEqual([]);
    const changed = run({ op: 'remove', path: path('value eq "x"') });
    expect(changed.changed).toEqual([`${ATEA}:tags`]);

    for (const [op, code] of [
      [{ op: 'remove', path: path('type eq "work"') }, 'invalidFilter'],
      [{ op: 'remove', path: path('value eq "x"', '.display') }, 'invalidPath'],
      [{ op: 'replace', path: path('value eq "x"'), value: 7 }, 'invalidValue'],
      [{ op: 'remove', path: `${ATEA}:costCenterCode[value eq "x"]` }, 'invalidPath'],
    ] as const) {
      let error: unknown;
      try {
        applyPatch(user, patch(op), userResourceWith([{ ...atea, attributes: [atea.attributes[0]!, tags] }]));
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(op)).toMatchObject({ scimType: code });
    }
  });
});
