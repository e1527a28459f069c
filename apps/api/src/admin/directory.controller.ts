import { Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { ProvisioningEventQuery, ScimGroupService, ScimUserService, type Actor } from '@app/directory';
import { parseFilter, type ListQuery } from '@app/scim';
import { Roles } from './admin-auth.guard.js';
import { AdminController, TenantIdParam, UuidParam } from './admin-controller.decorator.js';
import { SupportActor } from './admin-principal.js';
import { ErrorDto, paging, type Paging } from './dto/common.dto.js';
import {
  EventQueryDto,
  ProvisioningEventPageDto,
  ScimGroupDto,
  ScimGroupPageDto,
  ScimListQueryDto,
  ScimUserDto,
  ScimUserPageDto,
  toEventDto,
} from './dto/directory.dto.js';

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
    return this.users.deactivate(tenantId, id, actor);
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
  constructor(private readonly events: ProvisioningEventQuery) {}

  @Get()
  @ApiOperation({ summary: "List a tenant's provisioning events, filtered by time, operation, status, actor and resource" })
  @ApiOkResponse({ type: ProvisioningEventPageDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  async list(@TenantIdParam() tenantId: string, @Query() query: EventQueryDto) {
    const p = paging(query);
    const { page: _page, limit: _limit, ...filter } = query;
    const result = await this.events.list(tenantId, filter, p);
    return { items: result.items.map(toEventDto), total: result.total, page: p.page, limit: p.limit };
  }
}
