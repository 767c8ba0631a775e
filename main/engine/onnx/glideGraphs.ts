import { open, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

import { GlideError } from '../../../contract/errors'
import { isInpaintKind, isUpsampleKind, type GlideOptions, type UNetKind } from '../glideOptions'
import type { TensorSource } from '../tensorSource'
import {
  expectedTensors,
  glideArchitecture,
  groupNormGroups,
  type ExpectedTensor,
  type GlideArchitecture,
  type GraphRole,
  type UNetLayer,
} from './glideArchitecture'
import { attr, GraphBuilder, type Value } from './graphBuilder'
import { encodeModel, type TensorSpec } from './onnxProto'

/**
 * Turns a GLIDE state dict into the two ONNX graphs of a model folder (text_encoder.onnx and
 * unet.onnx), mirroring glide-text2im's Text2ImUNet, xf.Transformer and unet.py module by module.
 * Weights go to external data files, streamed one tensor at a time.
 */

const opsetVersion = 17
const irVersion = 8
const normEpsilon = 1e-5

/** How one checkpoint tensor is stored: its graph, its declared dims and what is folded in on writing. */
interface PlannedWeight {
  role: GraphRole
  dims: readonly number[]
  transform?: (data: Float32Array) => Float32Array
}

class WeightPlan {
  readonly entries = new Map<string, PlannedWeight>()

  constructor(private readonly expected: ReadonlyMap<string, ExpectedTensor>) {}

  use(
    graph: GraphBuilder,
    role: GraphRole,
    name: string,
    dims?: readonly number[],
    transform?: (data: Float32Array) => Float32Array,
  ): Value {
    const expected = this.expected.get(name)
    if (!expected || expected.role !== role) throw new Error(`graph uses undeclared tensor ${name}`)
    const finalDims = dims ?? expected.shape
    if (this.entries.has(name)) throw new Error(`tensor ${name} used twice`)
    this.entries.set(name, { role, dims: finalDims, transform })
    return graph.weight(name, finalDims)
  }
}

function transpose2d(data: Float32Array, rows: number, columns: number): Float32Array {
  const result = new Float32Array(data.length)
  for (let row = 0; row < rows; row++) {
    for (let column = 0; column < columns; column++) {
      result[column * rows + row] = data[row * columns + column] ?? 0
    }
  }
  return result
}

/**
 * GLIDE multiplies q and k by 1/sqrt(sqrt(ch)) each before q·k; folding the product 1/sqrt(ch)
 * into the query rows of the fused qkv projection (per head: ch rows of q, then k, then v) does
 * the same with one multiply less per step.
 */
function scaleQueryRows(
  data: Float32Array,
  heads: number,
  headChannels: number,
  rowLength: number,
): Float32Array {
  const result = Float32Array.from(data)
  const scale = 1 / Math.sqrt(headChannels)
  for (let head = 0; head < heads; head++) {
    for (let channel = 0; channel < headChannels; channel++) {
      const start = (head * 3 * headChannels + channel) * rowLength
      for (let index = start; index < start + rowLength; index++)
        result[index] = (result[index] ?? 0) * scale
    }
  }
  return result
}

function timestepFrequencies(dim: number): Float32Array {
  // Rounded to float32 at each step as PyTorch does in nn.timestep_embedding.
  const half = Math.floor(dim / 2)
  const logPeriod = Math.fround(-Math.log(10000))
  return Float32Array.from({ length: half }, (_, index) =>
    Math.fround(Math.exp(Math.fround(Math.fround(logPeriod * index) / half))),
  )
}

function groupNormalize(g: GraphBuilder, x: Value, channels: number, size: number): Value {
  const grouped = g.reshape(x, [0, groupNormGroups, -1])
  const ones = g.floats(new Array<number>(groupNormGroups).fill(1))
  const zeros = g.floats(new Array<number>(groupNormGroups).fill(0))
  const normalized = g.op('InstanceNormalization', [grouped, ones, zeros], {
    epsilon: attr.float(normEpsilon),
  })
  return g.reshape(normalized, [0, channels, size, size])
}

class UNetGraph {
  readonly g = new GraphBuilder('glide_unet')
  private embActivated: Value | null = null
  private xfOut: Value | null = null

  constructor(
    private readonly architecture: GlideArchitecture,
    private readonly plan: WeightPlan,
  ) {}

  private weight(
    name: string,
    dims?: readonly number[],
    transform?: (data: Float32Array) => Float32Array,
  ): Value {
    return this.plan.use(this.g, 'unet', name, dims, transform)
  }

  private channelVector(name: string, channels: number): Value {
    return this.weight(name, [channels, 1, 1])
  }

  private groupNorm(x: Value, prefix: string, channels: number, size: number): Value {
    const normalized = groupNormalize(this.g, x, channels, size)
    const scaled = this.g.mul(normalized, this.channelVector(`${prefix}.weight`, channels))
    return this.g.add(scaled, this.channelVector(`${prefix}.bias`, channels))
  }

  private conv(x: Value, prefix: string, kernel: number, stride = 1): Value {
    return this.g.conv(x, this.weight(`${prefix}.weight`), this.weight(`${prefix}.bias`), {
      kernel,
      stride,
      padding: kernel === 3 ? 1 : 0,
    })
  }

  private resample(x: Value, direction: 'up' | 'down'): Value {
    if (direction === 'down') {
      return this.g.op('AveragePool', [x], {
        kernel_shape: attr.ints([2, 2]),
        strides: attr.ints([2, 2]),
      })
    }
    return this.g.op('Resize', [x, null, this.g.floats([1, 1, 2, 2])], {
      mode: attr.string('nearest'),
      coordinate_transformation_mode: attr.string('asymmetric'),
      nearest_mode: attr.string('floor'),
    })
  }

  private resBlock(
    x: Value,
    layer: Extract<UNetLayer, { type: 'res' }>,
    size: number,
  ): [Value, number] {
    const g = this.g
    const { prefix, inChannels, outChannels, resample } = layer
    const outSize = resample === 'up' ? size * 2 : resample === 'down' ? size / 2 : size
    let h = g.silu(this.groupNorm(x, `${prefix}.in_layers.0`, inChannels, size))
    let skipInput = x
    if (resample !== 'none') {
      h = this.resample(h, resample)
      skipInput = this.resample(x, resample)
    }
    h = this.conv(h, `${prefix}.in_layers.2`, 3)
    if (!this.embActivated) throw new Error('unreachable: embedding before blocks')
    const emb = g.linear(
      this.embActivated,
      this.weight(`${prefix}.emb_layers.1.weight`),
      this.weight(`${prefix}.emb_layers.1.bias`),
    )
    if (this.architecture.useScaleShiftNorm) {
      const [scale, shift] = g.split(g.reshape(emb, [0, 2 * outChannels, 1, 1]), 1, [
        outChannels,
        outChannels,
      ])
      if (!scale || !shift) throw new Error('unreachable: split into two')
      // out_norm(h) * (1 + scale) + shift, with the norm's affine folded into the per-sample factors.
      const onePlusScale = g.add(scale, g.scalar(1))
      const gain = g.mul(
        this.channelVector(`${prefix}.out_layers.0.weight`, outChannels),
        onePlusScale,
      )
      const offset = g.add(
        g.mul(this.channelVector(`${prefix}.out_layers.0.bias`, outChannels), onePlusScale),
        shift,
      )
      h = g.add(g.mul(groupNormalize(g, h, outChannels, outSize), gain), offset)
      h = g.silu(h)
    } else {
      h = g.add(h, g.reshape(emb, [0, outChannels, 1, 1]))
      h = g.silu(this.groupNorm(h, `${prefix}.out_layers.0`, outChannels, outSize))
    }
    h = this.conv(h, `${prefix}.out_layers.3`, 3)
    const skip =
      inChannels === outChannels ? skipInput : this.conv(skipInput, `${prefix}.skip_connection`, 1)
    return [g.add(skip, h), outSize]
  }

  private attention(
    x: Value,
    layer: Extract<UNetLayer, { type: 'attention' }>,
    size: number,
  ): Value {
    const g = this.g
    const { prefix, channels, heads } = layer
    const headChannels = channels / heads
    const length = size * size
    const textLength = this.architecture.text.ctx
    const textWidth = this.architecture.text.width
    const normalized = this.groupNorm(x, `${prefix}.norm`, channels, size)
    const qkvWeight = this.weight(`${prefix}.qkv.weight`, [3 * channels, channels, 1, 1], (data) =>
      scaleQueryRows(data, heads, headChannels, channels),
    )
    const qkvBias = this.weight(`${prefix}.qkv.bias`, [3 * channels], (data) =>
      scaleQueryRows(data, heads, headChannels, 1),
    )
    const qkv = g.conv(normalized, qkvWeight, qkvBias, { kernel: 1 })
    // [N, heads·3·ch, L] per head q|k|v → [3, N, heads, L, ch]
    const qkvSplit = g.transpose(
      g.reshape(qkv, [0, heads, 3, headChannels, length]),
      [2, 0, 1, 4, 3],
    )
    const [q, k, v] = g.split(qkvSplit, 0, [1, 1, 1]).map((part) => g.squeeze(part, [0]))
    if (!this.xfOut) throw new Error('unreachable: text before blocks')
    const encoderKv = g.add(
      g.matMul(this.weight(`${prefix}.encoder_kv.weight`, [2 * channels, textWidth]), this.xfOut),
      this.weight(`${prefix}.encoder_kv.bias`, [2 * channels, 1]),
    )
    const encoderSplit = g.transpose(
      g.reshape(encoderKv, [0, heads, 2, headChannels, textLength]),
      [2, 0, 1, 4, 3],
    )
    const [textKeys, textValues] = g
      .split(encoderSplit, 0, [1, 1])
      .map((part) => g.squeeze(part, [0]))
    if (!q || !k || !v || !textKeys || !textValues) throw new Error('unreachable: split parts')
    const keys = g.concat([textKeys, k], 2)
    const values = g.concat([textValues, v], 2)
    const weights = g.softmax(g.matMul(q, g.transpose(keys, [0, 1, 3, 2])), -1)
    const attended = g.matMul(weights, values)
    const merged = g.reshape(g.transpose(attended, [0, 1, 3, 2]), [0, channels, size, size])
    const projected = g.conv(
      merged,
      this.weight(`${prefix}.proj_out.weight`, [channels, channels, 1, 1]),
      this.weight(`${prefix}.proj_out.bias`),
      { kernel: 1 },
    )
    return g.add(x, projected)
  }

  private layer(x: Value, layer: UNetLayer, size: number): [Value, number] {
    switch (layer.type) {
      case 'conv':
        return [this.conv(x, layer.prefix, 3), size]
      case 'res':
        return this.resBlock(x, layer, size)
      case 'attention':
        return [this.attention(x, layer, size), size]
      case 'downsample':
        return [this.conv(x, `${layer.prefix}.op`, 3, 2), size / 2]
      case 'upsample':
        return [this.conv(this.resample(x, 'up'), `${layer.prefix}.conv`, 3), size * 2]
    }
  }

  private timestepEmbedding(timesteps: Value): Value {
    const g = this.g
    const dim = this.architecture.modelChannels
    const frequencies = timestepFrequencies(dim)
    const args = g.mul(
      g.unsqueeze(g.op('Cast', [timesteps], { to: attr.int(1) }), [1]),
      g.floats(frequencies, [1, frequencies.length]),
    )
    const embedding = g.concat([g.op('Cos', [args]), g.op('Sin', [args])], 1)
    if (dim % 2 === 0) return embedding
    return g.op('Pad', [embedding, g.int64s([0, 0, 0, 1])])
  }

  build(kind: UNetKind): GraphBuilder {
    const g = this.g
    const { imageSize: size, timeEmbedDim, text } = this.architecture
    const x = g.input('x', 'float', ['N', 3, size, size])
    const timesteps = g.input('timesteps', 'int64', ['N'])
    const xfProj = g.input('xf_proj', 'float', ['N', timeEmbedDim])
    this.xfOut = g.input('xf_out', 'float', ['N', text.width, text.ctx])
    const parts = [x]
    if (isInpaintKind(kind)) {
      const image = g.input('inpaint_image', 'float', ['N', 3, size, size])
      const mask = g.input('inpaint_mask', 'float', ['N', 1, size, size])
      parts.push(g.mul(image, mask), mask)
    }
    if (isUpsampleKind(kind)) {
      const lowRes = g.input('low_res', 'float', ['N', 3, size / 4, size / 4])
      parts.push(
        g.op('Resize', [lowRes, null, g.floats([1, 1, 4, 4])], {
          mode: attr.string('linear'),
          coordinate_transformation_mode: attr.string('pytorch_half_pixel'),
        }),
      )
    }
    let h = parts.length === 1 ? x : g.concat(parts, 1)

    let emb = g.linear(
      this.timestepEmbedding(timesteps),
      this.weight('time_embed.0.weight'),
      this.weight('time_embed.0.bias'),
    )
    emb = g.linear(
      g.silu(emb),
      this.weight('time_embed.2.weight'),
      this.weight('time_embed.2.bias'),
    )
    this.embActivated = g.silu(g.add(emb, xfProj))

    let resolution = size
    const skips: Value[] = []
    for (const block of this.architecture.inputBlocks) {
      for (const layer of block) [h, resolution] = this.layer(h, layer, resolution)
      skips.push(h)
    }
    for (const layer of this.architecture.middleBlock)
      [h, resolution] = this.layer(h, layer, resolution)
    for (const block of this.architecture.outputBlocks) {
      const skip = skips.pop()
      if (!skip) throw new Error('unreachable: skip stack empty')
      h = g.concat([h, skip], 1)
      for (const layer of block) [h, resolution] = this.layer(h, layer, resolution)
    }
    h = g.silu(this.groupNorm(h, 'out.0', this.architecture.finalChannels, resolution))
    h = this.conv(h, 'out.2', 3)
    g.output(h, 'out', 'float', ['N', this.architecture.outChannels, size, size])
    return g
  }
}

function buildTextEncoder(architecture: GlideArchitecture, plan: WeightPlan): GraphBuilder {
  const g = new GraphBuilder('glide_text_encoder')
  const { ctx, width, layers, heads, finalLayerNorm, padding } = architecture.text
  const headChannels = width / heads
  const weight = (
    name: string,
    dims?: readonly number[],
    transform?: (data: Float32Array) => Float32Array,
  ): Value => plan.use(g, 'textEncoder', name, dims, transform)
  // PyTorch Linear weights [out, in] are stored transposed for MatMul on [N, ctx, in].
  const linearWeight = (name: string, out: number, inputs: number, scaleQuery = false): Value =>
    weight(name, [inputs, out], (data) =>
      transpose2d(
        scaleQuery ? scaleQueryRows(data, heads, headChannels, inputs) : data,
        out,
        inputs,
      ),
    )
  const linear = (
    x: Value,
    prefix: string,
    out: number,
    inputs: number,
    scaleQuery = false,
  ): Value => {
    const bias = scaleQuery
      ? weight(`${prefix}.bias`, undefined, (data) => scaleQueryRows(data, heads, headChannels, 1))
      : weight(`${prefix}.bias`)
    return g.add(g.matMul(x, linearWeight(`${prefix}.weight`, out, inputs, scaleQuery)), bias)
  }
  const layerNorm = (x: Value, prefix: string): Value =>
    g.op('LayerNormalization', [x, weight(`${prefix}.weight`), weight(`${prefix}.bias`)], {
      axis: attr.int(-1),
      epsilon: attr.float(normEpsilon),
    })

  const tokens = g.input('tokens', 'int64', ['N', ctx])
  const mask = g.input('mask', 'bool', ['N', ctx])
  let x = g.op('Gather', [weight('token_embedding.weight'), tokens], { axis: attr.int(0) })
  x = g.add(x, weight('positional_embedding'))
  if (padding) x = g.op('Where', [g.unsqueeze(mask, [2]), x, weight('padding_embedding')])

  for (let layer = 0; layer < layers; layer++) {
    const prefix = `transformer.resblocks.${layer}`
    const qkv = linear(
      layerNorm(x, `${prefix}.ln_1`),
      `${prefix}.attn.c_qkv`,
      3 * width,
      width,
      true,
    )
    // [N, ctx, heads·3·ch] per head q|k|v → [3, N, heads, ctx, ch]
    const qkvSplit = g.transpose(g.reshape(qkv, [0, ctx, heads, 3, headChannels]), [3, 0, 2, 1, 4])
    const [q, k, v] = g.split(qkvSplit, 0, [1, 1, 1]).map((part) => g.squeeze(part, [0]))
    if (!q || !k || !v) throw new Error('unreachable: split parts')
    const weights = g.softmax(g.matMul(q, g.transpose(k, [0, 1, 3, 2])), -1)
    const attended = g.reshape(g.transpose(g.matMul(weights, v), [0, 2, 1, 3]), [0, ctx, width])
    x = g.add(x, linear(attended, `${prefix}.attn.c_proj`, width, width))
    const hidden = linear(layerNorm(x, `${prefix}.ln_2`), `${prefix}.mlp.c_fc`, 4 * width, width)
    const gelu = g.mul(
      g.mul(hidden, g.add(g.op('Erf', [g.op('Div', [hidden, g.scalar(Math.SQRT2)])]), g.scalar(1))),
      g.scalar(0.5),
    )
    x = g.add(x, linear(gelu, `${prefix}.mlp.c_proj`, width, 4 * width))
  }
  if (finalLayerNorm) x = layerNorm(x, 'final_ln')
  const last = g.op('Gather', [x, g.int64s([ctx - 1], [])], { axis: attr.int(1) })
  const projection = g.linear(
    last,
    weight('transformer_proj.weight'),
    weight('transformer_proj.bias'),
  )
  g.output(projection, 'xf_proj', 'float', ['N', architecture.timeEmbedDim])
  g.output(g.transpose(x, [0, 2, 1]), 'xf_out', 'float', ['N', width, ctx])
  return g
}

function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`
}

/** Throws CHECKPOINT_MISMATCH naming the first missing, unexpected or wrongly shaped tensor. */
export function checkTensorSource(
  tensors: TensorSource,
  expected: readonly ExpectedTensor[],
): void {
  const present = new Set(tensors.names())
  for (const tensor of expected) {
    if (!present.has(tensor.name)) {
      throw new GlideError('CHECKPOINT_MISMATCH', `The checkpoint has no tensor ${tensor.name}.`)
    }
    const shape = tensors.shape(tensor.name)
    if (
      shape.length !== tensor.shape.length ||
      shape.some((size, index) => size !== tensor.shape[index])
    ) {
      throw new GlideError(
        'CHECKPOINT_MISMATCH',
        `Tensor ${tensor.name} has shape ${formatShape(shape)}; these options expect ${formatShape(tensor.shape)}.`,
      )
    }
  }
  const expectedNames = new Set(expected.map((tensor) => tensor.name))
  for (const name of present) {
    if (!expectedNames.has(name)) {
      throw new GlideError(
        'CHECKPOINT_MISMATCH',
        `The checkpoint has an unexpected tensor ${name}.`,
      )
    }
  }
}

const smallTensorAlignment = 64
const largeTensorAlignment = 4096
const largeTensorBytes = 65536

/** An external data file that tensors are appended to, each aligned for memory mapping. */
export class ExternalDataFile {
  private offset = 0
  private constructor(
    readonly path: string,
    private readonly handle: Awaited<ReturnType<typeof open>>,
  ) {}

  static async create(path: string): Promise<ExternalDataFile> {
    return new ExternalDataFile(path, await open(path, 'w'))
  }

  async append(data: Float32Array | Int8Array): Promise<{ offset: number; length: number }> {
    const alignment =
      data.byteLength >= largeTensorBytes ? largeTensorAlignment : smallTensorAlignment
    const offset = Math.ceil(this.offset / alignment) * alignment
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    let written = 0
    while (written < bytes.length) {
      const { bytesWritten } = await this.handle.write(
        bytes,
        written,
        bytes.length - written,
        offset + written,
      )
      written += bytesWritten
    }
    this.offset = offset + bytes.length
    return { offset, length: bytes.length }
  }

  /**
   * Appends a checkpoint tensor as the float weight `name` of shape `dims` (refusing data whose
   * length does not fit the shape, as a corrupt checkpoint), folding in `transform` first; returns
   * its initializer, stored at `location` (this file's name beside the graph).
   */
  async appendWeight(
    name: string,
    data: Float32Array,
    planned: {
      dims: readonly number[]
      transform?: ((data: Float32Array) => Float32Array) | undefined
    },
    location: string,
  ): Promise<TensorSpec> {
    const expectedLength = planned.dims.reduce((product, size) => product * size, 1)
    if (data.length !== expectedLength) {
      throw new GlideError(
        'CHECKPOINT_CORRUPT',
        `Tensor ${name} holds ${data.length} values; its shape needs ${expectedLength}.`,
      )
    }
    const { offset, length } = await this.append(planned.transform ? planned.transform(data) : data)
    return {
      name,
      dataType: 'float',
      dims: planned.dims,
      data: { external: { location, offset, length } },
    }
  }

  async close(): Promise<void> {
    await this.handle.sync()
    await this.handle.close()
  }
}

export interface GlideOnnxFiles {
  textEncoder: string
  unet: string
  externalData: string[]
}

/**
 * Writes text_encoder.onnx and unet.onnx (with text_encoder.onnx.data and unet.onnx.data) into
 * outDir for a checkpoint of the given kind and options, and returns the paths of the written files.
 * Each file appears whole or not at all.
 */
export async function writeGlideOnnx(
  kind: UNetKind,
  options: GlideOptions,
  tensors: TensorSource,
  outDir: string,
): Promise<GlideOnnxFiles> {
  const architecture = glideArchitecture(kind, options)
  const expected = expectedTensors(architecture)
  checkTensorSource(tensors, expected)

  const plan = new WeightPlan(new Map(expected.map((tensor) => [tensor.name, tensor])))
  const graphs: Record<GraphRole, GraphBuilder> = {
    textEncoder: buildTextEncoder(architecture, plan),
    unet: new UNetGraph(architecture, plan).build(kind),
  }
  for (const tensor of expected) {
    if (!plan.entries.has(tensor.name)) throw new Error(`graph leaves tensor ${tensor.name} unused`)
  }

  const fileNames: Record<GraphRole, string> = {
    textEncoder: 'text_encoder.onnx',
    unet: 'unet.onnx',
  }
  const temporary = (name: string): string => join(outDir, `${name}.partial`)
  const dataFiles: Partial<Record<GraphRole, ExternalDataFile>> = {}
  const stored: Record<GraphRole, TensorSpec[]> = { textEncoder: [], unet: [] }
  try {
    for (const role of ['textEncoder', 'unet'] as const) {
      dataFiles[role] = await ExternalDataFile.create(temporary(`${fileNames[role]}.data`))
    }
    for (const name of tensors.names()) {
      const planned = plan.entries.get(name)
      const dataFile = planned && dataFiles[planned.role]
      if (!planned || !dataFile) throw new Error(`unplanned tensor ${name}`)
      const data = await tensors.read(name)
      stored[planned.role].push(
        await dataFile.appendWeight(name, data, planned, `${fileNames[planned.role]}.data`),
      )
    }
    for (const role of ['textEncoder', 'unet'] as const) {
      await dataFiles[role]?.close()
      delete dataFiles[role]
      const model = encodeModel({
        irVersion,
        opsetVersion,
        producerName: 'glide-studio',
        producerVersion: '1',
        graph: graphs[role].build(stored[role]),
      })
      await writeFile(temporary(fileNames[role]), model)
    }
    for (const role of ['textEncoder', 'unet'] as const) {
      for (const name of [`${fileNames[role]}.data`, fileNames[role]])
        await rename(temporary(name), join(outDir, name))
    }
  } catch (error) {
    for (const dataFile of Object.values(dataFiles)) await dataFile?.close().catch(() => undefined)
    for (const role of ['textEncoder', 'unet'] as const) {
      await rm(temporary(fileNames[role]), { force: true })
      await rm(temporary(`${fileNames[role]}.data`), { force: true })
    }
    throw error
  }
  return {
    textEncoder: join(outDir, fileNames.textEncoder),
    unet: join(outDir, fileNames.unet),
    externalData: [
      join(outDir, `${fileNames.textEncoder}.data`),
      join(outDir, `${fileNames.unet}.data`),
    ],
  }
}
