import { Controller, Get, Param, UseGuards } from '@nestjs/common';
import { AppConfig } from '@app/config';
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
} from '@app/scim';
import { ScimAuthGuard } from './scim-auth.guard.js';
import { CURSOR_TIMEOUT_SECONDS } from './scim-cursors.js';

/** The resource types this service serves; only what works is advertised. */
export const RESOURCE_TYPES: ResourceSchema[] = [USER_RESOURCE, GROUP_RESOURCE];

/** `/ServiceProviderConfig`, `/Schemas`, `/ResourceTypes` (RFC 7644 §4). */
@Controller('scim/v2')
@UseGuards(ScimAuthGuard)
export class ScimDiscoveryController {
  constructor(private readonly config: AppConfig) {}

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
  schemas() {
    const schemas = this.servedSchemas();
    return listResponse(schemas.map((s) => this.schema(s)), schemas.length, 1);
  }

  @Get('Schemas/:id')
  schemaById(@Param('id') id: string) {
    const found = this.servedSchemas().find((s) => s.id.toLowerCase() === id.toLowerCase());
    if (!found) throw ScimError.notFound(`Schema ${id} not found`);
    return this.schema(found);
  }

  @Get('ResourceTypes')
  resourceTypes() {
    return listResponse(RESOURCE_TYPES.map((t) => this.resourceType(t)), RESOURCE_TYPES.length, 1);
  }

  @Get('ResourceTypes/:name')
  resourceTypeByName(@Param('name') name: string) {
    const found = RESOURCE_TYPES.find((t) => t.name.toLowerCase() === name.toLowerCase());
    if (!found) throw ScimError.notFound(`Resource type ${name} not found`);
    return this.resourceType(found);
  }

  private servedSchemas() {
    const ids = new Set(RESOURCE_TYPES.flatMap((t) => [t.core.id, ...t.extensions.map((e) => e.schema.id)]));
    return ALL_SCHEMA_DEFINITIONS.filter((s) => ids.has(s.id));
  }

  private schema(definition: (typeof ALL_SCHEMA_DEFINITIONS)[number]) {
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
