import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional, type ApiPropertyOptions } from '@nestjs/swagger';
import { ValidateBy, ValidateIf } from 'class-validator';

/** Shared with the operator CLI's flags. */
export { NoControlCharacters } from '@app/directory';

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
