import {
  applyDecorators,
  BadRequestException,
  Controller,
  Injectable,
  Param,
  ParseUUIDPipe,
  UseFilters,
  UseGuards,
  UsePipes,
  ValidationPipe,
  type PipeTransform,
} from '@nestjs/common';
import type { ValidationError } from 'class-validator';
import { ApiBadRequestResponse, ApiBearerAuth, ApiForbiddenResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { TENANT_SLUG_PATTERN, TenantService } from '@app/directory';
import { AdminAuthGuard, RolesGuard } from './admin-auth.guard.js';
import { AdminErrorsFilter } from './admin-errors.filter.js';
import { ErrorDto } from './dto/common.dto.js';
import { NOT_NULL } from './dto/validators.js';

export const ADMIN_BEARER_SCHEME = 'support-token';

/** Nest's validation, except that a field sent as null is refused with that alone ("<field> must not be null", see NotNull), not with every other rule null also breaks. */
class AdminValidationPipe extends ValidationPipe {
  protected override flattenValidationErrors(errors: ValidationError[]): string[] {
    for (const error of errors) {
      const isNull = error.constraints?.[NOT_NULL];
      if (isNull) error.constraints = { [NOT_NULL]: isNull };
    }
    return super.flattenValidationErrors(errors);
  }
}

/** Validation of every admin input: unknown fields are refused, query strings converted, every failure a 400 naming the field. */
export const ADMIN_VALIDATION = new AdminValidationPipe({
  whitelist: true,
  forbidNonWhitelisted: true,
  transform: true,
  forbidUnknownValues: true,
  validationError: { target: false, value: false },
});

/** A controller under `/admin/v1`: support-token auth, roles, validation, and the admin error format. */
export function AdminController(path: string, tag: string) {
  return applyDecorators(
    Controller(`admin/v1/${path}`),
    UseGuards(AdminAuthGuard, RolesGuard),
    UsePipes(ADMIN_VALIDATION),
    UseFilters(AdminErrorsFilter),
    ApiTags(tag),
    ApiBearerAuth(ADMIN_BEARER_SCHEME),
    ApiUnauthorizedResponse({ type: ErrorDto, description: 'No valid support access token' }),
    ApiForbiddenResponse({ type: ErrorDto, description: "The token's account lacks the role" }),
    ApiBadRequestResponse({ type: ErrorDto, description: 'Invalid input: one message per field' }),
  );
}

const uuid = (name: string) => new ParseUUIDPipe({ exceptionFactory: () => new BadRequestException([`${name} must be a UUID`]) });

/** A route parameter that must be a UUID (400 otherwise, never a database error). */
export const UuidParam = (name: string) => Param(name, uuid(name));

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The id of an existing tenant named by its id or its slug, as operators type it (the same resolver
 * as the CLI's --tenant): 400 for something that is neither, 404 for an unknown tenant.
 */
@Injectable()
export class ExistingTenantPipe implements PipeTransform<string, Promise<string>> {
  constructor(private readonly tenants: TenantService) {}

  async transform(ref: string): Promise<string> {
    if (!UUID.test(ref) && !TENANT_SLUG_PATTERN.test(ref)) throw new BadRequestException(['tenantId must be a tenant id (UUID) or slug']);
    // The CLI's resolver: an unknown tenant is a TenantError, a 404 in the admin error format.
    return (await this.tenants.resolve(ref)).id;
  }
}

/** `:tenantId`, the id or slug of an existing tenant, as its id (400 for a malformed one, 404 for an unknown one). */
export const TenantIdParam = () => Param('tenantId', ExistingTenantPipe);
