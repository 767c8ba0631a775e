import { writeFileAtomic as writeBytesAtomic } from '../documents/atomicWrite'

/** Text or bytes, replaced atomically by main/documents/atomicWrite (temp, fsync, rename). */
export function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  return writeBytesAtomic(path, typeof data === 'string' ? Buffer.from(data, 'utf8') : data)
}
