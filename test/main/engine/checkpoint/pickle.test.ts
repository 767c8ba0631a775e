import { describe, expect, it } from 'vitest'
import { GlideError } from '../../../../contract/errors'
import { unpickleStateDict } from '../../../../main/engine/checkpoint/pickle'

/** Assembles a pickle from opcodes given as strings (latin1) and byte arrays. */
function pickle(...parts: Array<string | number[]>): Uint8Array {
  const bytes: number[] = []
  for (const part of parts) {
    if (typeof part === 'string') for (const char of part) bytes.push(char.charCodeAt(0))
    else bytes.push(...part)
  }
  return Uint8Array.from(bytes)
}

const proto2 = [0x80, 2]
const unicode = (value: string): Array<string | number[]> => ['X', [value.length, 0, 0, 0], value]
const storageRef = (key: string, numel: number): Array<string | number[]> => [
  '((',
  ...unicode('storage'),
  'ctorch\nFloatStorage\n',
  ...unicode(key),
  ...unicode('cpu'),
  'K',
  [numel],
  'tQ',
]
/** A one-tensor state dict: {'w': tensor(storage '0', offset 0, shape [2], stride [1])}. */
const validTensorDict = (): Uint8Array =>
  pickle(
    proto2,
    'ccollections\nOrderedDict\n)R',
    ...unicode('w'),
    'ctorch._utils\n_rebuild_tensor_v2\n',
    ...storageRef('0', 2),
    'K',
    [0],
    'K',
    [2],
    [0x85],
    'K',
    [1],
    [0x85],
    [0x89],
    'ccollections\nOrderedDict\n)R',
    'tR',
    's.',
  )

function refusal(bytes: Uint8Array): GlideError {
  try {
    unpickleStateDict(bytes)
  } catch (error) {
    expect(error).toBeInstanceOf(GlideError)
    return error as GlideError
  }
  throw new Error('the pickle was accepted')
}

describe('unpickleStateDict', () => {
  it('reads the tensor references torch.save writes', () => {
    expect(unpickleStateDict(validTensorDict())).toEqual([
      {
        name: 'w',
        tensor: {
          storage: { key: '0', dtype: 'float32', location: 'cpu', numel: 2 },
          storageOffset: 0,
          shape: [2],
          stride: [1],
        },
      },
    ])
  })

  it('refuses every global outside the allowlist, naming it', () => {
    for (const [module, name] of [
      ['os', 'system'],
      ['posix', 'system'],
      ['nt', 'system'],
      ['builtins', 'eval'],
      ['builtins', 'exec'],
      ['__builtin__', 'getattr'],
      ['subprocess', 'Popen'],
      ['importlib', 'import_module'],
      ['marshal', 'loads'],
      ['pkgutil', 'resolve_name'],
      ['numpy.core.multiarray', '_reconstruct'],
      ['torch.nn.modules.linear', 'Linear'],
      ['torch', 'load'],
      ['collections', 'Counter'],
    ]) {
      const error = refusal(pickle(proto2, `c${module}\n${name}\n)R.`))
      expect(error.code).toBe('CHECKPOINT_REFUSED')
      expect(error.message).toContain(`${module}.${name}`)
    }
  })

  it('refuses STACK_GLOBAL of a disallowed name, naming it', () => {
    const error = refusal(pickle([0x80, 4], [0x8c, 2], 'os', [0x8c, 6], 'system', [0x93], ')R.'))
    expect(error.message).toContain('os.system')
  })

  it('refuses unknown and dangerous opcodes by name', () => {
    for (const [bytes, name] of [
      [pickle(proto2, '(ios\nsystem\n.'), 'INST'],
      [pickle(proto2, '(o.'), 'OBJ'],
      [pickle(proto2, [0x82, 1], '.'), 'EXT1'],
      [pickle(proto2, 'P0\n.'), 'PERSID'],
      [pickle(proto2, [0x81], '.'), 'NEWOBJ'],
      [pickle(proto2, [0x97], '.'), 'NEXT_BUFFER'],
      [pickle(proto2, [0xff], '.'), '0xff'],
    ] as const) {
      const error = refusal(bytes)
      expect(error.code).toBe('CHECKPOINT_REFUSED')
      expect(error.message).toContain(name)
    }
  })

  it('refuses container misuse and wrong persistent ids', () => {
    expect(refusal(pickle(proto2, ']X', [1, 0, 0, 0], 'aK', [1], 's.')).message).toContain(
      'SETITEM',
    )
    expect(refusal(pickle(proto2, '}K', [1], 'a.')).message).toContain('APPEND')
    expect(refusal(pickle(proto2, '])b.')).message).toContain('BUILD')
    expect(refusal(pickle(proto2, ...unicode('x'), [0x85], 'Q.')).message).toContain(
      'persistent id',
    )
    expect(refusal(pickle(proto2, ']', [0x85], '}', [0x85], 'R.')).message).toContain('REDUCE')
  })

  it('refuses pickles without PROTO 2+, and protocol 0/1 content', () => {
    expect(refusal(pickle('(lp0\n.')).code).toBe('CHECKPOINT_REFUSED')
    expect(refusal(pickle([0x80, 1], '}.')).code).toBe('CHECKPOINT_REFUSED')
  })

  it('reports malformed streams as corrupt', () => {
    const valid = validTensorDict()
    expect(refusal(valid.subarray(0, valid.length - 1)).code).toBe('CHECKPOINT_CORRUPT')
    expect(refusal(pickle(...[Array.from(valid)], '.')).code).toBe('CHECKPOINT_CORRUPT')
    expect(refusal(pickle(proto2, 'h', [3], '.')).message).toContain('memo entry 3')
    expect(refusal(pickle(proto2, 'tt.')).message).toContain('MARK underflow')
    expect(refusal(pickle(proto2, 'X', [255, 255, 255, 0], 'ab.')).code).toBe('CHECKPOINT_CORRUPT')
  })

  it('refuses a state dict whose values are not tensors', () => {
    const error = refusal(pickle(proto2, '}', ...unicode('lr'), 'K', [3], 's.'))
    expect(error.message).toContain('"lr"')
  })

  it('refuses mixing PUT and MEMOIZE', () => {
    expect(refusal(pickle([0x80, 4], '}q', [0], [0x94], '.')).message).toContain('MEMOIZE')
  })
})
