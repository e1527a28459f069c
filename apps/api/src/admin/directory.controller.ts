import { Get, Headers, HttpCode, Post, Query, Res, ServiceUnavailableException, StreamableFile } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiServiceUnavailableResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ProvisioningEventQuery, ScimGroupService, ScimUserService, UserSearchService, type Actor } from '@app/directory';
import { parseFilter, type ListQuery } from '@app/scim';
import { Roles } from './admin-auth.guard.js';
import { AdminController, TenantIdParam, UuidParam } from './admin-controller.decorator.js';
import { SupportActor } from './admin-principal.js';
import { ErrorDto, paging, type Paging } from './dto/common.dto.js';
import {
  EventQueryDto,
  ProvisioningEventDto,
  ProvisioningEventPageDto,
  ScimGroupDto,
  ScimGroupPageDto,
  ScimListQueryDto,
  ScimUserDto,
  ScimUserPageDto,
  toEventDto,
  UserSearchQueryDto,
  UserSearchResultDto,
} from './dto/directory.dto.js';
import { EXPORT_CONTENT_TYPES, eventExportStream, exportFormat } from './event-export.js';
import { EventStreamService, MAX_OPEN_STREAMS, STREAM_HEARTBEAT_MS, STREAM_RETRY_AFTER_SECONDS } from './event-stream.service.js';

function listQuery(query: ScimListQueryDto, p: Paging, excludedAttributes?: string[]): ListQuery {
  return {
    filter: query.filter?.trim() ? parseFilter(query.filter) : undefined,
    startIndex: p.offset + 1,
    count: p.limit,
    sortOrder: 'ascending',
    excludedAttributes,
  };
}

/** Provisioned users of a tenant, read and force-deactivated by support (tenant from the URL). */
@AdminController('tenants/:tenantId/users', 'Provisioned users and groups')
export class UsersController {
  constructor(private readonly users: ScimUserService) {}

