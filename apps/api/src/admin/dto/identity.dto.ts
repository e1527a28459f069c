import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsEmail, IsInt, IsNotEmpty, IsString, Max, MaxLength, Min } from 'class-validator';
import type { AccountEntity, ClientSummary, GrantSummary, IssuedClientSecret, ScimTokenEntity } from '@app/identity';
import { PageDto, iso } from './common.dto.js';
import { NoControlCharacters, NotNull, OptionalNotNull } from './validators.js';

// Tenant admins

export class TenantAdminDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'a@acme.test' })
  email: string;

  @ApiProperty()
  disabled: boolean;

  @ApiProperty({ description: 'Locked after too many wrong passwords' })
  locked: boolean;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  lockedUntil: string | null;

  @ApiProperty({ description: 'Wrong passwords since the last success or lock' })
  failedLogins: number;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  lastLoginAt: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

export const TenantAdminPageDto = PageDto(TenantAdminDto, 'TenantAdminPageDto');

export function toTenantAdminDto(a: AccountEntity, now = Date.now()): TenantAdminDto {
  return {
    id: a.id,
    email: a.email,
    disabled: a.disabled,
    locked: Boolean(a.lockedUntil && a.lockedUntil.getTime() > now),
    lockedUntil: iso(a.lockedUntil),
    failedLogins: a.failedLogins,
    lastLoginAt: iso(a.lastLoginAt),
    createdAt: iso(a.createdAt)!,
  };
}

export class CreateTenantAdminDto {
  @ApiProperty({ example: 'a@acme.test' })
  @NotNull()
  @IsEmail()
  @MaxLength(320)
  @NoControlCharacters()
  email: string;
}

export class TenantAdminWithPasswordDto extends TenantAdminDto {
  @ApiProperty({ description: 'A generated password: shown once, only its hash is stored' })
  password: string;
}

// OAuth clients

export class ClientSecretDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  expiresAt: string;

  @ApiProperty()
  expired: boolean;
}

export class ClientDto {
  @ApiProperty({ example: '3f0c…' })
  clientId: string;

  @ApiProperty({ example: 'Microsoft Entra provisioning' })
  name: string;

  @ApiProperty({ type: [String], example: ['https://portal.azure.com/TokenAuthorize'] })
  redirectUris: string[];

  @ApiProperty({ type: [String], example: ['authorization_code', 'refresh_token', 'client_credentials'] })
  grantTypes: string[];

  @ApiProperty({ type: [ClientSecretDto], description: 'Secret metadata; secrets themselves are never shown again' })
  secrets: ClientSecretDto[];
}

export const ClientPageDto = PageDto(ClientDto, 'ClientPageDto');

export const toClientDto = (c: ClientSummary): ClientDto => ({ ...c, secrets: c.secrets.map((s) => ({ ...s })) });

export class CreateClientDto {
  @OptionalNotNull({ example: 'Microsoft Entra provisioning', maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  @NoControlCharacters()
  name?: string;

  @OptionalNotNull({ type: [String], description: "Absolute https URIs; Entra's https://portal.azure.com/TokenAuthorize when absent." })
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @MaxLength(2000, { each: true })
  redirectUris?: string[];

  @OptionalNotNull({ minimum: 1, maximum: 3650, default: 730 })
  @IsInt()
  @Min(1)
  @Max(3650)
  secretExpiresInDays?: number;
}

export class AddClientSecretDto {
  @OptionalNotNull({ minimum: 1, maximum: 3650, default: 730 })
  @IsInt()
  @Min(1)
  @Max(3650)
  expiresInDays?: number;
}

export class IssuedClientSecretDto {
  @ApiProperty()
  clientId: string;

  @ApiProperty({ description: 'The client secret: shown once' })
  clientSecret: string;

  @ApiProperty({ format: 'uuid' })
  secretId: string;

  @ApiProperty({ format: 'date-time' })
  expiresAt: string;
}

export const toIssuedClientSecretDto = (i: IssuedClientSecret): IssuedClientSecretDto => ({
  clientId: i.clientId,
  clientSecret: i.clientSecret,
  secretId: i.secretId,
  expiresAt: iso(i.expiresAt)!,
});

// Grants

export class GrantDto {
  @ApiProperty()
  id: string;

  @ApiProperty()
  clientId: string;

  @ApiProperty()
  clientName: string;

  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'The tenant admin who authorized' })
  accountId: string | null;

  @ApiProperty({ nullable: true, type: String })
  accountEmail: string | null;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  authorizedAt: string | null;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  expiresAt: string | null;

  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'When a token was last issued under the grant' })
  lastUsedAt: string | null;

  @ApiProperty({
    enum: ['active', 'revoked'],
    description: 'revoked while the tenant is suspended or the admin who authorized is disabled (no refresh, no SCIM call); active again once resumed or enabled',
  })
  status: 'active' | 'revoked';

  @ApiProperty({ enum: ['tenant_suspended', 'account_disabled'], nullable: true, type: String })
  revokedReason: 'tenant_suspended' | 'account_disabled' | null;
}

export const GrantPageDto = PageDto(GrantDto, 'GrantPageDto');

export const toGrantDto = (g: GrantSummary): GrantDto => ({
  ...g,
  authorizedAt: iso(g.authorizedAt),
  expiresAt: iso(g.expiresAt),
  lastUsedAt: iso(g.lastUsedAt),
});

// SCIM tokens

export class ScimTokenDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'atea_scim_AbCd' })
  prefix: string;

  @ApiProperty({ nullable: true, type: String })
  description: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'null: never expires' })
  expiresAt: string | null;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  revokedAt: string | null;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  lastUsedAt: string | null;
}

export const ScimTokenPageDto = PageDto(ScimTokenDto, 'ScimTokenPageDto');

export const toScimTokenDto = (t: ScimTokenEntity): ScimTokenDto => ({
  id: t.id,
  prefix: t.tokenPrefix,
  description: t.description,
  createdAt: iso(t.createdAt)!,
  expiresAt: iso(t.expiresAt),
  revokedAt: iso(t.revokedAt),
  lastUsedAt: iso(t.lastUsedAt),
});

export class CreateScimTokenDto {
  @OptionalNotNull({ example: 'Entra', maxLength: 200 })
  @IsString()
  @MaxLength(200)
  @NoControlCharacters()
  description?: string;

  @OptionalNotNull({ minimum: 0, maximum: 3650, default: 365, description: '0: never expires.' })
  @IsInt()
  @Min(0)
  @Max(3650)
  expiresInDays?: number;
}

export class IssuedScimTokenDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ description: 'The token: shown once, only its hash is stored' })
  token: string;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  expiresAt: string | null;
}
