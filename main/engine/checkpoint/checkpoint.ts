import { open } from 'node:fs/promises'
import { basename } from 'node:path'
import { crc32 } from 'node:zlib'
import { GlideError } from '../../../contract/errors'
import type { TensorSource } from '../tensorSource'
import { itemSizeOf, unpickleStateDict, type StorageDtype, type TensorRef } from './pickle'
import { compressionStored, ZipReader, type ZipEntry } from './zipReader'

export type { StorageDtype } from './pickle'

/** A PyTorch state dict opened for reading; tensors are read from disk one at a time. */
export interface TorchCheckpoint extends TensorSource {
  /** The dtype the tensor is stored in; read() widens (or narrows) it to float32. */
  dtype(name: string): StorageDtype
  /** Releases the file descriptor; reads after close fail. */
  close(): Promise<void>
}

const maxPickleBytes = 64 * 1024 * 1024
const maxRank = 8
/** 1 GiB of float32: far above any GLIDE tensor (token_embedding is 25.7 M elements). */
const maxTensorElements = 2 ** 28
/**
 * Stride-0 views let a tiny storage describe an enormous tensor; a tensor may repeat its
 * storage's elements at most this many times (plus a small allowance) so that reading it cannot
 * need far more memory than the file holds. torch state dicts repeat nothing.
 */
const maxRepetition = 16
const repetitionAllowance = 1 << 20

const legacyMagic = Uint8Array.of(
  0x8a,
  0x0a,
  0x6c,
  0xfc,
  0x9c,
  0x46,
  0xf9,
  0x20,
  0x6a,
  0xa8,
  0x50,
  0x19,
)
const resaveHint =
  'load it with PyTorch and save it again with torch.save(state_dict, path, _use_new_zipfile_serialization=True)'

interface TensorLayout {
  readonly ref: TensorRef
  readonly entry: ZipEntry
  readonly itemSize: number
  readonly numel: number
  /** Elements from the storage offset to one past the highest element the tensor touches. */
  readonly reach: number
  readonly contiguous: boolean
}

/**
 * Opens a `.pt` file written by torch.save (the zip format) without executing anything: the
 * archive's data.pkl is interpreted by an allowlist unpickler and every tensor's shape, strides and
 * storage are checked against the archive. Throws GlideError CHECKPOINT_REFUSED (legacy format,
 * TorchScript, disallowed pickle content, compressed records) or CHECKPOINT_CORRUPT.
 */
export async function openTorchCheckpoint(path: string): Promise<TorchCheckpoint> {
  const label = basename(path)
  await sniffFormat(path, label)
  const zip = await ZipReader.open(path, { corruptCode: 'CHECKPOINT_CORRUPT', label })
  try {
    const layouts = await readLayouts(zip, label)
    return new ZipTorchCheckpoint(zip, layouts, label)
  } catch (error) {
    await zip.close()
    throw error
  }
}

async function sniffFormat(path: string, label: string): Promise<void> {
  const head = new Uint8Array(16)
  let length: number
  try {
    const handle = await open(path, 'r')
    try {
      ;({ bytesRead: length } = await handle.read(head, 0, head.length, 0))
    } finally {
      await handle.close()
    }
  } catch (error) {
    throw new GlideError('IO_ERROR', `Cannot read ${label}: ${(error as Error).message}`, {
      cause: error,
    })
  }
  if (length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) {
    return
  }
  if (length >= 2 && head[0] === 0x80) {
    const isLegacy = legacyMagic.every((byte, index) => head[index + 2] === byte)
    throw new GlideError(
      'CHECKPOINT_REFUSED',
      isLegacy
        ? `${label} is in PyTorch's legacy (pre-1.6) checkpoint format, which is not supported; ${resaveHint}.`
        : `${label} is a bare pickle, not a torch.save zip checkpoint, and is not supported; ${resaveHint}.`,
    )
  }
  throw new GlideError(
    'CHECKPOINT_CORRUPT',
    `${label} is not a PyTorch checkpoint (it is not a zip archive written by torch.save).`,
  )
}

