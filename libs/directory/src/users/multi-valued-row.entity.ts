import { Column, Entity, PrimaryColumn } from 'typeorm';

/** An element of a multi-valued attribute stored as rows: `emails` and `phoneNumbers`. */
export abstract class MultiValuedRow {
  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 36 })
  userId: string;

  @PrimaryColumn({ type: 'int' })
  position: number;

  @Column({ name: 'tenant_id', type: 'varchar', length: 36 })
  tenantId: string;

  @Column({ type: 'varchar', length: 320 })
  value: string;

  /** Lower-cased value, for case-insensitive filters. */
  @Column({ name: 'value_key', type: 'varchar', length: 320 })
  valueKey: string;

  @Column({ type: 'varchar', length: 64, nullable: true })
  type: string | null;

  @Column({ name: 'is_primary', type: 'boolean' })
  primary: boolean;

  @Column({ type: 'varchar', length: 255, nullable: true })
  display: string | null;
}

@Entity({ name: 'scim_user_emails' })
export class ScimUserEmailEntity extends MultiValuedRow {}

@Entity({ name: 'scim_user_phone_numbers' })
export class ScimUserPhoneNumberEntity extends MultiValuedRow {}
