import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'
import { GlideError } from '../../../contract/errors'

/**
 * The noised CLIP's caption tokenizer: CLIP's byte-level BPE (49,408 tokens: 256 byte symbols,
 * their end-of-word forms, 48,894 merges, then the start and end tokens) over the cleaned,
 * lower-cased caption. A caption becomes [start, up to ctx − 2 tokens, end] padded with zeros to
 * the context, with its length (start and end included) for the text encoder's read-out.
 */

export const CLIP_START_TOKEN = 49406
export const CLIP_END_TOKEN = 49407
export const CLIP_VOCAB_SIZE = 49408
export const CLIP_TEXT_CTX = 77
const mergeCount = CLIP_VOCAB_SIZE - 2 * 256 - 2

/** Where the merge list ships (with its licence notice) when running from the sources. */
export const defaultClipBpePath = fileURLToPath(
  new URL('./clip-bpe/bpe_simple_vocab_16e6.txt.gz', import.meta.url),
)

export interface ClipTokenizedCaption {
  /** The caption's BPE tokens, before truncation. */
  tokens: number[]
  /** Exactly ctx tokens: start, the first ctx − 2 caption tokens, end, then zeros. */
  padded: number[]
  /** How many of `padded` are start, caption and end tokens. */
  length: number
}

/** GPT-2's reversible map from bytes to printable characters, which CLIP's BPE also uses. */
function byteSymbols(): string[] {
  const printable = (from: string, to: string): number[] =>
    Array.from(
      { length: to.charCodeAt(0) - from.charCodeAt(0) + 1 },
      (_, i) => from.charCodeAt(0) + i,
    )
  const kept = [...printable('!', '~'), ...printable('¡', '¬'), ...printable('®', 'ÿ')]
  const symbols = new Array<string>(256)
  for (const byte of kept) symbols[byte] = String.fromCharCode(byte)
  let next = 256
  for (let byte = 0; byte < 256; byte++) {
    if (symbols[byte] === undefined) symbols[byte] = String.fromCharCode(next++)
  }
  return symbols
}

/** The vocabulary order: printable bytes first, then the remaining bytes in increasing order. */
function byteVocabularyOrder(symbols: readonly string[]): string[] {
  const order: number[] = []
  for (let byte = 0; byte < 256; byte++) if (symbols[byte]?.charCodeAt(0) === byte) order.push(byte)
  for (let byte = 0; byte < 256; byte++) if (symbols[byte]?.charCodeAt(0) !== byte) order.push(byte)
  return order.map((byte) => symbols[byte] ?? '')
}

const namedEntities: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
}

/** Numeric character references and the common named ones (html.unescape's everyday cases). */
function unescapeHtml(text: string): string {
  return text.replace(/&(#[xX][0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (whole, body: string) => {
    if (body.startsWith('#')) {
      const code =
        body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : Number(body.slice(1))
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff)
        ? String.fromCodePoint(code)
        : '\ufffd'
    }
    return namedEntities[body] ?? whole
  })
}

/**
 * CLIP's text cleaning: ftfy's everyday fixes (curly quotes straightened, Latin ligatures and
 * full-width forms unfolded, control characters dropped, NFC), HTML entities decoded twice,
 * whitespace runs collapsed, then lower case. ftfy's mojibake repair is not reproduced.
 */
export function cleanCaption(caption: string): string {
  let text = caption
    .replace(/[\u2018\u2019\u201a\u201b]/g, "'")
    .replace(/[\u201c\u201d\u201e\u201f]/g, '"')
    .replace(/[\ufb00-\ufb06\uff01-\uff5e]/g, (char) => char.normalize('NFKC'))
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000e-\u001f\u007f]/g, '')
    .normalize('NFC')
  text = unescapeHtml(unescapeHtml(text)).trim()
  return text.replace(/\s+/g, ' ').trim().toLowerCase()
}

const wordPattern =
  /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\s\p{L}\p{N}]+/giu

export class ClipTokenizer {
  private readonly symbols = byteSymbols()
  private readonly encoder = new Map<string, number>()
  private readonly ranks = new Map<string, number>()
  private readonly cache = new Map<string, string[]>()
  private readonly utf8 = new TextEncoder()

