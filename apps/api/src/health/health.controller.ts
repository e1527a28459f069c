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

  /** The process can serve: its database answers. */
  @Get('ready')
  async ready() {
    try {
      await this.db.read((m) => m.query('SELECT 1'));
      return { status: 'ok' };
    } catch {
      throw new ServiceUnavailableException({ status: 'unavailable', detail: 'The database does not answer' });
    }
  }
}
