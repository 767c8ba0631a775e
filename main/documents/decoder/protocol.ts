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
 * `--document-decoder`). A request or a reply is one contract/wire frame, sent as `begin`, its
 * bytes in `chunk`s of at most 4 MiB, and `end`: neither side ever clones or parses a whole
 * 200 MB message at once, so main's event loop keeps turning while pixels arrive.
 */
export const decoderRoleFlag = '--document-decoder'

export const transferChunkBytes = 4 << 20

/** Every layer at the document budget's limit, its mask, and the frame's header. */
const maxFrameBytes = maxDocumentPixels * 4 + maxImagePixels + (16 << 20)

const zTransferId = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)
const zBytes = z.custom<Uint8Array>((value) => value instanceof Uint8Array, 'expected bytes')

export const zDecoderMessage = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('ready'), pid: z.number().int() }),
  z.strictObject({
    type: z.literal('begin'),
    id: zTransferId,
    totalBytes: z.number().int().nonnegative().max(maxFrameBytes),
  }),
  z.strictObject({
    type: z.literal('chunk'),
    id: zTransferId,
    bytes: zBytes.refine((bytes) => bytes.byteLength <= transferChunkBytes, 'chunk too large'),
  }),
  z.strictObject({ type: z.literal('end'), id: zTransferId }),
])
export type DecoderMessage = z.infer<typeof zDecoderMessage>

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
 * Sends `value` as one frame in chunks; `post` may return a promise (the message has left the
 * process), and a turn of the event loop is given between chunks either way.
 */
export async function sendFramed(
  post: (message: DecoderMessage) => void | Promise<void>,
  id: number,
  value: unknown,
): Promise<void> {
  const parts = encodeWireParts(value)
  let totalBytes = 0
  for (const part of parts) totalBytes += part.byteLength
  await post({ type: 'begin', id, totalBytes })
  for (const part of parts) {
    for (let offset = 0; offset < part.byteLength; offset += transferChunkBytes) {
      // A copy of the chunk alone: a structured clone of a view may carry its whole buffer.
      await post({ type: 'chunk', id, bytes: part.slice(offset, offset + transferChunkBytes) })
      await new Promise<void>((resolve) => setImmediate(resolve))
    }
  }
  await post({ type: 'end', id })
}

/** Collects framed messages; throws on anything out of order (the caller ends the exchange). */
export class FrameAssembler {
  private readonly frames = new Map<number, { bytes: Uint8Array; filled: number }>()

  /** The frame's value once `end` arrives, else undefined. */
  accept(
    message: Exclude<DecoderMessage, { type: 'ready' }>,
  ): { id: number; value: unknown } | undefined {
    const { id } = message
    if (message.type === 'begin') {
      if (this.frames.has(id)) throw new Error(`transfer ${id} began twice`)
      this.frames.set(id, { bytes: new Uint8Array(message.totalBytes), filled: 0 })
      return undefined
    }
    const frame = this.frames.get(id)
    if (!frame) throw new Error(`transfer ${id} was never begun`)
    if (message.type === 'chunk') {
      if (frame.filled + message.bytes.byteLength > frame.bytes.byteLength) {
        throw new Error(`transfer ${id} runs past its length`)
      }
      frame.bytes.set(message.bytes, frame.filled)
      frame.filled += message.bytes.byteLength
      return undefined
    }
    this.frames.delete(id)
    if (frame.filled !== frame.bytes.byteLength) throw new Error(`transfer ${id} ended short`)
    return { id, value: decodeWire(frame.bytes) }
  }

  /** Drops every transfer in flight (the other side went away). */
  clear(): void {
    this.frames.clear()
  }
}
