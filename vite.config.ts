import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

const root = fileURLToPath(new URL('./renderer', import.meta.url))

/** The renderer: React without a plugin (esbuild handles JSX), built to out/renderer. */
export default defineConfig({
  root,
  base: './',
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: fileURLToPath(new URL('./out/renderer', import.meta.url)),
    emptyOutDir: true,
    target: 'chrome120',
    // No inline modulepreload polyfill: the CSP allows no inline script.
    modulePreload: { polyfill: false },
    sourcemap: true,
    // Loaded from disk (app://) or loopback, never over a network: one bundle is fine.
    chunkSizeWarningLimit: 2048,
  },
  server: { fs: { allow: [fileURLToPath(new URL('.', import.meta.url))] } },
})
