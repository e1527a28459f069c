import { Body, Delete, Get, HttpCode, Logger, Patch, Post, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { TenantHealthService, TenantService, type Actor } from '@app/directory';
import { OAuthClientService, OAuthGrantService, ScimTokenService, type SupportPrincipal } from '@app/identity';
import { Roles } from './admin-auth.guard.js';
import { AdminController, TenantIdParam } from './admin-controller.decorator.js';
import { Principal, SupportActor } from './admin-principal.js';
import { ErrorDto, pageOf, paging } from './dto/common.dto.js';
import {
  CreateTenantDto,
  DeleteTenantQueryDto,
  ListTenantsQueryDto,
  TenantDto,
  TenantHealthDto,
  TenantPageDto,
  UpdateTenantDto,
  toHealthDto,
  toTenantDto,
} from './dto/tenant.dto.js';

const tenantEvent = (actor: Actor, operation: string) => ({ actor, operation, resourceType: 'Tenant' });

@AdminController('tenants', 'Tenants')
export class TenantsController {
  private readonly logger = new Logger('Admin');

  constructor(
    private readonly tenants: TenantService,
    private readonly health: TenantHealthService,
    private readonly grants: OAuthGrantService,
    private readonly scimTokens: ScimTokenService,
    private readonly clients: OAuthClientService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'List and search tenants' })
  @ApiOkResponse({ type: TenantPageDto })
  async list(@Query() query: ListTenantsQueryDto) {
    const p = paging(query);
    return pageOf(p, await this.tenants.list({ ...p, search: query.search, status: query.status }), toTenantDto);
  }

  @Post()
  @Roles('operator')
  @ApiOperation({ summary: 'Create a tenant' })
  @ApiCreatedResponse({ type: TenantDto })
  @ApiConflictResponse({ type: ErrorDto, description: 'The slug is taken' })
  async create(@SupportActor() actor: Actor, @Body() body: CreateTenantDto): Promise<TenantDto> {
    return toTenantDto(await this.tenants.create(body.slug, body.name, tenantEvent(actor, 'tenant.create')));
  }

  @Get(':tenantId')
  @ApiOperation({ summary: 'Get a tenant' })
  @ApiOkResponse({ type: TenantDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  async get(@TenantIdParam() id: string): Promise<TenantDto> {
    return toTenantDto(await this.tenants.resolve(id));
  }

  @Patch(':tenantId')
  @Roles('operator')
  @ApiOperation({ summary: 'Rename a tenant or change its slug' })
  @ApiOkResponse({ type: TenantDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  @ApiConflictResponse({ type: ErrorDto, description: 'The slug is taken' })
  async update(@SupportActor() actor: Actor, @TenantIdParam() id: string, @Body() body: UpdateTenantDto): Promise<TenantDto> {
    return toTenantDto(await this.tenants.update(id, body, tenantEvent(actor, 'tenant.update')));
  }

  @Post(':tenantId/suspend')
  @HttpCode(200)
  @Roles('operator')
  @ApiOperation({ summary: "Suspend a tenant: its SCIM calls get 403 and its admins cannot sign in" })
  @ApiOkResponse({ type: TenantDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  async suspend(@SupportActor() actor: Actor, @TenantIdParam() id: string): Promise<TenantDto> {
    return toTenantDto(await this.tenants.setStatus(id, 'suspended', tenantEvent(actor, 'tenant.suspend')));
  }

  @Post(':tenantId/resume')
  @HttpCode(200)
  @Roles('operator')
  @ApiOperation({ summary: 'Resume a suspended tenant' })
  @ApiOkResponse({ type: TenantDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  async resume(@SupportActor() actor: Actor, @TenantIdParam() id: string): Promise<TenantDto> {
    return toTenantDto(await this.tenants.setStatus(id, 'active', tenantEvent(actor, 'tenant.resume')));
  }

  /**
   * The tenant's event log is deleted with it, so the deletion itself is written to the service log
   * (ids and slug only).
   */
  @Delete(':tenantId')
  @HttpCode(204)
  @Roles('operator')
  @ApiOperation({ summary: 'Delete a tenant with all its data (users, groups, accounts, clients, grants, tokens, events); ?confirm=<slug> is required' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiNotFoundResponse({ type: ErrorDto })
  async delete(@Principal() me: SupportPrincipal, @TenantIdParam() id: string, @Query() query: DeleteTenantQueryDto): Promise<void> {
    const tenant = await this.tenants.delete(id, query.confirm, (m) => this.grants.purgeTenant(m, id));
    this.logger.log(`tenant ${tenant.id} (${tenant.slug}) deleted with its data by support account ${me.accountId}`);
  }

  @Get(':tenantId/health')
  @ApiOperation({ summary: 'Provisioning health: the signals that predict an Entra quarantine' })
  @ApiOkResponse({ type: TenantHealthDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  async getHealth(@TenantIdParam() tenantId: string): Promise<TenantHealthDto> {
    const [health, ...credentialUses] = await Promise.all([this.health.health(tenantId), this.scimTokens.lastUsedAt(tenantId), this.clients.lastUsedAt(tenantId)]);
    return toHealthDto(health, credentialUses);
  }
}