async function readLayouts(zip: ZipReader, label: string): Promise<Map<string, TensorLayout>> {
  const refuse = (message: string): GlideError =>
    new GlideError('CHECKPOINT_REFUSED', `${label}: ${message}`)
  const corrupt = (message: string): GlideError =>
    new GlideError('CHECKPOINT_CORRUPT', `${label}: ${message}`)

  const entries = zip.entries()
  const roots = new Set(entries.map((entry) => entry.name.split('/')[0]!))
  if (roots.size !== 1 || entries.some((entry) => !entry.name.includes('/'))) {
    throw corrupt('a torch.save archive has exactly one top-level folder')
  }
  const root = [...roots][0]!
  if (
    zip.entry(`${root}/constants.pkl`) ||
    entries.some((entry) => entry.name.startsWith(`${root}/code/`))
  ) {
    throw refuse(
      'this is a TorchScript archive (torch.jit.save), not a state dict; save model.state_dict() with torch.save',
    )
  }
  for (const entry of entries) {
    if (entry.compressionMethod !== compressionStored) {
      throw refuse(
        `record ${entry.name} is compressed; torch.save stores records uncompressed, so re-save the state dict with torch.save`,
      )
    }
  }
  const pickleEntry = zip.entry(`${root}/data.pkl`)
  if (!pickleEntry) throw corrupt(`${root}/data.pkl is missing`)
  const byteorderEntry = zip.entry(`${root}/byteorder`)
  if (byteorderEntry) {
    const byteorder = Buffer.from(await zip.readEntry(byteorderEntry, 16))
      .toString('latin1')
      .trim()
    if (byteorder !== 'little') throw refuse(`its tensors are stored ${byteorder}-endian`)
  }

  let stateDict
  try {
    stateDict = unpickleStateDict(await zip.readEntry(pickleEntry, maxPickleBytes))
  } catch (error) {
    if (error instanceof GlideError) throw new GlideError(error.code, `${label}: ${error.message}`)
    throw error
  }
  const layouts = new Map<string, TensorLayout>()
  for (const { name, tensor } of stateDict) {
    layouts.set(name, layoutOf(name, tensor, zip, root, corrupt))
  }
  return layouts
}

function layoutOf(
  name: string,
  ref: TensorRef,
  zip: ZipReader,
  root: string,
  corrupt: (message: string) => GlideError,
): TensorLayout {
  const tensorLabel = `tensor ${JSON.stringify(name)}`
  const { storage, shape, stride, storageOffset } = ref
  const entry = zip.entry(`${root}/data/${storage.key}`)
  if (!entry)
    throw corrupt(`${tensorLabel} refers to storage ${storage.key}, which is not in the archive`)
  const itemSize = itemSizeOf[storage.dtype]
  if (entry.uncompressedSize !== storage.numel * itemSize) {
    throw corrupt(
      `${tensorLabel}: storage ${storage.key} holds ${entry.uncompressedSize} bytes, but ${storage.numel} ${storage.dtype} elements need ${storage.numel * itemSize}`,
    )
  }
  if (shape.length > maxRank)
    throw corrupt(`${tensorLabel} has rank ${shape.length} (more than ${maxRank})`)
  if (stride.length !== shape.length) {
    throw corrupt(`${tensorLabel} has ${shape.length} dimensions but ${stride.length} strides`)
  }
  if (shape.some((size) => size < 0)) throw corrupt(`${tensorLabel} has a negative dimension`)
  if (stride.some((step) => step < 0)) throw corrupt(`${tensorLabel} has a negative stride`)
  if (storageOffset < 0) throw corrupt(`${tensorLabel} has a negative storage offset`)

  let numel = 1n
  let highestIndex = 0n
  for (let axis = 0; axis < shape.length; axis += 1) {
    const size = BigInt(shape[axis]!)
    numel *= size
    if (size > 0n) highestIndex += (size - 1n) * BigInt(stride[axis]!)
  }
  if (numel > BigInt(maxTensorElements))
    throw corrupt(`${tensorLabel} has ${numel} elements, too many`)
  if (numel > BigInt(storage.numel) * BigInt(maxRepetition) + BigInt(repetitionAllowance)) {
    throw corrupt(
      `${tensorLabel} has ${numel} elements but its storage only ${storage.numel}; refusing to expand it`,
    )
  }
  const reach = numel === 0n ? 0n : highestIndex + 1n
  if (numel > 0n && BigInt(storageOffset) + reach > BigInt(storage.numel)) {
    throw corrupt(
      `${tensorLabel} (shape [${shape.join(', ')}], stride [${stride.join(', ')}], offset ${storageOffset}) reaches past the end of storage ${storage.key} (${storage.numel} elements)`,
    )
  }
  return {
    ref,
    entry,
    itemSize,
    numel: Number(numel),
    reach: Number(reach),
    contiguous: Number(reach) === Number(numel) && isRowMajor(shape, stride),
  }
}

function isRowMajor(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1
  for (let axis = shape.length - 1; axis >= 0; axis -= 1) {
    const size = shape[axis]!
    if (size !== 1 && stride[axis] !== expected) return false
    expected *= size
  }
  return true
}

class ZipTorchCheckpoint implements TorchCheckpoint {
  private closed = false

  constructor(
    private readonly zip: ZipReader,
    private readonly layouts: Map<string, TensorLayout>,
    private readonly label: string,
  ) {}

