import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  GPT2_END_TOKEN,
  GPT2_VOCAB_SIZE,
  padTokens,
  tokenize,
} from '../../../../main/engine/tokenizer/gpt2Tokenizer'

interface TokenizerCase {
  prompt: string
  tokens: number[]
  padded: number[]
  mask: boolean[]
}
const reference = JSON.parse(
  readFileSync(
    new URL('../../../fixtures/glide-reference/tokenizer_gpt2.json', import.meta.url),
    'utf8',
  ),
) as { n_vocab: number; end_token: number; text_ctx: number; cases: TokenizerCase[] }

describe('GLIDE GPT-2 tokenizer', () => {
  it('uses the reference vocabulary size and end token', () => {
    expect(GPT2_VOCAB_SIZE).toBe(reference.n_vocab)
    expect(GPT2_END_TOKEN).toBe(reference.end_token)
  })

  it.each(reference.cases.map((c) => [JSON.stringify(c.prompt).slice(0, 60), c] as const))(
    'matches GLIDE exactly for %s',
    async (_name, referenceCase) => {
      const result = await tokenize(referenceCase.prompt, reference.text_ctx)
      expect(result.tokens).toEqual(referenceCase.tokens)
      expect(result.padded).toEqual(referenceCase.padded)
      expect(result.mask).toEqual(referenceCase.mask)
    },
  )

  it('pads the empty caption entirely with an all-false mask', () => {
    const empty = padTokens([], 4)
    expect(empty.padded).toEqual([50256, 50256, 50256, 50256])
    expect(empty.mask).toEqual([false, false, false, false])
  })

  it('treats special-token text as ordinary text', async () => {
    const result = await tokenize('<|endoftext|>', 8)
    expect(result.tokens.length).toBeGreaterThan(1)
    expect(result.tokens).not.toContain(GPT2_END_TOKEN)
  })
})
