import { defineConfig } from 'vitest/config';

// End-to-end tests of the whole tool (tests/); each package's unit tests run from its own config.
export default defineConfig({
  test: { include: ['tests/**/*.test.ts'], testTimeout: 180_000, hookTimeout: 120_000, fileParallelism: false },
});
