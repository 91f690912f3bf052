import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['packages/**/src/**/*.test.ts', 'packages/**/test/**/*.test.ts', 'examples/**/*.test.ts', 'scripts/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    // Each test file gets its own process: tfjs's backend and kernel registry are process-global.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
