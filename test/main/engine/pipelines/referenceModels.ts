import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { openTorchCheckpoint } from '../../../../main/engine/checkpoint/checkpoint'
import type { GlideUNet } from '../../../../main/engine/glideModel'
import type { GlideOptions, UNetKind } from '../../../../main/engine/glideOptions'
import { writeGlideOnnx } from '../../../../main/engine/onnx/glideGraphs'
import { loadGlideUNet } from '../../../../main/inference/host/onnxGlideUNet'

export const referenceDir = new URL('../../../fixtures/glide-reference/', import.meta.url)

export function readReferenceJson<T>(relativePath: string): T {
  return JSON.parse(readFileSync(new URL(relativePath, referenceDir), 'utf8')) as T
}

/**
 * The U-Net of a reference case (`unet-<kind>/`: random weights, small options), converted to ONNX
 * in a temporary folder and loaded on the CPU. `dispose` also removes the folder.
 */
export async function loadReferenceUNet(folder: string): Promise<GlideUNet> {
  const config = readReferenceJson<{ kind: UNetKind; options: GlideOptions }>(
    `${folder}/config.json`,
  )
  const outDir = await mkdtemp(join(tmpdir(), `glide-${folder}-`))
  try {
    const checkpoint = await openTorchCheckpoint(
      fileURLToPath(new URL(`${folder}/checkpoint.pt`, referenceDir)),
    )
    try {
      await writeGlideOnnx(config.kind, config.options, checkpoint, outDir)
    } finally {
      await checkpoint.close()
    }
    const unet = await loadGlideUNet(outDir, {
      model: { id: folder, kind: config.kind, options: config.options, files: {} },
      cacheDir: null,
    })
    return {
      id: unet.id,
      kind: unet.kind,
      options: unet.options,
      encodeText: (tokens, mask) => unet.encodeText(tokens, mask),
      denoise: (inputs) => unet.denoise(inputs),
      dispose: async () => {
        await unet.dispose()
        await rm(outDir, { recursive: true, force: true })
      },
    }
  } catch (error) {
    await rm(outDir, { recursive: true, force: true })
    throw error
  }
}
