import type { IncomingMessage, ServerResponse } from 'node:http';
import { ArgumentsHost, Catch, Logger } from '@nestjs/common';
import { BaseExceptionFilter, HttpAdapterHost } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import type { AppConfig } from '@app/config';
import { configureAdminHttp } from './admin/admin-http.js';
import { instrumentHttp, requestId } from './observability/http-instrumentation.js';
import { createLogger, requestChildLogger } from './observability/logger.js';
import { securityHeaders } from './observability/security-headers.js';
import { OAUTH_MOUNT, OidcProviderHost } from './oauth/oidc-provider.host.js';
import { bodyProblem, UnreadableBodyException } from './body-errors.js';
import { SCIM_CONTENT_TYPE, sendScimError, toScimError } from './scim/scim-errors.js';

const isScim = (url: string) => /^\/scim(\/|\?|$)/i.test(url);

/** JSON media types read as request bodies: plain JSON, and SCIM's own or any other `+json`, with or without parameters. */
const JSON_TYPES = ['application/json', /^application\/[\w.-]+\+json\s*(;.*)?$/i];

/** SCIM paths answer every error in SCIM's format; other paths keep Nest's. */
@Catch()
class AppErrorsFilter extends BaseExceptionFilter {
  private readonly logger = new Logger('SCIM');

  catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<FastifyRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (isScim(req.url)) return sendScimError(reply, toScimError(exception, this.logger), req);
    const problem = bodyProblem(exception);
    if (problem) return void reply.code(problem.status).send({ statusCode: problem.status, message: problem.message, error: reasonPhrase(problem.status) });
    super.catch(exception, host);
  }
}

function reasonPhrase(status: number): string {
  return status === 413 ? 'Payload Too Large' : status === 415 ? 'Unsupported Media Type' : 'Bad Request';
}

type Done = (error: Error | null, value?: unknown) => void;
type BodyParser = (req: FastifyRequest, body: string, done: Done) => void;

/** Fastify's JSON parser (which refuses prototype-poisoning keys), with an empty body read as no body. */
function jsonParser(strict: BodyParser): BodyParser {
  return (req, body, done) => {
    if (body.length === 0) return done(null, undefined);
    strict(req, body, (error, value) => done(error ? new UnreadableBodyException('The request body is not valid JSON') : null, value));
  };
}

/**
 * The Fastify adapter of the Nest application (main.ts and every HTTP test create the app with it
 * and `bodyParser: false`, then call configureHttp). Fastify rather than Express: Nest on Fastify
 * spends about a quarter of the CPU per request that Nest on Express did (docs/benchmarks.md).
 * Routing stays case-insensitive and ignores a trailing slash, as SCIM clients expect.
 *
 * Fastify logs through `logger` (the service's pino logger, see observability/logger.ts); request
 * ids, the access log, metrics and security headers are hooked in here, before any Nest middleware,
 * so that they cover every door including the OAuth mount.
 */
export function httpAdapter(config: AppConfig, logger: PinoLogger = createLogger(config)): FastifyAdapter {
  const adapter = new FastifyAdapter({
    // A hop count is accepted at run time as by Express, though the type leaves it out.
    trustProxy: config.trustProxy as boolean | string,
    bodyLimit: config.SCIM_MAX_BODY_BYTES,
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true, maxParamLength: 8192 },
    loggerInstance: logger,
    genReqId: requestId,
    childLoggerFactory: requestChildLogger as never,
    // One access-log line per request is written by instrumentHttp instead of Fastify's two.
    logController: new LogController({ requestIdLogLabel: 'reqId', disableRequestLogging: true }),
  });
  const fastify = adapter.getInstance();
  instrumentHttp(fastify, logger);
  securityHeaders(fastify);
  return adapter;
}

/** The HTTP set-up; the app must be created with `bodyParser: false` so that the parsers here are the only ones. */
export function configureHttp(app: NestFastifyApplication, config: AppConfig): void {
  const fastify = app.getHttpAdapter().getInstance();
  // The OAuth authorization server reads its own bodies: it runs as middleware, before any parser.
  // Everything under OAUTH_MOUNT belongs to it (oidc-provider 9 accepts client_secret_basic and
  // client_secret_post for every confidential client, so no client-auth normaliser is needed).
  const oidc = app.get(OidcProviderHost);
  app.use(OAUTH_MOUNT, (req: IncomingMessage, res: ServerResponse) => oidc.handle(req, res));
  const json = jsonParser(fastify.getDefaultJsonParser('error', 'error') as unknown as BodyParser);
  fastify.removeAllContentTypeParsers();
  for (const type of JSON_TYPES) fastify.addContentTypeParser(type, { parseAs: 'string', bodyLimit: config.SCIM_MAX_BODY_BYTES }, json as never);
  fastify.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_req, body, done) =>
    done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );
  // Every SCIM response is application/scim+json.
  fastify.addHook('onRequest', (req, reply, done) => {
    if (isScim(req.url)) reply.header('Content-Type', SCIM_CONTENT_TYPE);
    done();
  });
  configureAdminHttp(app);
  app.useGlobalFilters(new AppErrorsFilter(app.get(HttpAdapterHost).httpAdapter));
}
