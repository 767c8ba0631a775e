import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { GlideError, type ErrorCode } from '../../../../contract/errors'
import { openTorchCheckpoint } from '../../../../main/engine/checkpoint/checkpoint'

const fixtures = join(import.meta.dirname, '../../../fixtures/checkpoints')
const reference = join(import.meta.dirname, '../../../fixtures/glide-reference')

interface ExpectedTensor {
  name: string
  shape: number[]
  dtype: string
  values: number[]
}

const expectedSmall = JSON.parse(
  readFileSync(join(fixtures, 'expected.json'), 'utf8'),
) as ExpectedTensor[]
const expectedReference = JSON.parse(
  readFileSync(join(fixtures, 'reference_expected.json'), 'utf8'),
) as Record<string, Array<[string, number[], number, number]>>

async function openError(path: string): Promise<GlideError> {
  try {
    const checkpoint = await openTorchCheckpoint(path)
    for (const name of checkpoint.names()) await checkpoint.read(name)
    await checkpoint.close()
  } catch (error) {
    expect(error).toBeInstanceOf(GlideError)
    return error as GlideError
  }
  throw new Error(`${path} was accepted`)
}

async function expectFailure(file: string, code: ErrorCode, ...mentions: string[]): Promise<void> {
  const error = await openError(join(fixtures, file))
  expect(error.code).toBe(code)
  for (const mention of mentions) expect(error.message).toContain(mention)
}

describe('openTorchCheckpoint on files torch.save wrote', () => {
  for (const file of ['small.pt', 'small_protocol4.pt']) {
    it(`reads every tensor of ${file} as torch.load does (dtypes, views, strides)`, async () => {
      const checkpoint = await openTorchCheckpoint(join(fixtures, file))
      try {
        expect(checkpoint.names()).toEqual(expectedSmall.map((tensor) => tensor.name))
        for (const expected of expectedSmall) {
          expect(checkpoint.shape(expected.name)).toEqual(expected.shape)
          expect(checkpoint.dtype(expected.name)).toBe(expected.dtype)
          const values = await checkpoint.read(expected.name)
          expect(values).toBeInstanceOf(Float32Array)
          expect(Array.from(values)).toEqual(Array.from(Float32Array.from(expected.values)))
        }
      } finally {
        await checkpoint.close()
      }
    })
  }

  it('widens float16 exactly and transposes a strided float16 view', async () => {
    const checkpoint = await openTorchCheckpoint(join(fixtures, 'small.pt'))
    const halfT = expectedSmall.find((tensor) => tensor.name === 'half_t')!
    expect(checkpoint.dtype('half_t')).toBe('float16')
    expect(checkpoint.shape('half_t')).toEqual([2, 3])
    expect(Array.from(await checkpoint.read('half_t'))).toEqual(halfT.values)
    await checkpoint.close()
  })

  it('reads a hand-made view with an offset and column-major strides', async () => {
    const checkpoint = await openTorchCheckpoint(join(fixtures, 'valid_handmade.pt'))
    // storage = 0..11, offset 2, shape [2,3], stride [1,4]
    expect(Array.from(await checkpoint.read('bad'))).toEqual([2, 6, 10, 3, 7, 11])
    await checkpoint.close()
  })

  it('reads an nn.Parameter saved through _rebuild_parameter', async () => {
    const checkpoint = await openTorchCheckpoint(join(fixtures, 'parameter.pt'))
    expect(checkpoint.names()).toEqual(['parameter'])
    expect(checkpoint.shape('parameter')).toEqual([2, 2])
    expect(Array.from(await checkpoint.read('parameter'))).toEqual([1, 2, 3, 4])
    await checkpoint.close()
  })

  it('names a tensor that does not exist', async () => {
    const checkpoint = await openTorchCheckpoint(join(fixtures, 'small.pt'))
    expect(() => checkpoint.shape('nope')).toThrow(/nope/)
    await checkpoint.close()
  })
})

