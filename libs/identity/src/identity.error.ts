/** An identity operation refused for a reason the caller can fix; mapped at the edge (CLI, HTTP). */
export class IdentityError extends Error {
  constructor(
    readonly code: 'invalid' | 'conflict' | 'not_found' | 'busy',
    message: string,
    /** For `busy`: seconds after which the operation may be asked again. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'IdentityError';
  }
}
