import { columnTextProblem, textKey } from '@app/database';
import { ScimError, type ScimResource } from '@app/scim';
import type { ExtensionAttribute, ScimUserExtensionValueEntity, TenantSchemaExtensionEntity } from './schema-extension.entity.js';

/** The longest value of an extension attribute, in characters: its lower-cased key is indexed whole. */
export const EXTENSION_VALUE_MAX = 255;

/** A value of a user's extension attribute, before it has a user. */
export type ExtensionValue = Pick<ScimUserExtensionValueEntity, 'urn' | 'attr' | 'position' | 'value' | 'valueKey'>;

/** RFC 7643 §2.3.5: an xsd:dateTime (date, time, optional fraction and offset). */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?$/;

/**
 * The values a canonical User resource holds for the tenant's extensions, checked against their
 * declarations beyond what normalization checks (types and required): dateTime format, canonical
 * values, length. Throws `invalidValue`. Values are stored as text, in order.
 */
export function extensionValues(resource: ScimResource, extensions: readonly TenantSchemaExtensionEntity[]): { values: ExtensionValue[]; json: Record<string, unknown> } {
  const values: ExtensionValue[] = [];
  const json: Record<string, unknown> = {};
  for (const extension of extensions) {
    const held = resource[extension.urn];
    if (held === null || typeof held !== 'object' || Array.isArray(held)) continue;
    const kept: Record<string, unknown> = {};
    for (const attribute of extension.attributes) {
      const value = (held as Record<string, unknown>)[attribute.name];
      if (value === undefined) continue;
      kept[attribute.name] = value;
      const list = Array.isArray(value) ? value : [value];
      list.forEach((element, position) => {
        const text = checkedValue(extension.urn, attribute, element);
        values.push({ urn: extension.urn, attr: attribute.name, position, value: text, valueKey: textKey(text) });
      });
    }
    if (Object.keys(kept).length > 0) json[extension.urn] = kept;
  }
  return { values, json };
}

function checkedValue(urn: string, attribute: ExtensionAttribute, value: unknown): string {
  const label = `${urn}:${attribute.name}`;
  const text = typeof value === 'string' ? value : String(value);
  if (attribute.type === 'dateTime' && (!DATE_TIME.test(text) || Number.isNaN(Date.parse(text)))) {
    throw ScimError.invalidValue(`Attribute ${label} must be a dateTime (xsd:dateTime, e.g. 2026-01-31T12:00:00Z)`);
  }
  if (attribute.canonicalValues.length > 0) {
    const allowed = attribute.caseExact ? attribute.canonicalValues.includes(text) : attribute.canonicalValues.some((c) => textKey(c) === textKey(text));
    if (!allowed) throw ScimError.invalidValue(`Attribute ${label} must be one of: ${attribute.canonicalValues.join(', ')}`);
  }
  const problem = columnTextProblem(text, EXTENSION_VALUE_MAX, true);
  if (problem) throw ScimError.invalidValue(`Attribute ${label} ${problem}`);
  return text;
}

/**
 * The extension attributes of a stored user's JSON copy that the tenant still declares: values of an
 * attribute or extension removed since are not shown (their rows were deleted with the declaration).
 */
export function declaredExtensionJson(extra: Record<string, unknown>, extensions: readonly TenantSchemaExtensionEntity[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const extension of extensions) {
    const held = extra[extension.urn];
    if (held === null || typeof held !== 'object') continue;
    const kept: Record<string, unknown> = {};
    for (const attribute of extension.attributes) {
      const value = (held as Record<string, unknown>)[attribute.name];
      if (value !== undefined) kept[attribute.name] = value;
    }
    if (Object.keys(kept).length > 0) out[extension.urn] = kept;
  }
  return out;
}
