import type { Logger } from '@nestjs/common';
import { describeFailure } from '@app/database';

/** How often, at most, a credential's last use is written per instance. */
const GRANULARITY_MS = 60_000;
const MAX_REMEMBERED = 10_000;

/**
 * The `last_used_at` bookkeeping of a kind of credential: written at most once a minute per
 * credential and instance, and never failing: a busy or unreachable database must not fail the
 * call it rides on (a failed write is logged by its code and statement, without values).
 */
export class LastUse {
  private readonly written = new Map<string, number>();

  constructor(
    private readonly what: string,
    private readonly write: (id: string, at: Date) => Promise<unknown>,
    private readonly logger: Logger,
  ) {}

  /** Resolves once the write, if one is due, is done; undefined (nothing to wait for) when none is. */
  record(id: string, now = Date.now()): Promise<void> | undefined {
    const last = this.written.get(id);
    if (last !== undefined && now - last <= GRANULARITY_MS) return undefined;
    if (this.written.size >= MAX_REMEMBERED) this.written.clear();
    this.written.set(id, now);
    return this.write(id, new Date(now)).then(
      () => undefined,
      (error: unknown) => this.logger.warn(`Could not record the use of ${this.what} ${id}: ${describeFailure(error)}`),
    );
  }
}