  /** `mergeText`: the merge list's text (first line a header, then "a b" per merge). */
  constructor(mergeText: string) {
    const lines = mergeText.split('\n')
    const merges = lines.slice(1, 1 + mergeCount)
    if (merges.length !== mergeCount || merges.some((line) => line.split(' ').length !== 2)) {
      throw new GlideError('MODEL_INVALID', `The CLIP merge list must hold ${mergeCount} merges.`)
    }
    const vocabulary = byteVocabularyOrder(this.symbols)
    vocabulary.push(...vocabulary.map((symbol) => `${symbol}</w>`))
    merges.forEach((merge, rank) => {
      this.ranks.set(merge, rank)
      vocabulary.push(merge.replace(' ', ''))
    })
    vocabulary.push('<|startoftext|>', '<|endoftext|>')
    vocabulary.forEach((symbol, id) => this.encoder.set(symbol, id))
    this.cache.set('<|startoftext|>', ['<|startoftext|>'])
    this.cache.set('<|endoftext|>', ['<|endoftext|>'])
  }

  private bpe(word: string): string[] {
    const cached = this.cache.get(word)
    if (cached) return cached
    const chars = Array.from(word)
    let parts = [...chars.slice(0, -1), `${chars[chars.length - 1] ?? ''}</w>`]
    for (;;) {
      let best = -1
      let bestRank = Infinity
      for (let i = 0; i + 1 < parts.length; i++) {
        const rank = this.ranks.get(`${parts[i]} ${parts[i + 1]}`)
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank
          best = i
        }
      }
      if (best < 0) break
      const first = parts[best] ?? ''
      const second = parts[best + 1] ?? ''
      const merged: string[] = []
      for (let i = 0; i < parts.length;) {
        if (i + 1 < parts.length && parts[i] === first && parts[i + 1] === second) {
          merged.push(first + second)
          i += 2
        } else {
          merged.push(parts[i] ?? '')
          i += 1
        }
      }
      parts = merged
      if (parts.length === 1) break
    }
    this.cache.set(word, parts)
    return parts
  }

  encode(caption: string): number[] {
    const tokens: number[] = []
    for (const match of cleanCaption(caption).matchAll(wordPattern)) {
      const word = Array.from(this.utf8.encode(match[0]), (byte) => this.symbols[byte] ?? '').join(
        '',
      )
      for (const part of this.bpe(word)) {
        const id = this.encoder.get(part)
        if (id === undefined)
          throw new Error(`unreachable: BPE symbol ${part} outside the vocabulary`)
        tokens.push(id)
      }
    }
    return tokens
  }

  tokenize(caption: string, textCtx = CLIP_TEXT_CTX): ClipTokenizedCaption {
    const tokens = this.encode(caption)
    return { tokens, ...padClipTokens(tokens, textCtx) }
  }
}

export function padClipTokens(
  tokens: readonly number[],
  textCtx: number,
): { padded: number[]; length: number } {
  const kept = [CLIP_START_TOKEN, ...tokens.slice(0, textCtx - 2), CLIP_END_TOKEN]
  return {
    padded: [...kept, ...new Array<number>(textCtx - kept.length).fill(0)],
    length: kept.length,
  }
}

const tokenizers = new Map<string, Promise<ClipTokenizer>>()

/** The tokenizer over a gzipped merge list, read once per path. */
export function loadClipTokenizer(path = defaultClipBpePath): Promise<ClipTokenizer> {
  let tokenizer = tokenizers.get(path)
  if (!tokenizer) {
    tokenizer = readFile(path).then(
      (bytes) => new ClipTokenizer(gunzipSync(bytes).toString('utf8')),
      (error: unknown) => {
        tokenizers.delete(path)
        throw new GlideError(
          'MODEL_INVALID',
          `Cannot read the CLIP merge list ${path}: ${(error as Error).message}`,
          { cause: error },
        )
      },
    )
    tokenizers.set(path, tokenizer)
  }
  return tokenizer
}
