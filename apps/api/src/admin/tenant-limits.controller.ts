import { Body, Get, Put } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiProperty } from '@nestjs/swagger';
import { IsInt, Max, Min, ValidateIf } from 'class-validator';
import { AppConfig } from '@app/config';
import { TenantService, type Actor } from '@app/directory';
import { Roles } from './admin-auth.guard.js';
import { AdminController, TenantIdParam } from './admin-controller.decorator.js';
import { SupportActor } from './admin-principal.js';
import { ErrorDto } from './dto/common.dto.js';

export class RateLimitDto {
  @ApiProperty({
    type: Number,
    nullable: true,
    minimum: 1,
    maximum: 100_000,
    description: "The tenant's own SCIM rate limit in requests per second; null: the service's default (SCIM_RATE_LIMIT_PER_SECOND)",
    example: 200,
  })
  @ValidateIf((_, value) => value !== null)
  @IsInt()
  @Min(1)
  @Max(100_000)
  scimRequestsPerSecond: number | null;
}

export class EffectiveRateLimitDto extends RateLimitDto {
  @ApiProperty({ description: 'The limit in force: the tenant\'s own, or the default', example: 100 })
  effectiveScimRequestsPerSecond: number;
}

/** A tenant's SCIM rate limit (`/admin/v1/tenants/{tenantId}/rate-limit`). */
@AdminController('tenants/:tenantId/rate-limit', 'Tenants')
export class TenantLimitsController {
  constructor(
    private readonly tenants: TenantService,
    private readonly config: AppConfig,
  ) {}

  @Get()
  @ApiOperation({ summary: "A tenant's SCIM rate limit" })
  @ApiOkResponse({ type: EffectiveRateLimitDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  async get(@TenantIdParam() tenantId: string): Promise<EffectiveRateLimitDto> {
    const tenant = (await this.tenants.findById(tenantId))!;
    return this.toDto(tenant.scimRateLimitPerSecond);
  }

  @Put()
  @Roles('operator')
  @ApiOperation({ summary: "Set a tenant's own SCIM rate limit (null: back to the default); in force on every instance within 5 s" })
  @ApiOkResponse({ type: EffectiveRateLimitDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  async set(@SupportActor() actor: Actor, @TenantIdParam() tenantId: string, @Body() body: RateLimitDto): Promise<EffectiveRateLimitDto> {
    const tenant = await this.tenants.setScimRateLimit(tenantId, body.scimRequestsPerSecond, {
      actor,
      operation: 'tenant.rate-limit',
      resourceType: 'Tenant',
    });
    return this.toDto(tenant.scimRateLimitPerSecond);
  }

  private toDto(own: number | null): EffectiveRateLimitDto {
    return { scimRequestsPerSecond: own, effectiveScimRequestsPerSecond: own ?? this.config.SCIM_RATE_LIMIT_PER_SECOND };
  }
}
