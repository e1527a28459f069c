/**
 * Query parameters of a SCIM list/search request (RFC 7644 §3.4.2): filter, paging, sorting and
 * attribute projection.
 */
import type { AttrPath, Filter } from './filter/ast.js';
import { parseAttrPath, parseFilter } from './filter/parser.js';
import { ScimError } from './scim-error.js';
import { SEARCH_REQUEST_SCHEMA } from './schema/urns.js';

export type SortOrder = 'ascending' | 'descending';

export interface ListQuery {
  filter?: Filter;
  /** 1-based index of the first result. */
  startIndex: number;
  /** Page size, already clamped to `0..maxCount`. */
  count: number;
  sortBy?: AttrPath;
  sortOrder: SortOrder;
  /** Attribute paths as given (value filter suffixes like `emails[type eq "work"]` removed). */
  attributes?: string[];
  excludedAttributes?: string[];
  /**
   * Cursor paging (RFC 9865): `''` asks for the first page, any other text is a `nextCursor` or
   * `previousCursor` of an earlier page. Undefined for index paging (startIndex).
   */
  cursor?: string;
}

export interface ListQueryOptions {
  /** Page size when `count` is absent (default 100; never above `maxCount`). */
  defaultCount?: number;
  /** Largest page size; a larger `count` is lowered to it (default 1000). */
  maxCount?: number;
}

const DEFAULT_COUNT = 100;
const MAX_COUNT = 1000;
const INTEGER = /^[+-]?[0-9]+$/;

/**
 * Parses the query parameters of a list request. Parameter names are matched case-insensitively
 * (the first of differently-cased duplicates wins), repeated parameters use their first value,
 * unknown parameters are ignored and empty values count as absent.
 */
export function parseListQuery(query: Record<string, unknown>, options: ListQueryOptions = {}): ListQuery {
  const params = new Map<string, unknown>();
  for (const [name, value] of Object.entries(query ?? {})) {
    const key = name.toLowerCase();
    if (!params.has(key)) params.set(key, value);
  }
  const param = (name: string, invalid: (detail: string) => ScimError): string | undefined => {
    let value = params.get(name.toLowerCase());
    if (Array.isArray(value)) value = value[0];
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'number' || typeof value === 'boolean') value = String(value);
    if (typeof value !== 'string') throw invalid(`Query parameter "${name}" must be a single text value`);
    return value.trim() === '' ? undefined : value;
  };

  const maxCount = Math.max(0, Math.floor(options.maxCount ?? MAX_COUNT));
  const defaultCount = Math.min(maxCount, Math.max(0, Math.floor(options.defaultCount ?? DEFAULT_COUNT)));

  const filterText = param('filter', ScimError.invalidFilter);
  const startIndex = parseInteger('startIndex', param('startIndex', ScimError.invalidValue));
  const count = parseInteger('count', param('count', ScimError.invalidValue));
  const sortByText = param('sortBy', ScimError.invalidValue);
  const sortOrderText = param('sortOrder', ScimError.invalidValue);
  const attributes = parseAttributeList(param('attributes', ScimError.invalidValue));
  const excludedAttributes = parseAttributeList(param('excludedAttributes', ScimError.invalidValue));

  const result: ListQuery = {
    // RFC 7644 §3.4.2.4: a startIndex below 1 is treated as 1; a negative count as 0.
    startIndex: startIndex === undefined ? 1 : Math.min(Math.max(startIndex, 1), Number.MAX_SAFE_INTEGER),
    count: count === undefined ? defaultCount : Math.min(Math.max(count, 0), maxCount),
    sortOrder: parseSortOrder(sortOrderText),
  };
  if (filterText !== undefined) result.filter = parseFilter(filterText);
  if (sortByText !== undefined) {
    try {
      result.sortBy = parseAttrPath(sortByText);
    } catch (err) {
      if (err instanceof ScimError) throw ScimError.invalidValue(`Invalid sortBy: ${err.detail}`);
      throw err;
    }
  }
  if (attributes) result.attributes = attributes;
  if (excludedAttributes) result.excludedAttributes = excludedAttributes;
  const cursor = parseCursor(params.get('cursor'));
  if (cursor !== undefined) {
    if (startIndex !== undefined) throw ScimError.invalidValue('Use either cursor or startIndex to page, not both');
    result.cursor = cursor;
  }
  return result;
}

