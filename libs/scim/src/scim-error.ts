/** `scimType` values defined by RFC 7644 §3.12, and by RFC 9865 §2.3 for cursors. */
export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive'
  | 'invalidCursor'
  | 'expiredCursor';

export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

/**
 * The one error type of the SCIM door. Everything in libs/scim throws it for bad input; the API's
 * exception filter turns it into an RFC 7644 §3.12 error body.
 */
export class ScimError extends Error {
  constructor(
    readonly status: number,
    readonly scimType: ScimType | undefined,
    readonly detail: string,
    /** Seconds the client should wait before it tries again (the `Retry-After` of a 429 or 503). */
    readonly retryAfterSeconds?: number,
  ) {
    super(detail);
    this.name = 'ScimError';
  }

  /** 503: the service cannot serve now (RFC 7644 §3.12); the client comes back after `retryAfterSeconds`. */
  static unavailable(detail: string, retryAfterSeconds: number): ScimError {
    return new ScimError(503, undefined, detail, retryAfterSeconds);
  }
  /** 429: the client sends faster than its limit allows. */
  static rateLimited(detail: string, retryAfterSeconds: number): ScimError {
    return new ScimError(429, undefined, detail, retryAfterSeconds);
  }

  static invalidFilter(detail: string): ScimError {
    return new ScimError(400, 'invalidFilter', detail);
  }
  static invalidSyntax(detail: string): ScimError {
    return new ScimError(400, 'invalidSyntax', detail);
  }
  static invalidPath(detail: string): ScimError {
    return new ScimError(400, 'invalidPath', detail);
  }
  static invalidValue(detail: string): ScimError {
    return new ScimError(400, 'invalidValue', detail);
  }
  static invalidCursor(detail: string): ScimError {
    return new ScimError(400, 'invalidCursor', detail);
  }
  static expiredCursor(detail: string): ScimError {
    return new ScimError(400, 'expiredCursor', detail);
  }
  static noTarget(detail: string): ScimError {
    return new ScimError(400, 'noTarget', detail);
  }
  static mutability(detail: string): ScimError {
    return new ScimError(400, 'mutability', detail);
  }
  static uniqueness(detail: string): ScimError {
    return new ScimError(409, 'uniqueness', detail);
  }
  static tooMany(detail: string): ScimError {
    return new ScimError(400, 'tooMany', detail);
  }
  static notFound(detail: string): ScimError {
    return new ScimError(404, undefined, detail);
  }
  static preconditionFailed(detail: string): ScimError {
    return new ScimError(412, undefined, detail);
  }

  toJSON(): ScimErrorBody {
    const body: ScimErrorBody = { schemas: [SCIM_ERROR_SCHEMA], status: String(this.status), detail: this.detail };
    if (this.scimType) body.scimType = this.scimType;
    return body;
  }
}

export interface ScimErrorBody {
  schemas: string[];
  status: string;
  scimType?: ScimType;
  detail: string;
}
