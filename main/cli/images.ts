import sharp from 'sharp'
import { limits, type RgbaImageData } from '../../contract/jobs'
import { GlideError } from '../../contract/errors'

/** Decoding refuses images over this many pixels before reading their pixels (decompression bombs). */
const maxInputPixels = 64 * 1024 * 1024

async function decode(path: string, channels: 1 | 4, size?: { width: number; height: number }) {
  try {
    let pipeline = sharp(path, { limitInputPixels: maxInputPixels, failOn: 'error' }).autoOrient()
    pipeline = size
      ? pipeline.resize(size.width, size.height, { fit: 'fill' })
      : pipeline.resize(limits.maxImageSide, limits.maxImageSide, {
          fit: 'inside',
          withoutEnlargement: true,
        })
    pipeline =
      channels === 4 ? pipeline.ensureAlpha() : pipeline.flatten({ background: '#000' }).greyscale()
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true })
    if (info.channels !== channels) {
      // greyscale() of a greyscale+alpha image can keep two channels; take the first.
      const single = new Uint8Array(info.width * info.height)
      for (let index = 0; index < single.length; index++)
        single[index] = data[index * info.channels] ?? 0
      return { data: single, width: info.width, height: info.height }
    }
    return { data: new Uint8Array(data), width: info.width, height: info.height }
  } catch (error) {
    throw new GlideError('IMAGE_INVALID', `Cannot read ${path}: ${(error as Error).message}`)
  }
}

/**
 * The image to inpaint (RGBA, at most 1024 px a side) and its mask, resized to the image. Masks
 * are painted white where the picture should change, so keep = 255 − mask.
 */
export async function decodeImageAndMask(
  imagePath: string,
  maskPath: string,
): Promise<{ image: RgbaImageData; keepMask: Uint8Array<ArrayBuffer> }> {
  const image = await decode(imagePath, 4)
  const mask = await decode(maskPath, 1, image)
  const keep = new Uint8Array(mask.data.length)
  for (let index = 0; index < keep.length; index++) keep[index] = 255 - (mask.data[index] ?? 0)
  return {
    image: { width: image.width, height: image.height, rgba: image.data },
    keepMask: keep,
  }
}
