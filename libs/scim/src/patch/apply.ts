/**
 * In-memory PATCH (RFC 7644 §3.5.2) of one canonical resource, with the tolerance Entra ID and Okta
 * need: case-insensitive names, string booleans, path-less values with dotted and URN-prefixed keys,
 * value filters that match nothing create the element, null/"" clear, removing nothing is a no-op.
 */
import type { CompareFilter, Filter } from '../filter/ast.js';
import {
  canonicalizeResource,
  coerceComplex,
  coerceScalar,
  coerceValue,
  deepEqual,
  isEmptyValue,
  isPlainObject,
  undeclaredNames,
  valueSubAttribute,
  type ScimResource,
} from '../normalize.js';
import { COMMON_ATTRIBUTES } from '../schema/definitions.js';
import {
  canonicalPathOf,
  findAttrPath,
  findByName,
  findExtension,
  resolveAttrPath,
  resolveSubAttribute,
  splitAttrName,
  type ResolvedAttribute,
} from '../schema/resolve.js';
import type { AttributeDefinition, ResourceSchema, SchemaDefinition } from '../schema/types.js';
import { ScimError } from '../scim-error.js';
import type { PatchOperation, PatchPath } from './parse.js';

export interface PatchResult {
  /** The patched resource, canonical; a new object (the input is never mutated). */
  resource: ScimResource;
  /** Canonical paths whose value changed (`name.familyName`, `emails`, `urn:…:User:manager.value`), in schema order. */
  changed: string[];
  /**
   * Attributes no schema of the resource type defines, as sent: keys of path-less values (dropped,
   * as in POST bodies) and paths into an unknown schema or to an unknown extension attribute
   * (Entra's custom attributes). An unknown core attribute in a `path` is an `invalidPath` error.
   */
  ignored: string[];
}

type Obj = Record<string, unknown>;
type Op = PatchOperation['op'];

const STORED = { keepReadOnly: true, checkRequired: false };

/**
 * Applies `operations` in order to `resource` (canonical, as stored: id and meta included) and
 * returns the canonical result. Throws ScimError: `invalidPath` (unknown attribute in a path),
 * `invalidFilter` (bad value filter), `invalidValue` (type mismatch, required attribute removed),
 * `mutability` (readOnly attribute, changed immutable value), `noTarget` (remove without path).
 */
export function applyPatch(resource: ScimResource, operations: PatchOperation[], rs: ResourceSchema): PatchResult {
  if (!isPlainObject(resource)) throw ScimError.invalidSyntax('The resource to patch must be an object');
  const before = canonicalizeResource(resource, rs, STORED);
  let work = cloneJson(before);
  const ignored: string[] = [];
  // Each operation sees the canonical result of the ones before it; the last one's result is
  // canonicalised once, with the required-attribute check.
  operations.forEach((op, i) => {
    if (i > 0) work = canonicalizeResource(work, rs, STORED);
    applyOperation(work, op, rs, ignored);
  });
  const after = canonicalizeResource(work, rs, { keepReadOnly: true, checkRequired: true });
  return { resource: after, changed: changedPaths(before, after, rs), ignored: [...new Set(ignored)] };
}

function applyOperation(work: Obj, operation: PatchOperation, rs: ResourceSchema, ignored: string[]): void {
  const { op, path, value } = operation;
  if (!path) {
    if (op === 'remove') throw ScimError.noTarget('A "remove" operation needs a "path"');
    if (!isPlainObject(value)) {
      throw ScimError.invalidValue(`An "${op}" operation without "path" needs an object of attributes as "value"`);
    }
    for (const [key, v] of Object.entries(value)) applyPathlessKey(work, op, key, v, rs, ignored);
    return;
  }
  applyPath(work, op, path, value, rs, ignored);
}

