import { GlideError } from '../../contract/errors'
import type { InstalledModel } from './modelChoice'

export interface ClipModelChoice {
  image: InstalledModel
  text: InstalledModel
}

/**
 * The noised CLIP for CLIP guidance on a base model of `baseImageSize`: an image encoder of that
 * size (official first, then the given order: the user's models dir before the bundled GLIDE-mini
 * CLIP) and the text encoder made with it (the official one for an official image encoder, else
 * the one named like it). Refused with a message saying how to install one when there is none.
 */
export function chooseClipModels(
  installed: readonly InstalledModel[],
  baseImageSize: number,
): ClipModelChoice {
  const usable = installed.filter((model) => model.problem === undefined)
  const texts = usable.filter((model) => model.kind === 'clip-text')
  const images = usable.filter((model) => model.kind === 'clip-image')
  const sized = images.filter((model) => model.imageSize === baseImageSize)
  const image = sized.find((model) => model.official) ?? sized[0]
  const text = image
    ? image.official
      ? texts.find((model) => model.official)
      : (texts.find((model) => model.id === image.id.replace(/image/g, 'text')) ??
        texts.find((model) => !model.official))
    : texts[0]
  if (!image || !text) {
    const otherSizes = [...new Set(images.map((model) => model.imageSize))]
    const missing = [
      image
        ? null
        : otherSizes.length > 0
          ? `an image encoder for ${baseImageSize} px images (installed: ${otherSizes.join(', ')} px)`
          : 'an image encoder',
      text ? null : 'a text encoder',
    ]
      .filter(Boolean)
      .join(' and ')
    throw new GlideError(
      'MODEL_NOT_FOUND',
      `CLIP guidance needs a noised CLIP model, and ${missing} is not installed: run "glide-studio models download clip" or import one with "glide-studio import --kind clip-image|clip-text".`,
    )
  }
  return { image, text }
}
