import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Patch, Post, Put, Query, Res, UseGuards, UseInterceptors } from '@nestjs/common';
import type { Response } from 'express';
import { AppConfig } from '@app/config';
import { ScimGroupService } from '@app/directory';
import { GROUP_RESOURCE, listResponse, parseListQuery, projectResource, type ScimResource } from '@app/scim';
import { ScimAuthGuard } from './scim-auth.guard.js';
import { ScimContentTypeInterceptor } from './scim-content-type.interceptor.js';
import { TenantId } from './scim-principal.js';

type Query = Record<string, unknown>;

/** `/scim/v2/Groups`. Members are loaded only when the response includes them. */
@Controller('scim/v2/Groups')
@UseGuards(ScimAuthGuard)
@UseInterceptors(ScimContentTypeInterceptor)
export class ScimGroupsController {
  constructor(
    private readonly groups: ScimGroupService,
    private readonly config: AppConfig,
  ) {}

  @Get()
  async list(@TenantId() tenantId: string, @Query() query: Query) {
    const listQuery = parseListQuery(query, { maxCount: this.config.SCIM_MAX_RESULTS });
    const { total, resources } = await this.groups.list(tenantId, listQuery);
    return listResponse(
      resources.map((r) => projectResource(r, GROUP_RESOURCE, listQuery)),
      total,
      listQuery.startIndex,
    );
  }

  @Get(':id')
  async get(@TenantId() tenantId: string, @Param('id') id: string, @Query() query: Query, @Res({ passthrough: true }) res: Response) {
    const projection = parseListQuery(query);
    return this.respond(res, await this.groups.get(tenantId, id, projection), query);
  }

  @Post()
  @HttpCode(201)
  async create(@TenantId() tenantId: string, @Body() body: unknown, @Query() query: Query, @Res({ passthrough: true }) res: Response) {
    const resource = await this.groups.create(tenantId, body, parseListQuery(query));
    res.setHeader('Location', (resource.meta as { location: string }).location);
    return this.respond(res, resource, query);
  }

  @Put(':id')
  async replace(
    @TenantId() tenantId: string,
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @Query() query: Query,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.respond(res, await this.groups.replace(tenantId, id, body, ifMatch, parseListQuery(query)), query);
  }

  /** 204 by default (what Entra expects); 200 with the group when `attributes` or `excludedAttributes` is asked. */
  @Patch(':id')
  async patch(
    @TenantId() tenantId: string,
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @Query() query: Query,
    @Res({ passthrough: true }) res: Response,
  ) {
    const stored = await this.groups.patch(tenantId, id, body, ifMatch);
    const projection = parseListQuery(query);
    res.setHeader('ETag', `W/"${stored.group.version}"`);
    if (!projection.attributes && !projection.excludedAttributes) {
      res.status(204);
      return undefined;
    }
    return this.respond(res, await this.groups.get(tenantId, id, projection), query);
  }

  @Delete(':id')
  @HttpCode(204)
  async delete(@TenantId() tenantId: string, @Param('id') id: string, @Headers('if-match') ifMatch: string | undefined) {
    await this.groups.delete(tenantId, id, ifMatch);
  }

  private respond(res: Response, resource: ScimResource, query: Query) {
    res.setHeader('ETag', (resource.meta as { version: string }).version);
    const { attributes, excludedAttributes } = parseListQuery(query);
    return projectResource(resource, GROUP_RESOURCE, { attributes, excludedAttributes });
  }
}
