import { Editor } from '../../../renderer/src/editor/Editor'
import type { RgbaImage } from '../../../renderer/src/editor/EditorDocument'

/** An image whose every pixel encodes its position, so misplaced pixels show up. */
export function patternImage(width: number, height: number, alpha = 255): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4
      data[i] = x & 255
      data[i + 1] = y & 255
      data[i + 2] = (x * 7 + y * 13) & 255
      data[i + 3] = alpha
    }
  }
  return { width, height, data }
}

export function solidImage(
  width: number,
  height: number,
  rgba: [number, number, number, number],
): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4)
  for (let i = 0; i < data.length; i += 4) data.set(rgba, i)
  return { width, height, data }
}

/** Drives an editor like a user: the viewport is 1:1 so screen = document coordinates. */
export function testEditor(width = 600, height = 400): Editor {
  const editor = Editor.fromImage(patternImage(width, height), 'Photo')
  editor.viewport.setSize(width, height)
  return editor
}

export function drag(
  editor: Editor,
  points: [number, number][],
  options: { button?: number; altKey?: boolean } = {},
): void {
  const button = options.button ?? 0
  const event = (p: [number, number]) =>
    editor.pointerEvent({ x: p[0], y: p[1] }, button, { altKey: options.altKey ?? false })
  const [first, ...rest] = points
  if (!first) return
  editor.pointerDown(event(first))
  for (const point of rest) editor.pointerMove(event(point))
  editor.pointerUp(event(points.at(-1) ?? first))
}

export function maskSnapshot(editor: Editor): Uint8ClampedArray {
  return editor.document.mask.readRect(editor.document.bounds)
}

/** Byte equality without vitest's element-by-element diff (which is slow on large arrays). */
export function sameBytes(a: ArrayBufferView, b: ArrayBufferView | undefined): boolean {
  if (!b) return false
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  )
}
