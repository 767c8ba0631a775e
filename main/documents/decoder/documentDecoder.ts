import type { DecodedImage, ProjectData } from '../../../contract/documents'
import { decodeImage } from '../imageCodec'
import { readProjectFile } from '../projectFile'
import { readDocumentBytes } from '../readDocument'

/** Where untrusted images and project files are decoded. */
export interface DocumentDecoder {
  /** An image's bytes to upright sRGB RGBA. */
  decodeImage(bytes: Uint8Array, fileName: string): Promise<DecodedImage>
  /** A file's bytes (.glide, .ora or an image) to a document. */
  readDocument(bytes: Uint8Array, fileName: string): Promise<ProjectData>
  /** A .glide file at a path the user chose. */
  readProjectFile(path: string, label: string): Promise<ProjectData>
}

/** Decoding in this process (the CLI, tests, and the decoder process itself). */
export const inProcessDecoder: DocumentDecoder = {
  decodeImage: (bytes, fileName) => decodeImage(bytes, fileName),
  readDocument: (bytes, fileName) => readDocumentBytes(bytes, fileName),
  readProjectFile: (path, label) => readProjectFile(path, label),
}
