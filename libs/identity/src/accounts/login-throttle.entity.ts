import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Failed sign-ins per client address, shared by every instance. */
@Entity({ name: 'login_throttle' })
export class LoginThrottleEntity {
  /** SHA-256 of the address: the table holds no IP addresses. */
  @PrimaryColumn({ name: 'ip_key', type: 'varchar', length: 64 })
  ipKey: string;

  @Column({ type: 'int' })
  failures: number;

  @Column({ name: 'window_started_at', type: 'datetime' })
  windowStartedAt: Date;

  @Column({ name: 'blocked_until', type: 'datetime', nullable: true })
  blockedUntil: Date | null;
}
