import { HttpException, type Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ScimError } from '@app/scim';
import { bodyProblem } from '../body-errors.js';
import { describeUnexpectedError } from '../unexpected-error.js';

export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';

/** Turns anything thrown into a SCIM error body (and logs what is not the client's fault). */
export function toScimError(error: unknown, logger: Logger): ScimError {
  if (error instanceof ScimError) return error;
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
  if (error.status === 401) {
    reply.header('WWW-Authenticate', req.headers.authorization ? 'Bearer realm="scim", error="invalid_token"' : 'Bearer realm="scim"');
  }
  reply.code(error.status).header('Content-Type', SCIM_CONTENT_TYPE).send(JSON.stringify(error.toJSON()));
}