/** One key of a path-less value: plain, dotted, URN-prefixed, or an extension URN with an object. */
function applyPathlessKey(work: Obj, op: Op, key: string, value: unknown, rs: ResourceSchema, ignored: string[]): void {
  const lower = key.toLowerCase();
  // Okta sends {"id": …, "displayName": …}: id, meta and schemas in a path-less value are ignored.
  if (lower === 'schemas' || lower === 'id' || lower === 'meta') return;
  const ext = findExtension(rs, key);
  if (ext) {
    applyExtensionValue(work, op, ext, value, rs, ignored);
    return;
  }
  const path = splitAttrName(key);
  const resolved = path && findAttrPath(rs, path);
  // Unknown attributes are dropped, as in POST bodies.
  if (!resolved) ignored.push(...undeclaredNames(key, value));
  if (!resolved || isIgnoredCommon(resolved)) return;
  applyTarget(work, op, resolved, value);
}

function isIgnoredCommon(r: ResolvedAttribute): boolean {
  return !r.extension && (r.attribute.name === 'id' || r.attribute.name === 'meta');
}

/** The whole extension as target: an object merges attribute by attribute; null/"" clears it. */
function applyExtensionValue(work: Obj, op: Op, ext: SchemaDefinition, value: unknown, rs: ResourceSchema, ignored: string[]): void {
  if (op === 'remove' || isClearing(op, value)) {
    delete work[ext.id];
    return;
  }
  if (isEmptyValue(value)) return;
  if (!isPlainObject(value)) throw ScimError.invalidValue(`${ext.id} must be an object of extension attributes`);
  for (const [key, v] of Object.entries(value)) {
    const path = splitAttrName(key);
    const resolved = path && findAttrPath(rs, { ...path, uri: path.uri ?? ext.id });
    if (resolved) applyTarget(work, op, resolved, v);
    else ignored.push(`${ext.id}:${key}`);
  }
}

/** null or "" (any op), or an empty array/object with replace: the target is cleared. */
function isClearing(op: Op, value: unknown): boolean {
  return value === null || value === '' || (op === 'replace' && isEmptyValue(value));
}

function applyPath(work: Obj, op: Op, path: PatchPath, value: unknown, rs: ResourceSchema, ignored: string[]): void {
  const { attrPath, filter, subAttr } = path;
  if (!filter && subAttr === undefined && attrPath.uri !== undefined && attrPath.sub === undefined) {
    const ext = findExtension(rs, `${attrPath.uri}:${attrPath.attr}`);
    if (ext) {
      applyExtensionValue(work, op, ext, value, rs, ignored);
      return;
    }
  }
  if (isUndeclaredExtensionPath(rs, attrPath)) {
    // An attribute of a schema the resource type does not have (Entra's custom attributes): dropped
    // and named, as in bodies, rather than failing the whole request.
    ignored.push(...undeclaredNames(attrPath.sub === undefined ? `${attrPath.uri}:${attrPath.attr}` : `${attrPath.uri}:${attrPath.attr}.${attrPath.sub}`, value));
    return;
  }
  let resolved = resolveAttrPath(rs, attrPath);
  if (filter) {
    const { attribute } = resolved;
    if (!resolved.sub && attribute.multiValued && attribute.type !== 'complex') {
      checkWritable(resolved);
      if (subAttr !== undefined && subAttr.toLowerCase() !== 'value') {
        throw ScimError.invalidPath(`${resolved.canonicalPath} has no sub-attribute "${subAttr}"`);
      }
      applyFilteredSimple(work, op, resolved, filter, value);
      return;
    }
    if (resolved.sub || attribute.type !== 'complex' || !attribute.multiValued) {
      throw ScimError.invalidPath(`A value filter needs a multi-valued complex attribute; ${resolved.canonicalPath} is not one`);
    }
    checkWritable(resolved);
    const sub = subAttr === undefined ? undefined : resolveSubAttribute(resolved, { attr: subAttr });
    if (sub) checkWritable(sub);
    applyFiltered(work, op, resolved, filter, sub?.sub, value);
    return;
  }
  if (subAttr !== undefined) {
    if (resolved.sub) throw ScimError.invalidPath(`${resolved.canonicalPath} has no sub-attribute "${subAttr}"`);
    resolved = resolveSubAttribute(resolved, { attr: subAttr });
  }
  applyTarget(work, op, resolved, value);
}

