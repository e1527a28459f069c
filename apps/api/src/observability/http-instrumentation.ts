import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { requestContext, type RequestLogContext } from './logger.js';
import { recordRequest } from './metrics.js';
import { isScimPath } from '../scim/scim-errors.js';

/** An incoming `X-Request-Id` is kept when it looks like an id: short, printable, no spaces. */
const SANE_REQUEST_ID = /^[\w.:@/+=-]{1,128}$/;

/** The request id: the caller's `X-Request-Id` when sane, a new UUID otherwise (Fastify's `genReqId`). */
export function requestId(req: IncomingMessage): string {
  const header = req.headers['x-request-id'];
  return typeof header === 'string' && SANE_REQUEST_ID.test(header) ? header : randomUUID();
}

/** oidc-provider's routes under the OAuth mount, which Fastify does not route itself. */
const OAUTH_ROUTES = new Set(['/auth', '/token', '/token/revocation', '/token/introspection', '/jwks', '/.well-known/openid-configuration', '/session/end', '/session/end/confirm', '/session/end/success', '/me']);

/**
 * The route pattern of a request (`url` as it arrived), for logs and metric labels: never the raw URL,
 * whose ids and query would be unbounded.
 */
export function routeOf(request: FastifyRequest, url: string): string {
  const pattern = request.routeOptions.url;
  if (pattern) return pattern;
  const path = url.split('?')[0];
  if (/^\/oauth(\/|$)/i.test(path)) {
    const rest = path.slice('/oauth'.length) || '/';
    if (OAUTH_ROUTES.has(rest)) return `/oauth${rest}`;
    return /^\/auth\/[^/]+$/.test(rest) ? '/oauth/auth/:uid' : '/oauth/*';
  }
  return 'unmatched';
}

type Principal = { tenantId?: unknown; accountId?: unknown };

/** The tenant of an authenticated request: the SCIM principal's, or the tenant a support account acts on. */
function tenantOf(request: FastifyRequest): string | undefined {
  const user = (request as { user?: Principal }).user;
  if (!user) return undefined;
  if (typeof user.tenantId === 'string') return user.tenantId;
  const param = (request.params as Record<string, unknown> | undefined)?.tenantId;
  return typeof param === 'string' ? param : undefined;
}

const CONTEXT = Symbol('request log context');
const isHealthCheck = (route: string) => route.startsWith('/health/');

/**
 * Request ids, the access log and the HTTP metrics, for every door (Nest routes, the OAuth mount and
 * Fastify's own answers such as 404): added to the Fastify instance before any Nest middleware, and
 * measured on the raw response so that responses written outside Fastify count too.
 *
 * Log lines written while serving a request carry its id (and tenant once authenticated) through an
 * AsyncLocalStorage entered here and entered again once the body is read (the body's chunks arrive
 * in the connection's context, not the request's).
 */
export function instrumentHttp(fastify: FastifyInstance, log: Logger): void {
  // The access log's fields are fixed and carry no secret: its lines skip the redaction of the root
  // logger's paths, which costs about 10 µs a line.
  const access = log.child({}, { redact: { paths: [] } });
  fastify.addHook('onRequest', (request, reply, done) => {
    const started = performance.now();
    // Read now: Nest's middleware strips its mount from the URL (the OAuth mount).
    const url = request.url;
    // On the reply for SCIM (see securityHeaders), on the raw response for the doors that write past Fastify.
    if (isScimPath(url)) reply.header('X-Request-Id', request.id);
    else reply.raw.setHeader('X-Request-Id', request.id);
    const context: RequestLogContext = { reqId: request.id, tenantId: () => tenantOf(request) };
    // A response closes once: `on` spares the wrapper `once` allocates.
    reply.raw.on('close', () => {
      const route = routeOf(request, url);
      const status = reply.raw.statusCode;
      const seconds = (performance.now() - started) / 1000;
      const tenantId = tenantOf(request);
      const accountId = (request as { user?: Principal }).user?.accountId;
      recordRequest({ method: request.method, route, status, seconds, tenantId });
      const level = status >= 500 ? 'warn' : isHealthCheck(route) ? 'debug' : 'info';
      if (!access.isLevelEnabled(level)) return;
      const fields: Record<string, unknown> = { reqId: request.id };
      if (tenantId) fields.tenantId = tenantId;
      if (typeof accountId === 'string') fields.accountId = accountId;
      fields.method = request.method;
      fields.route = route;
      fields.status = status;
      fields.durationMs = Math.round(seconds * 10_000) / 10;
      if (!reply.raw.writableFinished) fields.aborted = true;
      access[level](fields, `${request.method} ${route} ${status}`);
    });
    (request as { [CONTEXT]?: RequestLogContext })[CONTEXT] = context;
    requestContext.run(context, done);
  });
  // Reading the body leaves the request's async context; the handler runs in it again. A request
  // without a body is still in it.
  fastify.addHook('preValidation', (request, _reply, done) => {
    const context = (request as { [CONTEXT]?: RequestLogContext })[CONTEXT];
    if (context && requestContext.getStore() !== context) requestContext.run(context, done);
    else done();
  });
}
