import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional, type ApiPropertyOptions } from '@nestjs/swagger';
import { ValidateBy, ValidateIf, type ValidationOptions } from 'class-validator';

/** The name of the NotNull constraint: the admin validation pipe reports a null field by it alone. */
export const NOT_NULL = 'notNull';

/** Refuses `null` ("<field> must not be null"); a missing field is left to the field's other rules. */
export function NotNull(): PropertyDecorator {
  return ValidateBy({ name: NOT_NULL, validator: { validate: (value) => value !== null, defaultMessage: () => '$property must not be null' } });
}

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
    NotNull(),
  );
}

/** C0 and C1 control characters (U+0000-U+001F, U+007F-U+009F): never part of a name, slug, e-mail or description. */
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

/** Refuses control characters (NUL, line breaks, escape sequences) in text that people read and scripts match; other types are left to @IsString. */
export function NoControlCharacters(options: ValidationOptions = {}): PropertyDecorator {
  return ValidateBy(
    {
      name: 'noControlCharacters',
      validator: { validate: (value) => typeof value !== 'string' || !CONTROL_CHARACTER.test(value), defaultMessage: () => '$property must not contain control characters' },
    },
    options,
  );
}
