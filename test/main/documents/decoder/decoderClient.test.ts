/**
 * Issue 17, item 1: untrusted images and projects are decoded in a helper process (the host's
 * entry in its decoder role), not in main. The decoder here is the real child process running
 * sharp; a crash is played by killing it mid-request.
 */
import sharp from 'sharp'
import { afterAll, describe, expect, it } from 'vitest'
import { DocumentDecoderClient } from '../../../../main/documents/decoder/decoderClient'
import { inProcessDecoder } from '../../../../main/documents/decoder/documentDecoder'
import type { ToDecoder } from '../../../../main/documents/decoder/protocol'
import { replyPathFor, writeFrameFile } from '../../../../main/documents/decoder/protocol'
import { writeProjectFile } from '../../../../main/documents/projectFile'
import { nodeDecoderLauncher } from '../../../../main/inference/client/nodeHostLauncher'
import type { ChildLauncher } from '../../../../main/inference/client/hostClient'
import { bombPng, glideBomb } from '../../../helpers/hostileFiles'
import { noise, sampleProject } from '../fixtures'

const decoder = new DocumentDecoderClient(nodeDecoderLauncher<ToDecoder>())
afterAll(() => decoder.dispose())

async function pngOf(width: number, height: number, seed: number): Promise<Buffer> {
  return sharp(Buffer.from(noise(width * height * 4, seed)), {
    raw: { width, height, channels: 4 },
  })
    .png()
    .toBuffer()
}

describe('document decoder process', () => {
  it('decodes images and projects exactly as in-process decoding does, in another process', async () => {
    const png = await pngOf(300, 200, 7)
    const image = await decoder.decodeImage(png, 'noise.png')
    expect(decoder.pid).not.toBeNull()
    expect(decoder.pid).not.toBe(process.pid)
    const local = await inProcessDecoder.decodeImage(png, 'noise.png')
    expect(image.width).toBe(300)
    expect(Buffer.from(image.data).equals(Buffer.from(local.data))).toBe(true)

    const project = sampleProject()
    const opened = await decoder.readDocument(await writeProjectFile(project), 'harbour.glide')
    expect(opened.layers.map((layer) => layer.name)).toEqual(project.layers.map((l) => l.name))
    for (const [index, layer] of project.layers.entries()) {
      const got = opened.layers[index]?.pixels
      expect(got?.bounds).toEqual(layer.pixels?.bounds)
      if (layer.pixels && got)
        expect(Buffer.from(got.data).equals(Buffer.from(layer.pixels.data))).toBe(true)
    }
  }, 60_000)

  it('hands a 48 MB result back byte for byte', async () => {
    const png = await pngOf(4000, 3000, 3)
    const image = await decoder.decodeImage(png, 'large.png')
    expect(image.data.byteLength).toBe(4000 * 3000 * 4)
    expect(Buffer.from(image.data).equals(Buffer.from(noise(4000 * 3000 * 4, 3)))).toBe(true)
  }, 60_000)

  it('refuses bombs and bad bytes with typed errors and keeps serving', async () => {
    await expect(decoder.readDocument(glideBomb(12, true), 'bomb.glide')).rejects.toMatchObject({
      code: 'PROJECT_INVALID',
    })
    await expect(decoder.decodeImage(Buffer.from('<svg/>'), 'vector.svg')).rejects.toMatchObject({
      code: 'UNSUPPORTED_FORMAT',
    })
    const image = await decoder.decodeImage(await pngOf(8, 8, 1), 'after.png')
    expect(image.width).toBe(8)
  }, 60_000)

  it('a decoder that dies mid-request fails that request, typed; the next one gets a new decoder', async () => {
    await decoder.decodeImage(await pngOf(4, 4, 2), 'warm.png')
    const first = decoder.pid
    expect(first).not.toBeNull()
    const big = await pngOf(6000, 4000, 5)
    const pending = decoder.decodeImage(big, 'doomed.png')
    process.kill(first!, 'SIGKILL')
    await expect(pending).rejects.toMatchObject({
      code: 'IMAGE_INVALID',
      message: expect.stringMatching(/doomed\.png could not be decoded: the decoder stopped/),
    })
    const image = await decoder.decodeImage(await pngOf(5, 3, 4), 'next.png')
    expect(image.height).toBe(3)
    expect(decoder.pid).not.toBe(first)
  }, 60_000)
})

