import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: tests that start hubs, brokers and browsers must not all run at once.
    maxWorkers: 2,
    pool: 'forks',
  },
});
