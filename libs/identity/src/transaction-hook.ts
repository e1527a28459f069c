import type { EntityManager } from 'typeorm';

/**
 * Work a caller adds to a write's transaction (the admin API records its provisioning event this
 * way): it runs after the write, on the same EntityManager, and a failure rolls back both.
 */
export type InTransaction<R = void> = (manager: EntityManager, result: R) => Promise<void>;
