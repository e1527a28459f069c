import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OAUTH_MOUNT } from '../oauth/oidc-provider.host.js';
import { RateLimits, retryAfterSeconds } from './rate-limits.service.js';

const TOKEN_PATH = `${OAUTH_MOUNT}/token`;

/** The client id of an HTTP Basic `Authorization` header (client_secret_basic), if any. */
function basicClientId(header: string | undefined): string | undefined {
  const match = header ? /^basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header) : null;
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  try {
    return decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/**
 * Limits `/oauth/token` before the authorization server reads the request: per client when it
 * authenticates with HTTP Basic, otherwise per address (the form body is the server's to read, so
 * client_secret_post is counted by address). The
 * answer is an OAuth error (RFC 6749 §5.2 shape) with status 429 and `Retry-After`.
 */
export function limitTokenRequests(fastify: FastifyInstance, limits: RateLimits): void {
  // A callback hook: every other request passes on at once, without a promise of its own.
  fastify.addHook('onRequest', (req: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => {
    if (req.method !== 'POST' || req.url.split('?')[0].replace(/\/+$/, '') !== TOKEN_PATH) return done();
    limits.oauthToken(basicClientId(req.headers.authorization), req.ip).then((verdict) => {
      if (verdict.allowed) return done();
      const seconds = retryAfterSeconds(verdict);
      void reply
        .code(429)
        .header('Retry-After', String(seconds))
        .header('Cache-Control', 'no-store')
        .type('application/json; charset=utf-8')
        .send({ error: 'temporarily_unavailable', error_description: `Too many token requests; retry after ${seconds} seconds` });
    }, done);
  });
}
