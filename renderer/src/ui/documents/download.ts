const mimeTypes: Record<string, string> = {
  '.png': 'image/png',
  '.glide': 'application/zip',
  '.ora': 'image/openraster',
  '.psd': 'image/vnd.adobe.photoshop',
}

/** The MIME type a file name's extension stands for (application/octet-stream otherwise). */
export function mimeTypeOf(fileName: string): string {
  const extension = /\.[^.]+$/.exec(fileName.toLowerCase())?.[0] ?? ''
  return mimeTypes[extension] ?? 'application/octet-stream'
}

/** Hands bytes to the browser as a download named `fileName` (browser mode's save and export). */
export function downloadBytes(fileName: string, bytes: Uint8Array, doc: Document = document): void {
  const copy = new Uint8Array(bytes.byteLength)
  copy.set(bytes)
  const url = URL.createObjectURL(new Blob([copy.buffer], { type: mimeTypeOf(fileName) }))
  const link = doc.createElement('a')
  link.href = url
  link.download = fileName
  link.rel = 'noopener'
  link.style.display = 'none'
  doc.body.append(link)
  link.click()
  link.remove()
  // The download has its own reference to the blob once started; free ours a little later.
  setTimeout(() => URL.revokeObjectURL(url), 60_000)
}

/** Files the editor opens as documents rather than adding as layers. */
export function isDocumentFile(fileName: string): boolean {
  return /\.(glide|ora)$/i.test(fileName)
}

/** A file's name without its folder or extension ("C:\\art\\harbour.glide" → "harbour"). */
export function fileStem(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? ''
  return base.replace(/\.[^.]*$/, '')
}
