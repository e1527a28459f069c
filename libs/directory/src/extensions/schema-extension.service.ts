import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { In, type EntityManager } from 'typeorm';
import { Database } from '@app/database';
import { userResourceWith, type AttributeDefinition, type ResourceSchema, type SchemaDefinition } from '@app/scim';
import { EventLog, type EventDraft } from '../events/event-log.js';
import { TenantEntity } from '../tenants/tenant.entity.js';
import { ScimUserEntity } from '../users/scim-user.entity.js';
import { TenantError } from '../tenants/tenant.service.js';
import type { FilterSpec } from '../sql/filter-compiler.js';
import { userFilterWith } from '../users/user-filter.js';
import { EXTENSION_ATTRIBUTE_TYPES, ScimUserExtensionValueEntity, TenantSchemaExtensionEntity, type ExtensionAttribute, type ExtensionAttributeType } from './schema-extension.entity.js';

/** Users whose JSON copy is read per query when values are dropped. */
const BATCH = 500;

/** How long a tenant's extension schemas are cached for the SCIM door: a declaration reaches every instance within this. */
const CACHE_TTL_MS = 5_000;

/** The URNs the service defines itself: no tenant may declare them. */
const RESERVED_URN_PREFIX = 'urn:ietf:params:scim:schemas:core:';
const ENTERPRISE_URN = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

