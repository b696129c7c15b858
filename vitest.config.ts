import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'bench/**/*.test.ts'],
    pool: 'forks',
    globalSetup: ['src/testing/lab-global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
