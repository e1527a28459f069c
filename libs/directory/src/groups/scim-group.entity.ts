import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'scim_groups' })
export class ScimGroupEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 36 })
  tenantId: string;

  @Column({ name: 'display_name', type: 'varchar', length: 255 })
  displayName: string;

  /** Lower-cased displayName: unique per tenant. */
  @Column({ name: 'display_name_key', type: 'varchar', length: 255 })
  displayNameKey: string;

  @Column({ name: 'external_id', type: 'varchar', length: 255, nullable: true })
  externalId: string | null;

  @Column({ type: 'int' })
  version: number;

  @Column({ name: 'created_at', type: 'datetime' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime' })
  updatedAt: Date;
}

export type MemberType = 'User' | 'Group';

/** One membership: a user or a group inside a group. */
@Entity({ name: 'scim_group_members' })
export class ScimGroupMemberEntity {
  @PrimaryColumn({ name: 'group_id', type: 'varchar', length: 36 })
  groupId: string;

  @PrimaryColumn({ name: 'member_id', type: 'varchar', length: 36 })
  memberId: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 36 })
  tenantId: string;

  @Column({ name: 'member_type', type: 'varchar', length: 8 })
  memberType: MemberType;

  @Column({ name: 'created_at', type: 'datetime' })
  createdAt: Date;
}
