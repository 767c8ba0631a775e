import { GlideError } from '../../../contract/errors'

/**
 * A strict allowlist unpickler for the data.pkl of a PyTorch state dict. It interprets pickle
 * opcodes as data only: the few globals a state dict names become inert tags, REDUCE is accepted
 * only for those tags with the exact arguments torch.save writes, and everything else (any other
 * global, any opcode outside the set below) is refused before anything could be run. Nothing here
 * ever calls a function named by the input.
 */

export type StorageDtype = 'float32' | 'float16' | 'bfloat16' | 'float64' | 'int64'

export const itemSizeOf: Readonly<Record<StorageDtype, number>> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
  float64: 8,
  int64: 8,
}

/** A storage the pickle refers to by persistent id; its bytes live in the archive as data/<key>. */
export interface StorageRef {
  readonly key: string
  readonly dtype: StorageDtype
  readonly location: string
  /** Element count the pickle claims; checked against the archive entry by the caller. */
  readonly numel: number
}

/** What torch._utils._rebuild_tensor_v2 was asked to build. Values are not yet range-checked. */
export interface TensorRef {
  readonly storage: StorageRef
  readonly storageOffset: number
  readonly shape: readonly number[]
  readonly stride: readonly number[]
}

export interface StateDictEntry {
  readonly name: string
  readonly tensor: TensorRef
}

/** Caps that keep a hostile pickle from exhausting memory. */
const maxStackDepth = 1 << 20
const maxMemoEntries = 1 << 22
const maxStringBytes = 1 << 24

const storageGlobals: Readonly<Record<string, StorageDtype>> = {
  'torch.FloatStorage': 'float32',
  'torch.HalfStorage': 'float16',
  'torch.BFloat16Storage': 'bfloat16',
  'torch.DoubleStorage': 'float64',
  'torch.LongStorage': 'int64',
}

type CallableName =
  'collections.OrderedDict' | 'torch._utils._rebuild_tensor_v2' | 'torch._utils._rebuild_parameter'

const callableGlobals: ReadonlySet<string> = new Set<CallableName>([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
])

class CallableTag {
  constructor(readonly qualifiedName: CallableName) {}
}

class StorageTypeTag {
  constructor(
    readonly qualifiedName: string,
    readonly dtype: StorageDtype,
  ) {}
}

class PickleTuple {
  constructor(readonly items: readonly PickleValue[]) {}
}

class PickleList {
  readonly items: PickleValue[] = []
}

type PickleKey = string | number | boolean | null

class PickleDict {
  readonly entries = new Map<PickleKey, PickleValue>()
  constructor(readonly ordered: boolean) {}
}

class StorageValue {
  constructor(readonly ref: StorageRef) {}
}

class TensorValue {
  constructor(readonly ref: TensorRef) {}
}

type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | CallableTag
  | StorageTypeTag
  | PickleTuple
  | PickleList
  | PickleDict
  | StorageValue
  | TensorValue

const opcodeNames: Readonly<Record<number, string>> = {
  0x28: 'MARK',
  0x2e: 'STOP',
  0x30: 'POP',
  0x31: 'POP_MARK',
  0x32: 'DUP',
  0x46: 'FLOAT',
  0x49: 'INT',
  0x4c: 'LONG',
  0x50: 'PERSID',
  0x53: 'STRING',
  0x54: 'BINSTRING',
  0x56: 'UNICODE',
  0x62: 'BUILD',
  0x63: 'GLOBAL',
  0x64: 'DICT',
  0x66: 'PUT',
  0x67: 'GET',
  0x69: 'INST',
  0x6c: 'LIST',
  0x6f: 'OBJ',
  0x81: 'NEWOBJ',
  0x82: 'EXT1',
  0x83: 'EXT2',
  0x84: 'EXT4',
  0x8b: 'LONG4',
  0x8d: 'BINUNICODE8',
  0x8e: 'BINBYTES8',
  0x8f: 'EMPTY_SET',
  0x90: 'ADDITEMS',
  0x91: 'FROZENSET',
  0x92: 'NEWOBJ_EX',
  0x96: 'BYTEARRAY8',
  0x97: 'NEXT_BUFFER',
  0x98: 'READONLY_BUFFER',
  0x42: 'BINBYTES',
  0x43: 'SHORT_BINBYTES',
}

function refused(message: string): GlideError {
  return new GlideError('CHECKPOINT_REFUSED', `refused: ${message}. Nothing was run.`)
}

function corrupt(message: string): GlideError {
  return new GlideError('CHECKPOINT_CORRUPT', `data.pkl is corrupt: ${message}.`)
}

