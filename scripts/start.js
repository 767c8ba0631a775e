// `npm start`: build, then run the desktop app with the Electron binary from node_modules; where
// that binary is not installed (CI, headless machines), fall back to browser mode.
import console from 'node:console'
import process from 'node:process'
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { buildAll } from './build.js'

const root = fileURLToPath(new URL('..', import.meta.url))

let electronBinary = null
try {
  electronBinary = createRequire(import.meta.url)('electron')
} catch (error) {
  console.warn(`The Electron binary is not installed (${error.message}); starting browser mode.`)
}

await buildAll()
const child = electronBinary
  ? spawn(electronBinary, [root, ...process.argv.slice(2)], { stdio: 'inherit' })
  : spawn(process.execPath, ['--import', 'tsx', 'main/server/serve.ts', ...process.argv.slice(2)], {
      cwd: root,
      stdio: 'inherit',
    })
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)))
