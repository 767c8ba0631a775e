/**
 * xoshiro128** 1.1 (Blackman and Vigna, https://prng.di.unimi.it/xoshiro128starstar.c): 128 bits of
 * state, 32-bit outputs, period 2^128 − 1. Only 32-bit integer operations (Math.imul, shifts, xor),
 * so every JavaScript engine on every machine produces the same sequence.
 *
 * Seeding, as the authors recommend: the uint32 seed starts a SplitMix64 generator
 * (state += 0x9E3779B97F4A7C15, then the two xor-shift-multiply rounds and a final xor-shift) whose
 * first two 64-bit outputs, low word first, become the state words s0, s1, s2, s3.
 */
export class Xoshiro128StarStar {
  private s0: number
  private s1: number
  private s2: number
  private s3: number

  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffff_ffff) {
      throw new RangeError(`a seed is an integer in 0..4294967295, not ${seed}`)
    }
    const seeder = splitMix64(BigInt(seed))
    const first = seeder()
    const second = seeder()
    this.s0 = Number(first & 0xffff_ffffn)
    this.s1 = Number(first >> 32n)
    this.s2 = Number(second & 0xffff_ffffn)
    this.s3 = Number(second >> 32n)
  }

  /** The next output, an integer in 0..2^32 − 1. */
  nextUint32(): number {
    const result = Math.imul(rotateLeft(Math.imul(this.s1, 5), 7), 9) >>> 0
    const shifted = this.s1 << 9
    this.s2 ^= this.s0
    this.s3 ^= this.s1
    this.s1 ^= this.s2
    this.s0 ^= this.s3
    this.s2 ^= shifted
    this.s3 = rotateLeft(this.s3, 11)
    return result
  }
}

function rotateLeft(value: number, bits: number): number {
  return (value << bits) | (value >>> (32 - bits))
}

const mask64 = (1n << 64n) - 1n

function splitMix64(seed: bigint): () => bigint {
  let state = seed & mask64
  return () => {
    state = (state + 0x9e3779b97f4a7c15n) & mask64
    let z = state
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & mask64
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & mask64
    return z ^ (z >> 31n)
  }
}
