import { describe, expect, it } from 'vitest';
import { ScimError } from '../scim-error.js';
import type { AttrPath, CompareValue, Filter } from './ast.js';
import { MAX_FILTER_DEPTH, MAX_FILTER_LENGTH, parseAttrPath, parseFilter, printFilter } from './parser.js';

const p = (attr: string, sub?: string, uri?: string): AttrPath => ({
  ...(uri !== undefined && { uri }),
  attr,
  ...(sub !== undefined && { sub }),
});
const eq = (path: AttrPath | string, value: CompareValue): Filter => ({
  op: 'eq',
  path: typeof path === 'string' ? p(path) : path,
  value,
});
const pr = (attr: string): Filter => ({ op: 'pr', path: p(attr) });
const and = (left: Filter, right: Filter): Filter => ({ op: 'and', left, right });
const or = (left: Filter, right: Filter): Filter => ({ op: 'or', left, right });
const not = (filter: Filter): Filter => ({ op: 'not', filter });

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

function expectInvalidFilter(text: string, detail?: RegExp): ScimError {
  let caught: unknown;
  try {
    parseFilter(text);
  } catch (err) {
    caught = err;
  }
  expect(caught, `parseFilter(${JSON.stringify(text)}) should throw`).toBeInstanceOf(ScimError);
  const error = caught as ScimError;
  expect(error.status).toBe(400);
  expect(error.scimType).toBe('invalidFilter');
  if (detail) expect(error.detail).toMatch(detail);
  return error;
}

