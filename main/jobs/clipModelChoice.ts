import { GlideError } from '../../contract/errors'
import type { InstalledModel } from './modelChoice'

export interface ClipModelChoice {
  image: InstalledModel
  text: InstalledModel
}

/**
 * The noised CLIP for CLIP guidance: the official image and text encoders when both are installed,
 * else the first usable pair in the given order (the user's models dir before the bundled
 * GLIDE-mini CLIP). Refused with a message saying how to install one when there is none.
 */
export function chooseClipModels(installed: readonly InstalledModel[]): ClipModelChoice {
  const usable = installed.filter((model) => model.problem === undefined)
  const ofKind = (kind: 'clip-image' | 'clip-text', official: boolean) =>
    usable.find((model) => model.kind === kind && (!official || model.official))
  const officialImage = ofKind('clip-image', true)
  const officialText = ofKind('clip-text', true)
  const image = officialImage && officialText ? officialImage : ofKind('clip-image', false)
  const text = officialImage && officialText ? officialText : ofKind('clip-text', false)
  if (!image || !text) {
    const missing = [image ? null : 'an image encoder', text ? null : 'a text encoder']
      .filter(Boolean)
      .join(' and ')
    throw new GlideError(
      'MODEL_NOT_FOUND',
      `CLIP guidance needs a noised CLIP model, and ${missing} is not installed: run "glide-studio models download clip" or import one with "glide-studio import --kind clip-image|clip-text".`,
    )
  }
  return { image, text }
}
