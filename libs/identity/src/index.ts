import { ScimTokenEntity } from './scim-tokens/scim-token.entity.js';

export const IDENTITY_ENTITIES = [ScimTokenEntity];

export { ScimTokenEntity } from './scim-tokens/scim-token.entity.js';
export { ScimTokenService, hashToken, type IssuedScimToken, type ScimTokenPrincipal } from './scim-tokens/scim-token.service.js';
export { IdentityModule } from './identity.module.js';