describe('parseFilter', () => {
  describe('comparison operators', () => {
    it.each(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'] as const)('%s', (op) => {
      expect(parseFilter(`userName ${op} "bjensen"`)).toEqual({ op, path: p('userName'), value: 'bjensen' });
    });

    it.each(['EQ', 'Eq', 'eQ', 'NE', 'Co', 'SW', 'eW', 'GT', 'Ge', 'LT', 'lE'])('%s is case-insensitive', (op) => {
      expect(parseFilter(`userName ${op} "x"`)).toMatchObject({ op: op.toLowerCase() });
    });

    it.each(['pr', 'PR', 'Pr'])('present (%s)', (op) => {
      expect(parseFilter(`title ${op}`)).toEqual(pr('title'));
    });
  });

  describe('values', () => {
    it.each<[string, CompareValue]>([
      ['"bjensen"', 'bjensen'],
      ['""', ''],
      ['"a \\"b\\" \\\\ \\u00e9"', 'a "b" \\ é'],
      ['"\\/\\b\\f\\n\\r\\t"', '/\b\f\n\r\t'],
      ['"\\uD83D\\uDE00"', '😀'],
      ['"tab\there"', 'tab\there'],
      ['"with ) and ] and , inside"', 'with ) and ] and , inside'],
      ['"and or not pr"', 'and or not pr'],
      ['42', 42],
      ['0', 0],
      ['-7', -7],
      ['3.25', 3.25],
      ['-0.5', -0.5],
      ['1e3', 1000],
      ['2.5E-2', 0.025],
      ['1e+21', 1e21],
      ['true', true],
      ['false', false],
      ['null', null],
      ['TRUE', true],
      ['False', false],
      ['NULL', null],
    ])('%s', (text, value) => {
      expect(parseFilter(`x eq ${text}`)).toEqual(eq('x', value));
    });

    it('parses -0 as negative zero', () => {
      const filter = parseFilter('x eq -0') as { value: number };
      expect(Object.is(filter.value, -0)).toBe(true);
    });
  });

  describe('lenient unquoted values become strings', () => {
    it.each<[string, Filter]>([
      ['userName sw O', { op: 'sw', path: p('userName'), value: 'O' }],
      ['emails.Value co example.com', { op: 'co', path: p('emails', 'Value'), value: 'example.com' }],
      [
        'meta.Created gt 2015-10-10T14:38:21.8617979-07:00',
        { op: 'gt', path: p('meta', 'Created'), value: '2015-10-10T14:38:21.8617979-07:00' },
      ],
      ['name.FamilyName eq Employee', eq(p('name', 'FamilyName'), 'Employee')],
      ['employeeNumber eq 007', eq('employeeNumber', '007')],
      ['x eq 1.', eq('x', '1.')],
      ['x eq +1', eq('x', '+1')],
      ['x eq truex', eq('x', 'truex')],
      ['x eq Infinity', eq('x', 'Infinity')],
      ['x eq a,b', eq('x', 'a,b')],
      ['x eq é', eq('x', 'é')],
      ['(x eq abc)', eq('x', 'abc')],
      ['emails[value eq a@b.c]', { op: 'valuePath', path: p('emails'), filter: eq('value', 'a@b.c') }],
      ['x eq abc and y pr', and(eq('x', 'abc'), pr('y'))],
    ])('%s', (text, expected) => {
      expect(parseFilter(text)).toEqual(expected);
    });
  });

  describe('attribute paths', () => {
    it.each<[string, AttrPath]>([
      ['userName', p('userName')],
      ['name.givenName', p('name', 'givenName')],
      ['emails.value', p('emails', 'value')],
      ['x-y_z9', p('x-y_z9')],
      ['members.$ref', p('members', '$ref')],
      ['$ref', p('$ref')],
      [`${ENTERPRISE}:employeeNumber`, p('employeeNumber', undefined, ENTERPRISE)],
      [`${ENTERPRISE}:manager.value`, p('manager', 'value', ENTERPRISE)],
      ['urn:ietf:params:scim:schemas:core:2.0:User:name.givenName', p('name', 'givenName', 'urn:ietf:params:scim:schemas:core:2.0:User')],
    ])('%s', (text, path) => {
      expect(parseFilter(`${text} pr`)).toEqual({ op: 'pr', path });
      expect(parseAttrPath(text)).toEqual(path);
    });

    it('keeps names as written', () => {
      expect(parseFilter('USERNAME Eq "A"')).toEqual(eq('USERNAME', 'A'));
    });

    it.each(['not', 'and', 'or', 'pr', 'eq', 'true', 'notes', 'order', 'android'])(
      'accepts keyword-like attribute name %s',
      (name) => {
        expect(parseFilter(`${name} eq 1`)).toEqual(eq(name, 1));
        expect(parseFilter(`a pr and ${name} pr`)).toEqual(and(pr('a'), pr(name)));
      },
    );
  });

  describe('logical operators', () => {
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map(pr) as [Filter, Filter, Filter, Filter];
    it.each<[string, Filter]>([
      ['a pr and b pr', and(a, b)],
      ['a pr or b pr', or(a, b)],
      ['a pr AND b pr', and(a, b)],
      ['a pr Or b pr', or(a, b)],
      ['a pr and b pr or c pr', or(and(a, b), c)],
      ['a pr or b pr and c pr', or(a, and(b, c))],
      ['a pr or b pr and c pr or d pr', or(or(a, and(b, c)), d)],
      ['a pr and b pr and c pr', and(and(a, b), c)],
      ['a pr or b pr or c pr', or(or(a, b), c)],
      ['a pr and (b pr or c pr)', and(a, or(b, c))],
      ['(a pr or b pr) and c pr', and(or(a, b), c)],
      ['a pr and (b pr and c pr)', and(a, and(b, c))],
      ['((a pr))', a],
      ['( a pr )', a],
      ['(a pr)and(b pr)', and(a, b)],
      ['a eq "x"or b pr', or(eq('a', 'x'), b)],
      ['not (a pr)', not(a)],
      ['NOT (a pr)', not(a)],
      ['Not(a pr)', not(a)],
      ['not \t (a pr)', not(a)],
      ['not (not (a pr))', not(not(a))],
      ['not (a pr) and b pr', and(not(a), b)],
      ['a pr or not (b pr and c pr)', or(a, not(and(b, c)))],
      ['  \ta pr \t and\t\tb pr  ', and(a, b)],
    ])('%s', (text, expected) => {
      expect(parseFilter(text)).toEqual(expected);
    });
  });

  describe('value paths', () => {
    it.each<[string, Filter]>([
      [
        'emails[type eq "work" and value co "@x"]',
        {
          op: 'valuePath',
          path: p('emails'),
          filter: and(eq('type', 'work'), { op: 'co', path: p('value'), value: '@x' }),
        },
      ],
      ['emails[ primary eq true ]', { op: 'valuePath', path: p('emails'), filter: eq('primary', true) }],
      ['emails[not (type pr)]', { op: 'valuePath', path: p('emails'), filter: not(pr('type')) }],
      [
        'emails[(type eq "a" or type eq "b") and primary eq true]',
        {
          op: 'valuePath',
          path: p('emails'),
          filter: and(or(eq('type', 'a'), eq('type', 'b')), eq('primary', true)),
        },
      ],
      [
        'userType eq "Employee" and emails[type eq "work"] or x pr',
        or(and(eq('userType', 'Employee'), { op: 'valuePath', path: p('emails'), filter: eq('type', 'work') }), pr('x')),
      ],
      [
        `${ENTERPRISE}:manager[value eq "26118915-6090-4610-87e4-49d8ca9f808d"]`,
        {
          op: 'valuePath',
          path: p('manager', undefined, ENTERPRISE),
          filter: eq('value', '26118915-6090-4610-87e4-49d8ca9f808d'),
        },
      ],
      ['members[$ref pr]', { op: 'valuePath', path: p('members'), filter: { op: 'pr', path: p('$ref') } }],
      ['not (emails[type pr])', not({ op: 'valuePath', path: p('emails'), filter: pr('type') })],
      ['EMAILS[TYPE EQ "work"]', { op: 'valuePath', path: p('EMAILS'), filter: eq('TYPE', 'work') }],
    ])('%s', (text, expected) => {
      expect(parseFilter(text)).toEqual(expected);
    });
  });

  describe('errors', () => {
    it.each<[string, RegExp]>([
      ['', /empty/],
      ['   \t ', /empty/],
      ['userName', /Expected an operator .* after "userName" at position 9, found end of filter/],
      ['userName xx "a"', /Expected an operator .* after "userName" at position 10, found "xx"/],
      ['userName eq', /Expected an operator .*found "eq"|Expected whitespace after "eq"/],
      ['userName eq ', /Expected a value after "eq" at position 13/],
      ['(userName eq )', /Expected a value after "eq"/],
      ['userName eqq "x"', /Expected an operator/],
      ['userName eq"x"', /Expected whitespace after "eq"/],
      ['userName+eq+"x"', /Expected an operator .* at position 9, found "\+eq\+"/],
      ['userName eq+"x"', /Expected an operator/],
      ['userName eq "x"+and+b pr', /Expected "and", "or" or end of filter/],
      ['userName eq "abc', /Unterminated string starting at position 13/],
      ['userName eq "abc\\', /Unterminated string/],
      ['userName eq "\\x"', /Invalid escape "\\x" at position 14/],
      ['userName eq "\\u12"', /Invalid \\u escape/],
      ['userName eq "\\u12G4"', /Invalid \\u escape/],
      ['userName eq ab"c', /Unexpected "\\"" in unquoted value "ab"c"/],
      ['userName eq a(b', /Unexpected "\(" in unquoted value/],
      ['userName eq 1e999', /out of range/],
      ['userName eq -1e400', /out of range/],
      ['userName eq "a" "b"', /Expected "and", "or" or end of filter at position 17, found "\\"b\\""/],
      ['userName eq "a" xor b pr', /Expected "and", "or" or end of filter at position 17, found "xor"/],
      ['a pr and', /Expected an expression after "and"/],
      ['a pr and ', /Expected an expression after "and"/],
      ['a pr or', /Expected an expression after "or"/],
      ['a pr andb pr', /Expected "and", "or" or end of filter/],
      ['a pr and and', /Expected an operator .* after "and"/],
      ['and', /Expected an operator .* after "and"/],
      ['or a pr', /Expected an operator .* after "or"/],
      ['(a pr', /Expected "\)" \(closing "\(" at position 1\) at position 6, found end of filter/],
      ['(a pr b pr)', /Expected "and", "or" or "\)"/],
      ['a pr)', /Expected "and", "or" or end of filter at position 5, found "\)"/],
      [')', /Expected an attribute path at position 1, found "\)"/],
      ['()', /Expected an attribute path at position 2/],
      ['not a pr', /Expected an operator .* after "not".*"not" must be followed by "\("/],
      ['not (a pr', /Expected "\)"/],
      ['not ()', /Expected an attribute path/],
      ['emails[type eq "work"', /Expected "\]" \(closing "\[" at position 7\)/],
      ['emails[]', /Expected an attribute path at position 8/],
      ['emails[type eq "work"]]', /Expected "and", "or" or end of filter/],
      ['emails[type eq "work")', /Expected "and", "or" or "\]"/],
      ['a[b[c eq 1]]', /Value filters cannot be nested/],
      ['a[b pr and c[d pr]]', /Value filters cannot be nested/],
      ['a[(b[c pr])]', /Value filters cannot be nested/],
      ['emails[emails.type eq "work"]', /Expected a sub-attribute name of "emails"/],
      [`emails[${ENTERPRISE}:type eq "work"]`, /Expected a sub-attribute name of "emails"/],
      ['name.givenName[value pr]', /A value filter cannot follow sub-attribute "name.givenName"/],
      ['a.b.c pr', /more than one sub-attribute/],
      ['1abc pr', /"1abc" is not a valid attribute name/],
      ['_abc pr', /not a valid attribute name/],
      ['a. pr', /"" is not a valid sub-attribute name/],
      ['a.$foo pr', /not a valid sub-attribute name/],
      ['foo:bar pr', /"foo" is not a valid schema URI/],
      [`${ENTERPRISE}: pr`, /Expected an attribute name after schema URI/],
      ['"userName" eq "x"', /Expected an attribute path at position 1/],
      ['userName eq "x" and', /Expected an expression after "and"/],
      ['[a pr]', /Expected an attribute path/],
      ['é eq 1', /Expected an attribute path/],
    ])('%j', (text, detail) => {
      expectInvalidFilter(text, detail);
    });

    it('rejects filters longer than the limit', () => {
      const long = `userName eq "${'x'.repeat(MAX_FILTER_LENGTH)}"`;
      expectInvalidFilter(long, /longer than 10000 characters/);
    });

    it('accepts a filter of exactly the limit', () => {
      const value = 'x'.repeat(MAX_FILTER_LENGTH - 'userName eq ""'.length);
      expect(parseFilter(`userName eq "${value}"`)).toEqual(eq('userName', value));
    });

    it(`accepts ${MAX_FILTER_DEPTH} levels of nesting`, () => {
      const text = `${'('.repeat(MAX_FILTER_DEPTH)}a pr${')'.repeat(MAX_FILTER_DEPTH)}`;
      expect(parseFilter(text)).toEqual(pr('a'));
      const nots = `${'not ('.repeat(MAX_FILTER_DEPTH)}a pr${')'.repeat(MAX_FILTER_DEPTH)}`;
      expect(parseFilter(nots)).toMatchObject({ op: 'not' });
    });

    it('rejects deeper nesting', () => {
      expectInvalidFilter(`${'('.repeat(MAX_FILTER_DEPTH + 1)}a pr${')'.repeat(MAX_FILTER_DEPTH + 1)}`, /deeper than 64/);
      expectInvalidFilter(`${'not ('.repeat(MAX_FILTER_DEPTH + 1)}a pr${')'.repeat(MAX_FILTER_DEPTH + 1)}`, /deeper/);
      expectInvalidFilter(`emails[${'('.repeat(MAX_FILTER_DEPTH)}a pr${')'.repeat(MAX_FILTER_DEPTH)}]`, /deeper/);
    });

    it('never overflows the stack on pathological input', () => {
      expectInvalidFilter('('.repeat(5000));
      expectInvalidFilter('not ('.repeat(2000));
    });

    it('handles long flat chains without recursion limits', () => {
      const text = Array.from({ length: 1000 }, () => 'a pr').join(' and ');
      let filter = parseFilter(text);
      let n = 1;
      while (filter.op === 'and') {
        filter = filter.left;
        n++;
      }
      expect(n).toBe(1000);
      expect(parseFilter(printFilter(parseFilter(text)))).toEqual(parseFilter(text));
    });
  });
});

