/** An identity operation refused for a reason the caller can fix; mapped at the edge (CLI, HTTP). */
export class IdentityError extends Error {
  constructor(
    readonly code: 'invalid' | 'conflict' | 'not_found',
    message: string,
  ) {
    super(message);
    this.name = 'IdentityError';
  }
}