/** The members of a SearchRequest body (RFC 7644 §3.4.3), by their lower-cased names. */
const SEARCH_MEMBERS = ['filter', 'startindex', 'count', 'sortby', 'sortorder', 'attributes', 'excludedattributes', 'cursor'];

/**
 * Parses the body of `POST …/.search` (RFC 7644 §3.4.3) into the same query as the URL parameters of
 * a GET: member names are case-insensitive, `attributes` and `excludedAttributes` are arrays of
 * attribute names (a comma-separated string is accepted too), `startIndex` and `count` integers.
 * `schemas` may be left out; when given it must list the SearchRequest URN.
 */
export function parseSearchRequest(body: unknown, options: ListQueryOptions = {}): ListQuery {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw ScimError.invalidSyntax('The search request body must be a JSON object');
  }
  const query: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(body)) {
    const key = name.toLowerCase();
    if (key === 'schemas') {
      const listed = Array.isArray(value) && value.some((s) => typeof s === 'string' && s.trim().toLowerCase() === SEARCH_REQUEST_SCHEMA.toLowerCase());
      if (!listed) throw ScimError.invalidSyntax(`A search request must list the schema ${SEARCH_REQUEST_SCHEMA}`);
      continue;
    }
    if (!SEARCH_MEMBERS.includes(key) || key in query) continue;
    if (value === null) continue;
    if (key === 'attributes' || key === 'excludedattributes') {
      const names = typeof value === 'string' ? [value] : value;
      if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) {
        throw ScimError.invalidValue(`"${name}" must be an array of attribute names`);
      }
      query[key] = names.join(',');
    } else if (key === 'startindex' || key === 'count') {
      if (typeof value !== 'number' && typeof value !== 'string') throw ScimError.invalidValue(`"${name}" must be an integer`);
      query[key] = value;
    } else {
      if (typeof value !== 'string') throw ScimError.invalidValue(`"${name}" must be a string`);
      query[key] = value;
    }
  }
  return parseListQuery(query, options);
}

/** `cursor` present with no value (`?cursor` or `cursor=`) asks for the first page by cursor. */
function parseCursor(value: unknown): string | undefined {
  if (Array.isArray(value)) value = value[0];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw ScimError.invalidCursor('The cursor must be text');
  return value.trim();
}

function parseInteger(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  if (!INTEGER.test(trimmed)) throw ScimError.invalidValue(`${name} must be an integer, got "${text}"`);
  return Number(trimmed);
}

function parseSortOrder(text: string | undefined): SortOrder {
  if (text === undefined) return 'ascending';
  const order = text.trim().toLowerCase();
  if (order === 'ascending' || order === 'descending') return order;
  throw ScimError.invalidValue(`sortOrder must be "ascending" or "descending", got "${text}"`);
}

/**
 * Splits a comma-separated attribute list. Commas inside `[…]` or quotes do not split, and value
 * filters are removed (`emails[type eq "work"]` → `emails`). Empty items are dropped; returns
 * undefined when nothing is left.
 */
function parseAttributeList(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const items: string[] = [];
  let current = '';
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const keep = depth === 0; // text inside a value filter is dropped
    if (inString) {
      if (keep) current += c;
      if (c === '\\' && i + 1 < text.length) {
        i++;
        if (keep) current += text[i];
      } else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      if (keep) current += c;
    } else if (c === '[') {
      depth++;
    } else if (c === ']' && depth > 0) {
      depth--;
    } else if (keep) {
      if (c === ',') {
        items.push(current);
        current = '';
      } else current += c;
    }
  }
  items.push(current);
  const result = items.map((item) => item.trim()).filter((item) => item !== '');
  return result.length > 0 ? result : undefined;
}
