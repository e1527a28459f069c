import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { EventLog } from '@app/directory';
import { describeUnexpectedError } from '../unexpected-error.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Deletes provisioning events older than EVENT_RETENTION_DAYS, at start and then hourly. */
@Injectable()
export class EventRetentionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('EventRetention');
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly events: EventLog,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.prune(), HOUR_MS);
    this.timer.unref();
    void this.prune();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async prune(): Promise<number> {
    try {
      const removed = await this.events.prune(new Date(Date.now() - this.config.EVENT_RETENTION_DAYS * DAY_MS));
      if (removed > 0) this.logger.log(`Deleted ${removed} provisioning events older than ${this.config.EVENT_RETENTION_DAYS} days`);
      return removed;
    } catch (error) {
      this.logger.warn(`Pruning provisioning events failed: ${describeUnexpectedError(error)}`);
      return 0;
    }
  }
}
