import 'reflect-metadata';
import cluster from 'node:cluster';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger as PinoLogger } from 'pino';
import { DataSource } from 'typeorm';
import { ConfigError, loadConfig, loadEnvFile, type AppConfig } from '@app/config';
import { Database, dataSourceOptions } from '@app/database';
import { TenantEntity } from '@app/directory';
import { AppModule, ENTITIES } from './app.module.js';
import { configureHttp, httpAdapter } from './http.js';
import { gracefulShutdown } from './lifecycle/graceful-shutdown.js';
import { createLogger, PinoNestLogger } from './observability/logger.js';
import { closeMetrics, reportMetricsToPrimary, serveMetrics } from './observability/metrics-server.js';

async function serve(config: AppConfig, log: PinoLogger): Promise<void> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), httpAdapter(config, log), {
    bodyParser: false,
    logger: new PinoNestLogger(log),
  });
  configureHttp(app, config);
  // A worker's metrics are served by the primary, summed over the workers.
  const metrics = cluster.isPrimary ? await serveMetrics(config) : (reportMetricsToPrimary(), undefined);
  gracefulShutdown(app, config, () => closeMetrics(metrics));
  // Every interface, as Node's own default: IPv6 and IPv4 where the host has IPv6, IPv4 otherwise.
  await app.listen(config.PORT, '::').catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EAFNOSUPPORT' && error.code !== 'EADDRNOTAVAIL') throw error;
    return app.listen(config.PORT, '0.0.0.0');
  });
  if (!cluster.isPrimary) return;
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

/** Applies migrations once, then runs WEB_CONCURRENCY workers on the shared port, replacing any that dies. */
async function supervise(config: AppConfig): Promise<void> {
  const logger = new Logger('Atea');
  if (config.migrateOnStart) {
    const dataSource = await new DataSource({ ...dataSourceOptions(config.DATABASE_URL, ENTITIES), logging: ['migration'] }).initialize();
    await dataSource.runMigrations({ transaction: 'each' });
    await dataSource.destroy();
  }
  let stopping = false;
  // Workers accept on the shared port themselves. With Node's round-robin the primary accepts and
  // queues each connection for a worker: one queued as the workers drain is never answered.
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  const fork = () => cluster.fork({ DATABASE_MIGRATE_ON_START: 'false' });
  for (let i = 0; i < config.WEB_CONCURRENCY; i++) fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    logger.warn(`Worker ${worker.process.pid} stopped (${signal ?? code}); starting another`);
    fork();
  });
  const metrics = await serveMetrics(config, { cluster: true });
  // Each worker drains its own requests (see gracefulShutdown); the primary exits 0 once all have.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      const workers = Object.values(cluster.workers ?? {}).filter((w) => w !== undefined);
      let running = workers.length;
      const done = () => void closeMetrics(metrics).then(() => process.exit(0));
      if (running === 0) return done();
      for (const worker of workers) {
        worker.once('exit', () => --running === 0 && done());
        // A worker acts on the first signal only (Ctrl-C also reaches it from the terminal).
        worker.process.kill(signal);
      }
    });
  }
  logger.log(`SCIM 2.0 endpoint: ${config.publicUrl}/scim/v2 (database: ${config.databaseKind}, ${config.WEB_CONCURRENCY} workers)`);
}

async function bootstrap(): Promise<void> {
  let config;
  try {
    // `.env` in the working directory fills in what the environment leaves out.
    loadEnvFile();
    config = loadConfig();
  } catch (error) {
    // Before the configuration is read there is no logger: the problem goes to stderr as plain text.
    process.stderr.write(`${error instanceof ConfigError ? error.message : error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
  const log = createLogger(config);
  Logger.overrideLogger(new PinoNestLogger(log));
  const workers = config.databaseKind === 'mysql' ? config.WEB_CONCURRENCY : 1;
  if (config.WEB_CONCURRENCY > 1 && workers === 1) {
    new Logger('Atea').warn('WEB_CONCURRENCY is ignored with the embedded SQLite database: one process serves');
  }
  if (workers > 1 && cluster.isPrimary) await supervise(config);
  else await serve(config, log);
}

void bootstrap();
