import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Every oidc-provider model instance (sessions, interactions, grants, codes, tokens). */
@Entity({ name: 'oidc_payloads' })
export class OidcPayloadEntity {
  @PrimaryColumn({ type: 'varchar', length: 40 })
  model: string;

  /** For tokens and codes, the SHA-256 of the value, never the value itself. */
  @PrimaryColumn({ type: 'varchar', length: 128 })
  id: string;

  /** JSON. */
  @Column({ type: 'text' })
  payload: string;

  @Column({ name: 'grant_id', type: 'varchar', length: 128, nullable: true })
  grantId: string | null;

  @Column({ type: 'varchar', length: 128, nullable: true })
  uid: string | null;

  /** The client of a grant, code or token (from the payload), indexed with `model`. */
  @Column({ name: 'client_id', type: 'varchar', length: 64, nullable: true })
  clientId: string | null;

  /** The tenant of that client, indexed with `model`: support lists a tenant's grants by it. */
  @Column({ name: 'tenant_id', type: 'varchar', length: 36, nullable: true })
  tenantId: string | null;

  @Column({ name: 'user_code', type: 'varchar', length: 128, nullable: true })
  userCode: string | null;

  @Column({ name: 'expires_at', type: 'datetime', nullable: true })
  expiresAt: Date | null;

  @Column({ name: 'consumed_at', type: 'datetime', nullable: true })
  consumedAt: Date | null;
}
