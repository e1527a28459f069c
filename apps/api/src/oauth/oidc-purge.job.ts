import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AccountService, OidcPayloadStore } from '@app/identity';
import { describeUnexpectedError } from '../unexpected-error.js';

const EVERY_MS = 10 * 60_000;

/** Deletes expired oidc-provider rows and stale sign-in throttle rows, every ten minutes on each instance. */
@Injectable()
export class OidcPurgeJob implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('OAuth');
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly store: OidcPayloadStore,
    private readonly accounts: AccountService,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.run(), EVERY_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async run(now = new Date()): Promise<number> {
    try {
      const purged = await this.store.purgeExpired(now);
      await this.accounts.purgeThrottle(now);
      if (purged) this.logger.debug(`purged ${purged} expired OAuth rows`);
      return purged;
    } catch (error) {
      this.logger.warn(`purging expired OAuth rows failed: ${describeUnexpectedError(error)}`);
      return 0;
    }
  }
}
