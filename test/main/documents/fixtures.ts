import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ProjectData } from '../../../contract/documents'

export async function tempDirectory(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'glide-documents-test-'))
}

/** Deterministic pseudo-random bytes (alpha included, so 1..254 alphas are exercised). */
export function noise(length: number, seed: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length)
  let state = seed >>> 0 || 1
  for (let i = 0; i < length; i++) {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    out[i] = state & 255
  }
  return out
}

/** Three layers: opaque background, a translucent cropped layer, a hidden generated one; a mask. */
export function sampleProject(): ProjectData {
  const width = 40
  const height = 30
  const background = new Uint8Array(width * height * 4)
  for (let i = 0; i < width * height; i++) background.set([i % 256, (i * 3) % 256, 90, 255], i * 4)
  return {
    documentId: 'doc-sample',
    title: 'Harbour at dusk',
    width,
    height,
    frame: { x: 0, y: 0, width: 30, height: 30 },
    layers: [
      {
        id: 'bg',
        name: 'Background',
        visible: true,
        opacity: 1,
        locked: true,
        pixels: { bounds: { x: 0, y: 0, width, height }, data: background },
      },
      {
        id: 'paint',
        name: 'Glaze “ü” <&>',
        visible: true,
        opacity: 0.6,
        locked: false,
        pixels: { bounds: { x: 5, y: 7, width: 12, height: 9 }, data: noise(12 * 9 * 4, 7) },
      },
      {
        id: 'gen',
        name: 'a red boat (42)',
        visible: false,
        opacity: 1,
        locked: false,
        generation: {
          kind: 'inpaint',
          prompt: 'a red boat',
          seed: 42,
          batchIndex: 1,
          guidanceScale: 5,
          baseRespacing: '100',
          upsampleRespacing: 'fast27',
          upsampleTemperature: 0.997,
          model: 'glide-filtered',
          frame: { x: 0, y: 0, width: 30, height: 30 },
        },
        pixels: { bounds: { x: 20, y: 10, width: 10, height: 10 }, data: noise(10 * 10 * 4, 9) },
      },
      { id: 'empty', name: 'Empty', visible: true, opacity: 1, locked: false, pixels: null },
    ],
    mask: { bounds: { x: 2, y: 3, width: 6, height: 5 }, data: noise(30, 3) },
  }
}

export function sameBytes(a: Uint8Array, b: Uint8Array | undefined): boolean {
  return b !== undefined && Buffer.from(a).equals(Buffer.from(b))
}
