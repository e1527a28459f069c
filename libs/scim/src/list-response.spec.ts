import { describe, expect, it } from 'vitest';
import { listResponse } from './list-response.js';
import { LIST_RESPONSE_SCHEMA } from './schema/urns.js';

describe('listResponse', () => {
  it('answers an empty result as Entra expects (entra-facts §2.1)', () => {
    expect(listResponse([], 0, 1)).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
      totalResults: 0,
      startIndex: 1,
      itemsPerPage: 0,
      Resources: [],
    });
  });

  it('counts itemsPerPage as the resources in this page', () => {
    const page = [{ id: 'a' }, { id: 'b' }];
    const body = listResponse(page, 250, 101);
    expect(body).toEqual({
      schemas: [LIST_RESPONSE_SCHEMA],
      totalResults: 250,
      startIndex: 101,
      itemsPerPage: 2,
      Resources: page,
    });
    expect(Object.keys(body)).toEqual(['schemas', 'totalResults', 'startIndex', 'itemsPerPage', 'Resources']);
  });

  it('emits integers (Okta requires them)', () => {
    const body = listResponse([], 3.0, 1);
    expect(Number.isInteger(body.totalResults)).toBe(true);
    expect(Number.isInteger(body.startIndex)).toBe(true);
    expect(JSON.stringify(body)).toContain('"totalResults":3,');
  });
});
