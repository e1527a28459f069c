import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The type of an extension attribute (RFC 7643 §2.3), as a tenant may declare it. */
export type ExtensionAttributeType = 'string' | 'boolean' | 'integer' | 'decimal' | 'dateTime' | 'reference';

export const EXTENSION_ATTRIBUTE_TYPES: readonly ExtensionAttributeType[] = ['string', 'boolean', 'integer', 'decimal', 'dateTime', 'reference'];

/** One attribute of a tenant's extension schema. */
export interface ExtensionAttribute {
  name: string;
  type: ExtensionAttributeType;
  multiValued: boolean;
  caseExact: boolean;
  required: boolean;
  canonicalValues: string[];
  description: string;
}

/** A tenant's own SCIM extension schema of User: its URN and attributes (JSON). */
@Entity({ name: 'tenant_schema_extensions' })
export class TenantSchemaExtensionEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 36 })
  tenantId: string;

  @Column({ type: 'varchar', length: 255 })
  urn: string;

  @Column({ type: 'simple-json' })
  attributes: ExtensionAttribute[];

  @Column({ name: 'created_at', type: 'datetime' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime' })
  updatedAt: Date;
}

/** One value of a user's extension attribute; a multi-valued attribute has one row per value, in `position` order. */
@Entity({ name: 'scim_user_extension_values' })
export class ScimUserExtensionValueEntity {
  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 36 })
  userId: string;

  @PrimaryColumn({ type: 'varchar', length: 255 })
  urn: string;

  @PrimaryColumn({ type: 'varchar', length: 128 })
  attr: string;

  @PrimaryColumn({ type: 'int' })
  position: number;

  @Column({ name: 'tenant_id', type: 'varchar', length: 36 })
  tenantId: string;

  /** The value as text (booleans `true`/`false`, numbers and dateTimes as sent once validated). */
  @Column({ type: 'text' })
  value: string;

  /** Lower-cased value, first 255 characters: the indexed key of filters. */
  @Column({ name: 'value_key', type: 'varchar', length: 255 })
  valueKey: string;
}
