/**
 * Classifier-free guidance exactly as the GLIDE notebooks do it. The sampled batch has 2N rows:
 * N conditional rows, then N unconditional rows (the empty caption). The model is run on the first
 * half twice ([x_cond, x_cond]), so the unconditional rows of x only ever follow their own noise;
 * eps = uncond + s·(cond − uncond) for the first half, copied to both halves, while the variance
 * channels stay each row's own.
 */
const f32 = Math.fround

/** [x[0..N), x[0..N)] for a batch of 2N rows of `rowSize` values. */
export function guidedModelInput(x: Float32Array, rowSize: number): Float32Array {
  const half = halfRows(x.length, rowSize) * rowSize
  const input = new Float32Array(x.length)
  input.set(x.subarray(0, half), 0)
  input.set(x.subarray(0, half), half)
  return input
}

/**
 * Combines the model output [2N, 2C, H, W] in place into the guided output: eps channels of both
 * halves become uncond + scale·(cond − uncond); the v channels are left alone.
 */
export function applyGuidance(
  modelOutput: Float32Array,
  channels: number,
  pixelsPerChannel: number,
  scale: number,
): Float32Array {
  const s = f32(scale)
  const epsSize = channels * pixelsPerChannel
  for (const { condBase, uncondBase } of guidedRows(modelOutput, epsSize)) {
    for (let i = 0; i < epsSize; i++) {
      const cond = modelOutput[condBase + i] ?? 0
      const uncond = modelOutput[uncondBase + i] ?? 0
      const guided = f32(uncond + f32(s * f32(cond - uncond)))
      modelOutput[condBase + i] = guided
      modelOutput[uncondBase + i] = guided
    }
  }
  return modelOutput
}

function halfRows(length: number, rowSize: number): number {
  const rows = length / rowSize
  if (!Number.isInteger(rows) || rows % 2 !== 0) {
    throw new RangeError(`a guided batch has an even number of rows of ${rowSize} values`)
  }
  return rows / 2
}

/** Where each conditional row of a guided output [2N, 2C, H, W] and its unconditional twin start. */
function guidedRows(
  modelOutput: Float32Array,
  epsSize: number,
): { condBase: number; uncondBase: number }[] {
  const rowSize = 2 * epsSize
  const half = halfRows(modelOutput.length, rowSize)
  return Array.from({ length: half }, (_, row) => ({
    condBase: row * rowSize,
    uncondBase: (row + half) * rowSize,
  }))
}

/**
 * The guidance direction cond − uncond of a guided model output [2N, 2C, H, W], eps channels only:
 * N rows of C·H·W values. Read before applyGuidance overwrites the output.
 */
export function guidanceDirection(
  modelOutput: Float32Array,
  channels: number,
  pixelsPerChannel: number,
): Float32Array {
  const epsSize = channels * pixelsPerChannel
  const rows = guidedRows(modelOutput, epsSize)
  const direction = new Float32Array(rows.length * epsSize)
  for (const [row, { condBase, uncondBase }] of rows.entries()) {
    for (let i = 0; i < epsSize; i++) {
      direction[row * epsSize + i] = f32(
        (modelOutput[condBase + i] ?? 0) - (modelOutput[uncondBase + i] ?? 0),
      )
    }
  }
  return direction
}

/**
 * Guidance from the conditional rows alone and a direction kept from an earlier step:
 * eps = cond + (scale − 1)·direction, the same formula as applyGuidance with the unconditional eps
 * taken as cond − direction. `conditionalOutput` is [N, 2C, H, W]; the result is the guided
 * [2N, 2C, H, W] (both halves alike, the v channels the conditional rows' own).
 */
export function applyKeptGuidance(
  conditionalOutput: Float32Array,
  direction: Float32Array,
  channels: number,
  pixelsPerChannel: number,
  scale: number,
): Float32Array {
  const epsSize = channels * pixelsPerChannel
  const rowSize = 2 * epsSize
  const rows = conditionalOutput.length / rowSize
  if (!Number.isInteger(rows) || direction.length !== rows * epsSize) {
    throw new RangeError(
      `a kept direction of ${direction.length} values does not fit ${conditionalOutput.length} conditional output values`,
    )
  }
  const guided = new Float32Array(2 * conditionalOutput.length)
  guided.set(conditionalOutput, 0)
  const extra = f32(scale - 1)
  for (let row = 0; row < rows; row++) {
    for (let i = 0; i < epsSize; i++) {
      const index = row * rowSize + i
      guided[index] = f32(
        (conditionalOutput[index] ?? 0) + f32(extra * (direction[row * epsSize + i] ?? 0)),
      )
    }
  }
  guided.copyWithin(conditionalOutput.length, 0, conditionalOutput.length)
  return guided
}
