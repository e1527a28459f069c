import { applyPatch, ENTERPRISE_USER_SCHEMA, normalizeResource, parsePatchRequest, PATCH_OP_SCHEMA, USER_RESOURCE, type ScimResource } from '@app/scim';
import { ScimUserEntity } from './scim-user.entity.js';
import { childRow, indexedRow, keepStatusWhenUnassigned, multiValuedRows, userData, userResource, type StoredUser } from './user-mapper.js';

const BASE = 'https://atea.example/scim/v2';
const E = ENTERPRISE_USER_SCHEMA;

/** What a write stores for `body` and what a later read returns, through the mapper only. */
function roundTrip(body: Record<string, unknown>): ScimResource {
  const data = userData(normalizeResource(body, USER_RESOURCE));
  const now = new Date('2026-01-01T00:00:00Z');
  const user = Object.assign(new ScimUserEntity(), data.fields, { id: 'u1', tenantId: 't1', version: 1, createdAt: now, updatedAt: now });
  const stored: StoredUser = { user, emails: multiValuedRows(user, 'emails'), phoneNumbers: multiValuedRows(user, 'phoneNumbers'), groups: [] };
  return userResource(stored, BASE);
}

describe('user mapper', () => {
  it('stores and returns the manager $ref with its value (RFC 7643 §8.7.1)', () => {
    const read = roundTrip({ userName: 'a', [E]: { manager: { value: 'boss', $ref: `${BASE}/Users/boss` } } });
    expect(read[E]).toEqual({ manager: { value: 'boss', $ref: `${BASE}/Users/boss` } });
  });

  it('keeps primary: false on e-mails and phone numbers, and leaves out a primary that was not sent', () => {
    const read = roundTrip({
      userName: 'a',
      emails: [
        { value: 'a@work.example', type: 'work', primary: true },
        { value: 'a@home.example', type: 'home', primary: false },
        { value: 'a@other.example', type: 'other' },
      ],
      phoneNumbers: [{ value: '+47 1', type: 'mobile', primary: false }],
    });
    expect(read.emails).toEqual([
      { value: 'a@work.example', type: 'work', primary: true },
      { value: 'a@home.example', type: 'home', primary: false },
      { value: 'a@other.example', type: 'other' },
    ]);
    expect(read.phoneNumbers).toEqual([{ value: '+47 1', type: 'mobile', primary: false }]);
  });

  it('indexes a missing primary as false (filters on primary eq false match it)', () => {
    const element = childRow({ value: 'x', type: null, primary: null, display: null }, 'u1', 't1', 0);
    expect(indexedRow(element).primary).toBe(false);
  });

  describe('an unassigned active keeps the status the user had', () => {
    const patchActive = (active: boolean, operation: Record<string, unknown>) => {
      const stored = roundTrip({ userName: 'a', active });
      const ops = parsePatchRequest({ schemas: [PATCH_OP_SCHEMA], Operations: [operation] });
      return keepStatusWhenUnassigned(applyPatch(stored, ops, USER_RESOURCE), active);
    };

    for (const operation of [
      { op: 'remove', path: 'active' },
      { op: 'Replace', path: 'active', value: null },
      { op: 'replace', path: 'active', value: '' },
      { op: 'replace', value: { active: null } },
    ]) {
      it(`${JSON.stringify(operation)} leaves a deactivated user inactive, and changes nothing`, () => {
        const { resource, changed } = patchActive(false, operation);
        expect(resource.active).toBe(false);
        expect(userData(resource).fields.active).toBe(false);
        expect(changed).toEqual([]);
      });
    }

    it('leaves an active user active', () => {
      expect(patchActive(true, { op: 'remove', path: 'active' }).resource.active).toBe(true);
    });

    it('still lets an explicit value change it', () => {
      const { resource, changed } = patchActive(false, { op: 'replace', path: 'active', value: 'True' });
      expect(resource.active).toBe(true);
      expect(changed).toEqual(['active']);
    });
  });
});
