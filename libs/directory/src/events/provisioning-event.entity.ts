import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type ActorType = 'scim-token' | 'oauth-client' | 'support' | 'system';

/**
 * One write to a tenant's data, or one failed attempt. Append-only; the one exception are the
 * counters of authentication failures (`bucket` set), one row per tenant, reason and minute.
 */
@Entity({ name: 'provisioning_events' })
export class ProvisioningEventEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 36 })
  tenantId: string;

  @Column({ type: 'datetime' })
  at: Date;

  @Column({ name: 'actor_type', type: 'varchar', length: 16 })
  actorType: ActorType;

  /** The SCIM token, OAuth client or support account that acted (its id, never a secret). */
  @Column({ name: 'actor_id', type: 'varchar', length: 64, nullable: true })
  actorId: string | null;

  /** `create`, `replace`, `patch`, `delete` for SCIM; `<resource>.<verb>` for admin writes. */
  @Column({ type: 'varchar', length: 32 })
  operation: string;

  @Column({ name: 'resource_type', type: 'varchar', length: 16 })
  resourceType: string;

  @Column({ name: 'resource_id', type: 'varchar', length: 64, nullable: true })
  resourceId: string | null;

  /** The HTTP status the caller got. */
  @Column({ type: 'int' })
  status: number;

  /** Entra's `client-request-id` when sent, else our own request id. */
  @Column({ name: 'request_id', type: 'varchar', length: 128, nullable: true })
  requestId: string | null;

  /** JSON array of the names of the attributes that changed. */
  @Column({ name: 'changed_attributes', type: 'text', nullable: true })
  changedAttributes: string | null;

  /** JSON array of the attributes the write sent that no schema of the tenant defines (not stored). */
  @Column({ name: 'ignored_attributes', type: 'text', nullable: true })
  ignoredAttributes: string | null;

  /** Why a write failed (the error detail the caller got). */
  @Column({ type: 'varchar', length: 512, nullable: true })
  detail: string | null;

  /** The userName a user write was about (attempted or stored), so that a failed create can be found. */
  @Column({ name: 'user_name', type: 'varchar', length: 255, nullable: true })
  userName: string | null;

  /** Lower-cased userName, for finding events by userName without regard to case. */
  @Column({ name: 'user_name_key', type: 'varchar', length: 255, nullable: true })
  userNameKey: string | null;

  @Column({ name: 'external_id', type: 'varchar', length: 255, nullable: true })
  externalId: string | null;

  @Column({ name: 'display_name', type: 'varchar', length: 255, nullable: true })
  displayName: string | null;

  /** How many calls the row stands for: 1, or more for an aggregated row. */
  @Column({ type: 'int', default: 1 })
  count: number;

  /**
   * The aggregation key of a counter row (`auth:<reason>:<minute>`); null for single events. One row
   * per tenant and bucket, kept so by AuthFailureLog, not by a unique index (two instances counting
   * a new bucket at once may each add one).
   */
  @Column({ type: 'varchar', length: 96, nullable: true })
  bucket: string | null;
}
