// `npm start`: build, then run the desktop app with the Electron binary from node_modules.
import console from 'node:console'
import process from 'node:process'
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { buildAll } from './build.js'

const root = fileURLToPath(new URL('..', import.meta.url))

let electronBinary
try {
  electronBinary = createRequire(import.meta.url)('electron')
} catch (error) {
  console.error(`The Electron binary is not installed (${error.message}).`)
  console.error('Install it with "npx install-electron" or use browser mode: npm run serve.')
  process.exit(1)
}

await buildAll()
const child = spawn(electronBinary, [root, ...process.argv.slice(2)], { stdio: 'inherit' })
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)))
