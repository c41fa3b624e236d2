import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // The CLI tests spawn dist/cli/*.js and the playground imports the built package: build once first.
    globalSetup: ['test/setup/build.ts'],
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
})
