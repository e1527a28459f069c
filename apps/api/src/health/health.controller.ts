import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { Database } from '@app/database';

@Controller('health')
export class HealthController {
  constructor(private readonly db: Database) {}

  /** The process is up. */
  @Get('live')
  live() {
    return { status: 'ok' };
  }

  /** The process can serve: its database answers within two seconds. */
  @Get('ready')
  async ready() {
    if (await this.db.ping(2000)) return { status: 'ok' };
    throw new ServiceUnavailableException({ status: 'unavailable', detail: 'The database does not answer' });
  }
}
