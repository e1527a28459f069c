import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule, loadConfig, type AppConfig } from '@app/config';
import { DatabaseModule } from '@app/database';
import { DIRECTORY_ENTITIES } from '@app/directory';
import { IDENTITY_ENTITIES } from '@app/identity';
import { HealthController } from './health/health.controller.js';
import { ScimModule } from './scim/scim.module.js';

export const ENTITIES = [...DIRECTORY_ENTITIES, ...IDENTITY_ENTITIES];

@Module({})
export class AppModule {
  static forRoot(config: AppConfig = loadConfig()): DynamicModule {
    return {
      module: AppModule,
      imports: [ConfigModule.forRoot(config), DatabaseModule.forRoot({ entities: ENTITIES }), ScimModule],
      controllers: [HealthController],
    };
  }
}
