import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Logger } from '@nestjs/common';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ScimError } from '@app/scim';
import { isScimPath, SCIM_CONTENT_TYPE, sendScimError } from './scim/scim-errors.js';

/**
 * Errors the HTTP layer answers before any Nest code runs, in the format of the door the request
 * was for: SCIM errors under /scim, Nest's `{statusCode, message, error}` elsewhere.
 *
 * - Router errors (`frameworkErrors`): a malformed percent-encoding (400), a path segment over the
 *   router's limit (414).
 * - Node's parser and timeouts (`clientErrorHandler`): a request line or headers over Node's limit
 *   (431), unreadable HTTP (400), a request not received within the request or headers timeout (408).
 *   The connection is closed after the answer.
 */

const logger = new Logger('HTTP');

/** The last request of a socket whose headers were read: whether it is a SCIM request, and its response. */
const lastRequest = new WeakMap<Socket, { scim: boolean; head: boolean; req: IncomingMessage; res: ServerResponse }>();

/**
 * The HTTP server's `request` listener: remembers the last request of each socket (for a timeout or
 * an abort while its body is received). It sees every request, those of the OAuth middleware included.
 */
export function trackRequest(req: IncomingMessage, res: ServerResponse): void {
  lastRequest.set(req.socket, { scim: isScimPath(req.url ?? ''), head: req.method === 'HEAD', req, res });
}

const ROUTER_DETAILS: Record<string, string> = {
  FST_ERR_BAD_URL: 'The URL is not valid (malformed percent-encoding)',
  FST_ERR_MAX_PARAM_LENGTH: 'A segment of the URL path is too long',
};

/** The request hook of Nest's HTTP security features, as the Fastify adapter holds it. */
export type SecurityHook = (req: FastifyRequest, res: ServerResponse) => void;

/**
 * Fastify's `frameworkErrors`: router errors. `securityHook` gives the adapter's security hook,
 * which Nest's own handler of these errors runs too (for its headers).
 */
export function frameworkErrors(securityHook: () => SecurityHook | undefined) {
  return (error: FastifyError, req: FastifyRequest, reply: FastifyReply): void => {
    try {
      securityHook()?.(req, reply.raw);
    } catch {
      // The request is refused either way.
    }
    const status = error.statusCode ?? 400;
    const detail = ROUTER_DETAILS[error.code] ?? STATUS_CODES[status] ?? 'Bad Request';
    if (isScimPath(req.url)) return sendScimError(reply, new ScimError(status, undefined, detail), req);
    void reply.code(status).send({ statusCode: status, message: detail, error: STATUS_CODES[status] });
  };
}

const CLIENT_ERRORS: Record<number, string> = {
  400: 'The request could not be read as HTTP',
  408: 'The request was not received in time',
  431: 'The request line or headers are too large',
};

/** What the raw bytes of a request say about it, when they start with its request line. */
function requestLine(raw: unknown): { scim: boolean; head: boolean } {
  const line = Buffer.isBuffer(raw) ? /^([A-Za-z]+) (\S+)/.exec(raw.subarray(0, 64).toString('latin1')) : null;
  return { scim: !!line && isScimPath(line[2]!.replace(/^https?:\/\/[^/]+/i, '')), head: line?.[1] === 'HEAD' };
}

/**
 * Whether an error only says that the connection closed before the whole request body arrived (the
 * client went away, or the request timeout closed it). Nothing can be answered; the error filter
 * logs it once, at debug level, as anyone can cause it at will.
 */
export function isAbortedRequest(error: unknown, req: FastifyRequest): boolean {
  // Node reports the abort as `aborted` with code ECONNRESET. A database connection reset (a socket
  // error with a syscall, fatal to the driver) is the service's problem and gets an answer. A request
  // stream is destroyed once its body is read, so only the client's socket tells that it is gone.
  const e = error as { code?: unknown; syscall?: unknown; fatal?: unknown } | null;
  return e?.code === 'ECONNRESET' && e.syscall === undefined && e.fatal !== true && req.raw.socket.destroyed;
}

/** The one log line of an aborted request (its path without the query). */
export function logAbortedRequest(req: FastifyRequest): void {
  logger.debug(`${req.method} ${req.url.split('?')[0]!.slice(0, 200)}: the request was aborted before its whole body arrived`);
}

/** Node's `clientError`: answers (when nothing was answered yet) and closes the connection. */
export function clientErrorHandler(error: NodeJS.ErrnoException & { rawPacket?: unknown }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const last = lastRequest.get(socket);
  // The client closed the connection mid-request. A request cut in its body is logged once by the
  // door that read it; one cut in its request line or headers is logged here.
  if (error.code === 'HPE_INVALID_EOF_STATE') {
    if (!last || last.req.complete) logger.debug('A client closed its connection in the middle of a request line or headers');
    socket.destroy();
    return;
  }
  // The request being received, if its headers were read (else the socket is between requests).
  const current = last && !last.res.writableFinished ? last : undefined;
  const status = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
  logger.debug(`Client error ${error.code ?? error.message}: answered ${status} and closed the connection`);
  if (socket.writable && !current?.res.headersSent) {
    const { scim, head } = current ?? requestLine(error.rawPacket);
    const detail = CLIENT_ERRORS[status]!;
    const body = scim ? JSON.stringify(new ScimError(status, undefined, detail).toJSON()) : JSON.stringify({ statusCode: status, message: detail, error: STATUS_CODES[status] });
    const type = scim ? SCIM_CONTENT_TYPE : 'application/json; charset=utf-8';
    const headers = `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`;
    socket.write(head ? headers : headers + body);
  }
  socket.destroy();
}
