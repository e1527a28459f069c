import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { ConfigError, loadConfig, type LogLevel } from '@app/config';
import { Database } from '@app/database';
import { TenantEntity } from '@app/directory';
import { AppModule } from './app.module.js';
import { configureHttp } from './http.js';

const LEVELS: LogLevel[] = ['error', 'warn', 'log', 'debug', 'verbose'];

async function bootstrap(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  }
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false,
    logger: LEVELS.slice(0, LEVELS.indexOf(config.LOG_LEVEL) + 1),
  });
  configureHttp(app, config);
  await app.listen(config.PORT);
  const logger = new Logger('Atea');
  logger.log(`SCIM 2.0 endpoint: ${config.publicUrl}/scim/v2 (database: ${config.databaseKind})`);
  logger.log(`OAuth 2.0: ${config.oauthIssuer}/auth (authorization), ${config.oauthIssuer}/token (token)`);
  const tenants = await app.get(Database).read((m) => m.count(TenantEntity));
  if (tenants === 0) {
    logger.log(
      'No tenant yet. Create one and a SCIM token for it:\n' +
        '  npm run cli -- tenant:create --slug acme --name "Acme"\n' +
        '  npm run cli -- scim-token:create --tenant acme',
    );
  }
}

void bootstrap();