/** A URN-qualified path whose schema is unknown, or which names no attribute of a known extension. */
function isUndeclaredExtensionPath(rs: ResourceSchema, path: PatchPath['attrPath']): boolean {
  if (path.uri === undefined || path.uri.toLowerCase() === rs.core.id.toLowerCase()) return false;
  const ext = findExtension(rs, path.uri);
  return !ext || !findByName(ext.attributes, path.attr);
}

function checkWritable(r: ResolvedAttribute): void {
  if (r.attribute.mutability === 'readOnly' || r.sub?.mutability === 'readOnly') {
    throw ScimError.mutability(`Attribute ${r.canonicalPath} is read-only`);
  }
}

function checkImmutable(def: AttributeDefinition, current: unknown, next: unknown, label: string): void {
  if (def.mutability === 'immutable' && current !== undefined && next !== undefined && !deepEqual(current, next)) {
    throw ScimError.mutability(`Attribute ${label} is immutable`);
  }
}

/** The object holding the attribute: the resource, or its extension object (created on demand). */
function container(work: Obj, r: ResolvedAttribute, create: boolean): Obj | undefined {
  if (!r.extension) return work;
  const current = work[r.schemaUrn];
  if (isPlainObject(current)) return current;
  if (!create) return undefined;
  const created: Obj = {};
  work[r.schemaUrn] = created;
  return created;
}

/** A deep copy of JSON data (a canonical resource holds nothing else). */
function cloneJson<T>(value: T): T {
  if (Array.isArray(value)) return value.map(cloneJson) as T;
  if (isPlainObject(value)) {
    const copy: Obj = {};
    for (const key of Object.keys(value)) copy[key] = cloneJson(value[key]);
    return copy as T;
  }
  return value;
}

function cloneList(value: unknown): unknown[] {
  return Array.isArray(value) ? value.map((el) => (isPlainObject(el) ? { ...el } : el)) : [];
}

/** When an operation set `primary: true` on an element, every other element loses it (RFC 7644 §3.5.2). */
function preferPrimary(list: unknown[], touched: unknown[]): void {
  const winner = touched.find((el) => isPlainObject(el) && el.primary === true);
  if (!winner) return;
  for (const el of list) if (el !== winner && isPlainObject(el) && el.primary === true) el.primary = false;
}

function sameScalar(def: AttributeDefinition | undefined, a: unknown, b: unknown): boolean {
  if (typeof a === 'string' && typeof b === 'string' && !def?.caseExact) return a.toLowerCase() === b.toLowerCase();
  return deepEqual(a, b);
}

/**
 * Index of the element that `el` duplicates: for attributes with a `value`, the same value and no
 * conflicting type (a member added without `type` is the stored member); otherwise an equal element.
 */
function findSame(def: AttributeDefinition, list: unknown[], el: unknown): number {
  const valueSub = valueSubAttribute(def);
  if (!valueSub || !isPlainObject(el)) return list.findIndex((x) => deepEqual(x, el));
  const typeSub = findByName(def.subAttributes, 'type');
  return list.findIndex(
    (x) =>
      isPlainObject(x) &&
      sameScalar(valueSub, x.value, el.value) &&
      (x.type === undefined || el.type === undefined || sameScalar(typeSub, x.type, el.type)),
  );
}

