import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { nestsDeeperThan } from './json-body.js';

/** Nesting depth of a parsed JSON value: 0 for a scalar, 1 for `{}` or `[]`. */
function depthOf(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + Math.max(0, ...children.map(depthOf));
}

describe('nestsDeeperThan', () => {
  it('counts the nesting of objects and arrays as JSON.parse sees it', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 12 }), fc.integer({ min: 0, max: 14 }), (value, max) => {
        expect(nestsDeeperThan(JSON.stringify(value), max)).toBe(depthOf(value) > max);
      }),
      { seed: 14, numRuns: 500 },
    );
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    const text = JSON.stringify({ a: '[[[{{{\\"]]]', b: ['"[[[', '\\', '{{'] });
    expect(nestsDeeperThan(text, 2)).toBe(false);
    expect(nestsDeeperThan(text, 1)).toBe(true);
  });

  it('refuses 2,000 levels at the first bracket past the bound', () => {
    expect(nestsDeeperThan(`{"a":${'['.repeat(2000)}${']'.repeat(2000)}}`, 64)).toBe(true);
    expect(nestsDeeperThan(`${'['.repeat(64)}${']'.repeat(64)}`, 64)).toBe(false);
  });
});
