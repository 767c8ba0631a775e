import { z } from 'zod'
import { generationLimits, zModelId, zSamplingSettings } from './generation'

/**
 * Documents: decoding images, projects (.glide), exports, autosave and recovery. Every channel is
 * `{ input, output }` zod schemas; main validates the input, the renderer may validate the output.
 * Pixels cross as Uint8Array (RGBA straight alpha, or one byte per pixel for masks), always with
 * the bounds they cover, so a sparse layer never ships a full-size buffer.
 */

/** The largest canvas side the editor accepts, and the pixel cap for decoded images. */
export const maxDocumentSide = 8192
export const maxImagePixels = maxDocumentSide * maxDocumentSide
/** Bytes of an encoded image the renderer may send (browser-mode drops and pastes). */
export const maxEncodedImageBytes = 128 * 1024 * 1024

const zSide = z.number().int().min(1).max(maxDocumentSide)
const zCoordinate = z
  .number()
  .int()
  .min(-maxDocumentSide)
  .max(2 * maxDocumentSide)

export const zRect = z.strictObject({
  x: zCoordinate,
  y: zCoordinate,
  width: zSide,
  height: zSide,
})
export type RectData = z.infer<typeof zRect>

export const zLayerId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/)

/**
 * What produced a generated layer; recallable into the prompt panel. Limits are
 * contract/generation's: every saved record came from a job those limits admitted (prompt ≤ 1000,
 * guidance ≤ 50; older records also kept respacings ≤ 32 characters), so older files stay
 * readable. Respacings are not re-checked as steps: a record from before steps ≥ 1 may hold "0".
 */
export const zGenerationInfo = z.strictObject({
  kind: z.enum(['inpaint', 'text-to-image', 'refine']),
  prompt: z.string().max(generationLimits.promptChars),
  seed: z.number().int().min(0).max(0xffffffff),
  batchIndex: z.number().int().min(0).max(64),
  guidanceScale: z
    .number()
    .min(generationLimits.guidanceScale.min)
    .max(generationLimits.guidanceScale.max),
  baseRespacing: z.string().max(generationLimits.respacingChars),
  upsampleRespacing: z.string().max(generationLimits.respacingChars),
  upsampleTemperature: z.number().min(0).max(2),
  /** The base model asked for; '' = the best installed. */
  model: z.string().max(200),
  /**
   * The models that made it, as the job reported them (base, then upsampler and CLIP); absent in
   * records from before they were kept.
   */
  modelIds: z.array(zModelId).max(8).optional(),
  frame: zRect,
  /**
   * The speed settings and the guidance mode the job set; absent = the notebooks' and
   * classifier-free (every record from before them).
   */
  ...zSamplingSettings.pick({
    guidanceMode: true,
    clipGuidanceScale: true,
    baseSampler: true,
    guidanceCutoff: true,
    guidanceReuseBelow: true,
    upsampleSampler: true,
    upsampleStart: true,
    unetPrecision: true,
  }).shape,
})
export type GenerationInfo = z.infer<typeof zGenerationInfo>

/** Packed pixels covering `bounds`: 4 bytes per pixel for layers, 1 for the mask. */
export const zPixelBlock = z.strictObject({
  bounds: zRect,
  data: z.instanceof(Uint8Array),
})
export type PixelBlock = z.infer<typeof zPixelBlock>

export const zLayerData = z.strictObject({
  id: zLayerId,
  name: z.string().max(200),
  visible: z.boolean(),
  opacity: z.number().min(0).max(1),
  locked: z.boolean(),
  generation: zGenerationInfo.optional(),
  /** null for an empty layer */
  pixels: zPixelBlock.nullable(),
})
export type LayerData = z.infer<typeof zLayerData>

/** A whole document as the renderer hands it to main (save, export, autosave) and back (open). */
export const zProjectData = z
  .strictObject({
    documentId: zLayerId,
    title: z.string().max(200),
    width: zSide,
    height: zSide,
    /** bottom to top */
    layers: z.array(zLayerData).max(256),
    mask: zPixelBlock.nullable(),
    frame: zRect,
  })
  .superRefine((project, context) => {
    const check = (block: PixelBlock | null, channels: number, where: string): void => {
      if (!block) return
      const { bounds, data } = block
      if (data.byteLength !== bounds.width * bounds.height * channels) {
        context.addIssue({
          code: 'custom',
          message: `${where}: pixel data does not match its bounds`,
        })
      }
      if (
        bounds.x < 0 ||
        bounds.y < 0 ||
        bounds.x + bounds.width > project.width ||
        bounds.y + bounds.height > project.height
      ) {
        context.addIssue({ code: 'custom', message: `${where}: bounds lie outside the canvas` })
      }
    }
    project.layers.forEach((layer, index) => check(layer.pixels, 4, `layers[${index}]`))
    check(project.mask, 1, 'mask')
    if (new Set(project.layers.map((layer) => layer.id)).size !== project.layers.length) {
      context.addIssue({ code: 'custom', message: 'layer ids repeat' })
    }
  })
