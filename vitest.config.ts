import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
    // Browser tests poll for what the page shows; on a loaded 2-core machine a first decode (a
    // cold decoder process) or a first model load takes longer than vitest's default second.
    expect: { poll: { timeout: 10_000 } },
  },
})
