import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Patch, Post, Put, Query, Res, UseGuards, UseInterceptors } from '@nestjs/common';
import type { Response } from 'express';
import { AppConfig } from '@app/config';
import { ScimUserService } from '@app/directory';
import { listResponse, parseListQuery, projectResource, USER_RESOURCE, type ScimResource } from '@app/scim';
import { ScimAuthGuard } from './scim-auth.guard.js';
import { ScimContentTypeInterceptor } from './scim-content-type.interceptor.js';
import { TenantId } from './scim-principal.js';

type Query = Record<string, unknown>;

/** `/scim/v2/Users` (RFC 7644 §3). Routing is case-insensitive, so `/users` works too. */
@Controller('scim/v2/Users')
@UseGuards(ScimAuthGuard)
@UseInterceptors(ScimContentTypeInterceptor)
export class ScimUsersController {
  constructor(
    private readonly users: ScimUserService,
    private readonly config: AppConfig,
  ) {}

  @Get()
  async list(@TenantId() tenantId: string, @Query() query: Query) {
    const listQuery = parseListQuery(query, { maxCount: this.config.SCIM_MAX_RESULTS });
    const { total, resources } = await this.users.list(tenantId, listQuery);
    return listResponse(
      resources.map((r) => projectResource(r, USER_RESOURCE, listQuery)),
      total,
      listQuery.startIndex,
    );
  }

  @Get(':id')
  async get(@TenantId() tenantId: string, @Param('id') id: string, @Query() query: Query, @Res({ passthrough: true }) res: Response) {
    return this.respond(res, await this.users.get(tenantId, id), query);
  }

  @Post()
  @HttpCode(201)
  async create(@TenantId() tenantId: string, @Body() body: unknown, @Query() query: Query, @Res({ passthrough: true }) res: Response) {
    const resource = await this.users.create(tenantId, body);
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
    return this.respond(res, await this.users.replace(tenantId, id, body, ifMatch), query);
  }

  /** Answers 200 with the resource: Entra's validator expects it (RFC 7644 also allows 204). */
  @Patch(':id')
  async patch(
    @TenantId() tenantId: string,
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @Query() query: Query,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.respond(res, await this.users.patch(tenantId, id, body, ifMatch), query);
  }

  @Delete(':id')
  @HttpCode(204)
  async delete(@TenantId() tenantId: string, @Param('id') id: string, @Headers('if-match') ifMatch: string | undefined) {
    await this.users.delete(tenantId, id, ifMatch);
  }

  private respond(res: Response, resource: ScimResource, query: Query) {
    res.setHeader('ETag', (resource.meta as { version: string }).version);
    const { attributes, excludedAttributes } = parseListQuery(query);
    return projectResource(resource, USER_RESOURCE, { attributes, excludedAttributes });
  }
}
