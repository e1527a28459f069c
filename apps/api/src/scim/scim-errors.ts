import { HttpException, type Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ScimError } from '@app/scim';

export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';

/** Turns anything thrown into a SCIM error body (and logs what is not the client's fault). */
export function toScimError(error: unknown, logger: Logger): ScimError {
  if (error instanceof ScimError) return error;
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse();
    const message = typeof response === 'object' && response && 'message' in response ? (response as { message: unknown }).message : error.message;
    const detail = status === 404 ? 'No such SCIM endpoint' : Array.isArray(message) ? message.join('; ') : String(message);
    return new ScimError(status, undefined, detail);
  }
  // Errors raised by the body parser carry an HTTP status and a type.
  const parser = error as { status?: number; type?: string };
  if (parser?.type === 'entity.too.large') return new ScimError(413, undefined, 'The request body is too large');
  if (parser?.type === 'entity.parse.failed') return ScimError.invalidSyntax('The request body is not valid JSON');
  if (parser?.type === 'encoding.unsupported' || parser?.type === 'charset.unsupported') {
    return new ScimError(415, undefined, 'The request body encoding is not supported');
  }
  if (typeof parser?.status === 'number' && parser.status >= 400 && parser.status < 500) {
    return ScimError.invalidSyntax('The request body could not be read');
  }
  logger.error(error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : 'Non-error thrown');
  return new ScimError(500, undefined, 'The service failed to process the request; it has been logged');
}

export function sendScimError(res: Response, error: ScimError, req: Request): void {
  if (error.status === 401) {
    res.setHeader('WWW-Authenticate', req.headers.authorization ? 'Bearer realm="scim", error="invalid_token"' : 'Bearer realm="scim"');
  }
  res.status(error.status).setHeader('Content-Type', SCIM_CONTENT_TYPE);
  res.send(JSON.stringify(error.toJSON()));
}
