import { Catch, HttpStatus, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { TenantError } from '@app/directory';
import { IdentityError } from '@app/identity';
import { ScimError } from '@app/scim';

const STATUS = {
  invalid: HttpStatus.BAD_REQUEST,
  not_found: HttpStatus.NOT_FOUND,
  conflict: HttpStatus.CONFLICT,
  busy: HttpStatus.SERVICE_UNAVAILABLE,
} as const;
const REASON: Record<number, string> = { 400: 'Bad Request', 404: 'Not Found', 409: 'Conflict', 412: 'Precondition Failed', 503: 'Service Unavailable' };

/**
 * The library errors of the admin routes, in Nest's standard error body (`statusCode`, `message`,
 * `error`). Everything else (HttpExceptions, validation) keeps Nest's own handling.
 */
@Catch(TenantError, IdentityError, ScimError)
export class AdminErrorsFilter implements ExceptionFilter {
  catch(error: TenantError | IdentityError | ScimError, host: ArgumentsHost): void {
    const status = error instanceof ScimError ? error.status : STATUS[error.code];
    const message = error instanceof ScimError ? error.detail : error.message;
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (error instanceof IdentityError && error.retryAfterSeconds) reply.header('Retry-After', String(error.retryAfterSeconds));
    reply.code(status).send({ statusCode: status, message, error: REASON[status] ?? 'Error' });
  }
}
