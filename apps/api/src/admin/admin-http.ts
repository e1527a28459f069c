import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import { AdminModule } from './admin.module.js';
import { ADMIN_BEARER_SCHEME } from './admin-controller.decorator.js';

/**
 * The admin API's share of the HTTP set-up (called by configureHttp): body-parser failures on
 * `/admin` answered in Nest's error format, and the OpenAPI document of the admin routes only, at
 * `/admin/docs` (UI) and `/admin/docs-json`.
 */
export function configureAdminHttp(app: INestApplication): void {
  app.use('/admin', (error: unknown, _req: Request, res: Response, next: NextFunction) => {
    const parser = error as { status?: unknown; type?: unknown };
    if (typeof parser?.status !== 'number' || parser.status < 400 || parser.status >= 500 || res.headersSent) return next(error);
    const message =
      parser.type === 'entity.parse.failed' ? 'The request body is not valid JSON' : parser.type === 'entity.too.large' ? 'The request body is too large' : 'The request body could not be read';
    const error_ = parser.status === 413 ? 'Payload Too Large' : parser.status === 415 ? 'Unsupported Media Type' : 'Bad Request';
    res.status(parser.status).json({ statusCode: parser.status, message, error: error_ });
  });

  const config = new DocumentBuilder()
    .setTitle('Atea provisioning: admin API')
    .setDescription(
      "Support staff's REST API. Authenticate with a personal access token of a support account (`Authorization: Bearer atea_pat_…`). " +
        'Roles: viewer (read), operator (read and write), admin (also manages support accounts). Errors are `{statusCode, message, error}`; ' +
        'validation errors are 400 with one message per invalid field.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'A support personal access token (atea_pat_…)' }, ADMIN_BEARER_SCHEME)
    .build();
  const document = SwaggerModule.createDocument(app, config, { include: [AdminModule] });
  SwaggerModule.setup('admin/docs', app, document, { jsonDocumentUrl: 'admin/docs-json', raw: ['json'] });
}
