import type { ScimResource } from '@app/scim';

const IGNORED = new Set(['id', 'meta', 'schemas', 'groups']);

/**
 * Names of the attributes that differ between two canonical resources: top-level names, and
 * `parent.sub` inside single-valued complex attributes and extensions (`name.givenName`).
 */
export function changedAttributes(before: ScimResource, after: ScimResource): string[] {
  const changed: string[] = [];
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (IGNORED.has(key)) continue;
    const a = before[key];
    const b = after[key];
    if (JSON.stringify(a) === JSON.stringify(b)) continue;
    const nested = [a, b].every((v) => v === undefined || (v !== null && typeof v === 'object' && !Array.isArray(v)));
    if (!nested) {
      changed.push(key);
      continue;
    }
    const x = (a ?? {}) as Record<string, unknown>;
    const y = (b ?? {}) as Record<string, unknown>;
    for (const sub of new Set([...Object.keys(x), ...Object.keys(y)])) {
      if (JSON.stringify(x[sub]) !== JSON.stringify(y[sub])) changed.push(`${key}.${sub}`);
    }
  }
  return changed;
}
