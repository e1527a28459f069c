import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Patch, Post, Put, Query, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AppConfig } from '@app/config';
import { ScimUserService, type Actor } from '@app/directory';
import { parseListQuery, parseSearchRequest, type ListQuery } from '@app/scim';
import { ScimAuthGuard } from './scim-auth.guard.js';
import { ScimCursors } from './scim-cursors.js';
import { listBody, resourceBody, type QueryParams } from './scim-responses.js';
import { ScimActor, TenantId } from './scim-principal.js';

/** `/scim/v2/Users` (RFC 7644 §3). Routing is case-insensitive, so `/users` works too. */
@Controller('scim/v2/Users')
@UseGuards(ScimAuthGuard)
export class ScimUsersController {
  constructor(
    private readonly users: ScimUserService,
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
    return resourceBody(res, await this.users.resourceSchema(tenantId), await this.users.get(tenantId, id), query);
  }

  @Post()
  @HttpCode(201)
  async create(@TenantId() tenantId: string, @ScimActor() actor: Actor, @Body() body: unknown, @Query() query: QueryParams, @Res({ passthrough: true }) res: FastifyReply) {
    const resource = await this.users.create(tenantId, body, actor);
    res.header('Location', (resource.meta as { location: string }).location);
    return resourceBody(res, await this.users.resourceSchema(tenantId), resource, query);
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
    return resourceBody(res, await this.users.resourceSchema(tenantId), await this.users.replace(tenantId, id, body, actor, ifMatch), query);
  }

  /** Answers 200 with the resource: Entra's validator expects it (RFC 7644 also allows 204). */
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
    return resourceBody(res, await this.users.resourceSchema(tenantId), await this.users.patch(tenantId, id, body, actor, ifMatch), query);
  }

  @Delete(':id')
  @HttpCode(204)
  async delete(@TenantId() tenantId: string, @ScimActor() actor: Actor, @Param('id') id: string, @Headers('if-match') ifMatch: string | undefined) {
    await this.users.delete(tenantId, id, actor, ifMatch);
  }

  /** A page by startIndex (RFC 7644 §3.4.2.4), or by cursor (RFC 9865) when the query has one. */
  private async page(tenantId: string, listQuery: ListQuery) {
    const schema = await this.users.resourceSchema(tenantId);
    if (listQuery.cursor === undefined) return listBody(schema, listQuery, await this.users.list(tenantId, listQuery));
    const request = this.cursors.request(tenantId, schema, listQuery);
    return this.cursors.body(tenantId, schema, listQuery, request, await this.users.listByKeyset(tenantId, listQuery, request));
  }
}
