import { Body, Delete, Get, HttpCode, NotFoundException, Param, Post, Query } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
} from '@nestjs/swagger';
import { EventLog, TenantService, type Actor } from '@app/directory';
import { OAuthClientService, OAuthGrantService, ScimTokenService, TenantAdminService, type AccountEntity } from '@app/identity';
import { recordIn } from './admin-audit.js';
import { Roles } from './admin-auth.guard.js';
import { AdminController, TenantIdParam, UuidParam } from './admin-controller.decorator.js';
import { SupportActor } from './admin-principal.js';
import { ErrorDto, PageQueryDto, pageOf, paging } from './dto/common.dto.js';
import {
  AddClientSecretDto,
  ClientPageDto,
  CreateClientDto,
  CreateScimTokenDto,
  CreateTenantAdminDto,
  GrantPageDto,
  IssuedClientSecretDto,
  IssuedScimTokenDto,
  ScimTokenPageDto,
  TenantAdminDto,
  TenantAdminPageDto,
  TenantAdminWithPasswordDto,
  toClientDto,
  toGrantDto,
  toIssuedClientSecretDto,
  toScimTokenDto,
  toTenantAdminDto,
} from './dto/identity.dto.js';

/** Hashing a new password takes a slot of the password-check queue that sign-ins use. */
const PASSWORD_QUEUE_FULL = 'The password-check queue is full (sign-ins and password hashing share it); with Retry-After';

const accountId = (a: AccountEntity) => a.id;
const GRANT_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** A tenant's admin accounts (the people who click Authorize in Entra). */
@AdminController('tenants/:tenantId/admins', 'Tenant admins')
export class TenantAdminsController {
  constructor(
    private readonly admins: TenantAdminService,
    private readonly events: EventLog,
  ) {}

