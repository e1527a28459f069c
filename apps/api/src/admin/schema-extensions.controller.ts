import { Body, Delete, Get, HttpCode, Param, Put, Query, Res } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { SchemaExtensionService, type Actor } from '@app/directory';
import { Roles } from './admin-auth.guard.js';
import { AdminController, TenantIdParam } from './admin-controller.decorator.js';
import { SupportActor } from './admin-principal.js';
import { ErrorDto } from './dto/common.dto.js';
import {
  ConfirmQueryDto,
  PutSchemaExtensionDto,
  SchemaExtensionDto,
  SchemaExtensionListDto,
  toExtensionAttribute,
  toSchemaExtensionDto,
} from './dto/schema-extension.dto.js';

const URN_PARAM = { name: 'urn', description: 'The extension schema URN', example: 'urn:ietf:params:scim:schemas:extension:atea:2.0:User' };

/** A tenant's own SCIM extension schemas of User (`/admin/v1/tenants/{tenantId}/schema-extensions`). */
@AdminController('tenants/:tenantId/schema-extensions', 'Tenants')
export class SchemaExtensionsController {
  constructor(private readonly extensions: SchemaExtensionService) {}

  @Get()
  @ApiOperation({ summary: "A tenant's extension schemas of User" })
  @ApiOkResponse({ type: SchemaExtensionListDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  async list(@TenantIdParam() tenantId: string): Promise<SchemaExtensionListDto> {
    return { extensions: (await this.extensions.list(tenantId)).map(toSchemaExtensionDto) };
  }

  @Get(':urn')
  @ApiOperation({ summary: 'One extension schema of a tenant' })
  @ApiParam(URN_PARAM)
  @ApiOkResponse({ type: SchemaExtensionDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  async get(@TenantIdParam() tenantId: string, @Param('urn') urn: string): Promise<SchemaExtensionDto> {
    return toSchemaExtensionDto(await this.extensions.get(tenantId, urn));
  }

  @Put(':urn')
  @Roles('operator')
  @ApiOperation({
    summary:
      "Declare or replace an extension schema of a tenant; its /Schemas and /ResourceTypes show it within 5 s. Leaving out an attribute users hold values of is refused (409) unless ?confirm=true, which deletes those values",
  })
  @ApiParam(URN_PARAM)
  @ApiOkResponse({ type: SchemaExtensionDto, description: 'Replaced' })
  @ApiCreatedResponse({ type: SchemaExtensionDto, description: 'Declared' })
  @ApiNotFoundResponse({ type: ErrorDto })
  @ApiConflictResponse({ type: ErrorDto, description: 'Users hold values of an attribute left out, and confirm is not true' })
  async put(
    @SupportActor() actor: Actor,
    @TenantIdParam() tenantId: string,
    @Param('urn') urn: string,
    @Query() query: ConfirmQueryDto,
    @Body() body: PutSchemaExtensionDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SchemaExtensionDto> {
    const { extension, created } = await this.extensions.put(tenantId, urn, body.attributes.map(toExtensionAttribute), query.confirm === 'true', {
      actor,
      operation: 'tenant.schema-extension.put',
      resourceType: 'SchemaExtension',
    });
    reply.code(created ? 201 : 200);
    return toSchemaExtensionDto(extension);
  }

  @Delete(':urn')
  @Roles('operator')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove an extension schema of a tenant; refused (409) while users hold values of it unless ?confirm=true, which deletes them' })
  @ApiParam(URN_PARAM)
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiNotFoundResponse({ type: ErrorDto })
  @ApiConflictResponse({ type: ErrorDto, description: 'Users hold values of the extension, and confirm is not true' })
  async remove(@SupportActor() actor: Actor, @TenantIdParam() tenantId: string, @Param('urn') urn: string, @Query() query: ConfirmQueryDto): Promise<void> {
    await this.extensions.remove(tenantId, urn, query.confirm === 'true', { actor, operation: 'tenant.schema-extension.delete', resourceType: 'SchemaExtension' });
  }
}
