import { columnLength, columnTextProblem, textKey } from './column-text.js';

describe('column text', () => {
  it('counts characters as a utf8mb4 column does: a surrogate pair is one, a lone surrogate one', () => {
    expect(columnLength('abc')).toBe(3);
    expect(columnLength('😀😀')).toBe(2);
    expect(columnLength('\ud800x')).toBe(2);
    expect(columnLength('x\udfff')).toBe(2);
    expect(columnLength('')).toBe(0);
  });

  it('checks the lower-cased key of keyed text, which can be longer than the text', () => {
    expect(textKey('İ')).toHaveLength(2);
    expect(columnTextProblem('İ'.repeat(200), 255)).toBeNull();
    expect(columnTextProblem('İ'.repeat(200), 255, true)).toMatch(/once lower-cased/);
    expect(columnTextProblem('İ'.repeat(127), 255, true)).toBeNull();
    expect(columnTextProblem('a'.repeat(256), 255)).toMatch(/longer than 255/);
    expect(columnTextProblem('😀'.repeat(255), 255, true)).toBeNull();
  });
});
