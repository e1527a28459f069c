import { Global, Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { EntitySchema, MixedList } from 'typeorm';
import { AppConfig } from '@app/config';
import { dataSourceOptions } from './data-source-options.js';
import { Database } from './database.service.js';

/** The TypeORM connection for the configured DATABASE_URL, and the Database service over it. */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(options: { entities: MixedList<Function | string | EntitySchema>; migrate?: boolean; quiet?: boolean }): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => ({
            ...dataSourceOptions(config.DATABASE_URL, options.entities, {
              size: config.DATABASE_POOL_SIZE,
              connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
            }),
            migrationsRun: options.migrate ?? config.migrateOnStart,
            // Failed queries are not logged here: their parameters may carry personal data or secrets.
            logging: options.quiet ? false : ['migration'],
            // The CLI reports a connection failure at once; the service retries while the database starts.
            retryAttempts: options.quiet ? 0 : 9,
          }),
        }),
      ],
      providers: [Database],
      exports: [Database],
    };
  }
}
