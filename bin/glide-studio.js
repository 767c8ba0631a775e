#!/usr/bin/env node
// The glide-studio CLI, run from TypeScript source through tsx: works straight after npm install.
import process from 'node:process'
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../main/cli/index.ts')
process.exitCode = await main(process.argv.slice(2))
