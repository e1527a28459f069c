import { BadRequestException, Body, Delete, Get, HttpCode, NotFoundException, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { SupportAccountService, SupportTokenService, type SupportPrincipal } from '@app/identity';
import { AdminController, UuidParam } from './admin-controller.decorator.js';
import { Roles } from './admin-auth.guard.js';
import { Principal } from './admin-principal.js';
import { ErrorDto, PageQueryDto, pageOf, paging } from './dto/common.dto.js';
import {
  CreateSupportAccountDto,
  CreateSupportTokenDto,
  CreatedSupportAccountDto,
  IssuedSupportTokenDto,
  MeDto,
  SupportAccountDto,
  SupportAccountPageDto,
  SupportTokenListDto,
  UpdateSupportAccountDto,
  toIssuedSupportTokenDto,
  toSupportAccountDto,
  toSupportTokenDto,
} from './dto/support.dto.js';

/** The calling support account and its own personal access tokens (every role). */
@AdminController('me', 'Support accounts')
export class MeController {
  constructor(private readonly tokens: SupportTokenService) {}

  @Get()
  @ApiOperation({ summary: 'The support account of the token' })
  @ApiOkResponse({ type: MeDto })
  me(@Principal() me: SupportPrincipal): MeDto {
    return { id: me.accountId, email: me.email, role: me.role, tokenId: me.tokenId };
  }

  @Get('tokens')
  @ApiOperation({ summary: "List the caller's personal access tokens" })
  @ApiOkResponse({ type: SupportTokenListDto })
  async listTokens(@Principal() me: SupportPrincipal): Promise<SupportTokenListDto> {
    const tokens = await this.tokens.list(me.accountId);
    return { items: tokens.map(toSupportTokenDto), total: tokens.length };
  }

  @Post('tokens')
  @ApiOperation({ summary: 'Create a personal access token for the caller (shown once)' })
  @ApiCreatedResponse({ type: IssuedSupportTokenDto })
  async createToken(@Principal() me: SupportPrincipal, @Body() body: CreateSupportTokenDto): Promise<IssuedSupportTokenDto> {
    return toIssuedSupportTokenDto(await this.tokens.issue(me.accountId, body));
  }

  @Delete('tokens/:tokenId')
  @HttpCode(204)
  @ApiOperation({ summary: "Revoke one of the caller's tokens" })
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiNotFoundResponse({ type: ErrorDto })
  async revokeToken(@Principal() me: SupportPrincipal, @UuidParam('tokenId') tokenId: string): Promise<void> {
    if (!(await this.tokens.revoke(me.accountId, tokenId))) throw new NotFoundException(`No token ${tokenId}`);
  }
}

/** Support-staff accounts: the admin role only. Their changes are logged (ids only); they belong to no tenant's event log. */
@AdminController('support-accounts', 'Support accounts')
@Roles('admin')
export class SupportAccountsController {
  constructor(
    private readonly accounts: SupportAccountService,
    private readonly tokens: SupportTokenService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'List support accounts' })
  @ApiOkResponse({ type: SupportAccountPageDto })
  async list(@Query() query: PageQueryDto) {
    const p = paging(query);
    return pageOf(p, await this.accounts.list(p), toSupportAccountDto);
  }

  @Post()
  @ApiOperation({ summary: 'Create a support account with its first personal access token (shown once)' })
  @ApiCreatedResponse({ type: CreatedSupportAccountDto })
  async create(@Principal() me: SupportPrincipal, @Body() body: CreateSupportAccountDto): Promise<CreatedSupportAccountDto> {
    const { account, token } = await this.accounts.create(body.email, body.role, { createdBy: me.accountId });
    return { ...toSupportAccountDto(account), token: toIssuedSupportTokenDto(token) };
  }

  @Patch(':accountId')
  @ApiOperation({ summary: 'Change the role of a support account, or disable/enable it' })
  @ApiOkResponse({ type: SupportAccountDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  async update(@Principal() me: SupportPrincipal, @UuidParam('accountId') id: string, @Body() body: UpdateSupportAccountDto): Promise<SupportAccountDto> {
    if (id === me.accountId && (body.disabled === true || (body.role !== undefined && body.role !== 'admin'))) {
      throw new BadRequestException(['An admin cannot disable or demote their own account']);
    }
    return toSupportAccountDto(await this.accounts.update(id, body, me.accountId));
  }

  @Get(':accountId/tokens')
  @ApiOperation({ summary: "List a support account's personal access tokens" })
  @ApiOkResponse({ type: SupportTokenListDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  async listTokens(@UuidParam('accountId') id: string): Promise<SupportTokenListDto> {
    if (!(await this.accounts.find(id))) throw new NotFoundException(`No support account ${id}`);
    const tokens = await this.tokens.list(id);
    return { items: tokens.map(toSupportTokenDto), total: tokens.length };
  }

  @Post(':accountId/tokens')
  @ApiOperation({ summary: 'Create a personal access token for a support account (shown once)' })
  @ApiCreatedResponse({ type: IssuedSupportTokenDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  async createToken(@UuidParam('accountId') id: string, @Body() body: CreateSupportTokenDto): Promise<IssuedSupportTokenDto> {
    return toIssuedSupportTokenDto(await this.tokens.issue(id, body));
  }

  @Delete(':accountId/tokens/:tokenId')
  @HttpCode(204)
  @ApiOperation({ summary: "Revoke a support account's token" })
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiNotFoundResponse({ type: ErrorDto })
  async revokeToken(@UuidParam('accountId') id: string, @UuidParam('tokenId') tokenId: string): Promise<void> {
    if (!(await this.tokens.revoke(id, tokenId))) throw new NotFoundException(`No token ${tokenId} of support account ${id}`);
  }
}
