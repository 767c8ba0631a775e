import { open } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { z } from 'zod'
import {
  maxEncodedImageBytes,
  maxImagePixels,
  zDecodedImage,
  zProjectData,
} from '../../../contract/documents'
import { zSerializedError } from '../../../contract/errors'
import { decodeWire, encodeWireParts } from '../../../contract/wire'
import { maxDocumentPixels } from '../pixelBudget'

/**
 * Messages between main and the document decoder (the helper process started with
 * `--document-decoder`). A request or a reply is one contract/wire frame written to a file in a
 * private folder of main's making; the message only says that it is there. Reading a 200 MB
 * picture back is then a few reads on libuv's threads into one buffer: no structured clone of
 * the pixels, no chunk garbage for the collector, so main's event loop keeps turning.
 */
export const decoderRoleFlag = '--document-decoder'

/** Every layer at the document budget's limit, its mask, and the frame's header. */
export const maxFrameBytes = maxDocumentPixels * 4 + maxImagePixels + (16 << 20)

const zTransferId = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)
const zBytes = z.custom<Uint8Array>((value) => value instanceof Uint8Array, 'expected bytes')
const zTotalBytes = z.number().int().nonnegative().max(maxFrameBytes)

/** Main to the decoder: a request's frame lies at `path`. */
export const zToDecoder = z.strictObject({
  type: z.literal('frame'),
  id: zTransferId,
  path: z.string().min(1).max(4096),
  totalBytes: zTotalBytes,
})
export type ToDecoder = z.infer<typeof zToDecoder>

/** The decoder to main: started, or the reply to request `id` lies beside its request. */
export const zFromDecoder = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('ready'), pid: z.number().int() }),
  z.strictObject({ type: z.literal('frame'), id: zTransferId, totalBytes: zTotalBytes }),
])
export type FromDecoder = z.infer<typeof zFromDecoder>

/** Where the reply to the request at `requestPath` goes: the same folder, named by main. */
export function replyPathFor(requestPath: string, id: number): string {
  return join(dirname(requestPath), `reply-${id}.frame`)
}

const zFileName = z.string().max(255)
const zEncodedBytes = zBytes.refine(
  (bytes) => bytes.byteLength <= maxEncodedImageBytes,
  `files larger than ${maxEncodedImageBytes} bytes are refused`,
)

/** What main asks of the decoder. */
export const zDecodeRequest = z.discriminatedUnion('task', [
  /** An image's bytes to RGBA (drops, pastes, Open image). */
  z.strictObject({ task: z.literal('image'), fileName: zFileName, bytes: zEncodedBytes }),
  /** A file's bytes to a document: .glide, .ora, or an image as a one-layer document. */
  z.strictObject({ task: z.literal('document'), fileName: zFileName, bytes: zEncodedBytes }),
  /** A .glide file the user chose in a dialog, read where it lies (it may exceed 128 MiB). */
  z.strictObject({
    task: z.literal('projectFile'),
    path: z.string().min(1).max(4096),
    label: zFileName,
  }),
])
export type DecodeRequest = z.infer<typeof zDecodeRequest>

export const zDecodeReply = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('image'), image: zDecodedImage }),
  z.strictObject({ kind: z.literal('project'), project: zProjectData }),
  z.strictObject({ kind: z.literal('failed'), error: zSerializedError }),
])
export type DecodeReply = z.infer<typeof zDecodeReply>

/**
 * Reads and writes go in pieces this large: one huge read into fresh memory faults its pages in
 * while holding the process's memory map lock, which stalls main's own allocations (measured:
 * 64 MiB pieces let the event loop wait 50 ms, 4 MiB pieces under 10 ms).
 */
const ioPieceBytes = 4 << 20

/** Writes `value` as one wire frame to `path`; resolves to its length. */
export async function writeFrameFile(path: string, value: unknown): Promise<number> {
  const parts = encodeWireParts(value)
  const file = await open(path, 'wx', 0o600)
  let totalBytes = 0
  try {
    for (const part of parts) {
      let written = 0
      while (written < part.byteLength) {
        const { bytesWritten } = await file.write(
          part,
          written,
          Math.min(part.byteLength - written, ioPieceBytes),
        )
        written += bytesWritten
      }
      totalBytes += part.byteLength
    }
  } finally {
    await file.close()
  }
  return totalBytes
}

/** Reads the frame at `path`, which must be exactly `totalBytes` long, and decodes it. */
export async function readFrameFile(path: string, totalBytes: number): Promise<unknown> {
  const file = await open(path, 'r')
  try {
    const { size } = await file.stat()
    if (size !== totalBytes) throw new Error(`the frame is ${size} bytes, not ${totalBytes}`)
    const frame = new Uint8Array(totalBytes)
    let filled = 0
    while (filled < totalBytes) {
      const { bytesRead } = await file.read(
        frame,
        filled,
        Math.min(totalBytes - filled, ioPieceBytes),
      )
      if (bytesRead === 0) throw new Error('the frame ends early')
      filled += bytesRead
    }
    return decodeWire(frame)
  } finally {
    await file.close()
  }
}
