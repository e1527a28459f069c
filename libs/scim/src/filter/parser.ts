/**
 * Parser and printer for RFC 7644 §3.4.2.2 filters.
 *
 * Beyond the RFC grammar it accepts what real SCIM clients send:
 * - operator and literal keywords in any case (`EQ`, `And`, `NOT`, `True`);
 * - unquoted values: a bare token that is not `true`/`false`/`null` or a JSON number is a string
 *   (`userName sw O`, `meta.created gt 2015-10-10T14:38:21.86-07:00`);
 * - any run of spaces/tabs between tokens, and whitespace between `not` and `(`.
 *
 * Error positions are 1-based character positions in the filter text.
 */
import { ScimError } from '../scim-error.js';
import type { AttrPath, CompareOperator, CompareValue, Filter } from './ast.js';

/** Longest filter text accepted. */
export const MAX_FILTER_LENGTH = 10_000;
/** Deepest nesting of parentheses, `not (…)` and value filters accepted. */
export const MAX_FILTER_DEPTH = 64;

const COMPARE_OPERATORS: ReadonlySet<string> = new Set<CompareOperator>([
  'eq',
  'ne',
  'co',
  'sw',
  'ew',
  'gt',
  'ge',
  'lt',
  'le',
]);

const ATTR_NAME = /^(?:[A-Za-z][A-Za-z0-9_-]*|\$ref)$/;
/** A schema URI: a scheme, a colon, then URN-ish characters (`urn:ietf:params:scim:…:2.0:User`). */
const SCHEMA_URI = /^[A-Za-z][A-Za-z0-9.-]*:[A-Za-z0-9:._-]*$/;
const JSON_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;
/** Characters of an attribute path token (names, `.`, URI characters, `$` of `$ref`). */
const PATH_CHAR = /[A-Za-z0-9:._$-]/;

const isWhitespace = (c: string | undefined): boolean => c === ' ' || c === '\t';

/** Parses filter text into its AST; throws `ScimError` (invalidFilter) on malformed input. */
export function parseFilter(text: string): Filter {
  if (typeof text !== 'string') throw ScimError.invalidFilter('Filter must be a string');
  if (text.length > MAX_FILTER_LENGTH) {
    throw ScimError.invalidFilter(`Filter is longer than ${MAX_FILTER_LENGTH} characters`);
  }
  return new FilterParser(text).parse();
}

/**
 * Parses an attribute path (`userName`, `name.givenName`, `urn:…:User:manager.value`); surrounding
 * spaces are ignored. Throws `ScimError` (invalidPath) on malformed input.
 */
export function parseAttrPath(text: string): AttrPath {
  const token = typeof text === 'string' ? text.trim() : '';
  if (token === '') throw ScimError.invalidPath('Attribute path is empty');
  for (let i = 0; i < token.length; i++) {
    if (!PATH_CHAR.test(token[i]!)) {
      throw ScimError.invalidPath(`Unexpected ${describeChar(token[i]!)} in attribute path "${token}"`);
    }
  }
  const result = splitAttrPath(token);
  if (typeof result === 'string') throw ScimError.invalidPath(result);
  return result;
}

/** Splits a path token into uri/attr/sub; returns an error message when it is not a valid path. */
function splitAttrPath(token: string): AttrPath | string {
  let rest = token;
  let uri: string | undefined;
  const colon = token.lastIndexOf(':');
  if (colon >= 0) {
    uri = token.slice(0, colon);
    rest = token.slice(colon + 1);
    if (!SCHEMA_URI.test(uri)) return `"${uri}" is not a valid schema URI in attribute path "${token}"`;
    if (rest === '') return `Expected an attribute name after schema URI "${uri}"`;
  }
  const parts = rest.split('.');
  if (parts.length > 2) return `Attribute path "${token}" has more than one sub-attribute`;
  const [attr, sub] = parts as [string, string | undefined];
  if (!ATTR_NAME.test(attr)) return `"${attr}" is not a valid attribute name in attribute path "${token}"`;
  if (sub !== undefined && !ATTR_NAME.test(sub)) {
    return `"${sub}" is not a valid sub-attribute name in attribute path "${token}"`;
  }
  return { ...(uri !== undefined && { uri }), attr, ...(sub !== undefined && { sub }) };
}

