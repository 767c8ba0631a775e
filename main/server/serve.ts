/**
 * `npm run serve [-- --port N] [--models-dir DIR]`: browser mode. Prints the URL with the session
 * token; open it in a browser on this machine (or tunnel the port).
 */
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { builtRendererDir, startBrowserMode } from './browserMode'
import { rendererBuildIsStale } from './rendererBuild'

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'models-dir': { type: 'string' },
  },
})
const port = Number(values.port)
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be a port number, not ${values.port}`)
  process.exit(2)
}

try {
  const root = fileURLToPath(new URL('../../', import.meta.url))
  if (rendererBuildIsStale(root, builtRendererDir)) {
    // A fresh checkout, or sources changed since the last build (Vite is a development dependency).
    process.stderr.write('Building the renderer…\n')
    const { build } = await import('vite')
    await build({
      configFile: new URL('../../vite.config.ts', import.meta.url).pathname,
      logLevel: 'warn',
    })
  }
  const mode = await startBrowserMode({
    port,
    ...(values['models-dir'] ? { modelsDir: values['models-dir'] } : {}),
  })
  process.stdout.write(`Glide Studio is serving on ${mode.server.url}\n`)
  const stop = () => {
    void mode.close().then(() => process.exit(0))
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
} catch (error) {
  console.error((error as Error).message)
  process.exit(1)
}