  @Get()
  @ApiOperation({ summary: "List a tenant's provisioned users, with the SCIM filter language" })
  @ApiOkResponse({ type: ScimUserPageDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  async list(@TenantIdParam() tenantId: string, @Query() query: ScimListQueryDto) {
    const p = paging(query);
    const { total, resources } = await this.users.list(tenantId, listQuery(query, p));
    return { items: resources, total, page: p.page, limit: p.limit };
  }

  @Get(':userId')
  @ApiOperation({ summary: 'Get a provisioned user' })
  @ApiOkResponse({ type: ScimUserDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  get(@TenantIdParam() tenantId: string, @UuidParam('userId') id: string) {
    return this.users.get(tenantId, id);
  }

  @Post(':userId/deactivate')
  @HttpCode(200)
  @Roles('operator')
  @ApiOperation({ summary: 'Force-deactivate a user (active = false), as a SCIM PATCH would; recorded as user.deactivate' })
  @ApiOkResponse({ type: ScimUserDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  deactivate(@SupportActor() actor: Actor, @TenantIdParam() tenantId: string, @UuidParam('userId') id: string) {
    return this.users.setActive(tenantId, id, false, actor);
  }

  @Post(':userId/reactivate')
  @HttpCode(200)
  @Roles('operator')
  @ApiOperation({ summary: 'Reactivate a user (active = true), as a SCIM PATCH would; recorded as user.reactivate' })
  @ApiOkResponse({ type: ScimUserDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  reactivate(@SupportActor() actor: Actor, @TenantIdParam() tenantId: string, @UuidParam('userId') id: string) {
    return this.users.setActive(tenantId, id, true, actor);
  }
}

/** Support's search for a user across every tenant (any support role). */
@AdminController('users', 'Provisioned users and groups')
export class UserSearchController {
  constructor(private readonly search: UserSearchService) {}

  @Get()
  @ApiOperation({
    summary: 'Find users across every tenant by userName, e-mail or externalId (exact or prefix, without regard to case); each hit with its tenant',
  })
  @ApiOkResponse({ type: UserSearchResultDto })
  async find(@Query() query: UserSearchQueryDto): Promise<UserSearchResultDto> {
    const limit = query.limit ?? 50;
    const items = await this.search.search({ text: query.q, field: query.by, prefix: query.match === 'prefix', limit });
    return { items, limit };
  }
}

@AdminController('tenants/:tenantId/groups', 'Provisioned users and groups')
export class GroupsController {
  constructor(private readonly groups: ScimGroupService) {}

  @Get()
  @ApiOperation({ summary: "List a tenant's provisioned groups (without members), with the SCIM filter language" })
  @ApiOkResponse({ type: ScimGroupPageDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  async list(@TenantIdParam() tenantId: string, @Query() query: ScimListQueryDto) {
    const p = paging(query);
    const { total, resources } = await this.groups.list(tenantId, listQuery(query, p, ['members']));
    return { items: resources, total, page: p.page, limit: p.limit };
  }

  @Get(':groupId')
  @ApiOperation({ summary: 'Get a provisioned group with its members' })
  @ApiOkResponse({ type: ScimGroupDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  get(@TenantIdParam() tenantId: string, @UuidParam('groupId') id: string) {
    return this.groups.get(tenantId, id);
  }
}

/** The tenant's provisioning event log, newest first. Read-only: no route changes an event. */
@AdminController('tenants/:tenantId/events', 'Provisioning events')
export class EventsController {
  constructor(
    private readonly events: ProvisioningEventQuery,
    private readonly streams: EventStreamService,
  ) {}

  @Get()
  @ApiOperation({
    summary: "List a tenant's provisioning events, filtered by time, operation, status, actor, resource, userName or externalId; or export them all as CSV or NDJSON",
  })
  @ApiProduces('application/json', 'text/csv', 'application/x-ndjson')
  @ApiOkResponse({
    description: 'A page of events (JSON), or with format=csv|ndjson (or Accept: text/csv | application/x-ndjson) every matching event, oldest first, streamed',
    content: {
      'application/json': { schema: { $ref: getSchemaPath(ProvisioningEventPageDto) } },
      'text/csv': { schema: { type: 'string', description: 'A header line, then one event per line (RFC 4180)' } },
      'application/x-ndjson': { schema: { type: 'string', description: 'One ProvisioningEventDto as JSON per line' } },
    },
  })
  @ApiExtraModels(ProvisioningEventPageDto, ProvisioningEventDto)
  @ApiNotFoundResponse({ type: ErrorDto })
  async list(@TenantIdParam() tenantId: string, @Query() query: EventQueryDto, @Headers('accept') accept: string | undefined) {
    const { page: _page, limit: _limit, format: _format, ...filter } = query;
    const format = exportFormat(query.format, accept);
    if (format !== 'json') {
      return new StreamableFile(eventExportStream(this.events.all(tenantId, filter), format), {
        type: EXPORT_CONTENT_TYPES[format],
        disposition: `attachment; filename="events-${tenantId}.${format}"`,
      });
    }
    const p = paging(query);
    const result = await this.events.list(tenantId, filter, p);
    return { items: result.items.map(toEventDto), total: result.total, page: p.page, limit: p.limit };
  }

  /**
   * Server-Sent Events: each new event of the tenant as `event: provisioning-event` with the event
   * as JSON (`id` = the event id, so a client that reconnects with Last-Event-ID misses nothing), a
   * comment line as heartbeat. Follow it with `curl -N -H "Authorization: Bearer …" …/events/stream`.
   */
  @Get('stream')
  @ApiOperation({
    summary: "Follow a tenant's provisioning events live (Server-Sent Events), written by any instance; Last-Event-ID resumes after that event",
  })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description: `A stream of "event: provisioning-event" messages (data: a ProvisioningEventDto as JSON), seen within about a second, and a heartbeat comment every ${STREAM_HEARTBEAT_MS / 1000} s`,
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  })
  @ApiNotFoundResponse({ type: ErrorDto })
  @ApiServiceUnavailableResponse({ type: ErrorDto, description: `Too many open streams on this instance (${MAX_OPEN_STREAMS}); with Retry-After` })
  async stream(@TenantIdParam() tenantId: string, @Headers('last-event-id') lastEventId: string | undefined, @Res() reply: FastifyReply): Promise<void> {
    if (!this.streams.hasRoom()) {
      reply.header('Retry-After', String(STREAM_RETRY_AFTER_SECONDS));
      throw new ServiceUnavailableException(`Too many open event streams on this instance (${MAX_OPEN_STREAMS}); try again later`);
    }
    const cursor = await this.streams.cursor(tenantId, lastEventId);
    reply.hijack();
    reply.raw.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    this.streams.open(tenantId, reply.raw, cursor);
  }
}
