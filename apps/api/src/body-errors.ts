import { BadRequestException, HttpException } from '@nestjs/common';

/** A request body that could not be read as JSON: SCIM invalidSyntax on /scim, Nest's 400 elsewhere. */
export class UnreadableBodyException extends BadRequestException {}

/**
 * What a body the framework refused (too large, of a type no parser reads) means to a client, in
 * its own words; null for any other error.
 */
export function bodyProblem(error: unknown): { status: number; message: string } | null {
  if (error instanceof UnreadableBodyException) return { status: 400, message: error.message };
  const cause = error instanceof HttpException ? (error.cause as { code?: unknown } | undefined) : undefined;
  switch (cause?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, message: 'The request body is too large' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, message: 'The request body must be JSON (application/scim+json or application/json)' };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, message: 'The request body could not be read' };
    default:
      return null;
  }
}