/** add/replace/remove on an attribute or `attribute.sub`, without value filter. */
function applyTarget(work: Obj, op: Op, r: ResolvedAttribute, value: unknown): void {
  checkWritable(r);
  if (op === 'remove' || isClearing(op, value)) {
    removeTarget(work, r, op === 'remove' ? value : undefined);
    return;
  }
  if (isEmptyValue(value)) return;
  const { attribute: a, sub } = r;
  const label = r.canonicalPath;
  const c = container(work, r, true)!;
  if (sub) {
    const v = coerceScalar(sub, value, label);
    if (v === undefined) return removeTarget(work, r, undefined);
    if (a.multiValued) {
      const list = cloneList(c[a.name]);
      if (!list.length) list.push({});
      c[a.name] = list.map((el) => {
        const next: Obj = isPlainObject(el) ? el : {};
        checkImmutable(sub, next[sub.name], v, label);
        next[sub.name] = v;
        return next;
      });
    } else {
      const parent: Obj = isPlainObject(c[a.name]) ? { ...(c[a.name] as Obj) } : {};
      checkImmutable(sub, parent[sub.name], v, label);
      parent[sub.name] = v;
      c[a.name] = parent;
    }
    return;
  }
  if (a.multiValued) {
    const incoming = (coerceValue(a, value, label) as unknown[] | undefined) ?? [];
    if (op === 'replace') {
      c[a.name] = incoming;
      return;
    }
    const list = cloneList(c[a.name]);
    const touched: unknown[] = [];
    for (const el of incoming) {
      const i = findSame(a, list, el);
      if (i < 0) {
        list.push(el);
        touched.push(el);
        continue;
      }
      const current = list[i];
      if (isPlainObject(current) && isPlainObject(el)) {
        for (const s of a.subAttributes ?? []) checkImmutable(s, current[s.name], el[s.name], `${label}.${s.name}`);
        list[i] = { ...current, ...el };
      } else list[i] = el;
      touched.push(list[i]);
    }
    preferPrimary(list, touched);
    c[a.name] = list;
    return;
  }
  if (a.type === 'complex') {
    mergeComplex(c, a, value, label);
    return;
  }
  const v = coerceScalar(a, value, label);
  checkImmutable(a, c[a.name], v, label);
  c[a.name] = v;
}

/**
 * add/replace of a single complex value merges sub-attributes (RFC 7644 §3.5.2.3: sub-attributes not
 * given are left unchanged); null/"" sub-attributes are cleared, readOnly ones ignored. A new `value`
 * (another manager) starts from scratch, since the other sub-attributes described the old one.
 */
function mergeComplex(c: Obj, a: AttributeDefinition, raw: unknown, label: string): void {
  const incoming = isPlainObject(raw) ? raw : coerceComplex(a, raw, label, false, true);
  if (!incoming) return;
  let next: Obj = isPlainObject(c[a.name]) ? { ...(c[a.name] as Obj) } : {};
  const valueSub = valueSubAttribute(a);
  const updates = new Map<AttributeDefinition, unknown>();
  for (const [key, v] of Object.entries(incoming)) {
    const sub = findByName(a.subAttributes, key);
    if (!sub || sub.mutability === 'readOnly') continue;
    updates.set(sub, coerceScalar(sub, v, `${label}.${sub.name}`));
  }
  if (valueSub && updates.get(valueSub) !== undefined && !sameScalar(valueSub, next.value, updates.get(valueSub))) {
    next = {};
  }
  for (const [sub, v] of updates) {
    if (v === undefined) delete next[sub.name];
    else {
      checkImmutable(sub, next[sub.name], v, `${label}.${sub.name}`);
      next[sub.name] = v;
    }
  }
  c[a.name] = next;
}

