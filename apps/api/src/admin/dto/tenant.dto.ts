import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { TENANT_SLUG_PATTERN, type TenantEntity, type TenantHealth, type TenantStatus } from '@app/directory';
import { PageDto, PageQueryDto, iso } from './common.dto.js';
import { NoControlCharacters, NotNull, OptionalNotNull } from './validators.js';

const SLUG_MESSAGE = 'slug must be 1-64 lower-case letters, digits or hyphens, not starting or ending with a hyphen';

export class TenantDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'acme' })
  slug: string;

  @ApiProperty({ example: 'Acme' })
  name: string;

  @ApiProperty({ enum: ['active', 'suspended'] })
  status: TenantStatus;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}

export const TenantPageDto = PageDto(TenantDto, 'TenantPageDto');

export function toTenantDto(t: TenantEntity): TenantDto {
  return { id: t.id, slug: t.slug, name: t.name, status: t.status, createdAt: iso(t.createdAt)!, updatedAt: iso(t.updatedAt)! };
}

export class ListTenantsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Part of the slug or name, without regard to case' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @NoControlCharacters()
  search?: string;

  @ApiPropertyOptional({ enum: ['active', 'suspended'] })
  @IsOptional()
  @IsIn(['active', 'suspended'])
  status?: TenantStatus;
}

export class CreateTenantDto {
  @ApiProperty({ example: 'acme', pattern: TENANT_SLUG_PATTERN.source })
  @NotNull()
  @IsString()
  @Matches(TENANT_SLUG_PATTERN, { message: SLUG_MESSAGE })
  slug: string;

  @ApiProperty({ example: 'Acme', maxLength: 200 })
  @NotNull()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  @NoControlCharacters()
  name: string;
}

export class UpdateTenantDto {
  @OptionalNotNull({ example: 'acme-eu', pattern: TENANT_SLUG_PATTERN.source })
  @IsString()
  @Matches(TENANT_SLUG_PATTERN, { message: SLUG_MESSAGE })
  slug?: string;

  @OptionalNotNull({ example: 'Acme Europe', maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  @NoControlCharacters()
  name?: string;
}

export class DeleteTenantQueryDto {
  @ApiProperty({ description: "The tenant's slug, repeated to confirm that the tenant and all its data are to be deleted", example: 'acme' })
  @Matches(/^[a-z0-9-]{1,64}$/, { message: "confirm must repeat the tenant's slug" })
  confirm: string;
}

export class CallStatsDto {
  @ApiProperty({ description: 'SCIM writes and refused calls (a flood of refused calls counts every call)' })
  calls: number;

  @ApiProperty({ description: 'Of them, how many failed (status 400 and above, refused credentials included)' })
  failures: number;

  @ApiProperty({ description: 'failures / calls (0 without calls)', example: 0 })
  failureRate: number;
}

export class TenantHealthDto {
  @ApiProperty({ description: 'Provisioned users' })
  users: number;

  @ApiProperty({ description: 'Provisioned users with active = true' })
  activeUsers: number;

  @ApiProperty()
  groups: number;

  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    description: 'The latest provisioning call seen: the newest SCIM write, or the last use of a SCIM token or an OAuth client, whichever is later',
  })
  lastProvisioningCallAt: string | null;

  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'The newest SCIM write (reads are not logged)' })
  lastProvisioningWriteAt: string | null;

  @ApiProperty({ description: 'SCIM writes in the last 24 hours' })
  writesLast24h: number;

  @ApiProperty({ description: 'Failed SCIM writes (status 400 and above) in the last 24 hours' })
  failuresLast24h: number;

  @ApiProperty({ description: 'failuresLast24h / writesLast24h (0 without writes). Entra quarantines a job when most calls fail.', example: 0 })
  failureRateLast24h: number;

  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'The newest failed SCIM call (a failed write or a refused credential)' })
  lastFailureAt: string | null;

  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Why the newest failure failed: the error detail, or for a refused credential its reason (e.g. "scim-token-expired: …")',
  })
  lastFailureReason: string | null;

  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    description:
      'The latest successful SCIM call seen: the newest successful write, or the last call let through with a SCIM token or an OAuth access token (to the minute), whichever is later',
  })
  lastSuccessfulCallAt: string | null;

  @ApiProperty({ type: CallStatsDto, description: 'Recorded SCIM calls of the last hour: writes and refused credentials (reads are not logged)' })
  lastHour: CallStatsDto;

  @ApiProperty({ type: CallStatsDto, description: 'Recorded SCIM calls of the last 24 hours: writes and refused credentials (reads are not logged)' })
  last24h: CallStatsDto;
}

const rate = (failures: number, total: number) => (total === 0 ? 0 : Math.round((failures / total) * 1000) / 1000);
const latest = (...dates: (Date | null)[]) => dates.filter((d): d is Date => d !== null).sort((a, b) => b.getTime() - a.getTime())[0];

/** `credentialUses`: when the tenant's SCIM tokens and OAuth clients last got a call through (reads are not logged as events). */
export function toHealthDto(h: TenantHealth, credentialUses: (Date | null)[]): TenantHealthDto {
  return {
    users: h.users,
    activeUsers: h.activeUsers,
    groups: h.groups,
    lastProvisioningCallAt: iso(latest(h.lastProvisioningWriteAt, ...credentialUses)),
    lastProvisioningWriteAt: iso(h.lastProvisioningWriteAt),
    writesLast24h: h.writesLast24h,
    failuresLast24h: h.failuresLast24h,
    failureRateLast24h: rate(h.failuresLast24h, h.writesLast24h),
    lastFailureAt: iso(h.lastFailureAt),
    lastFailureReason: h.lastFailureReason,
    lastSuccessfulCallAt: iso(latest(h.lastSuccessfulWriteAt, ...credentialUses)),
    lastHour: { ...h.lastHour, failureRate: rate(h.lastHour.failures, h.lastHour.calls) },
    last24h: { ...h.last24h, failureRate: rate(h.last24h.failures, h.last24h.calls) },
  };
}
