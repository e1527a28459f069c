import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional, type ApiPropertyOptions } from '@nestjs/swagger';
import { IsDefined, Matches, ValidateIf, type ValidationOptions } from 'class-validator';

/**
 * An optional field of a request body: leaving it out keeps the current value (or takes the
 * default), and `null` is refused with 400 ("<field> must not be null"), never read as "left out"
 * nor as "clear it". No admin field can be cleared, so no body field is nullable; the OpenAPI
 * schema says so. (Query parameters keep `@IsOptional`: a query string has no null.)
 */
export function OptionalNotNull(api: ApiPropertyOptions = {}): PropertyDecorator {
  const description = [api.description, '`null` is refused: leave the field out instead.'].filter(Boolean).join(' ');
  return applyDecorators(
    ApiPropertyOptional({ ...api, nullable: false, description } as ApiPropertyOptions),
    ValidateIf((_object, value) => value !== undefined),
    IsDefined({ message: '$property must not be null' }),
  );
}

/** C0 and C1 control characters (U+0000-U+001F, U+007F-U+009F): never part of a name, slug, e-mail or description. */
const NO_CONTROL_CHARACTERS = /^[^\u0000-\u001f\u007f-\u009f]*$/;

/** Refuses control characters (NUL, line breaks, escape sequences) in text that people read and scripts match. */
export function NoControlCharacters(options: ValidationOptions = {}): PropertyDecorator {
  return Matches(NO_CONTROL_CHARACTERS, { message: '$property must not contain control characters', ...options });
}
