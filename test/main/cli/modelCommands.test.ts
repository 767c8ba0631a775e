import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { main } from '../../../main/cli/index'
import { downloadCommand } from '../../../main/cli/modelCommands'
import { modelBaseUrlEnv, officialModels } from '../../../main/models/officialModels'

/**
 * `models download` against a local mirror (GLIDE_STUDIO_MODEL_BASE_URL) that records what is
 * asked of it and has no files: any fetch shows up in `requested` and fails with 404.
 */

let server: Server
let mirror: string
const requested: string[] = []
let modelsDir: string
let stderr: string[]
let stdout: string[]
const savedBaseUrl = process.env[modelBaseUrlEnv]

beforeAll(async () => {
  server = createServer((request, response) => {
    requested.push(request.url ?? '')
    response.writeHead(404)
    response.end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

beforeEach(() => {
  process.env[modelBaseUrlEnv] = mirror
  requested.length = 0
  modelsDir = mkdtempSync(join(tmpdir(), 'glide-download-cli-'))
  stderr = []
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr.push(String(chunk))
    return true
  })
  stdout = []
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(String(chunk))
    return true
  })
})
afterEach(() => {
  vi.restoreAllMocks()
  if (savedBaseUrl === undefined) delete process.env[modelBaseUrlEnv]
  else process.env[modelBaseUrlEnv] = savedBaseUrl
  rmSync(modelsDir, { recursive: true, force: true })
})

describe('models download', () => {
  it('skips an installed model before fetching anything', async () => {
    mkdirSync(join(modelsDir, 'glide-base'))
    await downloadCommand(['base', '--models-dir', modelsDir])
    expect(requested).toEqual([])
    expect(stderr.join('')).toContain(
      `glide-base: already installed in ${join(modelsDir, 'glide-base')}; skipped`,
    )
  })

  it('download all goes on past installed models to the ones that are missing', async () => {
    const catalogue = officialModels()
    const missing = catalogue.at(-1)!
    for (const model of catalogue.slice(0, -1)) mkdirSync(join(modelsDir, model.id))

    await expect(downloadCommand(['all', '--models-dir', modelsDir])).rejects.toMatchObject({
      code: 'DOWNLOAD_FAILED',
    })
    // Only the missing model was fetched; every installed one was passed over first.
    expect(requested).toEqual([`/${missing.fileName}`])
    const skipped = stderr.filter((line) => line.includes('already installed'))
    expect(skipped).toHaveLength(catalogue.length - 1)
    expect(existsSync(join(modelsDir, missing.id))).toBe(false)
    expect(readdirSync(modelsDir).sort()).toEqual(
      ['.downloads', ...catalogue.slice(0, -1).map((model) => model.id)].sort(),
    )
  })
})

describe('models list', () => {
  it('prints an unusable folder with its problem beside the usable models', async () => {
    const savedConfig = process.env.GLIDE_STUDIO_CONFIG_DIR
    process.env.GLIDE_STUDIO_CONFIG_DIR = join(modelsDir, '.config')
    try {
      mkdirSync(join(modelsDir, 'odd-model'))
      writeFileSync(join(modelsDir, 'odd-model', 'model.json'), '{ "format": 1 }')
      expect(await main(['models', 'list', '--models-dir', modelsDir])).toBe(0)
    } finally {
      if (savedConfig === undefined) delete process.env.GLIDE_STUDIO_CONFIG_DIR
      else process.env.GLIDE_STUDIO_CONFIG_DIR = savedConfig
    }
    const lines = stdout.join('').trim().split('\n')
    // The bundled GLIDE-mini models are listed as before, and the odd folder says what is wrong.
    expect(lines.some((line) => /^glide-mini-base\s+base-inpaint\s/.test(line))).toBe(true)
    expect(lines.find((line) => line.startsWith('odd-model'))).toMatch(
      /^odd-model\s+UNUSABLE\s+odd-model\/model\.json is not a valid manifest/,
    )
  })
})
