import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsOptional, IsString, Matches, MaxLength, ValidateNested } from 'class-validator';
import { EXTENSION_ATTRIBUTE_NAME, EXTENSION_ATTRIBUTE_TYPES, type ExtensionAttribute, type ExtensionAttributeType, type TenantSchemaExtensionEntity } from '@app/directory';
import { iso } from './common.dto.js';
import { NoControlCharacters, NotNull, OptionalNotNull } from './validators.js';

const ATTRIBUTE_NAME = EXTENSION_ATTRIBUTE_NAME;

export class ExtensionAttributeDto {
  @ApiProperty({ example: 'costCenterCode', pattern: ATTRIBUTE_NAME.source, description: 'Attribute name (case-insensitive, unique in the extension)' })
  @NotNull()
  @IsString()
  @Matches(ATTRIBUTE_NAME, { message: 'name must be a letter followed by up to 127 letters, digits, hyphens or underscores' })
  name: string;

  @ApiProperty({ enum: EXTENSION_ATTRIBUTE_TYPES, example: 'string' })
  @NotNull()
  @IsIn(EXTENSION_ATTRIBUTE_TYPES)
  type: ExtensionAttributeType;

  @OptionalNotNull({ type: Boolean, default: false, description: 'An array of values' })
  @IsBoolean()
  multiValued?: boolean;

  @OptionalNotNull({ type: Boolean, default: false, description: 'Filters compare with regard to case' })
  @IsBoolean()
  caseExact?: boolean;

  @OptionalNotNull({ type: Boolean, default: false, description: 'Every user must hold a value' })
  @IsBoolean()
  required?: boolean;

  @OptionalNotNull({ type: [String], default: [], description: 'The only values allowed (none: any value of the type)' })
  @IsArray()
  @ArrayMaxSize(200)
  @IsString({ each: true })
  @MaxLength(255, { each: true })
  @NoControlCharacters({ each: true })
  canonicalValues?: string[];

  @OptionalNotNull({ type: String, maxLength: 500, default: '' })
  @IsString()
  @MaxLength(500)
  @NoControlCharacters()
  description?: string;
}

export class PutSchemaExtensionDto {
  @ApiProperty({ type: [ExtensionAttributeDto] })
  @NotNull()
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => ExtensionAttributeDto)
  attributes: ExtensionAttributeDto[];
}

export class ConfirmQueryDto {
  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'true: delete the values users hold of the attributes removed' })
  @IsOptional()
  @IsIn(['true', 'false'])
  confirm?: 'true' | 'false';
}

export class SchemaExtensionDto {
  @ApiProperty({ example: 'urn:ietf:params:scim:schemas:extension:atea:2.0:User' })
  urn: string;

  @ApiProperty({ type: [ExtensionAttributeDto] })
  attributes: ExtensionAttribute[];

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}

export class SchemaExtensionListDto {
  @ApiProperty({ type: [SchemaExtensionDto] })
  extensions: SchemaExtensionDto[];
}

export function toExtensionAttribute(dto: ExtensionAttributeDto): ExtensionAttribute {
  return {
    name: dto.name,
    type: dto.type,
    multiValued: dto.multiValued ?? false,
    caseExact: dto.caseExact ?? false,
    required: dto.required ?? false,
    canonicalValues: dto.canonicalValues ?? [],
    description: dto.description ?? '',
  };
}

export function toSchemaExtensionDto(e: TenantSchemaExtensionEntity): SchemaExtensionDto {
  return { urn: e.urn, attributes: e.attributes, createdAt: iso(e.createdAt)!, updatedAt: iso(e.updatedAt)! };
}

