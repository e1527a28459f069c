import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { Database } from '@app/database';
import { ShutdownState } from '../lifecycle/shutdown-state.js';

@Controller('health')
export class HealthController {
  constructor(
    private readonly db: Database,
    private readonly shutdown: ShutdownState,
  ) {}

  /** The process is up. */
  @Get('live')
  live() {
    return { status: 'ok' };
  }

  /** The process can serve: it is not shutting down and its database answers within two seconds. */
  @Get('ready')
  async ready() {
    if (this.shutdown.draining) throw new ServiceUnavailableException({ status: 'unavailable', detail: 'The service is shutting down' });
    if (await this.db.ping(2000)) return { status: 'ok' };
    throw new ServiceUnavailableException({ status: 'unavailable', detail: 'The database does not answer' });
  }
}
