import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsDate, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { USER_SEARCH_FIELDS, type ActorType, type ProvisioningEventEntity, type TenantStatus, type UserSearchField } from '@app/directory';
import { PageDto, PageQueryDto, iso, queryBoolean } from './common.dto.js';

export class ScimListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'A SCIM filter (RFC 7644 §3.4.2.2)', example: 'userName sw "j" and active eq true' })
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  filter?: string;
}

/** A SCIM resource as the SCIM door returns it. */
export class ScimResourceDto {
  @ApiProperty({ type: [String] })
  schemas: string[];

  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiPropertyOptional()
  externalId?: string;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'resourceType, created, lastModified, version, location' })
  meta: Record<string, unknown>;

  [attribute: string]: unknown;
}

export class ScimUserDto extends ScimResourceDto {
  @ApiProperty({ example: 'jdoe@contoso.com' })
  userName: string;

  @ApiProperty()
  active: boolean;
}

export class ScimGroupDto extends ScimResourceDto {
  @ApiProperty({ example: 'Sales' })
  displayName: string;

  @ApiPropertyOptional({ type: 'array', items: { type: 'object', additionalProperties: true }, description: 'Omitted in lists' })
  members?: Record<string, unknown>[];
}

export const ScimUserPageDto = PageDto(ScimUserDto, 'ScimUserPageDto');

// Search across tenants

export class UserSearchQueryDto {
  @ApiProperty({ example: 'jane@contoso.com', description: 'What to look for, without regard to case' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(320)
  q: string;

  @ApiPropertyOptional({ enum: USER_SEARCH_FIELDS, description: 'Where to look: userName, email (any of the e-mail addresses) or externalId; all three when absent' })
  @IsOptional()
  @IsIn(USER_SEARCH_FIELDS)
  by?: UserSearchField;

  @ApiPropertyOptional({ enum: ['exact', 'prefix'], default: 'exact', description: 'exact, or every value starting with q' })
  @IsOptional()
  @IsIn(['exact', 'prefix'])
  match?: 'exact' | 'prefix';

  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;
}

export class UserSearchTenantDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'acme' })
  slug: string;

  @ApiProperty({ example: 'Acme' })
  name: string;

  @ApiProperty({ enum: ['active', 'suspended'] })
  status: TenantStatus;
}

export class UserSearchUserDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'jane@contoso.com' })
  userName: string;

  @ApiProperty({ nullable: true, type: String })
  externalId: string | null;

  @ApiProperty({ nullable: true, type: String })
  displayName: string | null;

  @ApiProperty()
  active: boolean;
}

export class UserSearchMatchDto {
  @ApiProperty({ enum: USER_SEARCH_FIELDS })
  field: UserSearchField;

  @ApiProperty({ description: 'The value that matched (for e-mail, the matching address)' })
  value: string;
}

export class UserSearchHitDto {
  @ApiProperty({ type: UserSearchTenantDto })
  tenant: UserSearchTenantDto;

  @ApiProperty({ type: UserSearchUserDto })
  user: UserSearchUserDto;

  @ApiProperty({ type: UserSearchMatchDto })
  matched: UserSearchMatchDto;
}

export class UserSearchResultDto {
  @ApiProperty({ type: [UserSearchHitDto], description: 'At most limit hits, by matched value' })
  items: UserSearchHitDto[];

  @ApiProperty({ example: 50 })
  limit: number;
}
export const ScimGroupPageDto = PageDto(ScimGroupDto, 'ScimGroupPageDto');

// Provisioning events

