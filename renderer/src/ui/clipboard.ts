import { canvasFromRgba } from './rgbaCanvas'

/**
 * Puts an image on the system clipboard as a PNG, where other apps paste it. Rejects with a
 * message that says why when the browser refuses (no clipboard access, an unsupported browser).
 */
export function copyImageToClipboard(image: {
  width: number
  height: number
  data: Uint8ClampedArray | Uint8Array
}): Promise<void> {
  const { width, height, data } = image
  const canvas = canvasFromRgba({
    width,
    height,
    rgba: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  })
  return copyPngToClipboard(
    new Promise<Blob>((resolve, reject) =>
      canvas.toBlob(
        (blob) => (blob ? resolve(blob) : reject(new Error('the picture could not be encoded'))),
        'image/png',
      ),
    ),
  )
}

/**
 * Puts a PNG on the system clipboard. The item takes it as a promise, so the write starts while
 * the click or key press still counts as the person's gesture, however long the PNG takes.
 */
export async function copyPngToClipboard(png: Promise<Blob>): Promise<void> {
  if (typeof ClipboardItem === 'undefined' || !navigator.clipboard?.write) {
    png.catch(() => undefined)
    throw new Error('Could not copy: this browser cannot put pictures on the clipboard.')
  }
  try {
    await navigator.clipboard.write([new ClipboardItem({ 'image/png': png })])
  } catch (error) {
    throw new Error(`Could not copy to the clipboard: ${(error as Error).message}`, {
      cause: error,
    })
  }
}

/** Whether the page has text selected (Ctrl+C then copies that text, as everywhere). */
export function hasSelectedText(): boolean {
  const selection = document.getSelection()
  return selection !== null && !selection.isCollapsed && selection.toString().trim() !== ''
}

/** What the person is told after a copy: "Copied “a red boat (42)” (256×256) to the clipboard". */
export function copiedMessage(name: string, width: number, height: number): string {
  return `Copied “${name}” (${width}×${height}) to the clipboard`
}
