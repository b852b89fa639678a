import { defineConfig } from 'vitest/config';

// End-to-end tests of the whole tool (tests/); each package's unit tests run from its own config.
// Two files at a time: much of an end-to-end test is waiting (an MLflow server starting, a worker
// polling Redis, a child process starting), so on a 2-core machine two at once took 1,484 s where
// one at a time took 2,430 s. Each file starts its own servers on free ports in its own temp dirs.
export default defineConfig({
  test: { include: ['tests/**/*.test.ts'], testTimeout: 180_000, hookTimeout: 120_000, fileParallelism: true, maxWorkers: 2 },
});