function describeChar(c: string): string {
  return JSON.stringify(c);
}

class FilterParser {
  private pos = 0;
  private depth = 0;
  /** The attribute whose value filter (`emails[…]`) is being parsed, if any. */
  private valuePathOf: string | undefined;

  constructor(private readonly text: string) {}

  parse(): Filter {
    this.skipWhitespace();
    if (this.atEnd()) throw ScimError.invalidFilter('Filter is empty');
    const filter = this.parseOr();
    this.skipWhitespace();
    if (!this.atEnd()) {
      throw this.error(`Expected "and", "or" or end of filter at position ${this.position()}, found ${this.found()}`);
    }
    return filter;
  }

  private parseOr(): Filter {
    let left = this.parseAnd();
    while (this.acceptKeyword('or')) left = { op: 'or', left, right: this.parseAnd() };
    return left;
  }

  private parseAnd(): Filter {
    let left = this.parseUnary();
    while (this.acceptKeyword('and')) left = { op: 'and', left, right: this.parseUnary() };
    return left;
  }

  /** Consumes `and`/`or` (after optional whitespace) and the whitespace after it. */
  private acceptKeyword(keyword: 'and' | 'or'): boolean {
    const start = this.pos;
    this.skipWhitespace();
    const wordStart = this.pos;
    const word = this.peekWord();
    if (word.toLowerCase() !== keyword) {
      this.pos = start;
      return false;
    }
    this.pos += word.length;
    const sawSpace = this.skipWhitespace();
    if (this.atEnd()) {
      throw this.error(`Expected an expression after "${word}" at position ${wordStart + 1}, found end of filter`);
    }
    if (!sawSpace && this.peek() !== '(') {
      throw this.error(`Expected whitespace after "${word}" at position ${this.position()}, found ${this.found()}`);
    }
    return true;
  }

  private parseUnary(): Filter {
    this.skipWhitespace();
    const c = this.peek();
    if (c === undefined) throw this.error(`Expected an expression at position ${this.position()}, found end of filter`);
    if (c === '(') {
      const open = this.pos;
      this.pos++;
      const filter = this.nested(() => this.parseOr());
      this.expectClose(')', open);
      return filter;
    }
    if (this.text.slice(this.pos, this.pos + 3).toLowerCase() === 'not') {
      let after = this.pos + 3;
      while (isWhitespace(this.text[after])) after++;
      if (this.text[after] === '(') {
        this.pos = after + 1;
        const filter = this.nested(() => this.parseOr());
        this.expectClose(')', after);
        return { op: 'not', filter };
      }
    }
    return this.parseAttrExpression();
  }

  /** `attrPath pr`, `attrPath op value` or `attrPath[valFilter]`. */
  private parseAttrExpression(): Filter {
    const pathStart = this.pos;
    const token = this.readWhile((ch) => PATH_CHAR.test(ch));
    if (token === '') throw this.error(`Expected an attribute path at position ${this.position()}, found ${this.found()}`);
    const split = splitAttrPath(token);
    if (typeof split === 'string') throw this.error(`${split} at position ${pathStart + 1}`);
    const path = split;
    if (this.valuePathOf !== undefined && (path.uri !== undefined || path.sub !== undefined)) {
      throw this.error(
        `Expected a sub-attribute name of "${this.valuePathOf}" at position ${pathStart + 1}, found "${token}"`,
      );
    }

    if (this.peek() === '[') {
      if (this.valuePathOf !== undefined) {
        throw this.error(`Value filters cannot be nested (inside "${this.valuePathOf}[…]") at position ${this.position()}`);
      }
      if (path.sub !== undefined) {
        throw this.error(`A value filter cannot follow sub-attribute "${token}" at position ${this.position()}`);
      }
      const open = this.pos;
      this.pos++;
      this.valuePathOf = token;
      const filter = this.nested(() => {
        this.skipWhitespace();
        return this.parseOr();
      });
      this.expectClose(']', open);
      this.valuePathOf = undefined;
      if (this.peek() !== '.') return { op: 'valuePath', path, filter };
      // `emails[type eq "work"].value eq "x"`: not in RFC 7644's grammar, but Entra filters on such
      // matching attributes. It means `emails[type eq "work" and value eq "x"]`.
      this.pos++;
      const subStart = this.pos;
      const sub = this.readWhile((ch) => PATH_CHAR.test(ch) && ch !== '.' && ch !== ':');
      if (!ATTR_NAME.test(sub)) {
        throw this.error(`Expected a sub-attribute name after "${token}[…]." at position ${subStart + 1}, found ${this.found()}`);
      }
      return { op: 'valuePath', path, filter: { op: 'and', left: filter, right: this.parseComparison({ attr: sub }, `${token}[…].${sub}`) } };
    }
    return this.parseComparison(path, token);
  }

