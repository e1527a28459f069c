import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AdminModule } from './admin.module.js';
import { ADMIN_BEARER_SCHEME } from './admin-controller.decorator.js';

/**
 * The admin API's share of the HTTP set-up (called by configureHttp): the OpenAPI document of the
 * admin routes only, at `/admin/docs` (UI) and `/admin/docs-json`.
 */
export function configureAdminHttp(app: INestApplication): void {
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
