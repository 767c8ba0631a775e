import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { createAppProtocolHandler } from '../../../main/app/appProtocol'

let handle: (request: Request) => Promise<Response>

beforeAll(() => {
  const base = mkdtempSync(join(tmpdir(), 'glide-protocol-'))
  const renderer = join(base, 'renderer')
  mkdirSync(join(renderer, 'assets'), { recursive: true })
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>app</title>')
  writeFileSync(join(renderer, 'assets', 'index.js'), 'export {}')
  writeFileSync(join(base, 'secret.txt'), 'secret')
  symlinkSync(join(base, 'secret.txt'), join(renderer, 'assets', 'link.txt'))
  handle = createAppProtocolHandler(renderer)
})

describe('app:// protocol', () => {
  it('serves the renderer with its MIME type and the CSP', async () => {
    const page = await handle(new Request('app://glide/index.html'))
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toContain('text/html')
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'")
    expect(await page.text()).toContain('<title>app</title>')
    const root = await handle(new Request('app://glide/'))
    expect(root.status).toBe(200)
    expect(
      (await handle(new Request('app://glide/assets/index.js'))).headers.get('content-type'),
    ).toContain('javascript')
  })

  it('refuses traversal, encoded separators, NUL, symlinks out and other hosts', async () => {
    const urls = [
      'app://glide/../secret.txt',
      'app://glide/%2e%2e/secret.txt',
      'app://glide/assets/..%2f..%2fsecret.txt',
      'app://glide/assets/..%5c..%5csecret.txt',
      'app://glide/index.html%00.png',
      'app://glide/assets/link.txt',
      'app://glide/missing.js',
      'app://other/index.html',
      'app://glide.evil/index.html',
    ]
    for (const url of urls) {
      const response = await handle(new Request(url))
      expect(response.status, url).toBeGreaterThanOrEqual(400)
      expect(await response.text()).not.toContain('secret')
    }
  })

  it('answers only GET', async () => {
    expect(
      (await handle(new Request('app://glide/index.html', { method: 'POST', body: 'x' }))).status,
    ).toBe(405)
  })
})
