import { Column, Entity, PrimaryColumn } from 'typeorm';

export type TenantStatus = 'active' | 'suspended';

@Entity({ name: 'tenants' })
export class TenantEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ type: 'varchar', length: 64 })
  slug: string;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Column({ type: 'varchar', length: 16 })
  status: TenantStatus;

  /** The tenant's own SCIM rate limit in requests per second; null: the service's default. */
  @Column({ name: 'scim_rate_limit_per_second', type: 'int', nullable: true })
  scimRateLimitPerSecond: number | null;

  @Column({ name: 'created_at', type: 'datetime' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime' })
  updatedAt: Date;
}
