import { ApiProperty } from '@nestjs/swagger';
import { IsBoolean, IsEmail, IsIn, IsInt, IsNotEmpty, IsString, Max, MaxLength, Min } from 'class-validator';
import { MAX_SUPPORT_TOKEN_DAYS, type AccountEntity, type AccountRole, type IssuedSupportToken, type SupportTokenEntity } from '@app/identity';
import { PageDto, iso } from './common.dto.js';
import { NoControlCharacters, NotNull, OptionalNotNull } from './validators.js';

const ROLES = ['viewer', 'operator', 'admin'];

export class MeDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 's@atea.test' })
  email: string;

  @ApiProperty({ enum: ROLES })
  role: AccountRole;

  @ApiProperty({ format: 'uuid', description: 'The personal access token of this request' })
  tokenId: string;
}

export class SupportAccountDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 's@atea.test' })
  email: string;

  @ApiProperty({ enum: ROLES })
  role: AccountRole;

  @ApiProperty()
  disabled: boolean;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

export const SupportAccountPageDto = PageDto(SupportAccountDto, 'SupportAccountPageDto');

export function toSupportAccountDto(a: AccountEntity): SupportAccountDto {
  return { id: a.id, email: a.email, role: a.role, disabled: a.disabled, createdAt: iso(a.createdAt)! };
}

export class SupportTokenDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'laptop' })
  name: string;

  @ApiProperty({ example: 'atea_pat_AbCd', description: 'The first characters of the token' })
  prefix: string;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  expiresAt: string;

  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  revokedAt: string | null;

  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'To the minute' })
  lastUsedAt: string | null;
}

export class SupportTokenListDto {
  @ApiProperty({ type: [SupportTokenDto] })
  items: SupportTokenDto[];

  @ApiProperty()
  total: number;
}

export function toSupportTokenDto(t: SupportTokenEntity): SupportTokenDto {
  return {
    id: t.id,
    name: t.name,
    prefix: t.tokenPrefix,
    createdAt: iso(t.createdAt)!,
    expiresAt: iso(t.expiresAt)!,
    revokedAt: iso(t.revokedAt),
    lastUsedAt: iso(t.lastUsedAt),
  };
}

export class IssuedSupportTokenDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'atea_pat_…', description: 'The token: shown once, only its hash is stored' })
  token: string;

  @ApiProperty()
  name: string;

  @ApiProperty({ format: 'date-time' })
  expiresAt: string;
}

export function toIssuedSupportTokenDto(t: IssuedSupportToken): IssuedSupportTokenDto {
  return { id: t.id, token: t.token, name: t.name, expiresAt: iso(t.expiresAt)! };
}

export class CreateSupportTokenDto {
  @ApiProperty({ example: 'laptop', maxLength: 100 })
  @NotNull()
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  @NoControlCharacters()
  name: string;

  @OptionalNotNull({ minimum: 1, maximum: MAX_SUPPORT_TOKEN_DAYS, default: 90 })
  @IsInt()
  @Min(1)
  @Max(MAX_SUPPORT_TOKEN_DAYS)
  expiresInDays?: number;
}

export class CreateSupportAccountDto {
  @ApiProperty({ example: 's@atea.test' })
  @NotNull()
  @IsEmail()
  @MaxLength(320)
  @NoControlCharacters()
  email: string;

  @ApiProperty({ enum: ROLES })
  @NotNull()
  @IsIn(ROLES)
  role: AccountRole;
}

export class CreatedSupportAccountDto extends SupportAccountDto {
  @ApiProperty({ type: IssuedSupportTokenDto, description: 'The first personal access token: shown once' })
  token: IssuedSupportTokenDto;
}

export class UpdateSupportAccountDto {
  @OptionalNotNull({ enum: ROLES })
  @IsIn(ROLES)
  role?: AccountRole;

  @OptionalNotNull({ description: "A disabled account's tokens stop working." })
  @IsBoolean()
  disabled?: boolean;
}