/** remove (or clear): the attribute, a sub-attribute, or with a value on a multi-valued attribute the listed elements. */
function removeTarget(work: Obj, r: ResolvedAttribute, value: unknown): void {
  const c = container(work, r, false);
  if (!c || c[r.attribute.name] === undefined) return;
  const { attribute: a, sub } = r;
  if (sub) {
    if (a.multiValued) {
      c[a.name] = cloneList(c[a.name]).map((el) => {
        if (isPlainObject(el)) delete el[sub.name];
        return el;
      });
    } else if (isPlainObject(c[a.name])) {
      const parent = { ...(c[a.name] as Obj) };
      delete parent[sub.name];
      c[a.name] = parent;
    }
    return;
  }
  if (a.multiValued && value !== undefined && value !== null) {
    const items = Array.isArray(value) ? value : [value];
    c[a.name] = cloneList(c[a.name]).filter((el) => !items.some((item) => elementMatches(a, el, item, r.canonicalPath)));
    return;
  }
  delete c[a.name];
}

/**
 * Whether `el` is the element `item` names in a remove with value: by `value` for attributes that
 * have one (`{"value": "<userId>"}` removes that member whatever else it holds), else all given sub-attributes.
 */
function elementMatches(def: AttributeDefinition, el: unknown, item: unknown, label: string): boolean {
  if (def.type !== 'complex') return sameScalar(def, el, coerceScalar(def, item, label));
  const given = coerceComplex(def, item, label, false, true);
  if (!given || !isPlainObject(el)) return false;
  const valueSub = valueSubAttribute(def);
  if (valueSub && given.value !== undefined) return sameScalar(valueSub, el.value, given.value);
  return Object.entries(given).every(([k, v]) => sameScalar(findByName(def.subAttributes, k), el[k], v));
}

/** Operations through a value filter: `emails[type eq "work"]`, `emails[type eq "work"].value`. */
function applyFiltered(
  work: Obj,
  op: Op,
  r: ResolvedAttribute,
  filter: Filter,
  sub: AttributeDefinition | undefined,
  value: unknown,
): void {
  validateValueFilter(filter, r);
  const a = r.attribute;
  const label = sub ? `${r.canonicalPath}.${sub.name}` : r.canonicalPath;
  const clearing = op === 'remove' || isClearing(op, value);
  if (!clearing && isEmptyValue(value)) return;
  const c = container(work, r, !clearing);
  if (!c) return;
  let list = cloneList(c[a.name]);
  const hits = list.filter((el) => matchesValueFilter(el, filter, r));

  if (clearing) {
    if (sub) for (const el of hits) if (isPlainObject(el)) delete el[sub.name];
    const removed = new Set(hits);
    if (!sub) list = list.filter((el) => !removed.has(el));
    c[a.name] = list;
    return;
  }

  const seed = seedFromFilter(filter, r);
  const touched: unknown[] = [];
  if (sub) {
    const v = coerceScalar(sub, value, label);
    if (v === undefined) return;
    for (const el of hits) {
      if (!isPlainObject(el)) continue;
      checkImmutable(sub, el[sub.name], v, label);
      el[sub.name] = v;
      touched.push(el);
    }
    if (!hits.length) {
      const created = { ...seed, [sub.name]: v };
      list.push(created);
      touched.push(created);
    }
  } else {
    const raw = Array.isArray(value) && value.length === 1 ? value[0] : value;
    const incoming = coerceComplex(a, raw, label, false, true) ?? {};
    for (const el of hits) {
      if (!isPlainObject(el)) continue;
      for (const s of a.subAttributes ?? []) checkImmutable(s, el[s.name], incoming[s.name], `${label}.${s.name}`);
      const next = op === 'add' ? { ...el, ...incoming } : { ...seed, ...incoming };
      list[list.indexOf(el)] = next;
      touched.push(next);
    }
    if (!hits.length) {
      const created = { ...seed, ...incoming };
      list.push(created);
      touched.push(created);
    }
  }
  preferPrimary(list, touched);
  c[a.name] = list;
}

/**
 * Operations through a value filter on a multi-valued attribute of simple type, whose elements the
 * filter names `value` (`urn:…:User:tags[value eq "vip"]`): remove drops the matching elements; add and
 * replace put the value in their place, or append it when none match. The result holds no element twice.
 */
