import { readFileSync } from 'node:fs'

/** A NumPy array read from a .npy file (format versions 1–3, little-endian, C order). */
export type NpyArray =
  | { dtype: 'float32'; shape: number[]; data: Float32Array }
  | { dtype: 'float64'; shape: number[]; data: Float64Array }
  | { dtype: 'int64'; shape: number[]; data: BigInt64Array }
  | { dtype: 'int32'; shape: number[]; data: Int32Array }
  | { dtype: 'bool'; shape: number[]; data: Uint8Array }

const magic = '\x93NUMPY'

function parseHeader(header: string): { descr: string; fortranOrder: boolean; shape: number[] } {
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1]
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1]
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1]
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new Error(`unreadable .npy header: ${header}`)
  }
  const shape = shapeText
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => Number.parseInt(part, 10))
  return { descr, fortranOrder: fortran === 'True', shape }
}

export function parseNpy(bytes: Uint8Array): NpyArray {
  const prefix = String.fromCharCode(...bytes.subarray(0, 6))
  if (prefix !== magic) throw new Error('not a .npy file')
  const major = bytes[6] ?? 0
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true)
  const headerStart = major === 1 ? 10 : 12
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(
    bytes.subarray(headerStart, headerStart + headerLength),
  )
  const { descr, fortranOrder, shape } = parseHeader(header)
  if (fortranOrder) throw new Error('Fortran-order .npy files are not supported')
  const count = shape.reduce((product, size) => product * size, 1)
  // A copy, so typed views start at offset 0 of their own buffer (Node Buffers share a pool).
  const payload = new Uint8Array(bytes.length - headerStart - headerLength)
  payload.set(bytes.subarray(headerStart + headerLength))
  const buffer = payload.buffer
  switch (descr) {
    case '<f4':
      return { dtype: 'float32', shape, data: new Float32Array(buffer, 0, count) }
    case '<f8':
      return { dtype: 'float64', shape, data: new Float64Array(buffer, 0, count) }
    case '<i8':
      return { dtype: 'int64', shape, data: new BigInt64Array(buffer, 0, count) }
    case '<i4':
      return { dtype: 'int32', shape, data: new Int32Array(buffer, 0, count) }
    case '|b1':
      return { dtype: 'bool', shape, data: new Uint8Array(buffer, 0, count) }
    default:
      throw new Error(`unsupported .npy dtype ${descr}`)
  }
}

export function readNpy(path: string | URL): NpyArray {
  return parseNpy(readFileSync(path))
}

/** Reads a float32 array, failing on any other dtype. */
export function readNpyFloat32(path: string | URL): { shape: number[]; data: Float32Array } {
  const array = readNpy(path)
  if (array.dtype !== 'float32')
    throw new Error(`${String(path)} holds ${array.dtype}, not float32`)
  return array
}

/** Largest absolute element-wise difference; throws if the lengths differ. */
export function maxAbsDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) {
    throw new Error(`length ${actual.length} differs from expected ${expected.length}`)
  }
  let worst = 0
  for (let index = 0; index < actual.length; index++) {
    const difference = Math.abs((actual[index] ?? 0) - (expected[index] ?? 0))
    if (!(difference <= worst))
      worst = Number.isNaN(difference) ? Number.POSITIVE_INFINITY : difference
  }
  return worst
}