function describe(value: PickleValue): string {
  if (value === null) return 'None'
  if (typeof value === 'boolean') return 'a bool'
  if (typeof value === 'number' || typeof value === 'bigint') return 'an int or float'
  if (typeof value === 'string') return 'a string'
  if (value instanceof CallableTag) return value.qualifiedName
  if (value instanceof StorageTypeTag) return value.qualifiedName
  if (value instanceof PickleTuple) return 'a tuple'
  if (value instanceof PickleList) return 'a list'
  if (value instanceof PickleDict) return value.ordered ? 'an OrderedDict' : 'a dict'
  if (value instanceof StorageValue) return 'a storage'
  return 'a tensor'
}

function printable(text: string): string {
  const clipped = text.length > 120 ? `${text.slice(0, 120)}…` : text
  return JSON.stringify(clipped).slice(1, -1)
}

/** Resolves a GLOBAL / STACK_GLOBAL against the allowlist, or refuses naming the symbol. */
function resolveGlobal(module: string, name: string): CallableTag | StorageTypeTag {
  const qualifiedName = `${module}.${name}`
  const dtype = storageGlobals[qualifiedName]
  if (dtype !== undefined && Object.hasOwn(storageGlobals, qualifiedName)) {
    return new StorageTypeTag(qualifiedName, dtype)
  }
  if (callableGlobals.has(qualifiedName)) return new CallableTag(qualifiedName as CallableName)
  throw refused(`its pickle names the global ${printable(qualifiedName)}, which is not allowed`)
}

function asSafeInteger(value: PickleValue, what: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value
  if (typeof value === 'bigint') throw corrupt(`${what} is out of range`)
  throw corrupt(`${what} should be an integer, got ${describe(value)}`)
}

function asIntegerTuple(value: PickleValue, what: string): number[] {
  if (!(value instanceof PickleTuple)) throw corrupt(`${what} should be a tuple`)
  return value.items.map((item, index) => asSafeInteger(item, `${what}[${index}]`))
}

/**
 * Interprets a state dict's data.pkl and returns its entries in order. Throws CHECKPOINT_REFUSED
 * for anything outside the allowlist and CHECKPOINT_CORRUPT for malformed streams.
 */