  /** The `pr` or `op value` that follows an attribute path. */
  private parseComparison(path: AttrPath, token: string): Filter {
    const opPosition = this.position();
    const sawSpace = this.skipWhitespace();
    const word = sawSpace ? this.peekWord() : '';
    const op = word.toLowerCase();
    if (op !== 'pr' && !COMPARE_OPERATORS.has(op)) {
      const hint = token.toLowerCase() === 'not' ? ' ("not" must be followed by "(")' : '';
      throw this.error(
        `Expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr) after "${token}" at position ` +
          `${sawSpace ? this.position() : opPosition}, found ${this.found()}${hint}`,
      );
    }
    this.pos += word.length;
    if (op === 'pr') return { op: 'pr', path };
    if (!this.skipWhitespace()) {
      throw this.error(`Expected whitespace after "${word}" at position ${this.position()}, found ${this.found()}`);
    }
    return { op: op as CompareOperator, path, value: this.parseValue(word) };
  }

  private parseValue(operator: string): CompareValue {
    const start = this.pos;
    const c = this.peek();
    if (c === '"') return this.parseString();
    const token = this.readWhile((ch) => !isWhitespace(ch) && ch !== ')' && ch !== ']');
    if (token === '') {
      throw this.error(`Expected a value after "${operator}" at position ${start + 1}, found ${this.found()}`);
    }
    const bad = /["([]/.exec(token);
    if (bad) {
      throw this.error(
        `Unexpected ${describeChar(bad[0])} in unquoted value "${token}" at position ${start + bad.index + 1}` +
          ' (quote string values with ")',
      );
    }
    const lower = token.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
    if (lower === 'null') return null;
    if (JSON_NUMBER.test(token)) {
      const n = Number(token);
      if (!Number.isFinite(n)) throw this.error(`Number ${token} at position ${start + 1} is out of range`);
      return n;
    }
    return token;
  }

  /** A JSON string literal; raw control characters are tolerated. */
  private parseString(): string {
    const start = this.pos;
    this.pos++;
    let out = '';
    let chunkStart = this.pos;
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined) throw this.error(`Unterminated string starting at position ${start + 1}`);
      if (c === '"') {
        out += this.text.slice(chunkStart, this.pos);
        this.pos++;
        return out;
      }
      if (c !== '\\') {
        this.pos++;
        continue;
      }
      out += this.text.slice(chunkStart, this.pos);
      const escapeAt = this.pos;
      const e = this.text[this.pos + 1];
      this.pos += 2;
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          const hex = this.text.slice(this.pos, this.pos + 4);
          if (!/^[0-9A-Fa-f]{4}$/.test(hex)) {
            throw this.error(`Invalid \\u escape at position ${escapeAt + 1}: expected four hex digits`);
          }
          out += String.fromCharCode(parseInt(hex, 16));
          this.pos += 4;
          break;
        }
        case undefined:
          throw this.error(`Unterminated string starting at position ${start + 1}`);
        default:
          throw this.error(`Invalid escape "\\${e}" at position ${escapeAt + 1}`);
      }
      chunkStart = this.pos;
    }
  }

  private nested<T>(parse: () => T): T {
    if (++this.depth > MAX_FILTER_DEPTH) {
      throw this.error(`Filter nests deeper than ${MAX_FILTER_DEPTH} levels at position ${this.position()}`);
    }
    const result = parse();
    this.depth--;
    return result;
  }

  private expectClose(close: ')' | ']', openedAt: number): void {
    this.skipWhitespace();
    if (this.peek() === close) {
      this.pos++;
      return;
    }
    const expected = close === ')' ? '")"' : '"]"';
    const alternatives = this.atEnd() ? '' : '"and", "or" or ';
    throw this.error(
      `Expected ${alternatives}${expected} (closing ${JSON.stringify(this.text[openedAt])} at position ` +
        `${openedAt + 1}) at position ${this.position()}, found ${this.found()}`,
    );
  }

  /** Skips spaces and tabs; true when any were skipped. */
  private skipWhitespace(): boolean {
    const start = this.pos;
    while (isWhitespace(this.text[this.pos])) this.pos++;
    return this.pos > start;
  }

  /** The word at the current position (up to whitespace or a delimiter), not consumed. */
  private peekWord(): string {
    let end = this.pos;
    while (end < this.text.length && !isWhitespace(this.text[end]) && !'()[]"'.includes(this.text[end]!)) end++;
    return this.text.slice(this.pos, end);
  }

  private readWhile(accept: (c: string) => boolean): string {
    const start = this.pos;
    while (this.pos < this.text.length && accept(this.text[this.pos]!)) this.pos++;
    return this.text.slice(start, this.pos);
  }

  private peek(): string | undefined {
    return this.text[this.pos];
  }

  private atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  private position(): number {
    return this.pos + 1;
  }

  /** What is at the current position, for error details. */
  private found(): string {
    if (this.atEnd()) return 'end of filter';
    const quoted = this.peek() === '"' ? /^"(?:[^"\\]|\\.)*"?/.exec(this.text.slice(this.pos))?.[0] : undefined;
    const word = quoted ?? this.peekWord();
    const shown = word === '' ? this.text[this.pos]! : word;
    return JSON.stringify(shown.length > 40 ? `${shown.slice(0, 40)}…` : shown);
  }

  private error(detail: string): ScimError {
    return ScimError.invalidFilter(detail);
  }
}

