/**
 * Canonical form of a SCIM resource, produced from POST/PUT bodies and by PATCH.
 *
 * - keys are the schema's exact attribute names (`userName`, `name.givenName` nested as `name: {givenName}`);
 * - extension attributes are nested under their full schema URN key;
 * - `schemas` = core URN + the URNs of the extensions present, always first;
 * - null, `""`, `[]` and `{}` are absent and omitted; booleans are JSON booleans;
 * - multi-valued attributes are arrays without exact duplicates, complex elements without a `value`
 *   are dropped (for attributes that have one), at most one element has `primary: true`;
 * - a complex single value whose definition has a `value` sub-attribute (manager) exists only with a value;
 * - strings are stored exactly as sent.
 */
import { COMMON_ATTRIBUTES } from './schema/definitions.js';
import { findAttrPath, findByName, findExtension, splitAttrName } from './schema/resolve.js';
import type { AttributeDefinition, ResourceSchema } from './schema/types.js';
import { ScimError } from './scim-error.js';
import type { AttrPath } from './filter/ast.js';

export type ScimResource = Record<string, unknown>;

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Structural equality of JSON values (object key order ignored). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** null, undefined, `""`, `[]` and `{}`: values that mean "absent". */
export function isEmptyValue(value: unknown): boolean {
  return (
    value === undefined ||
    value === null ||
    value === '' ||
    (Array.isArray(value) && value.length === 0) ||
    (isPlainObject(value) && Object.keys(value).length === 0)
  );
}

export const valueSubAttribute = (def: AttributeDefinition) => findByName(def.subAttributes, 'value');

/** Coerces a non-complex value to its attribute type; undefined when absent. Throws `invalidValue`. */
export function coerceScalar(def: AttributeDefinition, raw: unknown, label: string): unknown {
  if (raw === undefined || raw === null) return undefined;
  switch (def.type) {
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      if (typeof raw === 'string') {
        const t = raw.trim().toLowerCase();
        if (t === 'true') return true;
        if (t === 'false') return false;
        if (t === '') return undefined;
      }
      throw ScimError.invalidValue(`Attribute ${label} must be a boolean (true or false)`);
    }
    case 'integer':
      if (typeof raw === 'number' && Number.isInteger(raw)) return raw;
      throw ScimError.invalidValue(`Attribute ${label} must be an integer`);
    case 'decimal':
      if (typeof raw === 'number' && Number.isFinite(raw)) return raw;
      throw ScimError.invalidValue(`Attribute ${label} must be a number`);
    case 'complex':
      throw ScimError.invalidValue(`Attribute ${label} must be a complex value`);
    default:
      if (typeof raw === 'string') return raw === '' ? undefined : raw;
      throw ScimError.invalidValue(`Attribute ${label} must be a string`);
  }
}

/**
 * Coerces one complex value: sub-attribute names matched case-insensitively, unknown ones dropped,
 * readOnly ones dropped unless `keepReadOnly`. A bare string for an attribute with a `value`
 * sub-attribute (manager) becomes `{value}`. Undefined when nothing (or, unless `partial`, no `value`) remains.
 */
