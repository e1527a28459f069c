import { ValidateBy, type ValidationOptions } from 'class-validator';

/** C0 and C1 control characters (U+0000-U+001F, U+007F-U+009F): never part of a name, slug, e-mail or description. */
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Refuses control characters (NUL, line breaks, escape sequences) in text that people read and
 * scripts match; other types are left to @IsString. The admin API's bodies and the operator CLI's
 * flags use the same rule.
 */
export function NoControlCharacters(options: ValidationOptions = {}): PropertyDecorator {
  return ValidateBy(
    {
      name: 'noControlCharacters',
      validator: { validate: (value) => typeof value !== 'string' || !CONTROL_CHARACTER.test(value), defaultMessage: () => '$property must not contain control characters' },
    },
    options,
  );
}
