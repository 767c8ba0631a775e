import type { TensorSource } from './tensorSource'

/**
 * Deterministic uniform weights in ±1/sqrt(fan_in) (PyTorch's default init scale) for any list of
 * named shapes: GLIDE graphs of any configuration without a checkpoint, for benchmarks and tests.
 */
export class SeededTensorSource implements TensorSource {
  private readonly shapes: Map<string, readonly number[]>

  constructor(
    tensors: readonly { name: string; shape: readonly number[] }[],
    private readonly seed = 1,
  ) {
    this.shapes = new Map(tensors.map((tensor) => [tensor.name, tensor.shape]))
  }

  names(): string[] {
    return [...this.shapes.keys()]
  }

  shape(name: string): readonly number[] {
    const shape = this.shapes.get(name)
    if (!shape) throw new Error(`unknown tensor ${name}`)
    return shape
  }

  read(name: string): Promise<Float32Array> {
    const shape = this.shape(name)
    const count = shape.reduce((product, size) => product * size, 1)
    const bound = 1 / Math.sqrt(shape.length > 1 ? count / (shape[0] ?? 1) : 1)
    let state =
      (this.seed * 2654435761 +
        [...name].reduce((hash, char) => (Math.imul(hash, 31) + char.charCodeAt(0)) | 0, 7)) >>>
      0
    if (state === 0) state = 1
    const data = new Float32Array(count)
    for (let index = 0; index < count; index++) {
      state ^= state << 13
      state ^= state >>> 17
      state ^= state << 5
      data[index] = ((state >>> 0) / 4294967296 - 0.5) * 2 * bound
    }
    return Promise.resolve(data)
  }
}
