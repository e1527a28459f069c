import { AsyncLocalStorage } from 'node:async_hooks';
import type { LoggerService } from '@nestjs/common';
import { pino, stdSerializers, type DestinationStream, type Level, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { AppConfig, LogLevel } from '@app/config';

/** What a log line written while serving a request says about it (see http-instrumentation.ts). */
export interface RequestLogContext {
  reqId: string;
  /** The authenticated tenant, once known. */
  tenantId?: () => string | undefined;
}

/** The request being served, for the log lines written on its behalf. */
export const requestContext = new AsyncLocalStorage<RequestLogContext>();

const PINO_LEVELS: Record<LogLevel, Level> = { error: 'error', warn: 'warn', log: 'info', debug: 'debug', verbose: 'trace' };

/**
 * Paths never written even if an object holding them is logged. Bodies are never logged at all;
 * this is the second line of defence for headers and for objects a caller passes to the logger.
 */
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  ...['password', 'client_secret', 'clientSecret', 'token', 'access_token', 'refresh_token', 'secret', 'authorization', 'cookie'].flatMap(
    (key) => [key, `*.${key}`],
  ),
];

/** A URL without its query string, whose values (`?access_token=…`) may be secrets. */
export function withoutQuery(url: string): string {
  const at = url.indexOf('?');
  return at < 0 ? url : `${url.slice(0, at)}?…`;
}

/**
 * The service's root logger: pino, one JSON object a line (`time`, `level`, `msg`, and `reqId`/
 * `tenantId` for lines written while serving a request), or pino-pretty's text on a terminal.
 * Fastify's own logger is this instance (see httpAdapter), so Fastify, Nest and the access log write
 * the same lines.
 */
export function createLogger(config: Pick<AppConfig, 'LOG_LEVEL' | 'LOG_FORMAT'>, destination?: DestinationStream): Logger {
  const format = config.LOG_FORMAT === 'auto' ? (destination === undefined && process.stdout.isTTY ? 'pretty' : 'json') : config.LOG_FORMAT;
  const stream =
    format === 'pretty'
      ? pretty({
          destination: destination ?? 1,
          sync: true,
          colorize: destination === undefined && process.stdout.isTTY,
          translateTime: 'SYS:HH:MM:ss.l',
          messageFormat: '{if context}[{context}] {end}{msg}',
          ignore: 'pid,hostname,context',
        })
      : (destination ?? pino.destination({ dest: 1, sync: true }));
  return pino(
    {
      level: PINO_LEVELS[config.LOG_LEVEL],
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT, censor: '[redacted]' },
      serializers: {
        err: stdSerializers.err,
        // Fastify's own lines (client errors) carry the request: method and path only.
        req: (req: { method?: string; url?: string; id?: string }) => ({ method: req.method, url: withoutQuery(req.url ?? '') }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      },
      mixin(merge, _level, logger) {
        const context = requestContext.getStore();
        if (!context || 'reqId' in merge) return {};
        const tenantId = context.tenantId?.();
        // Fastify's per-request loggers (its children bound to `reqId`) carry the id already.
        const own = (logger as unknown as Record<symbol, string>)[pino.symbols.chindingsSym].includes('"reqId":') ? {} : { reqId: context.reqId };
        return tenantId ? { ...own, tenantId } : own;
      },
    },
    stream,
  );
}

/**
 * Nest's logger interface over pino, so that every `new Logger('X')` in the code writes pino lines
 * (with `context: 'X'`, and the request id when written while serving a request).
 */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }
  /** Nest passes `(message, stack?, context?)`, or an Error. */
  error(message: unknown, ...rest: unknown[]): void {
    const [stack, context] = rest.length >= 2 ? rest : typeof rest[0] === 'string' && rest[0].includes('\n') ? [rest[0]] : [undefined, rest[0]];
    const fields: Record<string, unknown> = {};
    if (typeof context === 'string') fields.context = context;
    if (typeof stack === 'string') fields.stack = stack;
    if (message instanceof Error) this.logger.error({ ...fields, err: message }, message.message);
    else if (typeof message === 'string') this.logger.error(fields, message);
    else this.logger.error({ ...fields, detail: message });
  }

  private write(level: Level, message: unknown, rest: unknown[]): void {
    if (!this.logger.isLevelEnabled(level)) return;
    // Nest passes the context (the Logger's name) last.
    const context = rest.length > 0 && typeof rest[rest.length - 1] === 'string' ? rest[rest.length - 1] : undefined;
    const fields = context ? { context } : {};
    if (message instanceof Error) this.logger[level]({ ...fields, err: message }, message.message);
    else if (typeof message === 'string') this.logger[level](fields, message);
    else this.logger[level]({ ...fields, detail: message });
  }
}
