import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule, loadConfig, type AppConfig } from '@app/config';
import { DatabaseModule } from '@app/database';
import { DIRECTORY_ENTITIES, DirectoryModule } from '@app/directory';
import { IDENTITY_ENTITIES } from '@app/identity';
import { AdminModule } from './admin/admin.module.js';
import { HealthController } from './health/health.controller.js';
import { LimitsModule } from './limits/limits.module.js';
import { EventRetentionService } from './maintenance/event-retention.service.js';
import { OAuthModule } from './oauth/oauth.module.js';
import { ObservabilityModule } from './observability/observability.module.js';
import { ScimModule } from './scim/scim.module.js';

export const ENTITIES = [...DIRECTORY_ENTITIES, ...IDENTITY_ENTITIES];

@Module({})
export class AppModule {
  static forRoot(config: AppConfig = loadConfig()): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot({ entities: ENTITIES }),
        ObservabilityModule,
        LimitsModule,
        OAuthModule,
        ScimModule,
        DirectoryModule,
        AdminModule,
      ],
      controllers: [HealthController],
      providers: [EventRetentionService],
    };
  }
}
