import {
  applyDecorators,
  BadRequestException,
  Controller,
  Injectable,
  NotFoundException,
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
import { TenantService } from '@app/directory';
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

/** Passes the id of an existing tenant; 404 otherwise. */
@Injectable()
export class ExistingTenantPipe implements PipeTransform<string, Promise<string>> {
  constructor(private readonly tenants: TenantService) {}

  async transform(id: string): Promise<string> {
    if (!(await this.tenants.findById(id))) throw new NotFoundException(`No tenant ${id}`);
    return id;
  }
}

/** `:tenantId` of an existing tenant (400 for a malformed id, 404 for an unknown one). */
export const TenantIdParam = () => Param('tenantId', uuid('tenantId'), ExistingTenantPipe);
