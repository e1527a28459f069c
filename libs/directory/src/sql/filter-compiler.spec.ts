import { parseFilter, ScimError } from '@app/scim';
import { USER_FILTER } from '../users/user-filter.js';
import { compileFilter, MAX_FILTER_TERMS, positional } from './filter-compiler.js';

const compile = (text: string) => compileFilter(parseFilter(text), USER_FILTER, (d) => d.toISOString());
const chain = (term: string, op: string, n: number) => Array.from({ length: n }, () => term).join(` ${op} `);
/** Deepest parenthesis nesting of SQL text (an upper bound of its expression depth's share of parentheses). */
const parenDepth = (sql: string) => [...sql].reduce(([depth, max], c) => (c === '(' ? [depth + 1, Math.max(max, depth + 1)] : c === ')' ? [depth - 1, max] : [depth, max]), [0, 0])[1];

describe('compileFilter bounds', () => {
  it('compiles a chain of or/and into a balanced tree, its parameters in order', () => {
    const condition = compile(Array.from({ length: 128 }, (_, i) => `userName eq "v${i}"`).join(' or '));
    expect(parenDepth(condition.sql)).toBeLessThan(20);
    const { params } = positional(condition);
    expect(params).toEqual(Array.from({ length: 128 }, (_, i) => `v${i}`));
    const ordered = compile('userName eq "first" or userName eq "second" or userName eq "third"');
    expect(positional(ordered).params).toEqual(['first', 'second', 'third']);
  });

  it('refuses more comparisons than MAX_FILTER_TERMS with invalidFilter', () => {
    expect(() => compile(chain('id pr', 'or', MAX_FILTER_TERMS))).not.toThrow();
    const refuse = () => compile(chain('id pr', 'or', MAX_FILTER_TERMS + 1));
    expect(refuse).toThrow(ScimError);
    expect(refuse).toThrow(/at most 200/);
  });
});