describe('openTorchCheckpoint on the GLIDE reference checkpoints', () => {
  for (const kind of ['base', 'upsample', 'base-inpaint', 'upsample-inpaint']) {
    it(`unet-${kind}: names, shapes and every value agree with torch.load`, async () => {
      const rows = expectedReference[kind]!
      const checkpoint = await openTorchCheckpoint(join(reference, `unet-${kind}`, 'checkpoint.pt'))
      try {
        expect(checkpoint.names()).toEqual(rows.map(([name]) => name))
        for (const [name, shape, sum, weightedSum] of rows) {
          expect(checkpoint.shape(name)).toEqual(shape)
          expect(checkpoint.dtype(name)).toBe('float32')
          const values = await checkpoint.read(name)
          expect(values.length).toBe(shape.reduce((a, b) => a * b, 1))
          let total = 0
          let weighted = 0
          for (let index = 0; index < values.length; index += 1) {
            total += values[index]!
            weighted += values[index]! * ((index % 7) + 1)
          }
          expect(total).toBeCloseTo(sum, 6)
          expect(weighted).toBeCloseTo(weightedSum, 6)
        }
      } finally {
        await checkpoint.close()
      }
    })
  }
})

describe('openTorchCheckpoint refuses hostile pickles, naming the offender', () => {
  it('os.system', () => expectFailure('refuse_os_system.pt', 'CHECKPOINT_REFUSED', 'os.system'))
  it('posix.system inside a real state dict', () =>
    expectFailure('refuse_posix_system.pt', 'CHECKPOINT_REFUSED', 'posix.system'))
  it('builtins.eval through STACK_GLOBAL (protocol 4)', () =>
    expectFailure('refuse_eval_protocol4.pt', 'CHECKPOINT_REFUSED', 'builtins.eval'))
  it('__builtin__.getattr', () =>
    expectFailure('refuse_getattr.pt', 'CHECKPOINT_REFUSED', '__builtin__.getattr'))
  it('the INST opcode', () => expectFailure('refuse_inst.pt', 'CHECKPOINT_REFUSED', 'INST'))
  it('calling an allowlisted storage type', () =>
    expectFailure('refuse_reduce_storage.pt', 'CHECKPOINT_REFUSED', 'torch.FloatStorage'))
  it('SETITEM on a list', () =>
    expectFailure('refuse_setitem_on_list.pt', 'CHECKPOINT_REFUSED', 'SETITEM', 'list'))
  it('a nested dict instead of a state dict', () =>
    expectFailure('refuse_nested.pt', 'CHECKPOINT_REFUSED', '"model"'))
  it('a TorchScript archive', () =>
    expectFailure('refuse_torchscript.pt', 'CHECKPOINT_REFUSED', 'TorchScript'))
  it('compressed records', () =>
    expectFailure('refuse_compressed.pt', 'CHECKPOINT_REFUSED', 'compressed'))
  it('the legacy format, saying how to re-save', () =>
    expectFailure(
      'legacy.pt',
      'CHECKPOINT_REFUSED',
      'legacy',
      '_use_new_zipfile_serialization=True',
    ))
})

describe('openTorchCheckpoint rejects corrupt files, naming the tensor', () => {
  it('storage offset past the end', () =>
    expectFailure('corrupt_offset_past_end.pt', 'CHECKPOINT_CORRUPT', '"bad"', 'past the end'))
  it('a storage too small for its shape', () =>
    expectFailure('corrupt_storage_too_small.pt', 'CHECKPOINT_CORRUPT', '"bad"', '[3, 4]'))
  it('a storage whose byte size disagrees with its element count', () =>
    expectFailure('corrupt_size_mismatch.pt', 'CHECKPOINT_CORRUPT', '"bad"', '40 bytes'))
  it('a storage missing from the archive', () =>
    expectFailure('corrupt_missing_storage.pt', 'CHECKPOINT_CORRUPT', '"bad"', 'storage 7'))
  it('a negative stride', () =>
    expectFailure('corrupt_negative_stride.pt', 'CHECKPOINT_CORRUPT', '"bad"', 'negative stride'))
  it('a stride-0 view that would expand a tiny storage into gigabytes', () =>
    expectFailure('corrupt_expansion_bomb.pt', 'CHECKPOINT_CORRUPT', '"bad"', 'refusing to expand'))
  it('a truncated zip', () =>
    expectFailure('corrupt_truncated.pt', 'CHECKPOINT_CORRUPT', 'truncated'))
  it('a file that is not a zip', () =>
    expectFailure('corrupt_not_a_zip.pt', 'CHECKPOINT_CORRUPT', 'not a PyTorch checkpoint'))
  it('a missing file', async () => {
    const error = await openError(join(fixtures, 'does-not-exist.pt'))
    expect(error.code).toBe('IO_ERROR')
  })
})
