/**
 * Case-insensitive resolution of attribute paths (RFC 7643 §2.1, RFC 7644 §3.10) against a resource
 * schema: `userName`, `name.givenName`, `urn:…:core:2.0:User:emails.value`,
 * `urn:…:enterprise:2.0:User:manager.value`.
 */
import type { AttrPath } from '../filter/ast.js';
import { ScimError } from '../scim-error.js';
import { COMMON_ATTRIBUTES } from './definitions.js';
import type { AttributeDefinition, ResourceSchema, SchemaDefinition } from './types.js';

export interface ResolvedAttribute {
  /** The schema the attribute belongs to (the core schema for id, externalId and meta). */
  schemaUrn: string;
  /** True for extension attributes, stored under `resource[schemaUrn]`. */
  extension: boolean;
  attribute: AttributeDefinition;
  sub?: AttributeDefinition;
  /** `name.givenName`, `emails.value`, `urn:…:enterprise:2.0:User:manager.value`. */
  canonicalPath: string;
}

const eqi = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** Case-insensitive indexes of the (immutable) schema definitions, built on first use. */
const byName = new WeakMap<readonly AttributeDefinition[], Map<string, AttributeDefinition>>();
const byUrn = new WeakMap<ResourceSchema, Map<string, SchemaDefinition>>();

export function findByName(defs: readonly AttributeDefinition[] | undefined, name: string): AttributeDefinition | undefined {
  if (!defs) return undefined;
  let index = byName.get(defs);
  if (!index) {
    index = new Map(defs.map((d) => [d.name.toLowerCase(), d]));
    byName.set(defs, index);
  }
  return index.get(name.toLowerCase());
}

/** The extension schema whose URN equals `urn` (case-insensitive). */
export function findExtension(rs: ResourceSchema, urn: string): SchemaDefinition | undefined {
  let index = byUrn.get(rs);
  if (!index) {
    index = new Map(rs.extensions.map((e) => [e.schema.id.toLowerCase(), e.schema]));
    byUrn.set(rs, index);
  }
  return index.get(urn.toLowerCase());
}

export function canonicalPathOf(
  schemaUrn: string,
  extension: boolean,
  attribute: AttributeDefinition,
  sub?: AttributeDefinition,
): string {
  const local = sub ? `${attribute.name}.${sub.name}` : attribute.name;
  return extension ? `${schemaUrn}:${local}` : local;
}

/**
 * Splits an attribute name as written in a body key or query parameter into an AttrPath:
 * `name.givenName`, `urn:…:User:manager.value` (the last colon ends the URN). Undefined if malformed.
 */
export function splitAttrName(text: string): AttrPath | undefined {
  let uri: string | undefined;
  let rest = text.trim();
  if (/^urn:/i.test(rest)) {
    const colon = rest.lastIndexOf(':');
    uri = rest.slice(0, colon);
    rest = rest.slice(colon + 1);
  }
  const parts = rest.split('.');
  if (parts.length > 2 || !parts.every((p) => ATTR_NAME.test(p))) return undefined;
  const path: AttrPath = { attr: parts[0]! };
  if (uri !== undefined) path.uri = uri;
  if (parts[1] !== undefined) path.sub = parts[1];
  return path;
}

/** ATTRNAME of RFC 7644 §3.10, plus `$ref`. */
export const ATTR_NAME = /^(?:[A-Za-z][A-Za-z0-9_-]*|\$ref)$/;

/** Resolves `path`, or returns undefined when it names nothing in `rs`. */
export function findAttrPath(rs: ResourceSchema, path: AttrPath): ResolvedAttribute | undefined {
  const top = findTop(rs, path);
  if (!top) return undefined;
  if (path.sub === undefined) return top;
  const sub = findByName(top.attribute.subAttributes, path.sub);
  if (!sub) return undefined;
  return { ...top, sub, canonicalPath: canonicalPathOf(top.schemaUrn, top.extension, top.attribute, sub) };
}

