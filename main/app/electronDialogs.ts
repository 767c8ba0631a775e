import { BrowserWindow, dialog, type FileFilter } from 'electron'
import type { ExportFormat } from '../../contract/documents'
import type { DocumentDialogs } from '../documents/documentServices'

const filters: Record<'image' | 'project' | ExportFormat, FileFilter[]> = {
  image: [
    { name: 'Images', extensions: ['png', 'jpg', 'jpeg', 'webp', 'tif', 'tiff', 'gif', 'avif'] },
  ],
  project: [
    { name: 'Glide Studio project', extensions: ['glide'] },
    { name: 'OpenRaster', extensions: ['ora'] },
  ],
  png: [{ name: 'PNG image', extensions: ['png'] }],
  'layer-png': [{ name: 'PNG image', extensions: ['png'] }],
  jpeg: [{ name: 'JPEG image', extensions: ['jpg', 'jpeg'] }],
  webp: [{ name: 'WebP image', extensions: ['webp'] }],
  ora: [{ name: 'OpenRaster', extensions: ['ora'] }],
  psd: [{ name: 'Photoshop document', extensions: ['psd'] }],
}

/** A folder picker for the models directory. */
export async function chooseDirectory(): Promise<string | null> {
  const options = {
    properties: ['openDirectory' as const, 'createDirectory' as const],
    title: 'Models folder',
  }
  const window = BrowserWindow.getFocusedWindow()
  const result = window
    ? await dialog.showOpenDialog(window, options)
    : await dialog.showOpenDialog(options)
  return result.canceled ? null : (result.filePaths[0] ?? null)
}

/** Native dialogs: the only source of the paths main reads and writes for documents. */
export function electronDialogs(): DocumentDialogs {
  const parent = () => BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0]
  return {
    async chooseOpenPath(kind) {
      const options = { properties: ['openFile' as const], filters: filters[kind] }
      const window = parent()
      const result = window
        ? await dialog.showOpenDialog(window, options)
        : await dialog.showOpenDialog(options)
      return result.canceled ? null : (result.filePaths[0] ?? null)
    },
    async chooseSavePath(kind, suggestedName) {
      const options = { defaultPath: suggestedName, filters: filters[kind] }
      const window = parent()
      const result = window
        ? await dialog.showSaveDialog(window, options)
        : await dialog.showSaveDialog(options)
      return result.canceled ? null : (result.filePath ?? null)
    },
  }
}
