import { ScimUsers1795700629383 } from './1795700629383-scim-users.js';
import { ScimGroups1795701227930 } from './1795701227930-scim-groups.js';
import { OAuth1795701402518 } from './1795701402518-oauth.js';
import { ProvisioningEvents1795701540349 } from './1795701540349-provisioning-events.js';
import { SupportTokens1795701835989 } from './1795701835989-support-tokens.js';
import { UserMultiValuedJson1795711879150 } from './1795711879150-user-multi-valued-json.js';
import { UserManagerRef1796009937354 } from './1796009937354-user-manager-ref.js';
import { SupportTrace1796010000000 } from './1796010000000-support-trace.js';
import { TenantRateLimit1796010466160 } from './1796010466160-tenant-rate-limit.js';
import { OidcPayloadClient1796010718722 } from './1796010718722-oidc-payload-client.js';
import { EventIgnoredAttributes1796012638228 } from './1796012638228-event-ignored-attributes.js';
import { TenantSchemaExtensions1796014000000 } from './1796014000000-tenant-schema-extensions.js';
import { OAuthClientLastUsed1796596730359 } from './1796596730359-oauth-client-last-used.js';
import { LeanWriteIndexes1796605711164 } from './1796605711164-lean-write-indexes.js';

/** Every migration, oldest first. Add new ones at the end. */
export const MIGRATIONS = [
  ScimUsers1795700629383,
  ScimGroups1795701227930,
  OAuth1795701402518,
  ProvisioningEvents1795701540349,
  SupportTokens1795701835989,
  UserMultiValuedJson1795711879150,
  UserManagerRef1796009937354,
  SupportTrace1796010000000,
  TenantRateLimit1796010466160,
  OidcPayloadClient1796010718722,
  EventIgnoredAttributes1796012638228,
  TenantSchemaExtensions1796014000000,
  OAuthClientLastUsed1796596730359,
  LeanWriteIndexes1796605711164,
];