  @Get()
  @ApiOperation({ summary: "List a tenant's admin accounts" })
  @ApiOkResponse({ type: TenantAdminPageDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  async list(@TenantIdParam() tenantId: string, @Query() query: PageQueryDto) {
    const p = paging(query);
    return pageOf(p, await this.admins.list(tenantId, p), (a) => toTenantAdminDto(a));
  }

  @Post()
  @Roles('operator')
  @ApiOperation({ summary: 'Create a tenant admin with a generated password (shown once)' })
  @ApiCreatedResponse({ type: TenantAdminWithPasswordDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  @ApiConflictResponse({ type: ErrorDto, description: 'The tenant already has an account for the e-mail address' })
  @ApiServiceUnavailableResponse({ type: ErrorDto, description: PASSWORD_QUEUE_FULL })
  async create(@SupportActor() actor: Actor, @TenantIdParam() tenantId: string, @Body() body: CreateTenantAdminDto): Promise<TenantAdminWithPasswordDto> {
    const audit = recordIn(this.events, tenantId, actor, { operation: 'account.create', resourceType: 'Account', resourceId: accountId, changed: ['email'], status: 201 });
    const { account, password } = await this.admins.create(tenantId, body.email, audit);
    return { ...toTenantAdminDto(account), password };
  }

  @Post(':accountId/disable')
  @HttpCode(200)
  @Roles('operator')
  @ApiOperation({ summary: 'Disable a tenant admin: no sign-in, and tokens they authorized stop refreshing' })
  @ApiOkResponse({ type: TenantAdminDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  async disable(@SupportActor() actor: Actor, @TenantIdParam() tenantId: string, @UuidParam('accountId') id: string): Promise<TenantAdminDto> {
    const audit = recordIn(this.events, tenantId, actor, { operation: 'account.disable', resourceType: 'Account', resourceId: accountId, changed: ['disabled'] });
    return toTenantAdminDto(await this.admins.setDisabled(tenantId, id, true, audit));
  }

  @Post(':accountId/enable')
  @HttpCode(200)
  @Roles('operator')
  @ApiOperation({ summary: 'Re-enable a disabled tenant admin' })
  @ApiOkResponse({ type: TenantAdminDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  async enable(@SupportActor() actor: Actor, @TenantIdParam() tenantId: string, @UuidParam('accountId') id: string): Promise<TenantAdminDto> {
    const audit = recordIn(this.events, tenantId, actor, { operation: 'account.enable', resourceType: 'Account', resourceId: accountId, changed: ['disabled'] });
    return toTenantAdminDto(await this.admins.setDisabled(tenantId, id, false, audit));
  }

  @Post(':accountId/unlock')
  @HttpCode(200)
  @Roles('operator')
  @ApiOperation({ summary: 'Lift the lock of a tenant admin after too many wrong passwords' })
  @ApiOkResponse({ type: TenantAdminDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  async unlock(@SupportActor() actor: Actor, @TenantIdParam() tenantId: string, @UuidParam('accountId') id: string): Promise<TenantAdminDto> {
    const audit = recordIn(this.events, tenantId, actor, { operation: 'account.unlock', resourceType: 'Account', resourceId: accountId, changed: ['lockedUntil', 'failedLogins'] });
    return toTenantAdminDto(await this.admins.unlock(tenantId, id, audit));
  }

  @Post(':accountId/reset-password')
  @HttpCode(200)
  @Roles('operator')
  @ApiOperation({ summary: "Set a generated password (shown once) and lift any lock" })
  @ApiOkResponse({ type: TenantAdminWithPasswordDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  @ApiServiceUnavailableResponse({ type: ErrorDto, description: PASSWORD_QUEUE_FULL })
  async resetPassword(@SupportActor() actor: Actor, @TenantIdParam() tenantId: string, @UuidParam('accountId') id: string): Promise<TenantAdminWithPasswordDto> {
    const audit = recordIn(this.events, tenantId, actor, { operation: 'account.reset-password', resourceType: 'Account', resourceId: accountId, changed: ['password'] });
    const { account, password } = await this.admins.resetPassword(tenantId, id, audit);
    return { ...toTenantAdminDto(account), password };
  }
}

/** A tenant's OAuth clients (Entra is given one per customer) and their secrets. */
@AdminController('tenants/:tenantId/clients', 'OAuth clients')
export class ClientsController {
  constructor(
    private readonly clients: OAuthClientService,
    private readonly grants: OAuthGrantService,
    private readonly events: EventLog,
  ) {}

  @Get()
  @ApiOperation({ summary: "List a tenant's OAuth clients with their secrets' metadata" })
  @ApiOkResponse({ type: ClientPageDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  async list(@TenantIdParam() tenantId: string, @Query() query: PageQueryDto) {
    const p = paging(query);
    // A tenant has a handful of clients: the service returns them all.
    const all = await this.clients.list(tenantId);
    return pageOf(p, { total: all.length, items: all.slice(p.offset, p.offset + p.limit) }, toClientDto);
  }

  @Post()
  @Roles('operator')
  @ApiOperation({ summary: 'Create an OAuth client; its secret is shown once' })
  @ApiCreatedResponse({ type: IssuedClientSecretDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  async create(@SupportActor() actor: Actor, @TenantIdParam() tenantId: string, @Body() body: CreateClientDto): Promise<IssuedClientSecretDto> {
    const changed = ['name', 'redirectUris', 'secret'];
    const audit = recordIn<{ clientId: string }>(this.events, tenantId, actor, { operation: 'client.create', resourceType: 'Client', resourceId: (c) => c.clientId, changed, status: 201 });
    const issued = await this.clients.create(tenantId, { name: body.name, redirectUris: body.redirectUris, expiresInDays: body.secretExpiresInDays }, audit);
    return toIssuedClientSecretDto(issued);
  }

  @Post(':clientId/secrets')
  @Roles('operator')
  @ApiOperation({ summary: 'Add a secret to a client (shown once); the other secrets stay valid' })
  @ApiCreatedResponse({ type: IssuedClientSecretDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  async addSecret(
    @SupportActor() actor: Actor,
    @TenantIdParam() tenantId: string,
    @UuidParam('clientId') clientId: string,
    @Body() body: AddClientSecretDto,
  ): Promise<IssuedClientSecretDto> {
    await this.requireClient(tenantId, clientId);
    const audit = recordIn(this.events, tenantId, actor, { operation: 'client.secret.add', resourceType: 'Client', resourceId: () => clientId, changed: ['secrets'], status: 201 });
    return toIssuedClientSecretDto(await this.clients.addSecret(clientId, body.expiresInDays, audit));
  }

  @Delete(':clientId/secrets/:secretId')
  @HttpCode(204)
  @Roles('operator')
  @ApiOperation({ summary: "Revoke (delete) one of a client's secrets" })
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiNotFoundResponse({ type: ErrorDto })
  async revokeSecret(
    @SupportActor() actor: Actor,
    @TenantIdParam() tenantId: string,
    @UuidParam('clientId') clientId: string,
    @UuidParam('secretId') secretId: string,
  ): Promise<void> {
    await this.requireClient(tenantId, clientId);
    const audit = recordIn(this.events, tenantId, actor, { operation: 'client.secret.revoke', resourceType: 'Client', resourceId: () => clientId, changed: ['secrets'], status: 204 });
    await this.clients.deleteSecret(clientId, secretId, audit);
  }

  @Delete(':clientId')
  @HttpCode(204)
  @Roles('operator')
  @ApiOperation({ summary: 'Delete a client with its secrets, grants and tokens' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiNotFoundResponse({ type: ErrorDto })
  async delete(@SupportActor() actor: Actor, @TenantIdParam() tenantId: string, @UuidParam('clientId') clientId: string): Promise<void> {
    const audit = recordIn(this.events, tenantId, actor, { operation: 'client.delete', resourceType: 'Client', resourceId: () => clientId, status: 204 });
    await this.grants.deleteClient(tenantId, clientId, audit);
  }

  private async requireClient(tenantId: string, clientId: string): Promise<void> {
    const client = await this.clients.findClient(clientId);
    if (!client || client.tenantId !== tenantId) throw new NotFoundException(`The tenant has no OAuth client ${clientId}`);
  }
}

/** Authorizations tenant admins gave OAuth clients (Entra's Authorize). */
@AdminController('tenants/:tenantId/grants', 'Grants')
export class GrantsController {
  constructor(
    private readonly grants: OAuthGrantService,
    private readonly events: EventLog,
    private readonly tenants: TenantService,
  ) {}

  @Get()
  @ApiOperation({ summary: "List a tenant's grants: who authorized which client, when, when it was last used, and whether it is revoked" })
  @ApiOkResponse({ type: GrantPageDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  async list(@TenantIdParam() tenantId: string, @Query() query: PageQueryDto) {
    const p = paging(query);
    const tenant = await this.tenants.findById(tenantId);
    return pageOf(p, await this.grants.list(tenantId, p, tenant?.status === 'suspended'), toGrantDto);
  }

  @Delete(':grantId')
  @HttpCode(204)
  @Roles('operator')
  @ApiOperation({ summary: 'Revoke a grant with every token issued under it: the client\'s next call gets 401' })
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiNotFoundResponse({ type: ErrorDto })
  async revoke(@SupportActor() actor: Actor, @TenantIdParam() tenantId: string, @Param('grantId') grantId: string): Promise<void> {
    if (!GRANT_ID.test(grantId)) throw new NotFoundException(`The tenant has no grant ${grantId.slice(0, 128)}`);
    const audit = recordIn(this.events, tenantId, actor, { operation: 'grant.revoke', resourceType: 'Grant', resourceId: () => grantId, status: 204 });
    await this.grants.revoke(tenantId, grantId, audit);
  }
}

/** A tenant's long-lived SCIM tokens (Entra's "Secret Token"). */
@AdminController('tenants/:tenantId/scim-tokens', 'SCIM tokens')
export class ScimTokensController {
  constructor(
    private readonly tokens: ScimTokenService,
    private readonly events: EventLog,
  ) {}

  @Get()
  @ApiOperation({ summary: "List a tenant's SCIM tokens (never the tokens themselves)" })
  @ApiOkResponse({ type: ScimTokenPageDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  async list(@TenantIdParam() tenantId: string, @Query() query: PageQueryDto) {
    const p = paging(query);
    return pageOf(p, await this.tokens.list(tenantId, p), toScimTokenDto);
  }

  @Post()
  @Roles('operator')
  @ApiOperation({ summary: 'Create a SCIM token (shown once)' })
  @ApiCreatedResponse({ type: IssuedScimTokenDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  async create(@SupportActor() actor: Actor, @TenantIdParam() tenantId: string, @Body() body: CreateScimTokenDto): Promise<IssuedScimTokenDto> {
    const audit = recordIn<{ id: string }>(this.events, tenantId, actor, { operation: 'scim-token.create', resourceType: 'ScimToken', resourceId: (t) => t.id, status: 201 });
    return this.tokens.issue(tenantId, { description: body.description, expiresInDays: body.expiresInDays }, audit);
  }

  @Delete(':tokenId')
  @HttpCode(204)
  @Roles('operator')
  @ApiOperation({ summary: 'Revoke a SCIM token' })
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiNotFoundResponse({ type: ErrorDto })
  async revoke(@SupportActor() actor: Actor, @TenantIdParam() tenantId: string, @UuidParam('tokenId') tokenId: string): Promise<void> {
    const audit = recordIn(this.events, tenantId, actor, { operation: 'scim-token.revoke', resourceType: 'ScimToken', resourceId: () => tokenId, status: 204 });
    if (!(await this.tokens.revoke(tenantId, tokenId, audit))) throw new NotFoundException(`The tenant has no SCIM token ${tokenId}`);
  }
}
