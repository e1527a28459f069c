import { Column, Entity, PrimaryColumn } from 'typeorm';

/** `admin` of a tenant (tenant_id set), or a support-staff role (tenant_id null). */
export type AccountRole = 'admin' | 'operator' | 'viewer';

/** Realm of support-staff accounts; tenant accounts use their tenant id. */
export const SUPPORT_REALM = 'support';

/** Someone who signs in: a tenant admin (in the Authorize dialog) or, later, Atea support staff. */
@Entity({ name: 'accounts' })
export class AccountEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 36, nullable: true })
  tenantId: string | null;

  /** The tenant id, or `support`: e-mail addresses are unique per realm. */
  @Column({ type: 'varchar', length: 36 })
  realm: string;

  @Column({ type: 'varchar', length: 320 })
  email: string;

  /** Lower-cased e-mail address, for matching. */
  @Column({ name: 'email_key', type: 'varchar', length: 320 })
  emailKey: string;

  @Column({ name: 'password_hash', type: 'varchar', length: 255 })
  passwordHash: string;

  @Column({ type: 'varchar', length: 16 })
  role: AccountRole;

  @Column({ type: 'boolean' })
  disabled: boolean;

  /** Consecutive wrong passwords since the last success or lock. */
  @Column({ name: 'failed_logins', type: 'int' })
  failedLogins: number;

  @Column({ name: 'locked_until', type: 'datetime', nullable: true })
  lockedUntil: Date | null;

  @Column({ name: 'last_login_at', type: 'datetime', nullable: true })
  lastLoginAt: Date | null;

  @Column({ name: 'created_at', type: 'datetime' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime' })
  updatedAt: Date;
}
