import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

/**
 * The Content-Security-Policy of every response that sets none itself: the API answers JSON, which
 * loads nothing. The login pages under /interaction and the OAuth error page set their own (see
 * oauth/views/layout.ts). No `form-action` anywhere: browsers apply it to the redirects after a form
 * is posted, and the sign-in ends with a redirect chain to the client (portal.azure.com).
 */
const API_CSP = { defaultSrc: ["'none'"], baseUri: ["'none'"], frameAncestors: ["'none'"] };

/** Swagger UI at /admin/docs: its own scripts, styles and the inline styles it injects, and data: images. */
const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; frame-ancestors 'none'";

const isDocs = (url: string) => /^\/admin\/docs(\/|\?|$)/i.test(url);

/**
 * Security headers on every response (helmet): CSP, HSTS, nosniff, frame denial, no referrer,
 * cross-origin isolation headers. Registered on the Fastify instance before Nest's middleware, so
 * the OAuth mount's responses carry them as well.
 */
export function securityHeaders(fastify: FastifyInstance): void {
  void fastify.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: API_CSP },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    hsts: { maxAge: 31_536_000, includeSubDomains: true },
  });
  fastify.addHook('onSend', (request, reply, payload, done) => {
    if (isDocs(request.url)) reply.header('Content-Security-Policy', DOCS_CSP);
    done(null, payload);
  });
}
