import type { Tiktoken } from 'js-tiktoken/lite'

/**
 * GLIDE's caption tokenizer: GPT-2 byte-level BPE (the r50k_base vocabulary, 50257 tokens) over the
 * lower-cased caption, truncated to text_ctx and padded with the end token. The mask is true on real
 * tokens only, so the empty caption (the unconditional row of classifier-free guidance) is all
 * padding with an all-false mask.
 */
export const GPT2_VOCAB_SIZE = 50257
export const GPT2_END_TOKEN = 50256

export interface TokenizedCaption {
  /** The caption's BPE tokens, before truncation. */
  tokens: number[]
  /** Exactly textCtx tokens: the first textCtx tokens, then GPT2_END_TOKEN. */
  padded: number[]
  /** Exactly textCtx flags: true where padded holds a caption token. */
  mask: boolean[]
}

let encoderPromise: Promise<Tiktoken> | undefined

/** Loads the rank table (about 1 MB of text) on first use only. */
function loadEncoder(): Promise<Tiktoken> {
  encoderPromise ??= (async () => {
    const [{ Tiktoken }, ranks] = await Promise.all([
      import('js-tiktoken/lite'),
      import('js-tiktoken/ranks/r50k_base'),
    ])
    return new Tiktoken(ranks.default)
  })()
  return encoderPromise
}

/** GLIDE lower-cases captions before BPE; text that looks like a special token is plain text. */
export async function encodeCaption(caption: string): Promise<number[]> {
  const encoder = await loadEncoder()
  return encoder.encode(caption.toLowerCase(), [], [])
}

export function padTokens(tokens: readonly number[], textCtx: number): TokenizedCaption {
  const kept = tokens.slice(0, textCtx)
  const padding = textCtx - kept.length
  return {
    tokens: [...tokens],
    padded: [...kept, ...new Array<number>(padding).fill(GPT2_END_TOKEN)],
    mask: [
      ...new Array<boolean>(kept.length).fill(true),
      ...new Array<boolean>(padding).fill(false),
    ],
  }
}

export async function tokenize(caption: string, textCtx: number): Promise<TokenizedCaption> {
  return padTokens(await encodeCaption(caption), textCtx)
}
