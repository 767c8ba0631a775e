import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  CLIP_END_TOKEN,
  CLIP_START_TOKEN,
  CLIP_TEXT_CTX,
  cleanCaption,
  loadClipTokenizer,
} from '../../../../main/engine/tokenizer/clipTokenizer'

interface TokenizerCase {
  prompt: string
  tokens: number[]
  padded: number[]
  len: number
}
const reference = JSON.parse(
  readFileSync(
    new URL('../../../fixtures/glide-reference/tokenizer_clip.json', import.meta.url),
    'utf8',
  ),
) as { start_token: number; end_token: number; text_ctx: number; cases: TokenizerCase[] }

describe('noised-CLIP tokenizer', () => {
  it('uses the reference start and end tokens and context', () => {
    expect(CLIP_START_TOKEN).toBe(reference.start_token)
    expect(CLIP_END_TOKEN).toBe(reference.end_token)
    expect(CLIP_TEXT_CTX).toBe(reference.text_ctx)
  })

  it.each(reference.cases.map((c) => [JSON.stringify(c.prompt).slice(0, 60), c] as const))(
    'matches glide-text2im exactly for %s',
    async (_name, referenceCase) => {
      const tokenizer = await loadClipTokenizer()
      const result = tokenizer.tokenize(referenceCase.prompt, reference.text_ctx)
      expect(result.tokens).toEqual(referenceCase.tokens)
      expect(result.padded).toEqual(referenceCase.padded)
      expect(result.length).toBe(referenceCase.len)
    },
  )

  it('reads special-token text as the special token, as CLIP does', async () => {
    const tokenizer = await loadClipTokenizer()
    expect(tokenizer.encode('a <|endoftext|>')).toEqual([320, CLIP_END_TOKEN])
  })

  it('decodes HTML entities and straightens curly quotes before tokenizing', () => {
    expect(cleanCaption('Tom &amp;amp; Jerry\u2019s  &#x41;')).toBe("tom & jerry's a")
  })

  it('refuses a merge list of the wrong length', async () => {
    const { ClipTokenizer } = await import('../../../../main/engine/tokenizer/clipTokenizer')
    expect(() => new ClipTokenizer('#version\na b\n')).toThrow(/48894 merges/)
  })
})