export function unpickleStateDict(bytes: Uint8Array): StateDictEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const latin1 = new TextDecoder('latin1')
  const utf8 = new TextDecoder('utf-8', { fatal: true })
  const stack: PickleValue[] = []
  const marks: number[] = []
  const memo = new Map<number, PickleValue>()
  const storages = new Map<string, StorageRef>()
  let usedPut = false
  let usedMemoize = false
  let position = 0

  const need = (count: number): void => {
    if (position + count > bytes.length) throw corrupt('the stream ends in the middle of an opcode')
  }
  const readUint8 = (): number => {
    need(1)
    return bytes[position++]!
  }
  const readUint16 = (): number => {
    need(2)
    const value = view.getUint16(position, true)
    position += 2
    return value
  }
  const readUint32 = (): number => {
    need(4)
    const value = view.getUint32(position, true)
    position += 4
    return value
  }
  const readText = (length: number, decoder: TextDecoder): string => {
    if (length > maxStringBytes) throw corrupt(`a string of ${length} bytes is too long`)
    need(length)
    let text: string
    try {
      text = decoder.decode(bytes.subarray(position, position + length))
    } catch {
      throw corrupt('a string is not valid UTF-8')
    }
    position += length
    return text
  }
  const readLine = (): string => {
    const end = bytes.indexOf(0x0a, position)
    if (end < 0 || end - position > 1024) throw corrupt('a GLOBAL line is unterminated or too long')
    const line = latin1.decode(bytes.subarray(position, end))
    position = end + 1
    return line
  }
  const push = (value: PickleValue): void => {
    if (stack.length >= maxStackDepth) throw corrupt('the stack is too deep')
    stack.push(value)
  }
  const pop = (): PickleValue => {
    if (stack.length <= (marks.at(-1) ?? 0)) throw corrupt('stack underflow')
    return stack.pop()!
  }
  const top = (): PickleValue => {
    if (stack.length <= (marks.at(-1) ?? 0)) throw corrupt('stack underflow')
    return stack[stack.length - 1]!
  }
  const popMark = (): PickleValue[] => {
    const mark = marks.pop()
    if (mark === undefined) throw corrupt('MARK underflow')
    return stack.splice(mark)
  }
  const remember = (index: number): void => {
    if (memo.size >= maxMemoEntries && !memo.has(index)) throw corrupt('the memo is too large')
    memo.set(index, top())
  }
  const recall = (index: number): void => {
    if (!memo.has(index)) throw corrupt(`memo entry ${index} is read before it is written`)
    push(memo.get(index)!)
  }
  const setItems = (target: PickleValue, items: PickleValue[]): void => {
    if (!(target instanceof PickleDict)) {
      throw refused(`SETITEM on ${describe(target)}, which is not a dict`)
    }
    if (items.length % 2 !== 0) throw corrupt('SETITEMS has an odd number of items')
    for (let index = 0; index < items.length; index += 2) {
      const key = items[index]!
      if (
        key !== null &&
        typeof key !== 'string' &&
        typeof key !== 'number' &&
        typeof key !== 'boolean'
      ) {
        throw refused(`a dict key is ${describe(key)}`)
      }
      target.entries.set(key, items[index + 1]!)
    }
  }
  const persistentLoad = (pid: PickleValue): StorageValue => {
    if (!(pid instanceof PickleTuple) || pid.items.length !== 5 || pid.items[0] !== 'storage') {
      throw refused('a persistent id is not a (storage, type, key, location, numel) tuple')
    }
    const [, storageType, key, location, numel] = pid.items
    if (!(storageType instanceof StorageTypeTag)) {
      throw refused(`a persistent storage has type ${describe(storageType!)}`)
    }
    if (typeof key !== 'string' || !/^[0-9A-Za-z_]{1,64}$/.test(key)) {
      throw corrupt('a storage key is not a short alphanumeric string')
    }
    if (typeof location !== 'string' || location.length > 64) {
      throw corrupt(`storage ${key} has an invalid location`)
    }
    const count = asSafeInteger(numel!, `the element count of storage ${key}`)
    if (count < 0) throw corrupt(`storage ${key} has a negative element count`)
    const ref: StorageRef = { key, dtype: storageType.dtype, location, numel: count }
    const known = storages.get(key)
    if (known && (known.dtype !== ref.dtype || known.numel !== ref.numel)) {
      throw corrupt(`storage ${key} is described twice, differently`)
    }
    storages.set(key, known ?? ref)
    return new StorageValue(known ?? ref)
  }
  const reduce = (callable: PickleValue, args: PickleValue): PickleValue => {
    if (!(callable instanceof CallableTag)) {
      throw refused(`REDUCE calls ${describe(callable)}, which is not an allowed callable`)
    }
    if (!(args instanceof PickleTuple))
      throw corrupt(`${callable.qualifiedName} gets no argument tuple`)
    const items = args.items
    switch (callable.qualifiedName) {
      case 'collections.OrderedDict':
        if (items.length !== 0) throw refused('OrderedDict is built with arguments')
        return new PickleDict(true)
      case 'torch._utils._rebuild_tensor_v2': {
        if (items.length !== 6 && items.length !== 7) {
          throw corrupt(`_rebuild_tensor_v2 gets ${items.length} arguments instead of 6`)
        }
        const [storage, offset, shape, stride, requiresGrad, hooks, metadata] = items
        if (!(storage instanceof StorageValue)) {
          throw corrupt(`_rebuild_tensor_v2 gets ${describe(storage!)} instead of a storage`)
        }
        if (typeof requiresGrad !== 'boolean') throw corrupt('requires_grad is not a bool')
        if (!(hooks instanceof PickleDict)) throw corrupt('backward_hooks is not a dict')
        if (metadata !== undefined && metadata !== null && !(metadata instanceof PickleDict)) {
          throw corrupt('tensor metadata is not a dict')
        }
        return new TensorValue({
          storage: storage.ref,
          storageOffset: asSafeInteger(offset!, 'a storage offset'),
          shape: asIntegerTuple(shape!, 'a tensor shape'),
          stride: asIntegerTuple(stride!, 'a tensor stride'),
        })
      }
      case 'torch._utils._rebuild_parameter': {
        const [data, requiresGrad, hooks] = items
        if (items.length !== 3 || !(data instanceof TensorValue)) {
          throw corrupt('_rebuild_parameter does not get (tensor, requires_grad, hooks)')
        }
        if (typeof requiresGrad !== 'boolean' || !(hooks instanceof PickleDict)) {
          throw corrupt('_rebuild_parameter has malformed arguments')
        }
        return data
      }
    }
  }

  if (bytes[0] !== 0x80) throw refused('data.pkl does not start with a protocol 2+ PROTO opcode')

  for (;;) {
    const opcode = readUint8()
    switch (opcode) {
      case 0x80: {
        const protocol = readUint8()
        if (protocol < 2 || protocol > 5 || position !== 2) {
          throw refused(`pickle protocol ${protocol} at offset ${position - 2}`)
        }
        break
      }
      case 0x95: {
        need(8)
        const frameLength = view.getBigUint64(position, true)
        position += 8
        if (frameLength > BigInt(bytes.length - position))
          throw corrupt('a FRAME runs past the end')
        break
      }
      case 0x2e: {
        if (position !== bytes.length) throw corrupt('bytes follow STOP')
        if (marks.length !== 0 || stack.length !== 1) throw corrupt('STOP with a malformed stack')
        return toStateDict(stack[0]!)
      }
      case 0x28:
        if (marks.length >= maxStackDepth) throw corrupt('too many MARKs')
        marks.push(stack.length)
        break
      case 0x4e:
        push(null)
        break
      case 0x88:
        push(true)
        break
      case 0x89:
        push(false)
        break
      case 0x4a:
        need(4)
        push(view.getInt32(position, true))
        position += 4
        break
      case 0x4b:
        push(readUint8())
        break
      case 0x4d:
        push(readUint16())
        break
      case 0x8a: {
        const length = readUint8()
        if (length > 8) throw corrupt(`a LONG1 of ${length} bytes is out of range`)
        need(length)
        let value = 0n
        for (let index = length - 1; index >= 0; index -= 1) {
          value = (value << 8n) | BigInt(bytes[position + index]!)
        }
        if (length > 0 && bytes[position + length - 1]! & 0x80) value -= 1n << BigInt(8 * length)
        position += length
        const asNumber = Number(value)
        push(Number.isSafeInteger(asNumber) ? asNumber : value)
        break
      }
      case 0x47:
        need(8)
        push(view.getFloat64(position, false))
        position += 8
        break
      case 0x58:
        push(readText(readUint32(), utf8))
        break
      case 0x8c:
        push(readText(readUint8(), utf8))
        break
      case 0x55:
        push(readText(readUint8(), latin1))
        break
      case 0x29:
        push(new PickleTuple([]))
        break
      case 0x74:
        push(new PickleTuple(popMark()))
        break
      case 0x85: {
        const first = pop()
        push(new PickleTuple([first]))
        break
      }
      case 0x86: {
        const second = pop()
        const first = pop()
        push(new PickleTuple([first, second]))
        break
      }
      case 0x87: {
        const third = pop()
        const second = pop()
        const first = pop()
        push(new PickleTuple([first, second, third]))
        break
      }
      case 0x5d:
        push(new PickleList())
        break
      case 0x61: {
        const item = pop()
        const list = top()
        if (!(list instanceof PickleList)) throw refused(`APPEND on ${describe(list)}`)
        list.items.push(item)
        break
      }
      case 0x65: {
        const items = popMark()
        const list = top()
        if (!(list instanceof PickleList)) throw refused(`APPENDS on ${describe(list)}`)
        for (const item of items) list.items.push(item)
        break
      }
      case 0x7d:
        push(new PickleDict(false))
        break
      case 0x73: {
        const value = pop()
        const key = pop()
        setItems(top(), [key, value])
        break
      }
      case 0x75: {
        const items = popMark()
        setItems(top(), items)
        break
      }
      case 0x71:
        usedPut = true
        remember(readUint8())
        break
      case 0x72:
        usedPut = true
        remember(readUint32())
        break
      case 0x94:
        usedMemoize = true
        remember(memo.size)
        break
      case 0x68:
        recall(readUint8())
        break
      case 0x6a:
        recall(readUint32())
        break
      case 0x63: {
        const module = readLine()
        const name = readLine()
        push(resolveGlobal(module, name))
        break
      }
      case 0x93: {
        const name = pop()
        const module = pop()
        if (typeof module !== 'string' || typeof name !== 'string') {
          throw refused('STACK_GLOBAL with operands that are not strings')
        }
        push(resolveGlobal(module, name))
        break
      }
      case 0x52: {
        const args = pop()
        const callable = pop()
        push(reduce(callable, args))
        break
      }
      case 0x62: {
        const state = pop()
        const target = top()
        if (!(target instanceof PickleDict) || !target.ordered) {
          throw refused(`BUILD on ${describe(target)}`)
        }
        if (state !== null && !(state instanceof PickleDict)) {
          throw refused(`BUILD with ${describe(state)} as state`)
        }
        break
      }
      case 0x51:
        push(persistentLoad(pop()))
        break
      default: {
        const name = opcodeNames[opcode] ?? `0x${opcode.toString(16).padStart(2, '0')}`
        throw refused(
          `its pickle uses the opcode ${name} (at offset ${position - 1}), which is not allowed`,
        )
      }
    }
    if (usedPut && usedMemoize) throw refused('its pickle mixes PUT and MEMOIZE')
  }
}

function toStateDict(root: PickleValue): StateDictEntry[] {
  if (!(root instanceof PickleDict)) {
    throw refused(`it holds ${describe(root)}, not a state dict (a dict of name → tensor)`)
  }
  const entries: StateDictEntry[] = []
  for (const [name, value] of root.entries) {
    if (typeof name !== 'string') throw refused('a state dict key is not a string')
    if (!(value instanceof TensorValue)) {
      throw refused(
        `entry "${printable(name)}" is ${describe(value)}, not a tensor; only plain state dicts are supported`,
      )
    }
    entries.push({ name, tensor: value.ref })
  }
  return entries
}
