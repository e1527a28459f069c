import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { DirectorySearchService, ScimUserService } from '@app/directory';
import { GROUP_RESOURCE, listResponse, parseSearchRequest, projectResource } from '@app/scim';
import { ScimAuthGuard } from './scim-auth.guard.js';
import { TenantId } from './scim-principal.js';

/** `POST /scim/v2/.search`: a search over every resource type (RFC 7644 §3.4.3). */
@Controller('scim/v2')
@UseGuards(ScimAuthGuard)
export class ScimSearchController {
  constructor(
    private readonly search: DirectorySearchService,
    private readonly users: ScimUserService,
    private readonly config: AppConfig,
  ) {}

  @Post('.search')
  @HttpCode(200)
  async searchAll(@TenantId() tenantId: string, @Body() body: unknown) {
    const query = parseSearchRequest(body, { maxCount: this.config.SCIM_MAX_RESULTS });
    const page = await this.search.search(tenantId, query);
    const schemas = { User: await this.users.resourceSchema(tenantId), Group: GROUP_RESOURCE };
    return listResponse(
      page.resources.map(({ type, resource }) => projectResource(resource, schemas[type], query)),
      page.total,
      query.startIndex,
    );
  }
}
