import { describe, expect, it } from 'vitest';
import { parseListQuery, parseSearchRequest } from './list-query.js';
import { ScimError } from './scim-error.js';

function expectScimError(run: () => unknown, scimType: string, detail?: RegExp): void {
  let caught: unknown;
  try {
    run();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ScimError);
  expect((caught as ScimError).status).toBe(400);
  expect((caught as ScimError).scimType).toBe(scimType);
  if (detail) expect((caught as ScimError).detail).toMatch(detail);
}

describe('parseListQuery', () => {
  it('applies defaults to an empty query', () => {
    expect(parseListQuery({})).toEqual({ startIndex: 1, count: 100, sortOrder: 'ascending' });
  });

  it('parses every parameter', () => {
    expect(
      parseListQuery({
        filter: 'userName eq "bjensen"',
        startIndex: '11',
        count: '5',
        sortBy: 'name.familyName',
        sortOrder: 'descending',
        attributes: 'userName,name.givenName',
        excludedAttributes: 'groups',
      }),
    ).toEqual({
      filter: { op: 'eq', path: { attr: 'userName' }, value: 'bjensen' },
      startIndex: 11,
      count: 5,
      sortBy: { attr: 'name', sub: 'familyName' },
      sortOrder: 'descending',
      attributes: ['userName', 'name.givenName'],
      excludedAttributes: ['groups'],
    });
  });

  describe('parameter names', () => {
    it('are matched case-insensitively', () => {
      expect(
        parseListQuery({ Filter: 'a pr', StartIndex: '3', COUNT: '7', SORTBY: 'x', SortOrder: 'Descending', ATTRIBUTES: 'a', ExcludedAttributes: 'b' }),
      ).toEqual({
        filter: { op: 'pr', path: { attr: 'a' } },
        startIndex: 3,
        count: 7,
        sortBy: { attr: 'x' },
        sortOrder: 'descending',
        attributes: ['a'],
        excludedAttributes: ['b'],
      });
    });

    it('ignore unknown parameters', () => {
      expect(parseListQuery({ aadOptscim062020: '', foo: ['1', '2'], filterx: 'bad(' })).toEqual(parseListQuery({}));
    });

    it('use the first value of a repeated parameter', () => {
      expect(parseListQuery({ count: ['5', '9'], filter: ['a pr', 'b pr'] })).toMatchObject({
        count: 5,
        filter: { op: 'pr', path: { attr: 'a' } },
      });
    });

    it('use the first of differently-cased duplicates', () => {
      expect(parseListQuery({ count: '5', Count: '9' }).count).toBe(5);
    });

    it('accept numbers given as numbers', () => {
      expect(parseListQuery({ startIndex: 4, count: 2 })).toMatchObject({ startIndex: 4, count: 2 });
    });

    it.each([{ filter: { a: 'b' } }, { count: { a: '1' } }, { sortBy: [{}] }])('reject non-text values %j', (query) => {
      expect(() => parseListQuery(query)).toThrow(ScimError);
    });
  });

  describe('filter', () => {
    it.each(['', '   ', '\t'])('treats %j as absent', (filter) => {
      expect(parseListQuery({ filter }).filter).toBeUndefined();
    });

    it('accepts the lenient syntax of real clients', () => {
      expect(parseListQuery({ filter: 'userName sw O' }).filter).toEqual({ op: 'sw', path: { attr: 'userName' }, value: 'O' });
    });

    it('rejects a malformed filter with invalidFilter', () => {
      expectScimError(() => parseListQuery({ filter: 'userName eq' }), 'invalidFilter');
    });

    it('rejects a non-text filter with invalidFilter', () => {
      expectScimError(() => parseListQuery({ filter: { x: 'y' } }), 'invalidFilter');
    });
  });

  describe('startIndex', () => {
    it.each<[string, number]>([
      ['1', 1],
      ['2', 2],
      ['0', 1],
      ['-5', 1],
      [' 7 ', 7],
      ['+3', 3],
      ['', 1],
      ['99999999999999999999999', Number.MAX_SAFE_INTEGER],
    ])('%j → %d', (startIndex, expected) => {
      expect(parseListQuery({ startIndex }).startIndex).toBe(expected);
    });

    it.each(['abc', '1.5', '1e3', '0x10', '1 2'])('rejects %j with invalidValue', (startIndex) => {
      expectScimError(() => parseListQuery({ startIndex }), 'invalidValue', /startIndex must be an integer/);
    });
  });

  describe('count', () => {
    it.each<[string, number]>([
      ['0', 0],
      ['10', 10],
      ['-1', 0],
      ['1000', 1000],
      ['1001', 1000],
      ['99999999999999999999999', 1000],
      ['', 100],
    ])('%j → %d', (count, expected) => {
      expect(parseListQuery({ count }).count).toBe(expected);
    });

    it.each(['ten', '2.5', '1,000', '5 items'])('rejects %j with invalidValue', (count) => {
      expectScimError(() => parseListQuery({ count }), 'invalidValue', /count must be an integer/);
    });

    it('honours defaultCount and maxCount options', () => {
      expect(parseListQuery({}, { defaultCount: 25 }).count).toBe(25);
      expect(parseListQuery({ count: '80' }, { maxCount: 50 }).count).toBe(50);
      expect(parseListQuery({}, { defaultCount: 200, maxCount: 50 }).count).toBe(50);
    });
  });

  describe('sorting', () => {
    it.each([
      ['userName', { attr: 'userName' }],
      ['name.familyName', { attr: 'name', sub: 'familyName' }],
      [
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber',
        { uri: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', attr: 'employeeNumber' },
      ],
      [' meta.created ', { attr: 'meta', sub: 'created' }],
    ])('sortBy %j', (sortBy, expected) => {
      expect(parseListQuery({ sortBy }).sortBy).toEqual(expected);
    });

    it.each(['a.b.c', 'emails[type eq "work"]', '1a', 'a b'])('rejects sortBy %j with invalidValue', (sortBy) => {
      expectScimError(() => parseListQuery({ sortBy }), 'invalidValue', /Invalid sortBy/);
    });

    it.each<[string, string]>([
      ['ascending', 'ascending'],
      ['descending', 'descending'],
      ['DESCENDING', 'descending'],
      ['Ascending', 'ascending'],
      ['', 'ascending'],
    ])('sortOrder %j → %s', (sortOrder, expected) => {
      expect(parseListQuery({ sortOrder }).sortOrder).toBe(expected);
    });

    it.each(['asc', 'desc', 'up'])('rejects sortOrder %j with invalidValue', (sortOrder) => {
      expectScimError(() => parseListQuery({ sortOrder }), 'invalidValue', /sortOrder/);
    });
  });

  describe('attributes and excludedAttributes', () => {
    it.each<[string, string[] | undefined]>([
      ['userName', ['userName']],
      ['userName, name.givenName ,emails', ['userName', 'name.givenName', 'emails']],
      ['userName,,  ,', ['userName']],
      [' , ', undefined],
      ['emails[type eq "work"]', ['emails']],
      ['emails[type eq "work" or type eq "home, other"],userName', ['emails', 'userName']],
      ['emails[type eq "a]b"],x', ['emails', 'x']],
      ['emails[type eq "a\\"],b"],x', ['emails', 'x']],
      ['emails[type eq "work"].value', ['emails.value']],
      [
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager,NAME.GivenName',
        ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager', 'NAME.GivenName'],
      ],
      ['"a,b",c', ['"a,b"', 'c']],
    ])('%j → %j', (text, expected) => {
      expect(parseListQuery({ attributes: text }).attributes).toEqual(expected);
      expect(parseListQuery({ excludedAttributes: text }).excludedAttributes).toEqual(expected);
    });

    it('leaves both absent by default', () => {
      const query = parseListQuery({ attributes: '', excludedAttributes: '  ' });
      expect(query).not.toHaveProperty('attributes');
      expect(query).not.toHaveProperty('excludedAttributes');
    });
  });
});

describe('parseSearchRequest', () => {
  const SEARCH = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

  it('reads a SearchRequest body into the same query as the URL parameters', () => {
    const body = {
      schemas: [SEARCH],
      attributes: ['userName', 'name.givenName'],
      excludedAttributes: ['groups'],
      filter: 'userName eq "bjensen"',
      sortBy: 'name.familyName',
      sortOrder: 'descending',
      startIndex: 11,
      count: 5,
    };
    expect(parseSearchRequest(body)).toEqual(
      parseListQuery({
        filter: 'userName eq "bjensen"',
        startIndex: '11',
        count: '5',
        sortBy: 'name.familyName',
        sortOrder: 'descending',
        attributes: 'userName,name.givenName',
        excludedAttributes: 'groups',
      }),
    );
  });

  it('matches member names case-insensitively and applies the list defaults and limits', () => {
    expect(parseSearchRequest({ Filter: 'active eq true', COUNT: 5000 }, { maxCount: 200 })).toMatchObject({
      filter: { op: 'eq', path: { attr: 'active' }, value: true },
      startIndex: 1,
      count: 200,
    });
    expect(parseSearchRequest({})).toEqual({ startIndex: 1, count: 100, sortOrder: 'ascending' });
  });

  it('rejects a body that is not a SearchRequest', () => {
    expectScimError(() => parseSearchRequest([]), 'invalidSyntax');
    expectScimError(() => parseSearchRequest({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'] }), 'invalidSyntax', /SearchRequest/);
    expectScimError(() => parseSearchRequest({ attributes: [1] }), 'invalidValue', /attribute names/);
    expectScimError(() => parseSearchRequest({ startIndex: 1.5 }), 'invalidValue');
    expectScimError(() => parseSearchRequest({ count: true }), 'invalidValue');
    expectScimError(() => parseSearchRequest({ filter: 'userName eq' }), 'invalidFilter');
  });
});

describe('cursor (RFC 9865)', () => {
  it('is absent for index paging, empty for the first page, and the text of a cursor otherwise', () => {
    expect(parseListQuery({}).cursor).toBeUndefined();
    expect(parseListQuery({ cursor: '' }).cursor).toBe('');
    expect(parseListQuery({ Cursor: 'abc.def' }).cursor).toBe('abc.def');
    expect(parseSearchRequest({ cursor: '', count: 10 })).toMatchObject({ cursor: '', count: 10 });
  });

  it('cannot be combined with startIndex', () => {
    expectScimError(() => parseListQuery({ cursor: '', startIndex: '2' }), 'invalidValue', /cursor or startIndex/);
  });
});
