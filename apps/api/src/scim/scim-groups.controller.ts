import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Patch, Post, Put, Query, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AppConfig } from '@app/config';
import { ScimGroupService, type Actor } from '@app/directory';
import { GROUP_RESOURCE, parseListQuery, parseSearchRequest, type ListQuery } from '@app/scim';
import { ScimAuthGuard } from './scim-auth.guard.js';
import { ScimCursors } from './scim-cursors.js';
import { listBody, resourceBody, type QueryParams } from './scim-responses.js';
import { ScimActor, TenantId } from './scim-principal.js';

/** `/scim/v2/Groups`. Members are loaded only when the response includes them. */
@Controller('scim/v2/Groups')
@UseGuards(ScimAuthGuard)
export class ScimGroupsController {
  constructor(
    private readonly groups: ScimGroupService,
    private readonly config: AppConfig,
    private readonly cursors: ScimCursors,
  ) {}

  @Get()
  list(@TenantId() tenantId: string, @Query() query: QueryParams) {
    return this.page(tenantId, parseListQuery(query, { maxCount: this.config.SCIM_MAX_RESULTS }));
  }

  /** The same query as a GET, with its parameters in a SearchRequest body (RFC 7644 §3.4.3). */
  @Post('.search')
  @HttpCode(200)
  search(@TenantId() tenantId: string, @Body() body: unknown) {
    return this.page(tenantId, parseSearchRequest(body, { maxCount: this.config.SCIM_MAX_RESULTS }));
  }

  @Get(':id')
  async get(@TenantId() tenantId: string, @Param('id') id: string, @Query() query: QueryParams, @Res({ passthrough: true }) res: FastifyReply) {
    const projection = parseListQuery(query);
    return resourceBody(res, GROUP_RESOURCE, await this.groups.get(tenantId, id, projection), query);
  }

  @Post()
  @HttpCode(201)
  async create(@TenantId() tenantId: string, @ScimActor() actor: Actor, @Body() body: unknown, @Query() query: QueryParams, @Res({ passthrough: true }) res: FastifyReply) {
    const resource = await this.groups.create(tenantId, body, actor, parseListQuery(query));
    res.header('Location', (resource.meta as { location: string }).location);
    return resourceBody(res, GROUP_RESOURCE, resource, query);
  }

  @Put(':id')
  async replace(
    @TenantId() tenantId: string,
    @ScimActor() actor: Actor,
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @Query() query: QueryParams,
    @Res({ passthrough: true }) res: FastifyReply,
  ) {
    return resourceBody(res, GROUP_RESOURCE, await this.groups.replace(tenantId, id, body, actor, ifMatch, parseListQuery(query)), query);
  }

  /** 204 by default (what Entra expects); 200 with the group when `attributes` or `excludedAttributes` is asked. */
  @Patch(':id')
  async patch(
    @TenantId() tenantId: string,
    @ScimActor() actor: Actor,
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @Query() query: QueryParams,
    @Res({ passthrough: true }) res: FastifyReply,
  ) {
    const projection = parseListQuery(query);
    const withBody = Boolean(projection.attributes || projection.excludedAttributes);
    const stored = await this.groups.patch(tenantId, id, body, actor, ifMatch, withBody ? 200 : 204);
    res.header('ETag', `W/"${stored.group.version}"`);
    if (!withBody) {
      res.status(204);
      return undefined;
    }
    return resourceBody(res, GROUP_RESOURCE, await this.groups.get(tenantId, id, projection), query);
  }

  @Delete(':id')
  @HttpCode(204)
  async delete(@TenantId() tenantId: string, @ScimActor() actor: Actor, @Param('id') id: string, @Headers('if-match') ifMatch: string | undefined) {
    await this.groups.delete(tenantId, id, actor, ifMatch);
  }

  /** A page by startIndex (RFC 7644 §3.4.2.4), or by cursor (RFC 9865) when the query has one. */
  private async page(tenantId: string, listQuery: ListQuery) {
    if (listQuery.cursor === undefined) return listBody(GROUP_RESOURCE, listQuery, await this.groups.list(tenantId, listQuery));
    const request = this.cursors.request(tenantId, GROUP_RESOURCE, listQuery);
    return this.cursors.body(tenantId, GROUP_RESOURCE, listQuery, request, await this.groups.listByKeyset(tenantId, listQuery, request));
  }
}
