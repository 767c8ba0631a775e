import * as fs from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { AtomicWriteFs } from '../../../main/storage/atomicWrite'
import {
  isTempFileName,
  removeStaleTempFiles,
  tempFileName,
  writeFileAtomic,
} from '../../../main/storage/atomicWrite'
import { tempDirectory } from '../documents/fixtures'

describe('writeFileAtomic', () => {
  it('writes a new file and replaces an old one', async () => {
    const directory = await tempDirectory()
    const target = join(directory, 'a.glide')
    await writeFileAtomic(target, Buffer.from('first'))
    await writeFileAtomic(target, Buffer.from('second version'))
    expect(await fs.readFile(target, 'utf8')).toBe('second version')
    expect(await fs.readdir(directory)).toEqual(['a.glide'])
  })

  it('leaves the old file whole and no temp file when a write fails half way', async () => {
    const directory = await tempDirectory()
    const target = join(directory, 'project.glide')
    await fs.writeFile(target, 'the old complete project')
    const calls: string[] = []
    const failing: AtomicWriteFs = {
      ...fs,
      open: (async (path: string, flags: string, mode?: number) => {
        const handle = await fs.open(path, flags, mode)
        calls.push(`open ${flags}`)
        return new Proxy(handle, {
          get(target, key, receiver) {
            if (key === 'write') {
              return async (data: Uint8Array, offset: number) => {
                await target.write(data, offset, 10)
                throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' })
              }
            }
            const value = Reflect.get(target, key, receiver) as unknown
            return typeof value === 'function' ? value.bind(target) : value
          },
        })
      }) as AtomicWriteFs['open'],
    }
    await expect(writeFileAtomic(target, Buffer.alloc(100_000, 7), failing)).rejects.toMatchObject({
      code: 'ENOSPC',
    })
    expect(await fs.readFile(target, 'utf8')).toBe('the old complete project')
    expect(await fs.readdir(directory)).toEqual(['project.glide'])
    expect(calls).toEqual(['open wx'])
  })

  it('leaves the old file and no temp file when the rename fails', async () => {
    const directory = await tempDirectory()
    const target = join(directory, 'x.ora')
    await fs.writeFile(target, 'old')
    const failing: AtomicWriteFs = {
      ...fs,
      rename: async () => {
        throw Object.assign(new Error('cross-device link'), { code: 'EXDEV' })
      },
    }
    await expect(writeFileAtomic(target, Buffer.from('new'), failing)).rejects.toMatchObject({
      code: 'EXDEV',
    })
    expect(await fs.readFile(target, 'utf8')).toBe('old')
    expect(await fs.readdir(directory)).toEqual(['x.ora'])
  })

  it('syncs the file before renaming it into place', async () => {
    const directory = await tempDirectory()
    const order: string[] = []
    const spying: AtomicWriteFs = {
      ...fs,
      open: (async (path: string, flags: string, mode?: number) => {
        const handle = await fs.open(path, flags, mode)
        const sync = handle.sync.bind(handle)
        handle.sync = async () => {
          order.push(flags === 'r' ? 'fsync directory' : 'fsync file')
          await sync()
        }
        return handle
      }) as AtomicWriteFs['open'],
      rename: async (from, to) => {
        order.push('rename')
        await fs.rename(from, to)
      },
    }
    await writeFileAtomic(join(directory, 'f'), Buffer.from('x'), spying)
    expect(order).toEqual(['fsync file', 'rename', 'fsync directory'])
  })
})

describe('temp files', () => {
  it('fits a 250-byte target name: the temp name stays within 255 bytes (issue 17, item 7)', async () => {
    const directory = await tempDirectory()
    const name = `${'é'.repeat(120)}ab.png` // 246 bytes of UTF-8
    expect(Buffer.byteLength(name)).toBe(246)
    await writeFileAtomic(join(directory, name), Buffer.from('pixels'))
    expect(await fs.readdir(directory)).toEqual([name])
    const temp = tempFileName('x'.repeat(255))
    expect(Buffer.byteLength(temp)).toBeLessThanOrEqual(255)
    expect(isTempFileName(temp)).toBe(true)
    expect(Buffer.byteLength(tempFileName('😀'.repeat(80)))).toBeLessThanOrEqual(255)
  })

  it('removes temp files a killed write left behind, not young ones or other files', async () => {
    const directory = await tempDirectory()
    const stale = join(directory, '.project.glide.0123456789ab.tmp')
    const young = join(directory, '.project.glide.ba9876543210.tmp')
    await fs.writeFile(stale, Buffer.alloc(1000))
    await fs.writeFile(young, Buffer.alloc(10))
    await fs.writeFile(join(directory, '.hidden.tmp'), 'user file')
    await fs.writeFile(join(directory, 'project.glide'), 'user file')
    const hourAgo = new Date(Date.now() - 3_600_000)
    await fs.utimes(stale, hourAgo, hourAgo)
    expect(await removeStaleTempFiles(directory)).toBe(1)
    expect((await fs.readdir(directory)).sort()).toEqual(
      ['.hidden.tmp', '.project.glide.ba9876543210.tmp', 'project.glide'].sort(),
    )
    expect(await removeStaleTempFiles(join(directory, 'missing'))).toBe(0)
  })
})
