import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One SCIM user. Emails and phone numbers are child rows and JSON copies; rarely used attributes live in `extra`. */
@Entity({ name: 'scim_users' })
export class ScimUserEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 36 })
  tenantId: string;

  @Column({ name: 'user_name', type: 'varchar', length: 255 })
  userName: string;

  /** Lower-cased userName: unique per tenant, so matching and uniqueness ignore case. */
  @Column({ name: 'user_name_key', type: 'varchar', length: 255 })
  userNameKey: string;

  @Column({ name: 'external_id', type: 'varchar', length: 255, nullable: true })
  externalId: string | null;

  /** Lower-cased externalId, for support's search across tenants. */
  @Column({ name: 'external_id_key', type: 'varchar', length: 255, nullable: true })
  externalIdKey: string | null;

  @Column({ type: 'boolean' })
  active: boolean;

  @Column({ name: 'display_name', type: 'varchar', length: 255, nullable: true })
  displayName: string | null;

  @Column({ name: 'nick_name', type: 'varchar', length: 255, nullable: true })
  nickName: string | null;

  @Column({ name: 'profile_url', type: 'varchar', length: 1024, nullable: true })
  profileUrl: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  title: string | null;

  @Column({ name: 'user_type', type: 'varchar', length: 255, nullable: true })
  userType: string | null;

  @Column({ name: 'preferred_language', type: 'varchar', length: 255, nullable: true })
  preferredLanguage: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  locale: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  timezone: string | null;

  @Column({ name: 'name_formatted', type: 'varchar', length: 512, nullable: true })
  nameFormatted: string | null;

  @Column({ name: 'name_family_name', type: 'varchar', length: 255, nullable: true })
  nameFamilyName: string | null;

  @Column({ name: 'name_given_name', type: 'varchar', length: 255, nullable: true })
  nameGivenName: string | null;

  @Column({ name: 'name_middle_name', type: 'varchar', length: 255, nullable: true })
  nameMiddleName: string | null;

  @Column({ name: 'name_honorific_prefix', type: 'varchar', length: 255, nullable: true })
  nameHonorificPrefix: string | null;

  @Column({ name: 'name_honorific_suffix', type: 'varchar', length: 255, nullable: true })
  nameHonorificSuffix: string | null;

  @Column({ name: 'employee_number', type: 'varchar', length: 255, nullable: true })
  employeeNumber: string | null;

  @Column({ name: 'cost_center', type: 'varchar', length: 255, nullable: true })
  costCenter: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  organization: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  division: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  department: string | null;

  @Column({ name: 'manager_value', type: 'varchar', length: 255, nullable: true })
  managerValue: string | null;

  /** The manager's `$ref` (RFC 7643 §4.3), stored as sent. */
  @Column({ name: 'manager_ref', type: 'varchar', length: 1024, nullable: true })
  managerRef: string | null;

  /** JSON object with the remaining attributes (addresses, ims, photos, roles, entitlements, x509Certificates). */
  @Column({ type: 'text', nullable: true })
  extra: string | null;

  /**
   * The e-mails and phone numbers as JSON arrays of `{value, type, primary, display}`: what reads
   * return. The child rows hold the same values, indexed for filters; every write sets both.
   */
  @Column({ name: 'emails_json', type: 'text', nullable: true })
  emailsJson: string | null;

  @Column({ name: 'phone_numbers_json', type: 'text', nullable: true })
  phoneNumbersJson: string | null;

  @Column({ type: 'int' })
  version: number;

  @Column({ name: 'created_at', type: 'datetime' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime' })
  updatedAt: Date;
}