  names(): string[] {
    return [...this.layouts.keys()]
  }

  shape(name: string): readonly number[] {
    return [...this.layout(name).ref.shape]
  }

  dtype(name: string): StorageDtype {
    return this.layout(name).ref.storage.dtype
  }

  async read(name: string): Promise<Float32Array> {
    const layout = this.layout(name)
    if (this.closed) throw new GlideError('IO_ERROR', `${this.label} is closed`)
    if (layout.numel === 0) return new Float32Array(0)
    const { entry, itemSize, ref } = layout
    const byteOffset = ref.storageOffset * itemSize
    const byteLength = layout.reach * itemSize
    const bytes = await this.zip.readRange(entry, byteOffset, byteLength)
    if (
      byteOffset === 0 &&
      byteLength === entry.uncompressedSize &&
      crc32(bytes) >>> 0 !== entry.crc32
    ) {
      throw new GlideError(
        'CHECKPOINT_CORRUPT',
        `${this.label}: the data of tensor ${JSON.stringify(name)} fails its CRC-32 check`,
      )
    }
    try {
      const values = toFloat32(bytes, ref.storage.dtype)
      return layout.contiguous ? values : gather(values, ref.shape, ref.stride, layout.numel)
    } catch (error) {
      if (!(error instanceof RangeError)) throw error
      throw new GlideError(
        'OUT_OF_MEMORY',
        `Not enough memory to read tensor ${JSON.stringify(name)}.`,
        {
          cause: error,
        },
      )
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.zip.close()
  }

  private layout(name: string): TensorLayout {
    const layout = this.layouts.get(name)
    if (!layout) {
      throw new GlideError(
        'CHECKPOINT_MISMATCH',
        `${this.label} has no tensor named ${JSON.stringify(name)}`,
      )
    }
    return layout
  }
}

/** Converts little-endian storage bytes (in a fresh, aligned buffer) to float32. */
function toFloat32(bytes: Uint8Array, dtype: StorageDtype): Float32Array {
  const buffer = bytes.buffer
  switch (dtype) {
    case 'float32':
      return new Float32Array(buffer, 0, bytes.byteLength / 4)
    case 'float16': {
      const halves = new Uint16Array(buffer, 0, bytes.byteLength / 2)
      const table = halfToFloatTable()
      const out = new Float32Array(halves.length)
      for (let index = 0; index < halves.length; index += 1) out[index] = table[halves[index]!]!
      return out
    }
    case 'bfloat16': {
      const halves = new Uint16Array(buffer, 0, bytes.byteLength / 2)
      const bits = new Uint32Array(halves.length)
      for (let index = 0; index < halves.length; index += 1) bits[index] = halves[index]! << 16
      return new Float32Array(bits.buffer)
    }
    case 'float64':
      return Float32Array.from(new Float64Array(buffer, 0, bytes.byteLength / 8))
    case 'int64': {
      const longs = new BigInt64Array(buffer, 0, bytes.byteLength / 8)
      const out = new Float32Array(longs.length)
      for (let index = 0; index < longs.length; index += 1) out[index] = Number(longs[index]!)
      return out
    }
  }
}

let halfTable: Float32Array | undefined

/** float16 bit pattern → float32 value, for all 65 536 patterns. */
function halfToFloatTable(): Float32Array {
  if (halfTable) return halfTable
  const table = new Float32Array(65536)
  for (let bits = 0; bits < 65536; bits += 1) {
    const sign = bits & 0x8000 ? -1 : 1
    const exponent = (bits >> 10) & 0x1f
    const fraction = bits & 0x3ff
    if (exponent === 0) table[bits] = sign * fraction * 2 ** -24
    else if (exponent === 0x1f) table[bits] = fraction === 0 ? sign * Infinity : NaN
    else table[bits] = sign * (1 + fraction / 1024) * 2 ** (exponent - 15)
  }
  halfTable = table
  return table
}

/** Copies a strided view (relative to its first element) into a row-major array. */
function gather(
  source: Float32Array,
  shape: readonly number[],
  stride: readonly number[],
  numel: number,
): Float32Array {
  const out = new Float32Array(numel)
  const rank = shape.length
  const index = new Array<number>(rank).fill(0)
  let sourceAt = 0
  for (let outAt = 0; outAt < numel; outAt += 1) {
    out[outAt] = source[sourceAt]!
    for (let axis = rank - 1; axis >= 0; axis -= 1) {
      const next = index[axis]! + 1
      if (next < shape[axis]!) {
        index[axis] = next
        sourceAt += stride[axis]!
        break
      }
      index[axis] = 0
      sourceAt -= (shape[axis]! - 1) * stride[axis]!
    }
  }
  return out
}