/** An extension URN: `urn:` and at least two more colon-separated parts, no spaces, at most 255 characters. */
export const EXTENSION_URN_PATTERN = /^urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}(?::[A-Za-z0-9()+,\-.=@;$_!*'%/?#]+)+$/;

/**
 * A tenant's own SCIM extension schemas of User (RFC 7643 §3.3): declared by support, listed by the
 * tenant's `/Schemas`, their values stored per user. Changing a declaration never loses values
 * silently: dropping an attribute (or a whole extension) that holds values needs `confirm`.
 */
@Injectable()
export class SchemaExtensionService {
  private readonly cache = new Map<string, { door: TenantSchemas; until: number }>();

  constructor(
    private readonly db: Database,
    private readonly events: EventLog,
  ) {}

  /** The tenant's extensions, URN order. */
  async list(tenantId: string): Promise<TenantSchemaExtensionEntity[]> {
    return this.db.read((m) => m.find(TenantSchemaExtensionEntity, { where: { tenantId }, order: { urn: 'ASC' } }));
  }

  /**
   * The tenant's extensions as the SCIM door sees them on every call, with its User resource type
   * (USER_RESOURCE plus them), cached for a few seconds: a change reaches every instance within that.
   */
  async forTenant(tenantId: string): Promise<TenantSchemas> {
    const now = Date.now();
    const cached = this.cache.get(tenantId);
    if (cached && cached.until > now) return cached.door;
    const extensions = await this.list(tenantId);
    const door: TenantSchemas = { extensions, userResource: userResourceWith(extensions.map(schemaDefinition)), userFilter: userFilterWith(extensions) };
    if (this.cache.size >= 10_000) this.cache.clear();
    this.cache.set(tenantId, { door, until: now + CACHE_TTL_MS });
    return door;
  }

  async get(tenantId: string, urn: string): Promise<TenantSchemaExtensionEntity> {
    const extension = await this.db.read((m) => m.findOne(TenantSchemaExtensionEntity, { where: { tenantId, urn } }));
    if (!extension) throw new TenantError('not_found', `No extension schema ${urn} for this tenant`);
    return extension;
  }

  /**
   * Declares or replaces the extension `urn` of the tenant. Attributes left out of `attributes`, or
   * declared again with another spelling, type or multiValued, lose their values, which is refused
   * (conflict) while any user holds one, unless `confirm`. Recorded as `event`.
   */
  async put(tenantId: string, urn: string, attributes: ExtensionAttribute[], confirm: boolean, event: EventDraft): Promise<{ extension: TenantSchemaExtensionEntity; created: boolean }> {
    checkUrn(urn);
    const names = new Set<string>();
    for (const attribute of attributes) {
      const key = attribute.name.toLowerCase();
      if (names.has(key)) throw new TenantError('invalid', `Attribute ${attribute.name} is declared twice (names are case-insensitive)`);
      names.add(key);
    }
    const result = await this.db.transaction(async (m) => {
      await this.lockTenant(m, tenantId);
      const current = await m.findOne(TenantSchemaExtensionEntity, { where: { tenantId, urn } });
      const now = new Date();
      const before = current?.attributes ?? [];
      const after = new Map(attributes.map((a) => [a.name.toLowerCase(), a]));
      const dropped = before
        .filter((a) => {
          const next = after.get(a.name.toLowerCase());
          return !next || next.name !== a.name || next.type !== a.type || next.multiValued !== a.multiValued;
        })
        .map((a) => a.name);
      await this.dropValues(m, tenantId, urn, dropped, confirm);
      const extension = Object.assign(current ?? new TenantSchemaExtensionEntity(), {
        id: current?.id ?? randomUUID(),
        tenantId,
        urn,
        attributes,
        createdAt: current?.createdAt ?? now,
        updatedAt: now,
      });
      if (current) await m.update(TenantSchemaExtensionEntity, { id: current.id }, { attributes, updatedAt: now });
      else await m.insert(TenantSchemaExtensionEntity, extension);
      const changed = changedAttributes(before, attributes).map((name) => `${urn}:${name}`);
      await this.events.record(m, tenantId, { ...event, resourceId: extension.id, changed: changed.length ? changed : [urn] }, current ? 200 : 201);
      return { extension, created: !current };
    });
    this.cache.delete(tenantId);
    return result;
  }

  /** Removes the extension `urn` of the tenant; refused (conflict) while any user holds a value of it, unless `confirm`. */
  async remove(tenantId: string, urn: string, confirm: boolean, event: EventDraft): Promise<void> {
    await this.db.transaction(async (m) => {
      await this.lockTenant(m, tenantId);
      const current = await m.findOne(TenantSchemaExtensionEntity, { where: { tenantId, urn } });
      if (!current) throw new TenantError('not_found', `No extension schema ${urn} for this tenant`);
      await this.dropValues(m, tenantId, urn, current.attributes.map((a) => a.name), confirm);
      await m.delete(TenantSchemaExtensionEntity, { id: current.id });
      await this.events.record(m, tenantId, { ...event, resourceId: current.id, changed: [urn] }, 204);
    });
    this.cache.delete(tenantId);
  }

  /**
   * Deletes the stored values of `attrs` (their rows and the users' JSON copies, each such user's
   * version moving on); refuses (conflict) when there are some and `confirm` is not set.
   */
  private async dropValues(m: EntityManager, tenantId: string, urn: string, attrs: string[], confirm: boolean): Promise<void> {
    if (attrs.length === 0) return;
    const where = { tenantId, urn, attr: In(attrs) };
    const held = await m.count(ScimUserExtensionValueEntity, { where });
    if (held === 0) return;
    if (!confirm) throw new TenantError('conflict', `Users hold ${held} value(s) of ${attrs.join(', ')} in ${urn}; repeat with confirm=true to delete them`);
    const rows: { user_id: string }[] = await m.query(
      `SELECT DISTINCT user_id FROM scim_user_extension_values WHERE tenant_id = ? AND urn = ? AND attr IN (${attrs.map(() => '?').join(', ')})`,
      [tenantId, urn, ...attrs],
    );
    await m.delete(ScimUserExtensionValueEntity, where);
    const now = new Date();
    for (let i = 0; i < rows.length; i += BATCH) {
      const users = await m.find(ScimUserEntity, { select: { id: true, extra: true, version: true }, where: { tenantId, id: In(rows.slice(i, i + BATCH).map((r) => r.user_id)) } });
      for (const user of users) {
        const extra = user.extra ? (JSON.parse(user.extra) as Record<string, Record<string, unknown> | undefined>) : {};
        const values = extra[urn];
        if (values) for (const attr of attrs) delete values[attr];
        if (values && Object.keys(values).length === 0) delete extra[urn];
        const json = Object.keys(extra).length > 0 ? JSON.stringify(extra) : null;
        await m.update(ScimUserEntity, { tenantId, id: user.id }, { extra: json, version: user.version + 1, updatedAt: now });
      }
    }
  }

  private async lockTenant(m: EntityManager, id: string): Promise<void> {
    const tenant = await m.findOne(TenantEntity, { select: { id: true }, where: { id }, ...(this.db.kind === 'mysql' ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
    if (!tenant) throw new TenantError('not_found', `No tenant ${id}`);
  }
}

/** What the SCIM door knows of a tenant's own schemas. */
export interface TenantSchemas {
  extensions: TenantSchemaExtensionEntity[];
  /** The tenant's User resource type: the enterprise extension and its own. */
  userResource: ResourceSchema;
  /** What the tenant's users can be filtered on: USER_FILTER and the tenant's own extension attributes. */
  userFilter: FilterSpec;
}

/** A declared extension as a SCIM schema definition (RFC 7643 §7): every attribute readWrite, returned by default. */
export function schemaDefinition(extension: Pick<TenantSchemaExtensionEntity, 'urn' | 'attributes'>): SchemaDefinition {
  return {
    id: extension.urn,
    name: extension.urn.slice(extension.urn.lastIndexOf(':', extension.urn.length - 1) + 1),
    description: `Extension schema ${extension.urn}`,
    attributes: extension.attributes.map(
      (a): AttributeDefinition => ({
        name: a.name,
        type: a.type,
        multiValued: a.multiValued,
        description: a.description,
        required: a.required,
        caseExact: a.caseExact,
        mutability: 'readWrite',
        returned: 'default',
        uniqueness: 'none',
        ...(a.canonicalValues.length > 0 ? { canonicalValues: a.canonicalValues } : {}),
        ...(a.type === 'reference' ? { referenceTypes: ['external'] } : {}),
      }),
    ),
  };
}

function checkUrn(urn: string): void {
  if (urn.length > 255 || !EXTENSION_URN_PATTERN.test(urn)) throw new TenantError('invalid', 'urn must be a URN (urn:<nid>:<part>...) of at most 255 characters');
  if (urn.startsWith(RESERVED_URN_PREFIX) || urn === ENTERPRISE_URN) throw new TenantError('invalid', `${urn} is defined by SCIM itself and cannot be declared`);
}

/** The names of the attributes added, removed or changed between two declarations. */
function changedAttributes(before: ExtensionAttribute[], after: ExtensionAttribute[]): string[] {
  const old = new Map(before.map((a) => [a.name.toLowerCase(), JSON.stringify(a)]));
  const now = new Map(after.map((a) => [a.name.toLowerCase(), JSON.stringify(a)]));
  const changed = after.filter((a) => old.get(a.name.toLowerCase()) !== JSON.stringify(a)).map((a) => a.name);
  return [...changed, ...before.filter((a) => !now.has(a.name.toLowerCase())).map((a) => a.name)];
}

/** An attribute name of RFC 7643 §2.1 (ATTRNAME: a letter, then letters, digits, `-` or `_`), at most 128 characters. */
export const EXTENSION_ATTRIBUTE_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,127}$/;

/**
 * The attributes of a declaration read from a file (the CLI's `schema-extension:set`), with the
 * admin API's rules: TenantError `invalid` naming the first problem.
 */
export function parseExtensionAttributes(raw: unknown): ExtensionAttribute[] {
  if (!Array.isArray(raw) || raw.length > 100) throw new TenantError('invalid', 'attributes must be an array of at most 100 attributes');
  return raw.map((item: unknown, index) => {
    const at = `attributes[${index}]`;
    if (item === null || typeof item !== 'object' || Array.isArray(item)) throw new TenantError('invalid', `${at} must be an object`);
    const a = item as Record<string, unknown>;
    const known = new Set(['name', 'type', 'multiValued', 'caseExact', 'required', 'canonicalValues', 'description']);
    const unknown = Object.keys(a).find((key) => !known.has(key));
    if (unknown) throw new TenantError('invalid', `${at}.${unknown} is not a property of an attribute`);
    if (typeof a.name !== 'string' || !EXTENSION_ATTRIBUTE_NAME.test(a.name)) throw new TenantError('invalid', `${at}.name must be a letter followed by up to 127 letters, digits, hyphens or underscores`);
    if (!EXTENSION_ATTRIBUTE_TYPES.includes(a.type as ExtensionAttributeType)) throw new TenantError('invalid', `${at}.type must be one of ${EXTENSION_ATTRIBUTE_TYPES.join(', ')}`);
    const flag = (key: string) => {
      if (a[key] !== undefined && typeof a[key] !== 'boolean') throw new TenantError('invalid', `${at}.${key} must be true or false`);
      return a[key] === true;
    };
    const canonical = a.canonicalValues ?? [];
    if (!Array.isArray(canonical) || canonical.length > 200 || !canonical.every((v) => typeof v === 'string' && v.length <= 255)) {
      throw new TenantError('invalid', `${at}.canonicalValues must be at most 200 texts of at most 255 characters`);
    }
    const description = a.description ?? '';
    if (typeof description !== 'string' || description.length > 500) throw new TenantError('invalid', `${at}.description must be a text of at most 500 characters`);
    return {
      name: a.name,
      type: a.type as ExtensionAttributeType,
      multiValued: flag('multiValued'),
      caseExact: flag('caseExact'),
      required: flag('required'),
      canonicalValues: canonical as string[],
      description,
    };
  });
}
