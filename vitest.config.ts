import { defineConfig } from 'vitest/config';
import { alias } from './vitest.shared.js';

export default defineConfig({
  resolve: { alias },
  test: {
    globals: true,
    pool: 'forks',
    include: ['apps/**/*.spec.ts', 'libs/**/*.spec.ts'],
  },
});
