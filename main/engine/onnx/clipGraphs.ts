import { rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

import type { ClipOptions } from '../../../contract/model'
import {
  clipArchitecture,
  clipExpectedTensors,
  type ClipArchitecture,
  type ClipEncoderKind,
} from '../clip/clipOptions'
import type { TensorSource } from '../tensorSource'
import { checkTensorSource, ExternalDataFile } from './glideGraphs'
import { attr, GraphBuilder, type Value } from './graphBuilder'
import { encodeModel, type TensorSpec } from './onnxProto'
import { Tape, type Tensor } from './reverseMode'

/**
 * Turns a noised-CLIP state dict (glide_text2im/clip: ImageEncoder or TextEncoder) into ONNX
 * graphs: for the image encoder `image_encoder.onnx` (the L2-normalised embedding) and
 * `image_grad.onnx` (the gradient of exp(logit_scale)·Σ text_emb·image_emb with respect to x,
 * computed in the graph by reverse mode over the same forward ops), for the text encoder
 * `text_encoder.onnx`. The two image graphs share one external weight file.
 */

const opsetVersion = 17
const irVersion = 8
const layerNormEpsilon = 1e-5
/** What the official code adds to the norm before dividing by it. */
const normalizeEpsilon = 1e-12
/** The additive mask of the official attention layouts on keys a query may not see. */
const maskedLogit = -1e10
/** The image encoder's pixel statistics (on the 0–255 scale), from the original CLIP. */
const channelMeans = [122.77093945, 116.74601272, 104.09373519]
const channelStds = [68.50053285, 66.63215831, 70.32316309]

interface PlannedWeight {
  dims: readonly number[]
  transform?: (data: Float32Array) => Float32Array
}

/** Records, per checkpoint tensor, the dims the graphs declare and what is folded in on writing. */
class ClipWeights {
  readonly planned = new Map<string, PlannedWeight>()

  constructor(private readonly expected: ReadonlyMap<string, readonly number[]>) {}

  use(
    graph: GraphBuilder,
    name: string,
    dims?: readonly number[],
    transform?: (data: Float32Array) => Float32Array,
  ): Value {
    const shape = this.expected.get(name)
    if (!shape) throw new Error(`graph uses undeclared tensor ${name}`)
    const finalDims = dims ?? shape
    const previous = this.planned.get(name)
    if (previous && previous.dims.join() !== finalDims.join()) {
      throw new Error(`tensor ${name} declared with two shapes`)
    }
    if (!previous) this.planned.set(name, { dims: finalDims, transform })
    return graph.weight(name, finalDims)
  }
}

/** The shared encoder body, written once per graph through that graph's tape. */
class ClipEncoderGraph {
  readonly g: GraphBuilder
  readonly tape: Tape

  constructor(
    name: string,
    private readonly architecture: ClipArchitecture,
    private readonly weights: ClipWeights,
  ) {
    this.g = new GraphBuilder(name)
    this.tape = new Tape(this.g)
  }

  private weight(
    name: string,
    dims?: readonly number[],
    transform?: (data: Float32Array) => Float32Array,
  ): Value {
    return this.weights.use(this.g, name, dims, transform)
  }

  private layerNorm(x: Tensor, prefix: string): Tensor {
    return this.tape.layerNorm(
      x,
      this.weight(`${prefix}.g`),
      this.weight(`${prefix}.b`),
      layerNormEpsilon,
    )
  }

  private affine(x: Tensor, prefix: string, outFeatures: number, bias = true): Tensor {
    return this.tape.linear(
      x,
      this.weight(`${prefix}.w`),
      bias ? this.weight(`${prefix}.b`) : null,
      outFeatures,
    )
  }

  private attention(h: Tensor, prefix: string, causal: boolean): Tensor {
    const tape = this.tape
    const { width, heads, context } = this.architecture.transformer
    const headWidth = width / heads
    // q·k is scaled by 1/√(head width) (the official code scales q and k by its square root each);
    // folded into the query weights and bias.
    const queryScale = 1 / Math.sqrt(headWidth)
    const scaleQuery = (data: Float32Array): Float32Array => data.map((value) => value * queryScale)
    const r = this.layerNorm(h, `${prefix}.ln`)
    const q = tape.linear(
      r,
      this.weight(`${prefix}.f_q.w`, undefined, scaleQuery),
      this.weight(`${prefix}.f_q.b`, undefined, scaleQuery),
      width,
    )
    const k = this.affine(r, `${prefix}.f_k`, width, false)
    const v = this.affine(r, `${prefix}.f_v`, width)
    const byHead = (t: Tensor): Tensor =>
      tape.transpose(tape.reshape(t, [-1, context, heads, headWidth]), [0, 2, 1, 3])
    let logits = tape.matMul(byHead(q), tape.transpose(byHead(k), [0, 1, 3, 2]))
    if (causal) {
      const mask = Array.from({ length: context * context }, (_, index) =>
        index % context > Math.floor(index / context) ? maskedLogit : 0,
      )
      logits = tape.add(
        logits,
        tape.constant(this.g.floats(mask, [context, context]), [context, context]),
      )
    }
    const attended = tape.matMul(tape.softmax(logits), byHead(v))
    const merged = tape.reshape(tape.transpose(attended, [0, 2, 1, 3]), [-1, context, width])
    return tape.add(h, this.affine(merged, `${prefix}.f_c`, width))
  }

  private mlp(h: Tensor, prefix: string): Tensor {
    const width = this.architecture.transformer.width
    const r = this.layerNorm(h, `${prefix}.ln`)
    const hidden = this.tape.gelu(this.affine(r, `${prefix}.f_1`, 4 * width))
    return this.tape.add(h, this.affine(hidden, `${prefix}.f_2`, width))
  }

  transformer(h: Tensor, causal: boolean): Tensor {
    let x = h
    for (let block = 0; block < this.architecture.transformer.blocks; block++) {
      x = this.attention(x, `blocks.block_${block}.f_attn`, causal)
      x = this.mlp(x, `blocks.block_${block}.f_mlp`)
    }
    return x
  }

  /** The output feature extractor on [N, width] states: LayerNorm, projection, L2 normalisation. */
  embedding(state: Tensor): Tensor {
    const tape = this.tape
    const projected = this.affine(
      this.layerNorm(state, 'blocks.output.ln'),
      'blocks.output.f',
      this.architecture.options.n_embd,
      false,
    )
    const norm = tape.sqrt(tape.sumLast(tape.mul(projected, projected)))
    const epsilon = tape.constant(this.g.scalar(normalizeEpsilon), [])
    return tape.div(projected, tape.add(norm, epsilon))
  }

  /** x [N,3,S,S] in [-1, 1] and timesteps → the image embedding (ImageEmbedding … output). */
  imageEmbedding(x: Tensor, timesteps: Value): Tensor {
    const tape = this.tape
    const g = this.g
    const { options, transformer, gridSize } = this.architecture
    const { width, context } = transformer
    const patch = options.patch_size
    const channelVector = (values: number[]): Tensor =>
      tape.constant(g.floats(values, [1, 3, 1, 1]), [1, 3, 1, 1])
    const constant = (value: number): Tensor => tape.constant(g.scalar(value), [])
    // (x + 1)·127.5 on the 0–255 scale, then the original CLIP's per-channel standardisation.
    const pixels = tape.mul(tape.add(x, constant(1)), constant(127.5))
    const standardized = tape.div(
      tape.sub(pixels, channelVector(channelMeans)),
      channelVector(channelStds),
    )
    // The stride-p patch convolution as one matrix product over [N·patches, 3·p·p] rows.
    const patches = tape.reshape(
      tape.transpose(
        tape.reshape(standardized, [-1, 3, gridSize, patch, gridSize, patch]),
        [0, 2, 4, 1, 3, 5],
      ),
      [-1, gridSize * gridSize, 3 * patch * patch],
    )
    const projected = tape.linear(
      patches,
      this.weight('blocks.input.patch_proj', [width, 3 * patch * patch]),
      null,
      width,
    )
    const timeToken = g.unsqueeze(
      g.op('Gather', [this.weight('blocks.input.w_t'), timesteps], { axis: attr.int(0) }),
      [1],
    )
    let h = tape.concat([tape.constant(timeToken, [-1, 1, width]), projected], 1)
    h = tape.add(h, tape.constant(this.weight('blocks.input.w_pos'), [context, width]))
    h = this.layerNorm(h, 'blocks.input.ln')
    h = this.transformer(h, false)
    return this.embedding(tape.reshape(tape.slice(h, 1, 0, 1), [-1, width]))
  }

  /** tokens [N, ctx] and lens → the text embedding (TextEmbedding … TextFeatureExtractor). */
  textEmbedding(tokens: Value, lens: Value): Tensor {
    const tape = this.tape
    const g = this.g
    const { width, context } = this.architecture.transformer
    const embedded = g.add(
      g.op('Gather', [this.weight('blocks.input.w_voc'), tokens], { axis: attr.int(0) }),
      this.weight('blocks.input.w_pos'),
    )
    const h = this.transformer(tape.constant(embedded, [-1, context, width]), true)
    // The state at each caption's end token (position lens − 1).
    const index = g.op('Expand', [
      g.unsqueeze(g.op('Sub', [lens, g.int64s([1], [])]), [1, 2]),
      g.int64s([1, 1, width]),
    ])
    const last = g.reshape(g.op('GatherElements', [h.value, index], { axis: attr.int(1) }), [
      -1,
      width,
    ])
    return this.embedding(tape.constant(last, [-1, width]))
  }
}

function imageGraphs(
  architecture: ClipArchitecture,
  weights: ClipWeights,
): { image_encoder: GraphBuilder; image_grad: GraphBuilder } {
  const size = architecture.options.image_size
  const embedding = architecture.options.n_embd
  const declareInputs = (graph: ClipEncoderGraph): { x: Tensor; timesteps: Value } => ({
    x: graph.tape.leaf(
      graph.g.input('x', 'float', ['N', 3, size, size]),
      [-1, 3, size, size],
      true,
    ),
    timesteps: graph.g.input('timesteps', 'int64', ['N']),
  })

  const encoder = new ClipEncoderGraph('clip_image_encoder', architecture, weights)
  const encoderInputs = declareInputs(encoder)
  const imageEmb = encoder.imageEmbedding(encoderInputs.x, encoderInputs.timesteps)
  encoder.g.output(imageEmb.value, 'image_emb', 'float', ['N', embedding])

  const grad = new ClipEncoderGraph('clip_image_grad', architecture, weights)
  const gradInputs = declareInputs(grad)
  const textEmb = grad.g.input('text_emb', 'float', ['N', embedding])
  const gradImageEmb = grad.imageEmbedding(gradInputs.x, gradInputs.timesteps)
  // d/d image_emb of exp(logit_scale)·Σ text_emb·image_emb is exp(logit_scale)·text_emb.
  const seed = grad.g.mul(textEmb, grad.g.scalar(architecture.similarityScale))
  grad.g.output(grad.tape.gradient(gradImageEmb, seed, gradInputs.x), 'grad', 'float', [
    'N',
    3,
    size,
    size,
  ])
  return { image_encoder: encoder.g, image_grad: grad.g }
}

function textGraphs(
  architecture: ClipArchitecture,
  weights: ClipWeights,
): { text_encoder: GraphBuilder } {
  const graph = new ClipEncoderGraph('clip_text_encoder', architecture, weights)
  const context = architecture.options.max_text_len
  const tokens = graph.g.input('tokens', 'int64', ['N', context])
  const lens = graph.g.input('lens', 'int64', ['N'])
  const textEmb = graph.textEmbedding(tokens, lens)
  graph.g.output(textEmb.value, 'text_emb', 'float', ['N', architecture.options.n_embd])
  return { text_encoder: graph.g }
}

export interface ClipOnnxFiles {
  /** Graph file paths by role: image_encoder and image_grad, or text_encoder. */
  graphs: Record<string, string>
  /** The external weight file the graphs share. */
  externalData: string
}

/** Graph file name of each role; the weights go to `<first graph>.data`. */
const graphFileNames: Record<string, string> = {
  image_encoder: 'image_encoder.onnx',
  image_grad: 'image_grad.onnx',
  text_encoder: 'text_encoder.onnx',
}

/**
 * Writes the graphs of a CLIP encoder (see the file comment) into outDir, after checking every
 * tensor of the checkpoint against the architecture the options describe (CHECKPOINT_MISMATCH
 * names the first missing, unexpected or wrongly shaped one). Each file appears whole or not at all.
 */
export async function writeClipOnnx(
  kind: ClipEncoderKind,
  options: ClipOptions,
  tensors: TensorSource,
  outDir: string,
): Promise<ClipOnnxFiles> {
  const architecture = clipArchitecture(kind, options)
  const expected = clipExpectedTensors(architecture)
  checkTensorSource(
    tensors,
    expected.map((tensor) => ({ ...tensor, role: 'unet' as const })),
  )
  const weights = new ClipWeights(new Map(expected.map((tensor) => [tensor.name, tensor.shape])))
  const graphs: Record<string, GraphBuilder> =
    kind === 'clip-image' ? imageGraphs(architecture, weights) : textGraphs(architecture, weights)
  for (const tensor of expected) {
    if (!weights.planned.has(tensor.name))
      throw new Error(`graph leaves tensor ${tensor.name} unused`)
  }

  const roles = Object.keys(graphs)
  const dataName = `${graphFileNames[roles[0] ?? ''] ?? 'clip.onnx'}.data`
  const temporary = (name: string): string => join(outDir, `${name}.partial`)
  const written = [dataName, ...roles.map((role) => graphFileNames[role] ?? `${role}.onnx`)]
  let dataFile: ExternalDataFile | undefined
  try {
    dataFile = await ExternalDataFile.create(temporary(dataName))
    const stored: TensorSpec[] = []
    for (const name of tensors.names()) {
      const planned = weights.planned.get(name)
      if (!planned) throw new Error(`unplanned tensor ${name}`)
      const data = await tensors.read(name)
      stored.push(await dataFile.appendWeight(name, data, planned, dataName))
    }
    await dataFile.close()
    dataFile = undefined
    for (const role of roles) {
      const graph = graphs[role]
      if (!graph) continue
      const used = new Set(graph.weights().map((weight) => weight.name))
      const model = encodeModel({
        irVersion,
        opsetVersion,
        producerName: 'glide-studio',
        producerVersion: '1',
        graph: graph.build(stored.filter((tensor) => used.has(tensor.name))),
      })
      await writeFile(temporary(graphFileNames[role] ?? role), model)
    }
    for (const name of written) await rename(temporary(name), join(outDir, name))
  } catch (error) {
    await dataFile?.close().catch(() => undefined)
    for (const name of written) await rm(temporary(name), { force: true })
    throw error
  }
  return {
    graphs: Object.fromEntries(
      roles.map((role) => [role, join(outDir, graphFileNames[role] ?? role)]),
    ),
    externalData: join(outDir, dataName),
  }
}
