import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Test } from '@nestjs/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createConnection } from 'mysql2/promise';
import type { DestinationStream } from 'pino';
import { inject } from 'vitest';
import { loadConfig } from '@app/config';
import { TenantService } from '@app/directory';
import type { LoggerService } from '@nestjs/common';
import { AccountService, generateKeyMaterialEnv, OAuthClientService, ScimTokenService, type KeyMaterialEnv } from '@app/identity';
import { AppModule } from '../../apps/api/src/app.module.js';
import { configureHttp, httpAdapter } from '../../apps/api/src/http.js';
import { createLogger, PinoNestLogger } from '../../apps/api/src/observability/logger.js';

export type Dialect = 'sqlite' | 'mysql';

/** The databases the e2e suite runs on: SQLite always, MySQL when reachable (always under CI=true). */
export function dialects(): Dialect[] {
  return inject('mysqlUrl') ? ['sqlite', 'mysql'] : ['sqlite'];
}

/** A fresh, empty database of the given kind, and how to drop it. */
export async function createTestDatabase(dialect: Dialect): Promise<{ url: string; drop: () => Promise<void> }> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'atea-e2e-'));
    return { url: `sqlite:${join(dir, 'atea.sqlite')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const server = new URL(inject('mysqlUrl'));
  const name = `atea_e2e_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = await createConnection({ uri: server.toString() });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`);
  await admin.end();
  const url = new URL(server.toString());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = await createConnection({ uri: server.toString() });
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
    },
  };
}

export interface TestApp {
  /** Base URL of the running service, e.g. http://127.0.0.1:41234 */
  url: string;
  scimUrl: string;
  app: NestFastifyApplication;
  databaseUrl: string;
  /** A new tenant and a SCIM token for it. */
  tenant(slug?: string): Promise<{ id: string; slug: string; token: string }>;
  /** A new admin account of the tenant. */
  admin(tenantId: string, email?: string, password?: string): Promise<{ id: string; email: string; password: string }>;
  /** A new OAuth client of the tenant (redirect URI: Entra's unless given). */
  client(tenantId: string, options?: { redirectUris?: string[]; name?: string }): Promise<{ clientId: string; clientSecret: string; secretId: string }>;
  close(): Promise<void>;
}

export interface BootOptions {
  /** Receives every log line of the app written through Nest's Logger, at every level. */
  logger?: LoggerService;
  /**
   * Receives the app's pino output (JSON lines: Nest's Logger, Fastify and the access log) at
   * LOG_LEVEL, as main.ts writes it to stdout. Without it, pino writes warnings and errors only.
   */
  logStream?: DestinationStream;
}

let testKeys: KeyMaterialEnv | undefined;
/** Key material shared by every app of this test process (required with MySQL; instances on one database share it). */
export function testKeyMaterial(): KeyMaterialEnv {
  testKeys ??= generateKeyMaterialEnv();
  return testKeys;
}

/** The real application, on a real database and a real port, as main.ts sets it up. */
export async function startApp(dialect: Dialect, env: Record<string, string> = {}, options: BootOptions = {}): Promise<TestApp> {
  const database = await createTestDatabase(dialect);
  const app = await bootApp(database.url, env, options);
  return {
    ...app,
    async close() {
      await app.close();
      await database.drop();
    },
  };
}

/** Boots the app on an existing database (for restarts and several instances on one database). */
export async function bootApp(databaseUrl: string, env: Record<string, string> = {}, options: BootOptions = {}): Promise<TestApp> {
  // MySQL requires key material; SQLite generates its own beside the database file.
  const keys = databaseUrl.startsWith('mysql:') ? testKeyMaterial() : {};
  // Tests send far faster than any client and fail authentication on purpose: the rate limits are
  // lifted unless a test sets them (test/rate-limits.e2e-spec.ts does).
  const limits = {
    SCIM_RATE_LIMIT_PER_SECOND: '100000',
    SCIM_RATE_LIMIT_BURST: '100000',
    SCIM_CONCURRENCY_PER_TENANT: '1000',
    ADMIN_AUTH_MAX_FAILURES: '100000',
    OAUTH_TOKEN_RATE_LIMIT_PER_MINUTE: '100000',
  };
  const probe = loadConfig({ DATABASE_URL: databaseUrl, ...keys, ...limits, ...env, PORT: '0' });
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(probe)] }).compile();
  const log = options.logStream ? createLogger(probe, options.logStream) : createLogger({ LOG_LEVEL: 'warn', LOG_FORMAT: 'json' });
  const app = moduleRef.createNestApplication<NestFastifyApplication>(httpAdapter(probe, log), {
    bodyParser: false,
    logger: options.logger ?? (options.logStream ? new PinoNestLogger(log) : ['error', 'warn']),
  });
  configureHttp(app, probe);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  // meta.location and the OAuth issuer derive from PUBLIC_URL: point it at the port just taken.
  probe.PUBLIC_URL = env.PUBLIC_URL ?? url;
  let counter = 0;
  return {
    url,
    scimUrl: `${url}/scim/v2`,
    app,
    databaseUrl,
    async tenant(slug = `t${process.pid}-${Date.now().toString(36)}-${counter++}`) {
      const tenant = await app.get(TenantService).create(slug, `Tenant ${slug}`);
      const { token } = await app.get(ScimTokenService).issue(tenant.id);
      return { id: tenant.id, slug, token };
    },
    async admin(tenantId, email = `admin-${counter++}@example.test`, password = `pw-${randomBytes(9).toString('base64url')}`) {
      const account = await app.get(AccountService).createTenantAdmin(tenantId, email, password);
      return { id: account.id, email: account.email, password };
    },
    async client(tenantId, options = {}) {
      const issued = await app.get(OAuthClientService).create(tenantId, options);
      return { clientId: issued.clientId, clientSecret: issued.clientSecret, secretId: issued.secretId };
    },
    close: () => app.close(),
  };
}
