import { Controller, Get, Param, UseGuards } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { ScimUserService } from '@app/directory';
import {
  ALL_SCHEMA_DEFINITIONS,
  listResponse,
  RESOURCE_TYPE_SCHEMA,
  SCHEMA_SCHEMA,
  ScimError,
  SERVICE_PROVIDER_CONFIG_SCHEMA,
  GROUP_RESOURCE,
  USER_RESOURCE,
  type ResourceSchema,
  type SchemaDefinition,
} from '@app/scim';
import { TenantId } from './scim-principal.js';
import { ScimAuthGuard } from './scim-auth.guard.js';
import { CURSOR_TIMEOUT_SECONDS } from './scim-cursors.js';

/** The resource types this service serves; only what works is advertised. */
export const RESOURCE_TYPES: ResourceSchema[] = [USER_RESOURCE, GROUP_RESOURCE];

/**
 * `/ServiceProviderConfig`, `/Schemas`, `/ResourceTypes` (RFC 7644 §4). `/Schemas` and `/ResourceTypes`
 * are the calling tenant's: its own extension schemas of User are listed, no other tenant's.
 */
@Controller('scim/v2')
@UseGuards(ScimAuthGuard)
export class ScimDiscoveryController {
  constructor(
    private readonly config: AppConfig,
    private readonly users: ScimUserService,
  ) {}

  private get base(): string {
    return `${this.config.publicUrl}/scim/v2`;
  }

  @Get('ServiceProviderConfig')
  serviceProviderConfig() {
    return {
      schemas: [SERVICE_PROVIDER_CONFIG_SCHEMA],
      documentationUri: `${this.config.publicUrl}/`,
      patch: { supported: true },
      bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
      filter: { supported: true, maxResults: this.config.SCIM_MAX_RESULTS },
      changePassword: { supported: false },
      sort: { supported: true },
      etag: { supported: true },
      // RFC 9865 §4: /Users and /Groups page by startIndex (the default) or by cursor.
      pagination: {
        cursor: true,
        index: true,
        defaultPaginationMethod: 'index',
        defaultPageSize: Math.min(100, this.config.SCIM_MAX_RESULTS),
        maxPageSize: this.config.SCIM_MAX_RESULTS,
        cursorTimeout: CURSOR_TIMEOUT_SECONDS,
      },
      authenticationSchemes: [
        {
          type: 'oauthbearertoken',
          name: 'OAuth Bearer Token',
          description: 'An access token from this service\'s OAuth 2.0 authorization server, or a per-tenant SCIM token',
          specUri: 'https://www.rfc-editor.org/info/rfc6750',
          primary: true,
        },
      ],
      meta: { resourceType: 'ServiceProviderConfig', location: `${this.base}/ServiceProviderConfig` },
    };
  }

  @Get('Schemas')
  async schemas(@TenantId() tenantId: string) {
    const schemas = await this.servedSchemas(tenantId);
    return listResponse(schemas.map((s) => this.schema(s)), schemas.length, 1);
  }

  @Get('Schemas/:id')
  async schemaById(@TenantId() tenantId: string, @Param('id') id: string) {
    const found = (await this.servedSchemas(tenantId)).find((s) => s.id.toLowerCase() === id.toLowerCase());
    if (!found) throw ScimError.notFound(`Schema ${id} not found`);
    return this.schema(found);
  }

  @Get('ResourceTypes')
  async resourceTypes(@TenantId() tenantId: string) {
    const types = await this.resourceTypesOf(tenantId);
    return listResponse(types.map((t) => this.resourceType(t)), types.length, 1);
  }

  @Get('ResourceTypes/:name')
  async resourceTypeByName(@TenantId() tenantId: string, @Param('name') name: string) {
    const found = (await this.resourceTypesOf(tenantId)).find((t) => t.name.toLowerCase() === name.toLowerCase());
    if (!found) throw ScimError.notFound(`Resource type ${name} not found`);
    return this.resourceType(found);
  }

  /** The tenant's resource types: User with the tenant's own extensions, and Group. */
  private async resourceTypesOf(tenantId: string): Promise<ResourceSchema[]> {
    return [await this.users.resourceSchema(tenantId), GROUP_RESOURCE];
  }

  /** The service's schemas, then the tenant's own extension schemas. */
  private async servedSchemas(tenantId: string): Promise<SchemaDefinition[]> {
    const ids = new Set(RESOURCE_TYPES.flatMap((t) => [t.core.id, ...t.extensions.map((e) => e.schema.id)]));
    const own = (await this.users.resourceSchema(tenantId)).extensions.map((e) => e.schema).filter((s) => !ids.has(s.id));
    return [...ALL_SCHEMA_DEFINITIONS.filter((s) => ids.has(s.id)), ...own];
  }

  private schema(definition: SchemaDefinition) {
    return {
      schemas: [SCHEMA_SCHEMA],
      ...definition,
      meta: { resourceType: 'Schema', location: `${this.base}/Schemas/${definition.id}` },
    };
  }

  private resourceType(type: ResourceSchema) {
    return {
      schemas: [RESOURCE_TYPE_SCHEMA],
      id: type.name,
      name: type.name,
      endpoint: type.endpoint,
      description: type.description,
      schema: type.core.id,
      schemaExtensions: type.extensions.map((e) => ({ schema: e.schema.id, required: e.required })),
      meta: { resourceType: 'ResourceType', location: `${this.base}/ResourceTypes/${type.name}` },
    };
  }
}
