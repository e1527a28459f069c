import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { ScimError } from '../scim-error.js';
import type { AttrPath, CompareOperator, CompareValue, Filter } from './ast.js';
import { parseFilter, printFilter } from './parser.js';

/* ------------------------------------------------------------ arbitraries */

const COMPARE_OPERATORS: CompareOperator[] = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'];

const nameArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,8}$/) },
  { weight: 1, arbitrary: fc.constantFrom('$ref', 'not', 'and', 'or', 'pr', 'eq', 'true', 'null', 'notes', 'NOT') },
);

const uriArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'urn:ietf:params:scim:schemas:core:2.0:User',
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
  ),
  fc.array(fc.stringMatching(/^[A-Za-z0-9._-]{1,6}$/), { minLength: 1, maxLength: 5 }).map((s) => `urn:${s.join(':')}`),
);

/** A top-level path: optional URI and sub-attribute. */
const attrPathArb: fc.Arbitrary<AttrPath> = fc.record({ uri: uriArb, attr: nameArb, sub: nameArb }, { requiredKeys: ['attr'] });
/** The path of a value filter: never with a sub-attribute. */
const valuePathPathArb: fc.Arbitrary<AttrPath> = fc.record({ uri: uriArb, attr: nameArb }, { requiredKeys: ['attr'] });
/** Paths inside `[…]`: a bare sub-attribute name. */
const subPathArb: fc.Arbitrary<AttrPath> = nameArb.map((attr) => ({ attr }));

/**
 * Finite numbers only (NaN/Infinity have no filter syntax). -0 is included on purpose: the printer
 * writes it as `-0`, which parses back to -0.
 */
const valueArb: fc.Arbitrary<CompareValue> = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('true', 'null', '42', '-0', 'and', ')', ']', ' ', '', 'a b', '"', '\\', '\u2028'),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -0, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, Number.MAX_SAFE_INTEGER, 1e21, 1e-7),
  fc.boolean(),
  fc.constant(null),
);

function filterArb(inValuePath: boolean): fc.Arbitrary<Filter> {
  const pathArb = inValuePath ? subPathArb : attrPathArb;
  return fc.letrec<{ filter: Filter }>((tie) => {
    const compare: fc.Arbitrary<Filter> = fc.record({
      op: fc.constantFrom(...COMPARE_OPERATORS),
      path: pathArb,
      value: valueArb,
    });
    const present: fc.Arbitrary<Filter> = fc.record({ op: fc.constant('pr' as const), path: pathArb });
    const logical: fc.Arbitrary<Filter> = fc.record({
      op: fc.constantFrom('and' as const, 'or' as const),
      left: tie('filter'),
      right: tie('filter'),
    });
    const not: fc.Arbitrary<Filter> = fc.record({ op: fc.constant('not' as const), filter: tie('filter') });
    const branches = [compare, present, logical, not];
    if (!inValuePath) {
      branches.push(fc.record({ op: fc.constant('valuePath' as const), path: valuePathPathArb, filter: innerFilterArb }));
    }
    return { filter: fc.oneof({ maxDepth: 5, depthSize: 'small', withCrossShrink: true }, ...branches) };
  }).filter;
}

const innerFilterArb = filterArb(true);
const anyFilterArb = filterArb(false);

/** Filter-ish tokens, glued together without separators so both valid and broken text comes out. */
const TOKENS = [
  'userName', 'emails', 'name.givenName', 'members.$ref', '$ref', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:',
  'employeeNumber', 'a.b.c', '1abc', 'eq', 'EQ', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le', 'pr', 'Pr', 'and', 'AND',
  'or', 'Or', 'not', 'NOT', '(', ')', '[', ']', '"', '"x"', '"a\\"b"', '"\\u00e9"', '"\\u12"', '\\', '1', '-1.5e3', '1e999',
  '-0', '007', 'true', 'FALSE', 'null', ' ', ' ', ' ', '\t', '+', '.', ':', ',', 'é', '\u0000', '\n', '😀', '\ud800',
];
const tokenSoupArb: fc.Arbitrary<string> = fc.array(fc.constantFrom(...TOKENS), { maxLength: 40 }).map((t) => t.join(''));

/** A printed filter with one random edit (deletion, insertion or truncation). */
const mutatedFilterArb: fc.Arbitrary<string> = fc
  .tuple(anyFilterArb, fc.nat(), fc.nat({ max: 4 }), fc.constantFrom(...TOKENS, ''), fc.constantFrom('delete', 'insert', 'truncate'))
  .map(([filter, at, length, insert, edit]) => {
    const text = printFilter(filter);
    const i = at % (text.length + 1);
    if (edit === 'truncate') return text.slice(0, i);
    if (edit === 'delete') return text.slice(0, i) + text.slice(i + length);
    return text.slice(0, i) + insert + text.slice(i);
  });