export function coerceComplex(
  def: AttributeDefinition,
  raw: unknown,
  label: string,
  keepReadOnly: boolean,
  partial = false,
): Record<string, unknown> | undefined {
  if (raw === undefined || raw === null) return undefined;
  const valueSub = valueSubAttribute(def);
  let obj: Record<string, unknown>;
  if (isPlainObject(raw)) obj = raw;
  else if (valueSub && (typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean')) obj = { value: raw };
  else throw ScimError.invalidValue(`Attribute ${label} must be an object`);
  const values = new Map<AttributeDefinition, unknown>();
  for (const [key, v] of Object.entries(obj)) {
    const sub = findByName(def.subAttributes, key);
    if (!sub || (sub.mutability === 'readOnly' && !keepReadOnly)) continue;
    const c = coerceScalar(sub, v, `${label}.${sub.name}`);
    if (c === undefined) values.delete(sub);
    else values.set(sub, c);
  }
  if (valueSub && !partial && !values.has(valueSub)) return undefined;
  const out: Record<string, unknown> = {};
  for (const sub of def.subAttributes ?? []) if (values.has(sub)) out[sub.name] = values.get(sub);
  return Object.keys(out).length ? out : undefined;
}

/** Coerces one element (or the single value) of an attribute. */
export function coerceSingle(def: AttributeDefinition, raw: unknown, label: string, keepReadOnly: boolean): unknown {
  return def.type === 'complex' ? coerceComplex(def, raw, label, keepReadOnly) : coerceScalar(def, raw, label);
}

/** Drops exact duplicates and keeps only the first `primary: true` (RFC 7643 §2.4). Undefined when empty. */
export function finishMultiValued(def: AttributeDefinition, list: unknown[]): unknown[] | undefined {
  const out: unknown[] = [];
  const seen = new Set<string>();
  for (const el of list) {
    if (el === undefined) continue;
    // Coerced elements have their keys in schema order, so their JSON is a stable identity.
    const key = JSON.stringify(el);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(el);
  }
  if (def.type === 'complex' && findByName(def.subAttributes, 'primary')) {
    let seen = false;
    for (const el of out) {
      if (isPlainObject(el) && el.primary === true) {
        if (seen) el.primary = false;
        seen = true;
      }
    }
  }
  return out.length ? out : undefined;
}

/** Coerces a whole attribute value (a single object for a multi-valued attribute is wrapped). */
export function coerceValue(def: AttributeDefinition, raw: unknown, label: string, keepReadOnly = false): unknown {
  if (raw === undefined || raw === null) return undefined;
  if (def.multiValued) {
    const items = Array.isArray(raw) ? raw : [raw];
    return finishMultiValued(
      def,
      items.map((el) => coerceSingle(def, el, label, keepReadOnly)),
    );
  }
  if (Array.isArray(raw)) throw ScimError.invalidValue(`Attribute ${label} is single-valued; an array was given`);
  return coerceSingle(def, raw, label, keepReadOnly);
}

/**
 * How an attribute no schema defines is named for support: its key, or for a URN key whose value is
 * an object (an undeclared extension), each of its attributes as `urn:…:attr`.
 */
export function undeclaredNames(key: string, value: unknown): string[] {
  if (/^urn:/i.test(key) && isPlainObject(value) && Object.keys(value).length > 0) return Object.keys(value).map((inner) => `${key}:${inner}`);
  return [key];
}

export interface CanonicalizeOptions {
  /** Keep readOnly attributes (id, meta, groups, manager.displayName): true for stored resources. */
  keepReadOnly: boolean;
  /** Throw `invalidValue` when a required attribute is missing. */
  checkRequired: boolean;
  /** Receives the names of the attributes dropped because no schema of the resource type defines them. */
  ignored?: string[];
}

/** Brings any loosely shaped resource object into canonical form (see the file header). */
export function canonicalizeResource(
  raw: Record<string, unknown>,
  rs: ResourceSchema,
  options: CanonicalizeOptions,
): ScimResource {
  const bag = new Map<AttributeDefinition, unknown>();

  const put = (path: AttrPath, value: unknown, name: string) => {
    const resolved = findAttrPath(rs, path);
    if (!resolved) {
      options.ignored?.push(...undeclaredNames(name, value));
      return;
    }
    const { attribute, sub } = resolved;
    if (!options.keepReadOnly && (attribute.mutability === 'readOnly' || sub?.mutability === 'readOnly')) return;
    const current = bag.get(attribute);
    let next: unknown = value;
    if (sub) {
      if (attribute.multiValued) {
        const list = Array.isArray(current) ? current : isEmptyValue(current) ? [] : [current];
        next = list.length
          ? list.map((el) => (isPlainObject(el) ? { ...el, [sub.name]: value } : el))
          : [{ [sub.name]: value }];
      } else {
        const base = isPlainObject(current)
          ? current
          : current !== undefined && current !== null && valueSubAttribute(attribute)
            ? { value: current }
            : {};
        next = { ...base, [sub.name]: value };
      }
    } else if (attribute.type === 'complex' && !attribute.multiValued && isPlainObject(current) && isPlainObject(value)) {
      next = { ...current, ...value };
    }
    bag.set(attribute, next);
  };

  for (const [key, value] of Object.entries(raw)) {
    if (key.toLowerCase() === 'schemas') continue;
    const ext = findExtension(rs, key);
    if (ext) {
      if (value === undefined || value === null) continue;
      if (!isPlainObject(value)) throw ScimError.invalidValue(`${ext.id} must be an object of extension attributes`);
      for (const [inner, v] of Object.entries(value)) {
        const path = splitAttrName(inner);
        if (path) put({ ...path, uri: path.uri ?? ext.id }, v, `${ext.id}:${inner}`);
        else options.ignored?.push(`${ext.id}:${inner}`);
      }
      continue;
    }
    const path = splitAttrName(key);
    if (path) put(path, value, key);
    else options.ignored?.push(...undeclaredNames(key, value));
  }

  const out: ScimResource = { schemas: [rs.core.id] };
  const schemas: string[] = [rs.core.id];
  const emit = (target: Record<string, unknown>, def: AttributeDefinition, label: string) => {
    const v = coerceValue(def, bag.get(def), label, options.keepReadOnly);
    if (v !== undefined) target[def.name] = v;
  };
  const meta = COMMON_ATTRIBUTES.find((d) => d.name === 'meta')!;
  for (const def of COMMON_ATTRIBUTES) if (def !== meta) emit(out, def, def.name);
  for (const def of rs.core.attributes) emit(out, def, def.name);
  for (const { schema, required } of rs.extensions) {
    const obj: Record<string, unknown> = {};
    for (const def of schema.attributes) emit(obj, def, `${schema.id}:${def.name}`);
    const present = Object.keys(obj).length > 0;
    if (present) {
      out[schema.id] = obj;
      schemas.push(schema.id);
    }
    if (options.checkRequired) {
      if (required && !present) throw ScimError.invalidValue(`Extension ${schema.id} is required`);
      for (const def of schema.attributes) {
        if (present && def.required && obj[def.name] === undefined) {
          throw ScimError.invalidValue(`Attribute ${schema.id}:${def.name} is required`);
        }
      }
    }
  }
  emit(out, meta, meta.name);
  out.schemas = schemas;

  if (options.checkRequired) {
    for (const def of rs.core.attributes) {
      const v = out[def.name];
      if (def.required && (v === undefined || (typeof v === 'string' && v.trim() === ''))) {
        throw ScimError.invalidValue(`Attribute ${def.name} is required`);
      }
    }
  }
  return out;
}

/**
 * Canonical form of a POST or PUT body. Unknown attributes and schema URNs, readOnly attributes
 * (id, meta, groups) and client-sent `schemas` are dropped; required attributes are enforced. The
 * names of the unknown attributes are added to `ignored` when given.
 */
export function normalizeResource(body: unknown, rs: ResourceSchema, ignored?: string[]): ScimResource {
  if (!isPlainObject(body)) throw ScimError.invalidSyntax('The request body must be a JSON object');
  return canonicalizeResource(body, rs, { keepReadOnly: false, checkRequired: true, ignored });
}
