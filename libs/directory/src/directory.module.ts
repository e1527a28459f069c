import { Module } from '@nestjs/common';
import { TenantService } from './tenants/tenant.service.js';
import { ScimUserRepository } from './users/scim-user.repository.js';
import { ScimUserService } from './users/scim-user.service.js';
import { ScimGroupRepository } from './groups/scim-group.repository.js';
import { ScimGroupService } from './groups/scim-group.service.js';
import { EventLog } from './events/event-log.js';
import { AuthFailureLog } from './events/auth-failure-log.js';
import { ProvisioningEventQuery } from './events/event-query.service.js';
import { TenantHealthService } from './tenants/tenant-health.service.js';
import { UserSearchService } from './users/user-search.service.js';
import { DirectorySearchService } from './search/directory-search.service.js';
import { SchemaExtensionService } from './extensions/schema-extension.service.js';

@Module({
  providers: [
    EventLog,
    AuthFailureLog,
    TenantService,
    ScimUserRepository,
    ScimUserService,
    ScimGroupRepository,
    ScimGroupService,
    ProvisioningEventQuery,
    TenantHealthService,
    UserSearchService,
    DirectorySearchService,
    SchemaExtensionService,
  ],
  exports: [EventLog, AuthFailureLog, TenantService, ScimUserService, ScimGroupService, ProvisioningEventQuery, TenantHealthService, UserSearchService, DirectorySearchService, SchemaExtensionService],
})
export class DirectoryModule {}