/* ----------------------------------------------- a non-canonical printer */

type Chooser = () => number;

/** Prints `filter` with random keyword case, extra whitespace and redundant parentheses. */
function printVariant(filter: Filter, choose: Chooser, topLevel = true): string {
  const pick = <T>(options: readonly T[]): T => options[choose() % options.length]!;
  const optionalSpace = () => pick(['', '', ' ', '  ', '\t', ' \t ']);
  const space = () => pick([' ', ' ', '  ', '\t', ' \t ']);
  const keyword = (word: string) => pick([word, word.toUpperCase(), word[0]!.toUpperCase() + word.slice(1)]);
  const path = (p: AttrPath) => `${p.uri !== undefined ? `${p.uri}:` : ''}${p.attr}${p.sub !== undefined ? `.${p.sub}` : ''}`;
  const value = (v: CompareValue) => {
    if (typeof v === 'string') return JSON.stringify(v);
    if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
    return keyword(String(v));
  };
  const wrap = (text: string) => `(${optionalSpace()}${text}${optionalSpace()})`;
  const child = (f: Filter, parenthesise: boolean) => {
    const text = printVariant(f, choose, false);
    return parenthesise || choose() % 8 === 0 ? wrap(text) : text;
  };
  const precedence = (f: Filter) => (f.op === 'or' ? 1 : f.op === 'and' ? 2 : 3);

  let text: string;
  switch (filter.op) {
    case 'and':
    case 'or': {
      const prec = precedence(filter);
      text =
        `${child(filter.left, precedence(filter.left) < prec)}${space()}${keyword(filter.op)}${space()}` +
        child(filter.right, precedence(filter.right) <= prec);
      break;
    }
    case 'not':
      text = `${keyword('not')}${optionalSpace()}${wrap(printVariant(filter.filter, choose, false))}`;
      break;
    case 'valuePath':
      text = `${path(filter.path)}[${optionalSpace()}${printVariant(filter.filter, choose, false)}${optionalSpace()}]`;
      break;
    case 'pr':
      text = `${path(filter.path)}${space()}${keyword('pr')}`;
      break;
    default:
      text = `${path(filter.path)}${space()}${keyword(filter.op)}${space()}${value(filter.value)}`;
  }
  return topLevel ? `${optionalSpace()}${text}${optionalSpace()}` : text;
}

/* ---------------------------------------------------------------- properties */

/** Calls parseFilter and fails on anything thrown that is not an invalidFilter ScimError. */
function parsesOrRejectsCleanly(text: string): void {
  try {
    parseFilter(text);
  } catch (err) {
    expect(err).toBeInstanceOf(ScimError);
    expect((err as ScimError).status).toBe(400);
    expect((err as ScimError).scimType).toBe('invalidFilter');
  }
}

describe('parseFilter / printFilter properties', () => {
  test.prop([anyFilterArb], { numRuns: 2000 })('parseFilter(printFilter(ast)) deep-equals ast', (ast) => {
    expect(parseFilter(printFilter(ast))).toEqual(ast);
  });

  test.prop([anyFilterArb, fc.infiniteStream(fc.nat())], { numRuns: 1000 })(
    'keyword case, extra whitespace and redundant parentheses do not change the AST',
    (ast, stream) => {
      const it = stream[Symbol.iterator]();
      const text = printVariant(ast, () => it.next().value as number);
      expect(parseFilter(text)).toEqual(ast);
    },
  );

  test.prop([fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'binary-ascii' }))], { numRuns: 2000 })(
    'arbitrary strings parse or throw invalidFilter',
    parsesOrRejectsCleanly,
  );

  test.prop([tokenSoupArb], { numRuns: 3000 })('token soup parses or throws invalidFilter', parsesOrRejectsCleanly);

  test.prop([mutatedFilterArb], { numRuns: 2000 })('mutated filters parse or throw invalidFilter', parsesOrRejectsCleanly);

  test.prop([fc.constantFrom('(', 'not (', 'a[', '((', 'not(not('), fc.integer({ min: 1, max: 3000 })], { numRuns: 50 })(
    'deep nesting throws invalidFilter, never a stack overflow',
    (open, times) => parsesOrRejectsCleanly(`${open.repeat(times)}a pr${')'.repeat(times)}`),
  );

  test.prop([fc.oneof(tokenSoupArb, mutatedFilterArb)], { numRuns: 2000 })(
    'whatever parses prints to a canonical form that parses to the same AST',
    (text) => {
      let ast: Filter;
      try {
        ast = parseFilter(text);
      } catch {
        return;
      }
      const printed = printFilter(ast);
      expect(parseFilter(printed)).toEqual(ast);
      expect(printFilter(parseFilter(printed))).toBe(printed);
    },
  );
});
