import { ArgumentsHost, Catch, Logger } from '@nestjs/common';
import { BaseExceptionFilter, HttpAdapterHost } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import type { AppConfig } from '@app/config';
import { configureAdminHttp } from './admin/admin-http.js';
import { OidcProviderHost } from './oauth/oidc-provider.host.js';
import { sendScimError, toScimError } from './scim/scim-errors.js';

const isScim = (req: Request) => /^\/scim(\/|$)/i.test(req.path);

/** SCIM paths answer every error in SCIM's format; other paths keep Nest's. */
@Catch()
class AppErrorsFilter extends BaseExceptionFilter {
  private readonly logger = new Logger('SCIM');

  catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    if (isScim(req)) sendScimError(host.switchToHttp().getResponse<Response>(), toScimError(exception, this.logger), req);
    else super.catch(exception, host);
  }
}

/**
 * The HTTP set-up shared by main.ts and every HTTP test. The app must be created with
 * `bodyParser: false`: parsers are added here, in order, so that they can be scoped.
 */
export function configureHttp(app: NestExpressApplication, config: AppConfig): void {
  const logger = new Logger('HTTP');
  app.disable('x-powered-by');
  // Entity tags are the resources' versions, set where they apply; none computed from response bodies.
  app.set('etag', false);
  app.set('trust proxy', config.trustProxy);
  // The OAuth authorization server parses its own bodies: it is mounted before the body parsers.
  // Everything under /oauth belongs to it (oidc-provider 9 accepts client_secret_basic and
  // client_secret_post for every confidential client, so no client-auth normaliser is needed).
  const oidc = app.get(OidcProviderHost);
  app.use('/oauth', (req: Request, res: Response) => oidc.handle(req, res));
  app.useBodyParser('json', {
    type: ['application/json', 'application/scim+json', 'application/*+json'],
    limit: config.SCIM_MAX_BODY_BYTES,
  });
  app.useBodyParser('urlencoded', { extended: false, limit: '64kb' });
  // Body-parser failures (malformed JSON, oversized bodies) happen before routing.
  app.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (!isScim(req)) return next(error);
    sendScimError(res, toScimError(error, logger), req);
  });
  configureAdminHttp(app);
  app.useGlobalFilters(new AppErrorsFilter(app.get(HttpAdapterHost).httpAdapter));
  app.enableShutdownHooks();
}