/* ---------------------------------------------------------------- printer */

const PRECEDENCE = { or: 1, and: 2 } as const;

/**
 * Prints canonical filter text: lower-case operators and literals, JSON-quoted strings, and
 * parentheses only where needed, so that `parseFilter(printFilter(f))` deep-equals `f` (including
 * `-0`, printed as `-0`). Throws `ScimError` (invalidFilter) for a non-finite number.
 */
export function printFilter(filter: Filter): string {
  switch (filter.op) {
    case 'and':
    case 'or': {
      const prec = PRECEDENCE[filter.op];
      const left = printFilter(filter.left);
      const right = printFilter(filter.right);
      return (
        `${precedenceOf(filter.left) < prec ? `(${left})` : left} ${filter.op} ` +
        `${precedenceOf(filter.right) <= prec ? `(${right})` : right}`
      );
    }
    case 'not':
      return `not (${printFilter(filter.filter)})`;
    case 'valuePath':
      return `${printAttrPath(filter.path)}[${printFilter(filter.filter)}]`;
    case 'pr':
      return `${printAttrPath(filter.path)} pr`;
    default:
      return `${printAttrPath(filter.path)} ${filter.op} ${printValue(filter.value)}`;
  }
}

function precedenceOf(filter: Filter): number {
  return filter.op === 'and' || filter.op === 'or' ? PRECEDENCE[filter.op] : 3;
}

/** Prints an attribute path as `uri:attr.sub`. */
export function printAttrPath(path: AttrPath): string {
  return `${path.uri !== undefined ? `${path.uri}:` : ''}${path.attr}${path.sub !== undefined ? `.${path.sub}` : ''}`;
}

function printValue(value: CompareValue): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw ScimError.invalidFilter(`Cannot print non-finite number ${value}`);
    return Object.is(value, -0) ? '-0' : String(value);
  }
  return String(value);
}
