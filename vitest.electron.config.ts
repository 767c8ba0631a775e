import { defineConfig } from 'vitest/config'

/** `npm run test:electron`: the desktop app itself, on machines where Electron's binary is installed. */
export default defineConfig({
  test: {
    include: ['test/electron/**/*.electron.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
  },
})
