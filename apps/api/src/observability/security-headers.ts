import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';
import { isScimPath } from '../scim/scim-errors.js';

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
 * The headers helmet sets with our options. They do not depend on the request, so they are computed
 * once: helmet's Fastify plugin builds the whole middleware again for every request.
 */
function helmetHeaders(): [string, string][] {
  const headers: [string, string][] = [];
  const collect = { setHeader: (name: string, value: string) => void headers.push([name, value]), removeHeader: () => undefined };
  helmet({
    contentSecurityPolicy: { useDefaults: false, directives: API_CSP },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    hsts: { maxAge: 31_536_000, includeSubDomains: true },
  })({} as IncomingMessage, collect as unknown as ServerResponse, () => undefined);
  return headers;
}

/**
 * What a JSON answer needs of them (OWASP's REST security cheat sheet): the policy, HSTS, nosniff,
 * frame denial, no referrer and same-origin reads. The others (opener policy, agent cluster, DNS
 * prefetch, download options, cross-domain policies, the XSS auditor) concern documents a browser
 * renders; they are left off the API's answers, which are half the headers to write per request.
 */
const API_HEADERS = new Set([
  'content-security-policy',
  'strict-transport-security',
  'x-content-type-options',
  'x-frame-options',
  'referrer-policy',
  'cross-origin-resource-policy',
]);

/** The JSON doors: SCIM, the admin API (not its docs) and health. */
const isApi = (url: string) => /^\/(scim\/|admin\/v1(\/|\?|$)|health\/)/i.test(url);

/**
 * Security headers on every response (helmet): CSP, HSTS, nosniff, frame denial, no referrer and
 * same-origin reads on all; the document headers besides on everything else (the sign-in pages, the
 * OAuth mount, the docs, unknown routes). Set on the raw response before Nest's middleware runs, so
 * the OAuth mount's responses carry them as well.
 */
export function securityHeaders(fastify: FastifyInstance): void {
  const documents = helmetHeaders();
  const api = documents.filter(([name]) => API_HEADERS.has(name.toLowerCase()));
  const docs = documents.map(([name, value]): [string, string] => [name, name.toLowerCase() === 'content-security-policy' ? DOCS_CSP : value]);
  // Lower-cased once: the reply lower-cases every name it is given.
  const scim = Object.fromEntries(api.map(([name, value]) => [name.toLowerCase(), value]));
  // Chosen by the URL when the request arrives: an onSend hook would put every response through
  // Fastify's onSend chain for the sake of the docs alone.
  fastify.addHook('onRequest', (request, reply, done) => {
    const url = request.url;
    if (isScimPath(url)) {
      // Every SCIM answer goes through the reply, which writes its headers in one go; setting them
      // on the raw response instead costs a setHeader each and sends Node's writeHead the slow way.
      reply.headers(scim);
    } else {
      // The other doors include responses written past Fastify (the OAuth mount, the event stream).
      for (const [name, value] of isApi(url) ? api : isDocs(url) ? docs : documents) reply.raw.setHeader(name, value);
    }
    done();
  });
}