export type ProjectData = z.infer<typeof zProjectData>

/** A decoded image: upright (EXIF applied), sRGB, 8-bit RGBA straight alpha. */
export const zDecodedImage = z.strictObject({
  name: z.string().max(255),
  width: zSide,
  height: zSide,
  data: z.instanceof(Uint8Array),
})
export type DecodedImage = z.infer<typeof zDecodedImage>

export const exportFormats = ['png', 'layer-png', 'jpeg', 'webp', 'ora', 'psd'] as const
export const zExportFormat = z.enum(exportFormats)
export type ExportFormat = z.infer<typeof zExportFormat>

export const zRecoveryEntry = z.strictObject({
  recoveryId: zLayerId,
  title: z.string().max(200),
  savedAt: z.string().max(40),
  width: zSide,
  height: zSide,
  layerCount: z.number().int().min(0),
})
export type RecoveryEntry = z.infer<typeof zRecoveryEntry>

const zSavedFile = z.strictObject({
  fileName: z.string().max(1000),
  /**
   * Browser mode, where main cannot write to the user's machine: the file's bytes, for the page
   * to hand to the browser as a download named `fileName`.
   */
  download: z.instanceof(Uint8Array).optional(),
})
const zNoInput = z.strictObject({})

export const documentChannels = {
  /** Decode dropped or pasted bytes (browser mode and clipboard); main sniffs the format. */
  'documents.decodeImage': {
    input: z.strictObject({
      fileName: z.string().max(255),
      bytes: z.instanceof(Uint8Array).refine((bytes) => bytes.byteLength <= maxEncodedImageBytes, {
        message: `images larger than ${maxEncodedImageBytes} bytes are refused`,
      }),
    }),
    output: zDecodedImage,
  },
  /**
   * Browser mode's Open and drops of files: the bytes of a file the user picked in the page.
   * Main sniffs what it is (.glide, .ora, or an image, which becomes a document of its size) and
   * returns the document with an id of main's making.
   */
  'documents.openFile': {
    input: z.strictObject({
      fileName: z.string().max(255),
      bytes: z.instanceof(Uint8Array).refine((bytes) => bytes.byteLength <= maxEncodedImageBytes, {
        message: `files larger than ${maxEncodedImageBytes} bytes are refused`,
      }),
    }),
    output: zProjectData,
  },
  /**
   * The user closed a document or chose to discard its changes (New, Open over it): main forgets
   * where it was saved and removes its recovery copy.
   */
  'documents.close': {
    input: z.strictObject({ documentId: zLayerId }),
    output: z.strictObject({ closed: z.boolean() }),
  },
  /** File → Open image: main shows the dialog; null when cancelled. */
  'documents.openImage': { input: zNoInput, output: zDecodedImage.nullable() },
  /** File → Open project (.glide or .ora): null when cancelled. */
  'documents.openProject': { input: zNoInput, output: zProjectData.nullable() },
  /** Save to the document's known file, or ask where (saveAs, or first save); null when cancelled. */
  'documents.saveProject': {
    input: z.strictObject({ project: zProjectData, saveAs: z.boolean() }),
    output: zSavedFile.nullable(),
  },
  'documents.export': {
    input: z.strictObject({
      format: zExportFormat,
      project: zProjectData,
      /** layer-png: the layer to write */
      layerId: zLayerId.optional(),
    }),
    output: zSavedFile.nullable(),
  },
  /** Writes the recovery copy (every minute while dirty and after each accepted result). */
  'documents.autosave': {
    input: z.strictObject({ project: zProjectData }),
    output: z.strictObject({ savedAt: z.string() }),
  },
  /**
   * Recovery copies whose owner is gone: a session that crashed, one that quit with unsaved
   * changes, or a page of this session that was reloaded or closed.
   */
  'documents.listRecoveries': { input: zNoInput, output: z.array(zRecoveryEntry) },
  'documents.restoreRecovery': {
    input: z.strictObject({ recoveryId: zLayerId }),
    output: zProjectData,
  },
  /** Forget a recovery copy the user declined. (A restored copy is kept until the next save.) */
  'documents.discardRecovery': {
    input: z.strictObject({ recoveryId: zLayerId }),
    output: z.strictObject({ discarded: z.boolean() }),
  },
} as const

export type DocumentChannel = keyof typeof documentChannels
export type DocumentInput<C extends DocumentChannel> = z.input<
  (typeof documentChannels)[C]['input']
>
export type DocumentOutput<C extends DocumentChannel> = z.output<
  (typeof documentChannels)[C]['output']
>
