import { readFileSync } from 'node:fs'

import type { GlideOptions, UNetKind } from '../../../../main/engine/glideOptions'
import { readNpy, readNpyFloat32 } from '../../../helpers/npy'

/** One U-Net case of test/fixtures/glide-reference: its options, inputs and the official output. */
export interface ReferenceCase {
  kind: UNetKind
  options: GlideOptions
  checkpointPath: string
  batch: number
  tokens: BigInt64Array
  mask: Uint8Array
  x: Float32Array
  timesteps: BigInt64Array
  inpaintImage?: Float32Array
  inpaintMask?: Float32Array
  lowRes?: Float32Array
  out: Float32Array
}

export const referenceKinds: UNetKind[] = ['base', 'base-inpaint', 'upsample', 'upsample-inpaint']

export function loadReferenceCase(kind: UNetKind): ReferenceCase {
  return loadCase(new URL(`../../../fixtures/glide-reference/unet-${kind}/`, import.meta.url))
}

/** The PyTorch run of a configuration the released models do not use (see fixtures/). */
export function loadPlainVariantCase(): ReferenceCase {
  return loadCase(new URL('./fixtures/plain-base/', import.meta.url))
}

function loadCase(folder: URL): ReferenceCase {
  const file = (name: string): URL => new URL(name, folder)
  const config = JSON.parse(readFileSync(file('config.json'), 'utf8')) as {
    kind: UNetKind
    options: GlideOptions
  }
  const kind = config.kind
  const tokens = readNpy(file('tokens.npy'))
  const mask = readNpy(file('mask.npy'))
  const timesteps = readNpy(file('timesteps.npy'))
  if (tokens.dtype !== 'int64' || mask.dtype !== 'bool' || timesteps.dtype !== 'int64') {
    throw new Error(`unexpected dtypes in the ${kind} reference`)
  }
  const inpaint = kind.includes('inpaint')
  const upsample = kind.startsWith('upsample')
  return {
    kind,
    options: config.options,
    checkpointPath: file('checkpoint.pt').pathname,
    batch: timesteps.data.length,
    tokens: tokens.data,
    mask: mask.data,
    x: readNpyFloat32(file('x.npy')).data,
    timesteps: timesteps.data,
    inpaintImage: inpaint ? readNpyFloat32(file('inpaint_image.npy')).data : undefined,
    inpaintMask: inpaint ? readNpyFloat32(file('inpaint_mask.npy')).data : undefined,
    lowRes: upsample ? readNpyFloat32(file('low_res.npy')).data : undefined,
    out: readNpyFloat32(file('out.npy')).data,
  }
}
