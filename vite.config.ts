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
  },
  server: { fs: { allow: [fileURLToPath(new URL('.', import.meta.url))] } },
})
