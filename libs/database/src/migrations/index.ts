import { ScimUsers1795700629383 } from './1795700629383-scim-users.js';
import { ScimGroups1795701227930 } from './1795701227930-scim-groups.js';

/** Every migration, oldest first. Add new ones at the end. */
export const MIGRATIONS = [ScimUsers1795700629383, ScimGroups1795701227930];
