import { defineConfig } from 'vitest/config';
import { alias } from './vitest.shared.js';

/**
 * The Galera suite (`npm run test:galera`): a 3-node MariaDB Galera cluster on loopback with two app
 * instances on two nodes. Separate from `npm test`: it starts its own cluster and takes a few minutes.
 */
export default defineConfig({
  resolve: { alias },
  test: {
    globals: true,
    pool: 'forks',
    include: ['test/galera/**/*.galera-spec.ts'],
    testTimeout: 240_000,
    hookTimeout: 180_000,
  },
});