/** A stand-in decoder that answers every request with `reply` (main's own checks on replies). */
function fakeDecoder(reply: (id: number) => unknown): ChildLauncher<ToDecoder> {
  return (handlers) => {
    let exited = false
    setImmediate(() => handlers.onMessage({ type: 'ready', pid: 1 }))
    return {
      send(message) {
        if (exited) return
        const answer = reply(message.id)
        if (answer === 'silent') return
        if (answer === 'garbage') {
          handlers.onMessage({ type: 'frame', id: message.id + 1, totalBytes: 3 })
          return
        }
        void writeFrameFile(replyPathFor(message.path, message.id), answer).then((totalBytes) =>
          handlers.onMessage({ type: 'frame', id: message.id, totalBytes }),
        )
      },
      kill() {
        if (exited) return
        exited = true
        setImmediate(() => handlers.onExit(null))
      },
    }
  }
}

describe('main checks what the decoder answers', () => {
  it('refuses a PNG whose header is past the limits before any decoder starts', async () => {
    const never = new DocumentDecoderClient(() => {
      throw new Error('no decoder may start for this')
    })
    for (const png of [bombPng(8193, 1), bombPng(1, 9000)]) {
      await expect(never.decodeImage(png, 'huge.png')).rejects.toMatchObject({
        code: 'IMAGE_TOO_LARGE',
        message: expect.stringMatching(/^huge\.png is \d+×\d+; images may be at most 8192/),
      })
      await expect(never.readDocument(png, 'huge.png')).rejects.toMatchObject({
        code: 'IMAGE_TOO_LARGE',
      })
    }
  })

  it('refuses a project over the pixel budget, a wrong shape and protocol garbage, typed', async () => {
    const layers = Array.from({ length: 10 }, (_, index) => ({
      id: `l${index}`,
      name: 'x',
      visible: true,
      opacity: 1,
      locked: false,
      pixels: { bounds: { x: 0, y: 0, width: 8192, height: 8192 }, data: new Uint8Array(0) },
    }))
    const tooBig = new DocumentDecoderClient(
      fakeDecoder(() => ({
        kind: 'project',
        project: { ...sampleProject(), width: 8192, height: 8192, layers },
      })),
    )
    // zProjectData refuses the data lengths first: a lying decoder never reaches the editor.
    await expect(tooBig.readDocument(new Uint8Array(4), 'a.glide')).rejects.toMatchObject({
      code: 'INTERNAL',
    })
    const wrongKind = new DocumentDecoderClient(
      fakeDecoder(() => ({
        kind: 'image',
        image: { name: 'a', width: 1, height: 1, data: new Uint8Array(4) },
      })),
    )
    await expect(wrongKind.readDocument(new Uint8Array(4), 'a.glide')).rejects.toMatchObject({
      code: 'INTERNAL',
    })
    // A decoder that never answers (a hang, a bomb it chews on) is stopped, the request typed.
    const hung = new DocumentDecoderClient(
      fakeDecoder(() => 'silent'),
      { timeoutMs: 50 },
    )
    await expect(hung.readDocument(new Uint8Array(4), 'slow.ora')).rejects.toMatchObject({
      code: 'PROJECT_INVALID',
      message: 'slow.ora took too long to decode; it was abandoned.',
    })
    const garbage = new DocumentDecoderClient(fakeDecoder(() => 'garbage'))
    await expect(garbage.decodeImage(new Uint8Array(4), 'a.png')).rejects.toMatchObject({
      code: 'IMAGE_INVALID',
      message: expect.stringMatching(/decoder stopped/),
    })
  })
})
