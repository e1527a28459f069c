import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsDate, IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import type { ActorType, ProvisioningEventEntity } from '@app/directory';
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
export const ScimGroupPageDto = PageDto(ScimGroupDto, 'ScimGroupPageDto');

// Provisioning events

const ACTOR_TYPES: ActorType[] = ['scim-token', 'oauth-client', 'support', 'system'];

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

  @ApiProperty({ nullable: true, type: String, description: 'Why a write failed' })
  detail: string | null;
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
});
