/**
 * Named float32 tensors read one at a time, so a 1.5 GB checkpoint is never held twice in memory.
 * The checkpoint reader implements it over a .pt file; benchmarks implement it with random weights.
 */
export interface TensorSource {
  /** Tensor names in the order the checkpoint lists them. */
  names(): string[]
  /** The shape of a named tensor; throws if the name is unknown. */
  shape(name: string): readonly number[]
  /** Reads one tensor, widened to float32, row-major (contiguous) whatever its stored strides. */
  read(name: string): Promise<Float32Array>
}
