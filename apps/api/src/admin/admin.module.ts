import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { DirectoryModule } from '@app/directory';
import { IdentityModule } from '@app/identity';
import { AdminBearerStrategy } from './admin-bearer.strategy.js';
import { ExistingTenantPipe } from './admin-controller.decorator.js';
import { EventsController, GroupsController, UserSearchController, UsersController } from './directory.controller.js';
import { EventStreamService } from './event-stream.service.js';
import { MeController, SupportAccountsController } from './support-accounts.controller.js';
import { ClientsController, GrantsController, ScimTokensController, TenantAdminsController } from './tenant-identity.controller.js';
import { TenantLimitsController } from './tenant-limits.controller.js';
import { SchemaExtensionsController } from './schema-extensions.controller.js';
import { TenantsController } from './tenants.controller.js';

/** The support-staff REST API under `/admin/v1` (OpenAPI at `/admin/docs`). */
@Module({
  imports: [PassportModule, DirectoryModule, IdentityModule],
  controllers: [
    MeController,
    SupportAccountsController,
    TenantsController,
    TenantLimitsController,
    SchemaExtensionsController,
    TenantAdminsController,
    ClientsController,
    GrantsController,
    ScimTokensController,
    UsersController,
    UserSearchController,
    GroupsController,
    EventsController,
  ],
  providers: [AdminBearerStrategy, ExistingTenantPipe, EventStreamService],
})
export class AdminModule {}