describe('printFilter', () => {
  const [a, b, c] = ['a', 'b', 'c'].map(pr) as [Filter, Filter, Filter];
  it.each<[Filter, string]>([
    [eq('userName', 'bjensen'), 'userName eq "bjensen"'],
    [eq('x', 'a "b" \\ é\n'), 'x eq "a \\"b\\" \\\\ é\\n"'],
    [eq('x', 1.5), 'x eq 1.5'],
    [eq('x', -0), 'x eq -0'],
    [eq('x', 1e21), 'x eq 1e+21'],
    [eq('x', true), 'x eq true'],
    [eq('x', null), 'x eq null'],
    [{ op: 'ge', path: p('manager', 'value', ENTERPRISE), value: 'x' }, `${ENTERPRISE}:manager.value ge "x"`],
    [and(a, b), 'a pr and b pr'],
    [or(and(a, b), c), 'a pr and b pr or c pr'],
    [and(or(a, b), c), '(a pr or b pr) and c pr'],
    [and(a, or(b, c)), 'a pr and (b pr or c pr)'],
    [and(and(a, b), c), 'a pr and b pr and c pr'],
    [and(a, and(b, c)), 'a pr and (b pr and c pr)'],
    [or(a, and(b, c)), 'a pr or b pr and c pr'],
    [or(a, or(b, c)), 'a pr or (b pr or c pr)'],
    [not(or(a, b)), 'not (a pr or b pr)'],
    [and(not(a), b), 'not (a pr) and b pr'],
    [{ op: 'valuePath', path: p('emails'), filter: or(eq('type', 'work'), pr('primary')) }, 'emails[type eq "work" or primary pr]'],
  ])('%j → %s', (filter, text) => {
    expect(printFilter(filter)).toBe(text);
    expect(parseFilter(text)).toEqual(filter);
  });

  it('quotes strings that would otherwise parse as other values', () => {
    for (const value of ['true', 'null', '42', '-0', 'and', '', ' ', ')', 'a b']) {
      expect(parseFilter(printFilter(eq('x', value)))).toEqual(eq('x', value));
    }
  });

  it('round-trips -0 exactly', () => {
    const value = (parseFilter(printFilter(eq('x', -0))) as { value: number }).value;
    expect(Object.is(value, -0)).toBe(true);
  });

  it('rejects non-finite numbers', () => {
    expect(() => printFilter(eq('x', Number.NaN))).toThrow(ScimError);
    expect(() => printFilter(eq('x', Number.POSITIVE_INFINITY))).toThrow(ScimError);
  });
});

