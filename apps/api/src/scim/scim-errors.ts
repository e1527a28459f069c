import { HttpException, type Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DatabaseUnavailableError, isDatabaseUnavailable, UNAVAILABLE_RETRY_AFTER_SECONDS } from '@app/database';
import { ScimError } from '@app/scim';
import { bodyProblem } from '../body-errors.js';
import { describeUnexpectedError } from '../unexpected-error.js';

export const UNAVAILABLE_DETAIL = 'The service is temporarily unavailable: its database does not answer. Try again after the Retry-After delay';

export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';

/** Whether a request URL (path and query) is for the SCIM door, which answers every error in SCIM form. */
export const isScimPath = (url: string): boolean => /^\/scim(\/|\?|$)/i.test(url);

/** Turns anything thrown into a SCIM error body (and logs what is not the client's fault). */
export function toScimError(error: unknown, logger: Logger): ScimError {
  if (error instanceof ScimError) return error;
  if (isDatabaseUnavailable(error)) {
    // Logged once per outage by the Database service, not once per request.
    const seconds = error instanceof DatabaseUnavailableError ? error.retryAfterSeconds : UNAVAILABLE_RETRY_AFTER_SECONDS;
    return ScimError.unavailable(UNAVAILABLE_DETAIL, seconds);
  }
  const body = bodyProblem(error);
  if (body) return body.status === 400 ? ScimError.invalidSyntax(body.message) : new ScimError(body.status, undefined, body.message);
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse();
    const message = typeof response === 'object' && response && 'message' in response ? (response as { message: unknown }).message : error.message;
    const detail = status === 404 ? 'No such SCIM endpoint' : Array.isArray(message) ? message.join('; ') : String(message);
    return new ScimError(status, undefined, detail);
  }
  logger.error(describeUnexpectedError(error));
  return new ScimError(500, undefined, 'The service failed to process the request; it has been logged');
}

export function sendScimError(reply: FastifyReply, error: ScimError, req: FastifyRequest): void {
  if (error.retryAfterSeconds !== undefined) reply.header('Retry-After', String(Math.max(1, Math.ceil(error.retryAfterSeconds))));
  if (error.status === 401) {
    reply.header('WWW-Authenticate', req.headers.authorization ? 'Bearer realm="scim", error="invalid_token"' : 'Bearer realm="scim"');
  }
  reply.code(error.status).header('Content-Type', SCIM_CONTENT_TYPE).send(JSON.stringify(error.toJSON()));
}