function applyFilteredSimple(work: Obj, op: Op, r: ResolvedAttribute, filter: Filter, value: unknown): void {
  const a = r.attribute;
  const elements = elementsAsValues(r);
  validateValueFilter(filter, elements);
  const clearing = op === 'remove' || isClearing(op, value);
  if (!clearing && isEmptyValue(value)) return;
  const c = container(work, r, !clearing);
  if (!c) return;
  const list = cloneList(c[a.name]);
  const hit = (el: unknown) => matchesValueFilter(el, filter, elements);
  if (clearing) {
    c[a.name] = list.filter((el) => !hit(el));
    return;
  }
  const v = coerceScalar(a, Array.isArray(value) && value.length === 1 ? value[0] : value, r.canonicalPath);
  if (v === undefined) return;
  const next = list.some(hit) ? list.map((el) => (hit(el) ? v : el)) : [...list, v];
  c[a.name] = next.filter((el, i) => next.findIndex((other) => deepEqual(other, el)) === i);
}

/** A multi-valued simple attribute seen as elements `{value}`, so that value filters can name them. */
function elementsAsValues(r: ResolvedAttribute): ResolvedAttribute {
  const value: AttributeDefinition = { ...r.attribute, name: 'value', multiValued: false };
  return { ...r, attribute: { ...r.attribute, type: 'complex', subAttributes: [value] } };
}

/** The sub-attribute values a filter's `eq` clauses (joined by `and`) require: the seed of a created element. */
function seedFromFilter(filter: Filter, parent: ResolvedAttribute): Obj {
  const seed: Obj = {};
  const walk = (f: Filter) => {
    if (f.op === 'and') {
      walk(f.left);
      walk(f.right);
    } else if (f.op === 'eq' && f.value !== null) {
      const sub = resolveSubAttribute(parent, f.path).sub!;
      if (sub.mutability === 'readOnly') return;
      try {
        const v = coerceScalar(sub, f.value, `${parent.canonicalPath}.${sub.name}`);
        if (v !== undefined) seed[sub.name] = v;
      } catch (e) {
        if (!(e instanceof ScimError)) throw e;
      }
    }
  };
  walk(filter);
  return seed;
}

function filterSub(parent: ResolvedAttribute, f: { path: CompareFilter['path'] }): AttributeDefinition {
  try {
    return resolveSubAttribute(parent, f.path).sub!;
  } catch (e) {
    if (e instanceof ScimError) throw ScimError.invalidFilter(e.detail);
    throw e;
  }
}

/** Checks every path and operator of a value filter once; throws `invalidFilter`. */
function validateValueFilter(filter: Filter, parent: ResolvedAttribute): void {
  switch (filter.op) {
    case 'and':
    case 'or':
      validateValueFilter(filter.left, parent);
      validateValueFilter(filter.right, parent);
      return;
    case 'not':
      validateValueFilter(filter.filter, parent);
      return;
    case 'valuePath':
      throw ScimError.invalidFilter(`Value filters cannot be nested inside ${parent.canonicalPath}[…]`);
    case 'pr':
      filterSub(parent, filter);
      return;
    default: {
      const sub = filterSub(parent, filter);
      if ((sub.type === 'boolean' || sub.type === 'binary') && filter.op !== 'eq' && filter.op !== 'ne') {
        throw ScimError.invalidFilter(`Operator "${filter.op}" cannot compare ${sub.type} attribute ${sub.name}`);
      }
    }
  }
}

/**
 * Evaluates a value filter (`type eq "work" and primary eq true`) on one element of a multi-valued
 * complex attribute. Strings compare case-insensitively unless the sub-attribute is caseExact;
 * dateTime values compare as instants. Throws `invalidFilter` for unknown sub-attributes.
 */
