/**
 * Validation of a PATCH body (RFC 7644 §3.5.2) into operations, independent of any resource: the
 * groups service runs `members` operations from it directly in SQL.
 */
import type { AttrPath, Filter } from '../filter/ast.js';
import { parseFilter } from '../filter/parser.js';
import { isPlainObject } from '../normalize.js';
import { splitAttrName } from '../schema/resolve.js';
import { PATCH_OP_SCHEMA } from '../schema/urns.js';
import { ScimError } from '../scim-error.js';

/**
 * A PATCH target: `userName` → `{attrPath: {attr: 'userName'}}`; `name.familyName` → attrPath with
 * `sub`; `emails[type eq "work"].value` → `{attrPath: {attr: 'emails'}, filter, subAttr: 'value'}`;
 * `members[value eq "id"]` → attrPath + filter; `urn:…:enterprise:2.0:User:manager.value` → attrPath with `uri`.
 */
export interface PatchPath {
  attrPath: AttrPath;
  /** The value filter in brackets; its paths name sub-attributes of `attrPath`. */
  filter?: Filter;
  /** The sub-attribute after a value filter (`.value` in `emails[type eq "work"].value`). */
  subAttr?: string;
}

export interface PatchOperation {
  op: 'add' | 'replace' | 'remove';
  path?: PatchPath;
  /** The value exactly as sent. */
  value?: unknown;
}

const OPS: ReadonlySet<string> = new Set(['add', 'replace', 'remove']);

/** Looks a key up case-insensitively (the first of differently-cased duplicates wins). */
function getKey(obj: Record<string, unknown>, name: string): { found: boolean; value: unknown } {
  for (const [k, v] of Object.entries(obj)) if (k.toLowerCase() === name) return { found: true, value: v };
  return { found: false, value: undefined };
}

/**
 * Parses a PatchOp body. Key names and `op` are case-insensitive, `schemas` may be absent, an
 * empty `Operations` array yields `[]`. Throws `invalidSyntax` for a malformed body, `invalidPath`
 * for a malformed path, `invalidFilter` for a malformed value filter and `noTarget` for a remove
 * without path.
 */
export function parsePatchRequest(body: unknown): PatchOperation[] {
  if (!isPlainObject(body)) throw ScimError.invalidSyntax('The PATCH body must be a JSON object');
  const schemas = getKey(body, 'schemas').value;
  if (Array.isArray(schemas) && schemas.length > 0) {
    const ok = schemas.some((s) => typeof s === 'string' && s.trim().toLowerCase() === PATCH_OP_SCHEMA.toLowerCase());
    if (!ok) throw ScimError.invalidSyntax(`A PATCH body must list the schema ${PATCH_OP_SCHEMA}`);
  }
  const operations = getKey(body, 'operations').value;
  if (!Array.isArray(operations)) throw ScimError.invalidSyntax('A PATCH body needs an "Operations" array');
  return operations.map((raw, i) => parseOperation(raw, i));
}

function parseOperation(raw: unknown, index: number): PatchOperation {
  const where = `Operations[${index}]`;
  if (!isPlainObject(raw)) throw ScimError.invalidSyntax(`${where} must be an object`);
  const opRaw = getKey(raw, 'op').value;
  const op = typeof opRaw === 'string' ? opRaw.trim().toLowerCase() : undefined;
  if (op === undefined || !OPS.has(op)) {
    throw ScimError.invalidSyntax(`${where}.op must be "add", "replace" or "remove"; got ${JSON.stringify(opRaw) ?? 'nothing'}`);
  }
  const pathRaw = getKey(raw, 'path').value;
  let path: PatchPath | undefined;
  if (pathRaw !== undefined && pathRaw !== null) {
    if (typeof pathRaw !== 'string') throw ScimError.invalidPath(`${where}.path must be a string`);
    if (pathRaw.trim() !== '') path = parsePatchPath(pathRaw);
  }
  const value = getKey(raw, 'value');
  const result: PatchOperation = { op: op as PatchOperation['op'] };
  if (path) result.path = path;
  if (op === 'remove') {
    if (!path) throw ScimError.noTarget(`${where}: a "remove" operation needs a "path"`);
  } else if (!value.found) {
    throw ScimError.invalidSyntax(`${where}: an "${op}" operation needs a "value"`);
  }
  if (value.found) result.value = value.value;
  return result;
}

/** Parses a PATCH `path` (RFC 7644 §3.5.2 PATH grammar). Throws `invalidPath` (`invalidFilter` inside brackets). */
export function parsePatchPath(text: string): PatchPath {
  const trimmed = text.trim();
  const bad = (why: string) => ScimError.invalidPath(`Invalid path "${text}": ${why}`);
  const open = trimmed.indexOf('[');
  if (open < 0) {
    if (trimmed.includes(']')) throw bad('unbalanced "]"');
    const attrPath = splitAttrName(trimmed);
    if (!attrPath) throw bad('not an attribute path');
    return { attrPath };
  }
  const attrPath = splitAttrName(trimmed.slice(0, open));
  if (!attrPath) throw bad('not an attribute path before "["');
  if (attrPath.sub !== undefined) throw bad('a value filter applies to a multi-valued attribute, not to a sub-attribute');
  const close = closingBracket(trimmed, open);
  if (close < 0) throw bad('missing "]"');
  const filterText = trimmed.slice(open + 1, close);
  if (filterText.trim() === '') throw bad('empty value filter');
  const filter = parseFilter(filterText);
  const rest = trimmed.slice(close + 1);
  const result: PatchPath = { attrPath, filter };
  if (rest !== '') {
    const sub = /^\.((?:[A-Za-z][A-Za-z0-9_-]*|\$ref))$/.exec(rest);
    if (!sub) throw bad(`unexpected "${rest}" after the value filter`);
    result.subAttr = sub[1]!;
  }
  return result;
}

/** Index of the `]` closing the `[` at `open`, skipping quoted strings; -1 if none. */
function closingBracket(text: string, open: number): number {
  let quoted = false;
  for (let i = open + 1; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '[') return -1;
    else if (c === ']') return i;
  }
  return -1;
}
