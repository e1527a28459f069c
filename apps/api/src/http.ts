import type { IncomingMessage, ServerResponse } from 'node:http';
import { ArgumentsHost, Catch, Logger } from '@nestjs/common';
import { BaseExceptionFilter, HttpAdapterHost, type AbstractHttpAdapter } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { errorCodes, LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import type { AppConfig } from '@app/config';
import { DatabaseUnavailableError, describeDatabaseError, isDatabaseUnavailable, UNAVAILABLE_RETRY_AFTER_SECONDS } from '@app/database';
import { configureAdminHttp } from './admin/admin-http.js';
import { instrumentHttp, requestId } from './observability/http-instrumentation.js';
import { createLogger } from './observability/logger.js';
import { securityHeaders } from './observability/security-headers.js';
import { OAUTH_MOUNT, OidcProviderHost } from './oauth/oidc-provider.host.js';
import { refusedFormPage } from './oauth/views/error.view.js';
import { isInteractionPath, PAGE_HEADERS } from './oauth/views/send-page.js';
import { bodyProblem } from './body-errors.js';
import { jsonParser, type BodyParser } from './json-body.js';
import { RefusedBodyRecorder } from './scim/refused-body.recorder.js';
import { RateLimits } from './limits/rate-limits.service.js';
import { ScimRateGate } from './limits/scim-rate-gate.js';
import { limitTokenRequests } from './limits/token-rate-limit.js';
import {
  clientErrorHandler,
  frameworkErrors,
  isAbortedRequest,
  logAbortedRequest,
  trackRequest,
  type SecurityHook,
} from './client-errors.js';
import { isScimPath, SCIM_CONTENT_TYPE, sendScimError, toScimError } from './scim/scim-errors.js';

/** JSON media types read as request bodies: plain JSON, and SCIM's own or any other `+json`, with or without parameters. */
const JSON_TYPES = ['application/json', /^application\/[\w.-]+\+json\s*(;.*)?$/i];

/**
 * SCIM paths answer every error in SCIM's format (a body refused before any route is also recorded
 * for the caller's tenant); other paths keep Nest's.
 */
@Catch()
class AppErrorsFilter extends BaseExceptionFilter {
  private readonly logger = new Logger('SCIM');
  private readonly unexpected = new Logger('ExceptionsHandler');

  constructor(
    adapter: HttpAdapterHost['httpAdapter'],
    private readonly refusedBodies: RefusedBodyRecorder,
  ) {
    super(adapter);
  }

  async catch(exception: unknown, host: ArgumentsHost): Promise<void> {
    const req = host.switchToHttp().getRequest<FastifyRequest>();
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (isAbortedRequest(exception, req)) return logAbortedRequest(req);
    if (isScimPath(req.url)) {
      const error = toScimError(exception, this.logger);
      if (bodyProblem(exception)) await this.refusedBodies.record(req, error);
      return sendScimError(reply, error, req);
    }
    if (isDatabaseUnavailable(exception)) {
      const seconds = exception instanceof DatabaseUnavailableError ? exception.retryAfterSeconds : UNAVAILABLE_RETRY_AFTER_SECONDS;
      return void reply
        .code(503)
        .header('Retry-After', String(seconds))
        .send({ statusCode: 503, message: 'The service is temporarily unavailable: its database does not answer. Try again shortly', error: 'Service Unavailable' });
    }
    const problem = bodyProblem(exception);
    // The Authorize dialog's forms are read by browsers: a refused body is one of its HTML pages.
    if (problem && isInteractionPath(req.url)) return void reply.code(problem.status).headers(PAGE_HEADERS).send(refusedFormPage(problem.status));
    if (problem) return void reply.code(problem.status).send({ statusCode: problem.status, message: problem.message, error: reasonPhrase(problem.status) });
    super.catch(exception, host);
  }

  /** A database error is logged without its parameters (describeDatabaseError); anything else as Nest logs it. */
  override handleUnknownError(exception: unknown, host: ArgumentsHost, applicationRef: AbstractHttpAdapter): void {
    const database = describeDatabaseError(exception);
    if (!database) return super.handleUnknownError(exception, host, applicationRef);
    this.unexpected.error(database);
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (!reply.sent) void reply.code(500).send({ statusCode: 500, message: 'Internal server error', error: 'Internal Server Error' });
  }
}

function reasonPhrase(status: number): string {
  return status === 413 ? 'Payload Too Large' : status === 415 ? 'Unsupported Media Type' : 'Bad Request';
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
  const { HTTP_REQUEST_TIMEOUT_MS: requestTimeout, HTTP_HEADERS_TIMEOUT_MS: headersTimeout } = config;
  const adapter: FastifyAdapter = new FastifyAdapter({
    // A hop count is accepted at run time as by Express, though the type leaves it out.
    trustProxy: config.trustProxy as boolean | string,
    bodyLimit: config.SCIM_MAX_BODY_BYTES,
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true, maxParamLength: 8192 },
    // A request must arrive whole within requestTimeout, its headers within headersTimeout (else
    // 408 and the connection closes); Node checks open connections at a tenth of the shorter one.
    requestTimeout,
    http: { requestTimeout, headersTimeout, connectionsCheckingInterval: Math.max(100, Math.min(requestTimeout, headersTimeout) / 10) },
    frameworkErrors: frameworkErrors(() => (adapter as unknown as { securityHook?: SecurityHook }).securityHook),
    clientErrorHandler,
    loggerInstance: logger,
    // Fastify's request loggers are the root logger itself, not a child per request: a pino child
    // runs the redaction of its bindings each time it is made. Lines written while serving a request
    // carry its id all the same, from the request context (see observability/logger.ts).
    childLoggerFactory: (root: FastifyBaseLogger) => root,
    genReqId: requestId,
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
  // Before the authorization server's own middleware: a refused token request never reaches it.
  limitTokenRequests(fastify, app.get(RateLimits));
  app.get(ScimRateGate).install(fastify);
  app.use(OAUTH_MOUNT, (req: IncomingMessage, res: ServerResponse) => oidc.handle(req, res));
  const json = jsonParser(fastify.getDefaultJsonParser('error', 'error') as unknown as BodyParser, config.JSON_MAX_DEPTH);
  fastify.removeAllContentTypeParsers();
  for (const type of JSON_TYPES) fastify.addContentTypeParser(type, { parseAs: 'string', bodyLimit: config.SCIM_MAX_BODY_BYTES }, json as never);
  // Form bodies are for the sign-in pages only: SCIM reads JSON alone (415 otherwise).
  fastify.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 }, (req, body, done) =>
    isScimPath(req.url)
      ? done(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(req.headers['content-type']))
      : done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );
  // Every SCIM response is application/scim+json.
  fastify.addHook('onRequest', (req, reply, done) => {
    if (isScimPath(req.url)) reply.header('Content-Type', SCIM_CONTENT_TYPE);
    done();
  });
  fastify.server.on('request', trackRequest);
  configureAdminHttp(app);
  app.useGlobalFilters(new AppErrorsFilter(app.get(HttpAdapterHost).httpAdapter, app.get(RefusedBodyRecorder)));
}