describe('parseAttrPath', () => {
  it('ignores surrounding spaces', () => {
    expect(parseAttrPath('  name.givenName ')).toEqual(p('name', 'givenName'));
  });

  it.each(['', '  ', 'a b', 'a.b.c', '1a', 'emails[type eq "work"]', 'a pr', 'foo:bar', 'a+b', 'a.'])(
    'rejects %j with invalidPath',
    (text) => {
      let caught: unknown;
      try {
        parseAttrPath(text);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(ScimError);
      expect((caught as ScimError).scimType).toBe('invalidPath');
      expect((caught as ScimError).status).toBe(400);
    },
  );
});

describe('a value path followed by a sub-attribute (as Entra filters on matching attributes)', () => {
  it('means the value filter and the comparison on that sub-attribute', () => {
    expect(parseFilter('emails[type eq "work"].value eq "a@x"')).toEqual({
      op: 'valuePath',
      path: { attr: 'emails' },
      filter: {
        op: 'and',
        left: { op: 'eq', path: { attr: 'type' }, value: 'work' },
        right: { op: 'eq', path: { attr: 'value' }, value: 'a@x' },
      },
    });
    expect(parseFilter('phoneNumbers[type eq "mobile"].value pr and userName eq "u"')).toMatchObject({
      op: 'and',
      left: { op: 'valuePath', filter: { right: { op: 'pr', path: { attr: 'value' } } } },
    });
  });

  it('rejects a missing or dotted sub-attribute', () => {
    for (const text of ['emails[type eq "work"]. eq "x"', 'emails[type eq "work"].value.x eq "x"', 'emails[type eq "work"].value']) {
      expect(() => parseFilter(text)).toThrow(ScimError);
    }
  });
});
