import { Xoshiro128StarStar } from './xoshiro128'

/** Where every Gaussian draw of a generation comes from, in a fixed, documented order. */
export interface NoiseSource {
  /** The next `count` standard normal values. */
  normal(count: number): Float32Array
}

/**
 * Standard normals from a uint32 seed, bit-identical on every machine and JavaScript engine:
 *
 * 1. xoshiro128** seeded through SplitMix64 (xoshiro128.ts) gives uint32 words w.
 * 2. Each word becomes a uniform in (−1, 1): (w − 2147483647.5) / 2^31 (exact in float64, never 0).
 * 3. Marsaglia's polar method on pairs (u, v): reject while s = u² + v² ≥ 1; otherwise
 *    f = sqrt(−2·ln(s) / s) gives the two normals u·f then v·f.
 * 4. Each normal is rounded to float32.
 *
 * The values form one stream: `normal(n)` returns the next n of them whatever the earlier counts
 * were. Math.log is only specified to be approximate (V8 uses an fdlibm port; other engines, other
 * libraries), so ln(s) is computed here from + − × ÷ alone (`naturalLog`), and square roots are
 * exactly rounded by the language; no other function touches the values.
 */
export class SeededNoise implements NoiseSource {
  private readonly generator: Xoshiro128StarStar
  private spare: number | undefined

  constructor(readonly seed: number) {
    this.generator = new Xoshiro128StarStar(seed)
  }

  normal(count: number): Float32Array {
    const values = new Float32Array(count)
    let i = 0
    if (count > 0 && this.spare !== undefined) {
      values[i++] = this.spare
      this.spare = undefined
    }
    while (i < count) {
      const [first, second] = this.nextPair()
      values[i++] = first
      if (i < count) values[i++] = second
      else this.spare = second
    }
    return values
  }

  private nextPair(): [number, number] {
    for (;;) {
      const u = (this.generator.nextUint32() - 2147483647.5) / 2147483648
      const v = (this.generator.nextUint32() - 2147483647.5) / 2147483648
      const s = u * u + v * v
      if (s < 1) {
        const factor = Math.sqrt((-2 * naturalLog(s)) / s)
        return [u * factor, v * factor]
      }
    }
  }
}

/**
 * Recorded draws replayed in order, one array per `normal` call (a test seam: GLIDE's reference
 * runs record x_T and the noise of every step). A call asking for a different count fails.
 */
export class RecordedNoise implements NoiseSource {
  private next = 0

  constructor(private readonly draws: readonly Float32Array[]) {}

  normal(count: number): Float32Array {
    const draw = this.draws[this.next]
    if (!draw) throw new RangeError(`noise draw ${this.next} was not recorded`)
    if (draw.length !== count) {
      throw new RangeError(`noise draw ${this.next} has ${draw.length} values, ${count} were asked`)
    }
    this.next++
    return Float32Array.from(draw)
  }

  /** Draws not yet replayed. */
  get remaining(): number {
    return this.draws.length - this.next
  }
}

const ln2High = 6.9314718036912381649e-1 // the top 32 bits of ln 2: e·ln2High is exact
const ln2Low = 1.90821492927058770002e-10
/** 2/(2k+1), the series of 2·atanh(s) = ln((1 + s)/(1 − s)). */
const atanhCoefficients = Array.from({ length: 13 }, (_, k) => 2 / (2 * k + 1))
const bits = new DataView(new ArrayBuffer(8))

/**
 * ln(x) for a positive normal double, within a few units in the last place, from exactly rounded
 * operations only: x = m·2^e with m in [√½, √2), ln m = 2·atanh((m − 1)/(m + 1)) by its series
 * (|s| ≤ 0.172, 13 terms reach 2^−60).
 */
export function naturalLog(x: number): number {
  if (!(x > 0) || x === Number.POSITIVE_INFINITY) return Number.NaN
  bits.setFloat64(0, x)
  const highWord = bits.getUint32(0)
  let exponent = ((highWord >>> 20) & 0x7ff) - 1023
  if (exponent === -1023) throw new RangeError('naturalLog needs a normal number')
  bits.setUint32(0, (highWord & 0x800fffff) | 0x3ff00000)
  let mantissa = bits.getFloat64(0)
  if (mantissa > Math.SQRT2) {
    mantissa /= 2
    exponent += 1
  }
  const s = (mantissa - 1) / (mantissa + 1)
  const z = s * s
  let series = 0
  for (let k = atanhCoefficients.length - 1; k >= 0; k--) {
    series = series * z + (atanhCoefficients[k] ?? 0)
  }
  return exponent * ln2High + (exponent * ln2Low + s * series)
}
