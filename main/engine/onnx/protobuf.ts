/**
 * A minimal protocol-buffers wire encoder: just what writing ONNX models needs (varints, 32-bit
 * floats, length-delimited fields, packed repeated varints). Nested messages are encoded into their
 * own writer first and then embedded with their length.
 */

const wireVarint = 0
const wireFixed32 = 5
const wireLengthDelimited = 2

const textEncoder = new TextEncoder()

export class ProtoWriter {
  private buffer = new Uint8Array(256)
  private length = 0

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return
    let capacity = this.buffer.length * 2
    while (capacity < this.length + extra) capacity *= 2
    const grown = new Uint8Array(capacity)
    grown.set(this.buffer.subarray(0, this.length))
    this.buffer = grown
  }

  private byte(value: number): void {
    this.reserve(1)
    this.buffer[this.length++] = value
  }

  /** Unsigned or signed 64-bit integer as a varint; negatives take ten bytes (two's complement). */
  varint(value: number | bigint): void {
    if (typeof value === 'number') {
      if (!Number.isSafeInteger(value)) throw new RangeError(`not an integer: ${value}`)
      if (value >= 0 && value < 2 ** 31) {
        let rest = value
        while (rest >= 0x80) {
          this.byte((rest & 0x7f) | 0x80)
          rest >>>= 7
        }
        this.byte(rest)
        return
      }
    }
    let rest = BigInt.asUintN(64, BigInt(value))
    while (rest >= 0x80n) {
      this.byte(Number(rest & 0x7fn) | 0x80)
      rest >>= 7n
    }
    this.byte(Number(rest))
  }

  private tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType)
  }

  int(field: number, value: number | bigint): void {
    this.tag(field, wireVarint)
    this.varint(value)
  }

  float(field: number, value: number): void {
    this.tag(field, wireFixed32)
    this.reserve(4)
    new DataView(this.buffer.buffer).setFloat32(this.length, value, true)
    this.length += 4
  }

  bytes(field: number, value: Uint8Array): void {
    this.tag(field, wireLengthDelimited)
    this.varint(value.length)
    this.reserve(value.length)
    this.buffer.set(value, this.length)
    this.length += value.length
  }

  string(field: number, value: string): void {
    this.bytes(field, textEncoder.encode(value))
  }

  message(field: number, encode: (writer: ProtoWriter) => void): void {
    const nested = new ProtoWriter()
    encode(nested)
    this.bytes(field, nested.finish())
  }

  packedInts(field: number, values: readonly (number | bigint)[]): void {
    const packed = new ProtoWriter()
    for (const value of values) packed.varint(value)
    this.bytes(field, packed.finish())
  }

  packedFloats(field: number, values: readonly number[]): void {
    const data = new Float32Array(values)
    this.bytes(field, new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
  }

  finish(): Uint8Array {
    return this.buffer.slice(0, this.length)
  }
}
