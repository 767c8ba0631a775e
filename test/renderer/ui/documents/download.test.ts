import { describe, expect, it } from 'vitest'
import {
  fileStem,
  isDocumentFile,
  mimeTypeOf,
} from '../../../../renderer/src/ui/documents/download'

describe('browser-mode downloads and opened files', () => {
  it('names the type of each file the app downloads', () => {
    expect(mimeTypeOf('sky.png')).toBe('image/png')
    expect(mimeTypeOf('Sky.GLIDE')).toBe('application/zip')
    expect(mimeTypeOf('stack.ora')).toBe('image/openraster')
    expect(mimeTypeOf('layers.psd')).toBe('image/vnd.adobe.photoshop')
    expect(mimeTypeOf('noextension')).toBe('application/octet-stream')
  })

  it('opens projects as documents and adds pictures as layers', () => {
    expect(isDocumentFile('a.glide')).toBe(true)
    expect(isDocumentFile('B.ORA')).toBe(true)
    expect(isDocumentFile('photo.png')).toBe(false)
    expect(isDocumentFile('glide.png')).toBe(false)
  })

  it('takes the name of a saved file without its folder or extension', () => {
    expect(fileStem('harbour.glide')).toBe('harbour')
    expect(fileStem('/home/ann/art/Beach day.v2.glide')).toBe('Beach day.v2')
    expect(fileStem('C:\\art\\harbour.glide')).toBe('harbour')
    expect(fileStem('noextension')).toBe('noextension')
  })
})