function findTop(rs: ResourceSchema, path: AttrPath): ResolvedAttribute | undefined {
  const make = (schema: SchemaDefinition, extension: boolean, attribute: AttributeDefinition): ResolvedAttribute => ({
    schemaUrn: schema.id,
    extension,
    attribute,
    canonicalPath: canonicalPathOf(schema.id, extension, attribute),
  });
  if (path.uri !== undefined) {
    if (eqi(path.uri, rs.core.id)) {
      const a = findByName(COMMON_ATTRIBUTES, path.attr) ?? findByName(rs.core.attributes, path.attr);
      return a && make(rs.core, false, a);
    }
    const ext = findExtension(rs, path.uri);
    const a = ext && findByName(ext.attributes, path.attr);
    return ext && a && make(ext, true, a);
  }
  const core = findByName(COMMON_ATTRIBUTES, path.attr) ?? findByName(rs.core.attributes, path.attr);
  if (core) return make(rs.core, false, core);
  // Tolerance: an unqualified extension attribute resolves when exactly one extension defines it.
  const hits = rs.extensions.filter((e) => findByName(e.schema.attributes, path.attr));
  if (hits.length !== 1) return undefined;
  return make(hits[0]!.schema, true, findByName(hits[0]!.schema.attributes, path.attr)!);
}

function printPath(path: AttrPath): string {
  const local = path.sub === undefined ? path.attr : `${path.attr}.${path.sub}`;
  return path.uri === undefined ? local : `${path.uri}:${local}`;
}

/** Resolves `path` against `rs`; throws `invalidPath` when it names no attribute. */
export function resolveAttrPath(rs: ResourceSchema, path: AttrPath): ResolvedAttribute {
  const found = findAttrPath(rs, path);
  if (found) return found;
  const text = printPath(path);
  if (path.uri !== undefined && !eqi(path.uri, rs.core.id) && !findExtension(rs, path.uri)) {
    throw ScimError.invalidPath(`Unknown schema "${path.uri}" in attribute path "${text}" for ${rs.name} resources`);
  }
  if (path.sub !== undefined && findTop(rs, { ...path, sub: undefined })) {
    throw ScimError.invalidPath(`Attribute path "${text}": "${path.sub}" is not a sub-attribute of "${path.attr}"`);
  }
  throw ScimError.invalidPath(`Unknown attribute "${text}" for ${rs.name} resources`);
}

/**
 * Resolves a sub-attribute relative to a complex attribute, as used inside a value filter
 * (`emails[type eq "work"]`: `type` relative to `emails`). Accepts a bare name, `{attr: 'type'}`,
 * or the fully written `emails.type` / `urn:…:User:emails.type`. Throws `invalidPath`.
 */
export function resolveSubAttribute(parent: ResolvedAttribute, path: AttrPath | string): ResolvedAttribute {
  const p: AttrPath = typeof path === 'string' ? (splitAttrName(path) ?? { attr: path }) : path;
  const { attribute } = parent;
  if (parent.sub || attribute.type !== 'complex') {
    throw ScimError.invalidPath(`"${parent.canonicalPath}" has no sub-attributes`);
  }
  let name: string | undefined = p.attr;
  if (p.uri !== undefined || p.sub !== undefined) {
    const qualified =
      p.sub !== undefined && eqi(p.attr, attribute.name) && (p.uri === undefined || eqi(p.uri, parent.schemaUrn));
    name = qualified ? p.sub : undefined;
  }
  const sub = name === undefined ? undefined : findByName(attribute.subAttributes, name);
  if (!sub) {
    throw ScimError.invalidPath(`"${printPath(p)}" is not a sub-attribute of "${parent.canonicalPath}"`);
  }
  return { ...parent, sub, canonicalPath: canonicalPathOf(parent.schemaUrn, parent.extension, attribute, sub) };
}
