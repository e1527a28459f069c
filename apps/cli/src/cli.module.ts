import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule, type AppConfig } from '@app/config';
import { DatabaseModule } from '@app/database';
import { DIRECTORY_ENTITIES, DirectoryModule } from '@app/directory';
import { IDENTITY_ENTITIES, IdentityModule } from '@app/identity';

@Module({})
export class CliModule {
  static forRoot(config: AppConfig, migrate: boolean): DynamicModule {
    return {
      module: CliModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot({ entities: [...DIRECTORY_ENTITIES, ...IDENTITY_ENTITIES], migrate, quiet: true }),
        DirectoryModule,
        IdentityModule,
      ],
    };
  }
}