const ACTOR_TYPES: ActorType[] = ['scim-token', 'oauth-client', 'support', 'system'];
export const EXPORT_FORMATS = ['json', 'csv', 'ndjson'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export class EventQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'date-time', description: 'Events at or after this time' })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'from must be an ISO 8601 date-time' })
  from?: Date;

  @ApiPropertyOptional({ format: 'date-time', description: 'Events before this time' })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'to must be an ISO 8601 date-time' })
  to?: Date;

  @ApiPropertyOptional({ example: 'create', description: 'create, replace, patch, delete (SCIM) or <resource>.<verb> (admin), e.g. tenant.suspend' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z][a-z0-9.-]{0,31}$/i, { message: 'operation must be an operation name such as create or tenant.suspend' })
  operation?: string;

  @ApiPropertyOptional({ example: 409 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(599)
  status?: number;

  @ApiPropertyOptional({ description: 'true: only failed writes (status 400 and above); false: only successful ones' })
  @IsOptional()
  @queryBoolean
  @IsBoolean()
  failed?: boolean;

  @ApiPropertyOptional({ enum: ACTOR_TYPES })
  @IsOptional()
  @IsIn(ACTOR_TYPES)
  actorType?: ActorType;

  @ApiPropertyOptional({ example: 'User', description: 'User, Group, Tenant, Account, Client, ScimToken, Grant' })
  @IsOptional()
  @IsString()
  @MaxLength(16)
  resourceType?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(64)
  resourceId?: string;

  @ApiPropertyOptional({ example: 'jdoe@contoso.com', description: 'Events about this userName (attempted or stored), without regard to case' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  userName?: string;

  @ApiPropertyOptional({ description: 'Events about this externalId (exact)' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  externalId?: string;

  @ApiPropertyOptional({
    enum: EXPORT_FORMATS,
    description:
      'json (default): one page. csv or ndjson: every matching event, oldest first, streamed (page and limit are ignored). ' +
      'Without format, an Accept of text/csv or application/x-ndjson chooses the same.',
  })
  @IsOptional()
  @IsIn(EXPORT_FORMATS)
  format?: ExportFormat;
}

export class ProvisioningEventDto {
  @ApiProperty({ example: '42' })
  id: string;

  @ApiProperty({ format: 'date-time' })
  at: string;

  @ApiProperty({ enum: ACTOR_TYPES })
  actorType: ActorType;

  @ApiProperty({ nullable: true, type: String, description: 'The SCIM token, OAuth client or support account (its id, never a secret)' })
  actorId: string | null;

  @ApiProperty({ example: 'patch' })
  operation: string;

  @ApiProperty({ example: 'User' })
  resourceType: string;

  @ApiProperty({ nullable: true, type: String })
  resourceId: string | null;

  @ApiProperty({ example: 200, description: 'The HTTP status the caller got' })
  status: number;

  @ApiProperty({ nullable: true, type: String, description: "Entra's client-request-id when sent" })
  requestId: string | null;

  @ApiProperty({ type: [String], description: 'Names of the changed attributes' })
  changedAttributes: string[];

  @ApiProperty({ type: [String], description: 'Attributes the request sent that no schema of the tenant defines: not stored' })
  ignoredAttributes: string[];

  @ApiProperty({ nullable: true, type: String, description: 'Why a write failed; for a refused credential, its reason' })
  detail: string | null;

  @ApiProperty({ nullable: true, type: String, description: 'The userName the write was about, as attempted or stored' })
  userName: string | null;

  @ApiProperty({ nullable: true, type: String })
  externalId: string | null;

  @ApiProperty({ nullable: true, type: String })
  displayName: string | null;

  @ApiProperty({ example: 1, description: 'How many calls the event stands for: 1, or the count of refused calls of one reason in one minute (operation auth.failure)' })
  count: number;
}

export const ProvisioningEventPageDto = PageDto(ProvisioningEventDto, 'ProvisioningEventPageDto');

export const toEventDto = (e: ProvisioningEventEntity): ProvisioningEventDto => ({
  id: String(e.id),
  at: iso(e.at)!,
  actorType: e.actorType,
  actorId: e.actorId,
  operation: e.operation,
  resourceType: e.resourceType,
  resourceId: e.resourceId,
  status: e.status,
  requestId: e.requestId,
  changedAttributes: e.changedAttributes ? (JSON.parse(e.changedAttributes) as string[]) : [],
  ignoredAttributes: e.ignoredAttributes ? (JSON.parse(e.ignoredAttributes) as string[]) : [],
  detail: e.detail,
  userName: e.userName,
  externalId: e.externalId,
  displayName: e.displayName,
  count: e.count,
});
