/**
 * `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9) applied to a canonical resource.
 */
import { isPlainObject, type ScimResource } from './normalize.js';
import { COMMON_ATTRIBUTES } from './schema/definitions.js';
import { findAttrPath, findByName, findExtension, splitAttrName } from './schema/resolve.js';
import type { AttributeDefinition, ResourceSchema } from './schema/types.js';

export interface Projection {
  /** Only these (plus `returned: always`); names case-insensitive, dotted, URN-prefixed or a bare schema URN. */
  attributes?: string[];
  /** Everything returned by default except these. */
  excludedAttributes?: string[];
}

interface Selection {
  whole: boolean;
  subs: Set<AttributeDefinition>;
}
type Plan = 'drop' | 'whole' | Set<AttributeDefinition>;

/** Parses attribute names into selections per top-level attribute; unknown names are ignored. */
function compile(rs: ResourceSchema, names: string[] | undefined): Map<AttributeDefinition, Selection> | undefined {
  const list = (names ?? []).flatMap((n) => n.split(',')).map((n) => n.trim()).filter((n) => n !== '');
  if (!list.length) return undefined;
  const map = new Map<AttributeDefinition, Selection>();
  const get = (def: AttributeDefinition) => {
    let s = map.get(def);
    if (!s) map.set(def, (s = { whole: false, subs: new Set() }));
    return s;
  };
  for (const name of list) {
    if (name.toLowerCase() === rs.core.id.toLowerCase()) {
      for (const def of [...COMMON_ATTRIBUTES, ...rs.core.attributes]) get(def).whole = true;
      continue;
    }
    const ext = findExtension(rs, name);
    if (ext) {
      for (const def of ext.attributes) get(def).whole = true;
      continue;
    }
    const path = splitAttrName(name);
    const resolved = path && findAttrPath(rs, path);
    if (!resolved) continue;
    if (resolved.sub) get(resolved.attribute).subs.add(resolved.sub);
    else get(resolved.attribute).whole = true;
  }
  return map;
}

function planFor(
  def: AttributeDefinition,
  include: Map<AttributeDefinition, Selection> | undefined,
  exclude: Map<AttributeDefinition, Selection> | undefined,
): Plan {
  if (def.returned === 'never') return 'drop';
  if (def.returned === 'always') return 'whole';
  let plan: Plan;
  if (include) {
    const sel = include.get(def);
    plan = !sel ? 'drop' : sel.whole ? 'whole' : new Set(sel.subs);
  } else plan = def.returned === 'request' ? 'drop' : 'whole';
  const ex = exclude?.get(def);
  if (plan === 'drop' || !ex) return plan;
  if (ex.whole) return 'drop';
  const subs = plan === 'whole' ? new Set(def.subAttributes ?? []) : plan;
  for (const s of ex.subs) subs.delete(s);
  return subs;
}

function pick(value: unknown, subs: Set<AttributeDefinition>): Record<string, unknown> | undefined {
  if (!isPlainObject(value)) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const sub = [...subs].find((s) => s.name.toLowerCase() === k.toLowerCase());
    if (sub && sub.returned !== 'never') out[k] = v;
  }
  return Object.keys(out).length ? out : undefined;
}

function project(def: AttributeDefinition, value: unknown, plan: Plan): unknown {
  if (plan === 'drop') return undefined;
  if (plan === 'whole') return value;
  if (Array.isArray(value)) {
    const list = value.map((el) => pick(el, plan)).filter((el) => el !== undefined);
    return list.length ? list : undefined;
  }
  return def.type === 'complex' ? pick(value, plan) : undefined;
}

/**
 * Returns a new resource with only the attributes a request asked for: `returned: always` ones (id,
 * schemas) always, `returned: never` ones (password) never. Unknown names are ignored. `schemas`
 * lists the core URN and the extensions still present.
 */
export function projectResource(resource: ScimResource, rs: ResourceSchema, projection: Projection): ScimResource {
  const include = compile(rs, projection.attributes);
  const exclude = compile(rs, projection.excludedAttributes);
  const out: ScimResource = { schemas: [rs.core.id] };
  const schemas: string[] = [rs.core.id];
  for (const [key, value] of Object.entries(resource)) {
    if (key.toLowerCase() === 'schemas') continue;
    const ext = findExtension(rs, key);
    if (ext) {
      if (!isPlainObject(value)) continue;
      const obj: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        const def = findByName(ext.attributes, k);
        const p = def && project(def, v, planFor(def, include, exclude));
        if (p !== undefined) obj[k] = p;
      }
      if (Object.keys(obj).length) {
        out[key] = obj;
        schemas.push(ext.id);
      }
      continue;
    }
    const def = findByName(COMMON_ATTRIBUTES, key) ?? findByName(rs.core.attributes, key);
    const p = def && project(def, value, planFor(def, include, exclude));
    if (p !== undefined) out[key] = p;
  }
  out.schemas = schemas;
  return out;
}

/**
 * Whether a projection returns any part of the attribute `name` (e.g. `members`), so a service can
 * skip loading what will not be returned. Unknown names: false.
 */
export function isAttributeReturned(rs: ResourceSchema, projection: Projection, name: string): boolean {
  const path = splitAttrName(name);
  const resolved = path && findAttrPath(rs, { ...path, sub: undefined });
  if (!resolved) return false;
  const plan = planFor(resolved.attribute, compile(rs, projection.attributes), compile(rs, projection.excludedAttributes));
  return plan === 'whole' || (plan instanceof Set && plan.size > 0);
}