export function matchesValueFilter(element: unknown, filter: Filter, parent: ResolvedAttribute): boolean {
  const el: Obj = isPlainObject(element) ? element : { value: element };
  switch (filter.op) {
    case 'and':
      return matchesValueFilter(el, filter.left, parent) && matchesValueFilter(el, filter.right, parent);
    case 'or':
      return matchesValueFilter(el, filter.left, parent) || matchesValueFilter(el, filter.right, parent);
    case 'not':
      return !matchesValueFilter(el, filter.filter, parent);
    case 'valuePath':
      throw ScimError.invalidFilter(`Value filters cannot be nested inside ${parent.canonicalPath}[…]`);
    case 'pr':
      return !isEmptyValue(el[filterSub(parent, filter).name]);
    default: {
      const sub = filterSub(parent, filter);
      return compare(filter, sub, el[sub.name]);
    }
  }
}

function compare(f: CompareFilter, sub: AttributeDefinition, actual: unknown): boolean {
  const expected = f.value;
  if (expected === null || isEmptyValue(actual)) {
    const bothAbsent = expected === null && isEmptyValue(actual);
    return f.op === 'eq' ? bothAbsent : f.op === 'ne' ? !bothAbsent : false;
  }
  let order: number | undefined;
  let equal: boolean;
  if (typeof actual === 'string' && typeof expected === 'string') {
    const fold = (s: string) => (sub.caseExact ? s : s.toLowerCase());
    const x = fold(actual);
    const y = fold(expected);
    switch (f.op) {
      case 'co':
        return x.includes(y);
      case 'sw':
        return x.startsWith(y);
      case 'ew':
        return x.endsWith(y);
    }
    const tx = sub.type === 'dateTime' ? Date.parse(actual) : NaN;
    const ty = sub.type === 'dateTime' ? Date.parse(expected) : NaN;
    if (!Number.isNaN(tx) && !Number.isNaN(ty)) order = Math.sign(tx - ty);
    else order = x < y ? -1 : x > y ? 1 : 0;
    equal = order === 0;
  } else if (typeof actual === 'boolean') {
    const e = typeof expected === 'string' ? expected.trim().toLowerCase() === String(actual) : expected === actual;
    equal = e;
  } else if (typeof actual === 'number' && typeof expected === 'number') {
    order = Math.sign(actual - expected);
    equal = order === 0;
  } else {
    equal = false;
  }
  switch (f.op) {
    case 'eq':
      return equal;
    case 'ne':
      return !equal;
    case 'gt':
      return order !== undefined && order > 0;
    case 'ge':
      return order !== undefined && order >= 0;
    case 'lt':
      return order !== undefined && order < 0;
    case 'le':
      return order !== undefined && order <= 0;
    default:
      return false;
  }
}

/** Canonical paths that differ between two canonical resources (complex single values per sub-attribute). */
function changedPaths(before: ScimResource, after: ScimResource, rs: ResourceSchema): string[] {
  const out: string[] = [];
  const diff = (b: unknown, a: unknown, def: AttributeDefinition, schemaUrn: string, extension: boolean) => {
    if (deepEqual(b, a)) return;
    if (def.type === 'complex' && !def.multiValued) {
      const bo = isPlainObject(b) ? b : {};
      const ao = isPlainObject(a) ? a : {};
      for (const sub of def.subAttributes ?? []) {
        if (!deepEqual(bo[sub.name], ao[sub.name])) out.push(canonicalPathOf(schemaUrn, extension, def, sub));
      }
      return;
    }
    out.push(canonicalPathOf(schemaUrn, extension, def));
  };
  for (const def of [...COMMON_ATTRIBUTES, ...rs.core.attributes]) diff(before[def.name], after[def.name], def, rs.core.id, false);
  for (const { schema } of rs.extensions) {
    const b = isPlainObject(before[schema.id]) ? (before[schema.id] as Obj) : {};
    const a = isPlainObject(after[schema.id]) ? (after[schema.id] as Obj) : {};
    for (const def of schema.attributes) diff(b[def.name], a[def.name], def, schema.id, true);
  }
  return out;
}
