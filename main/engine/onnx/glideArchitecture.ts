import { GlideError } from '../../../contract/errors'
import {
  channelMultipliers,
  isInpaintKind,
  isUpsampleKind,
  type GlideOptions,
  type UNetKind,
} from '../glideOptions'

/**
 * The module structure of glide-text2im's Text2ImUNet (and its inpaint/super-res subclasses) for a
 * set of options: every layer with its state-dict prefix. Both the expected tensor list and the
 * ONNX graphs are derived from it, so they cannot disagree.
 */

export type UNetLayer =
  | { type: 'conv'; prefix: string; inChannels: number; outChannels: number }
  | {
      type: 'res'
      prefix: string
      inChannels: number
      outChannels: number
      resample: 'none' | 'up' | 'down'
    }
  | { type: 'attention'; prefix: string; channels: number; heads: number }
  | { type: 'downsample'; prefix: string; channels: number }
  | { type: 'upsample'; prefix: string; channels: number }

export interface GlideArchitecture {
  kind: UNetKind
  imageSize: number
  /** Channels of the U-Net input after the kind's concatenation (3, 6, 7 or 10). */
  inChannels: number
  outChannels: number
  modelChannels: number
  timeEmbedDim: number
  /** Channels of the last output block, normalised by `out.0`. */
  finalChannels: number
  useScaleShiftNorm: boolean
  inputBlocks: UNetLayer[][]
  middleBlock: UNetLayer[]
  outputBlocks: UNetLayer[][]
  text: {
    ctx: number
    width: number
    layers: number
    heads: number
    finalLayerNorm: boolean
    padding: boolean
  }
}

export const groupNormGroups = 32

function invalid(message: string): GlideError {
  return new GlideError('INVALID_ARGUMENT', `Unsupported GLIDE options: ${message}`)
}

function headsFor(channels: number, numHeads: number, numHeadChannels: number): number {
  if (numHeadChannels === -1) {
    if (numHeads < 1 || channels % numHeads !== 0) {
      throw invalid(`${channels} attention channels are not divisible into ${numHeads} heads`)
    }
    return numHeads
  }
  if (numHeadChannels < 1 || channels % numHeadChannels !== 0) {
    throw invalid(
      `${channels} attention channels are not divisible by num_head_channels ${numHeadChannels}`,
    )
  }
  return channels / numHeadChannels
}

function parseIntegerList(text: string, what: string): number[] {
  const values = text.split(',').map((part) => Number(part.trim()))
  if (values.some((value) => !Number.isInteger(value) || value <= 0)) {
    throw invalid(`${what} "${text}" is not a list of positive integers`)
  }
  return values
}

export function glideArchitecture(kind: UNetKind, options: GlideOptions): GlideArchitecture {
  const multipliers = (() => {
    try {
      return channelMultipliers(options)
    } catch (error) {
      throw invalid(error instanceof Error ? error.message : String(error))
    }
  })()
  if (multipliers.some((value) => !Number.isInteger(value) || value <= 0)) {
    throw invalid(`channel_mult "${options.channel_mult}"`)
  }
  // glide-text2im's create_model also asserts image_size = 2^(levels + 2); the network itself only
  // needs every level's resolution to be whole, so smaller models may stop downsampling earlier.
  if (!Number.isInteger(options.image_size) || options.image_size % 2 ** (multipliers.length - 1)) {
    throw invalid(
      `image_size ${options.image_size} cannot be halved ${multipliers.length - 1} times for ${multipliers.length} channel multipliers`,
    )
  }
  if (isInpaintKind(kind) !== options.inpaint || isUpsampleKind(kind) !== options.super_res) {
    throw invalid(
      `kind ${kind} contradicts inpaint=${options.inpaint}, super_res=${options.super_res}`,
    )
  }
  const positive = (value: number, name: string): void => {
    if (!Number.isInteger(value) || value <= 0) throw invalid(`${name} must be a positive integer`)
  }
  positive(options.num_channels, 'num_channels')
  positive(options.num_res_blocks, 'num_res_blocks')
  positive(options.text_ctx, 'text_ctx')
  positive(options.xf_width, 'xf_width')
  if (!Number.isInteger(options.xf_layers) || options.xf_layers < 0) {
    throw invalid('xf_layers must be a non-negative integer')
  }
  positive(options.xf_heads, 'xf_heads')
  if (options.xf_width % options.xf_heads !== 0) {
    throw invalid(`xf_width ${options.xf_width} is not divisible by xf_heads ${options.xf_heads}`)
  }

  const model = options.num_channels
  const attentionDownsampleRates = parseIntegerList(
    options.attention_resolutions,
    'attention_resolutions',
  ).map((resolution) => Math.floor(options.image_size / resolution))
  const headsUpsample =
    options.num_heads_upsample === -1 ? options.num_heads : options.num_heads_upsample
  const checkGroups = (channels: number): void => {
    if (channels % groupNormGroups !== 0) {
      throw invalid(`${channels} channels cannot be split into ${groupNormGroups} GroupNorm groups`)
    }
  }

  const inChannels =
    isInpaintKind(kind) && isUpsampleKind(kind)
      ? 10
      : isInpaintKind(kind)
        ? 7
        : isUpsampleKind(kind)
          ? 6
          : 3
  const firstMultiplier = multipliers[0] ?? 1
  let channels = firstMultiplier * model
  const inputChannels = channels
  const inputBlocks: UNetLayer[][] = [
    [{ type: 'conv', prefix: 'input_blocks.0.0', inChannels, outChannels: channels }],
  ]
  const skipChannels = [channels]
  let downsampleRate = 1

  const resBlock = (
    prefix: string,
    inChannelsOfBlock: number,
    outChannelsOfBlock: number,
    resample: 'none' | 'up' | 'down',
  ): UNetLayer => {
    checkGroups(inChannelsOfBlock)
    checkGroups(outChannelsOfBlock)
    return {
      type: 'res',
      prefix,
      inChannels: inChannelsOfBlock,
      outChannels: outChannelsOfBlock,
      resample,
    }
  }
  const attention = (prefix: string, attentionChannels: number, numHeads: number): UNetLayer => {
    checkGroups(attentionChannels)
    return {
      type: 'attention',
      prefix,
      channels: attentionChannels,
      heads: headsFor(attentionChannels, numHeads, options.num_head_channels),
    }
  }

  multipliers.forEach((multiplier, level) => {
    for (let block = 0; block < options.num_res_blocks; block++) {
      const prefix = `input_blocks.${inputBlocks.length}`
      const layers: UNetLayer[] = [resBlock(`${prefix}.0`, channels, multiplier * model, 'none')]
      channels = multiplier * model
      if (attentionDownsampleRates.includes(downsampleRate)) {
        layers.push(attention(`${prefix}.1`, channels, options.num_heads))
      }
      inputBlocks.push(layers)
      skipChannels.push(channels)
    }
    if (level !== multipliers.length - 1) {
      const prefix = `input_blocks.${inputBlocks.length}.0`
      inputBlocks.push([
        options.resblock_updown
          ? resBlock(prefix, channels, channels, 'down')
          : { type: 'downsample', prefix, channels },
      ])
      skipChannels.push(channels)
      downsampleRate *= 2
    }
  })

  const middleBlock: UNetLayer[] = [
    resBlock('middle_block.0', channels, channels, 'none'),
    attention('middle_block.1', channels, options.num_heads),
    resBlock('middle_block.2', channels, channels, 'none'),
  ]

  const outputBlocks: UNetLayer[][] = []
  for (let level = multipliers.length - 1; level >= 0; level--) {
    const multiplier = multipliers[level] ?? 1
    for (let block = 0; block <= options.num_res_blocks; block++) {
      const prefix = `output_blocks.${outputBlocks.length}`
      const skip = skipChannels.pop() ?? 0
      const layers: UNetLayer[] = [
        resBlock(`${prefix}.0`, channels + skip, model * multiplier, 'none'),
      ]
      channels = model * multiplier
      if (attentionDownsampleRates.includes(downsampleRate)) {
        layers.push(attention(`${prefix}.${layers.length}`, channels, headsUpsample))
      }
      if (level > 0 && block === options.num_res_blocks) {
        const upPrefix = `${prefix}.${layers.length}`
        layers.push(
          options.resblock_updown
            ? resBlock(upPrefix, channels, channels, 'up')
            : { type: 'upsample', prefix: upPrefix, channels },
        )
        downsampleRate /= 2
      }
      outputBlocks.push(layers)
    }
  }

  checkGroups(channels)
  return {
    kind,
    imageSize: options.image_size,
    inChannels,
    outChannels: 6,
    modelChannels: model,
    timeEmbedDim: model * 4,
    finalChannels: inputChannels,
    useScaleShiftNorm: options.use_scale_shift_norm,
    inputBlocks,
    middleBlock,
    outputBlocks,
    text: {
      ctx: options.text_ctx,
      width: options.xf_width,
      layers: options.xf_layers,
      heads: options.xf_heads,
      finalLayerNorm: options.xf_final_ln,
      padding: options.xf_padding,
    },
  }
}

export type GraphRole = 'textEncoder' | 'unet'

export interface ExpectedTensor {
  name: string
  shape: number[]
  role: GraphRole
}

/** GLIDE's BPE vocabulary size (glide_text2im.tokenizer: n_vocab). */
export const glideVocabularySize = 50257

function layerTensors(
  layer: UNetLayer,
  timeEmbedDim: number,
  scaleShift: boolean,
  textWidth: number,
): ExpectedTensor[] {
  const unet = (name: string, shape: number[]): ExpectedTensor => ({ name, shape, role: 'unet' })
  const p = layer.prefix
  switch (layer.type) {
    case 'conv':
      return [
        unet(`${p}.weight`, [layer.outChannels, layer.inChannels, 3, 3]),
        unet(`${p}.bias`, [layer.outChannels]),
      ]
    case 'res': {
      const tensors = [
        unet(`${p}.in_layers.0.weight`, [layer.inChannels]),
        unet(`${p}.in_layers.0.bias`, [layer.inChannels]),
        unet(`${p}.in_layers.2.weight`, [layer.outChannels, layer.inChannels, 3, 3]),
        unet(`${p}.in_layers.2.bias`, [layer.outChannels]),
        unet(`${p}.emb_layers.1.weight`, [
          scaleShift ? 2 * layer.outChannels : layer.outChannels,
          timeEmbedDim,
        ]),
        unet(`${p}.emb_layers.1.bias`, [scaleShift ? 2 * layer.outChannels : layer.outChannels]),
        unet(`${p}.out_layers.0.weight`, [layer.outChannels]),
        unet(`${p}.out_layers.0.bias`, [layer.outChannels]),
        unet(`${p}.out_layers.3.weight`, [layer.outChannels, layer.outChannels, 3, 3]),
        unet(`${p}.out_layers.3.bias`, [layer.outChannels]),
      ]
      if (layer.inChannels !== layer.outChannels) {
        tensors.push(
          unet(`${p}.skip_connection.weight`, [layer.outChannels, layer.inChannels, 1, 1]),
          unet(`${p}.skip_connection.bias`, [layer.outChannels]),
        )
      }
      return tensors
    }
    case 'attention': {
      const c = layer.channels
      return [
        unet(`${p}.norm.weight`, [c]),
        unet(`${p}.norm.bias`, [c]),
        unet(`${p}.qkv.weight`, [3 * c, c, 1]),
        unet(`${p}.qkv.bias`, [3 * c]),
        unet(`${p}.encoder_kv.weight`, [2 * c, textWidth, 1]),
        unet(`${p}.encoder_kv.bias`, [2 * c]),
        unet(`${p}.proj_out.weight`, [c, c, 1]),
        unet(`${p}.proj_out.bias`, [c]),
      ]
    }
    case 'downsample':
      return [
        unet(`${p}.op.weight`, [layer.channels, layer.channels, 3, 3]),
        unet(`${p}.op.bias`, [layer.channels]),
      ]
    case 'upsample':
      return [
        unet(`${p}.conv.weight`, [layer.channels, layer.channels, 3, 3]),
        unet(`${p}.conv.bias`, [layer.channels]),
      ]
  }
}

/** Every tensor of the model's state dict with its shape, in the order PyTorch lists them. */
export function expectedTensors(architecture: GlideArchitecture): ExpectedTensor[] {
  const { text, timeEmbedDim, modelChannels } = architecture
  const textTensor = (name: string, shape: number[]): ExpectedTensor => ({
    name,
    shape,
    role: 'textEncoder',
  })
  const unet = (name: string, shape: number[]): ExpectedTensor => ({ name, shape, role: 'unet' })
  const tensors: ExpectedTensor[] = [textTensor('positional_embedding', [text.ctx, text.width])]
  if (text.padding) tensors.push(textTensor('padding_embedding', [text.ctx, text.width]))
  tensors.push(
    unet('time_embed.0.weight', [timeEmbedDim, modelChannels]),
    unet('time_embed.0.bias', [timeEmbedDim]),
    unet('time_embed.2.weight', [timeEmbedDim, timeEmbedDim]),
    unet('time_embed.2.bias', [timeEmbedDim]),
  )
  const blocks = [
    ...architecture.inputBlocks,
    architecture.middleBlock,
    ...architecture.outputBlocks,
  ]
  for (const layers of blocks) {
    for (const layer of layers) {
      tensors.push(...layerTensors(layer, timeEmbedDim, architecture.useScaleShiftNorm, text.width))
    }
  }
  tensors.push(
    unet('out.0.weight', [architecture.finalChannels]),
    unet('out.0.bias', [architecture.finalChannels]),
    unet('out.2.weight', [architecture.outChannels, architecture.finalChannels, 3, 3]),
    unet('out.2.bias', [architecture.outChannels]),
  )
  const w = text.width
  for (let layer = 0; layer < text.layers; layer++) {
    const p = `transformer.resblocks.${layer}`
    tensors.push(
      textTensor(`${p}.attn.c_qkv.weight`, [3 * w, w]),
      textTensor(`${p}.attn.c_qkv.bias`, [3 * w]),
      textTensor(`${p}.attn.c_proj.weight`, [w, w]),
      textTensor(`${p}.attn.c_proj.bias`, [w]),
      textTensor(`${p}.ln_1.weight`, [w]),
      textTensor(`${p}.ln_1.bias`, [w]),
      textTensor(`${p}.mlp.c_fc.weight`, [4 * w, w]),
      textTensor(`${p}.mlp.c_fc.bias`, [4 * w]),
      textTensor(`${p}.mlp.c_proj.weight`, [w, 4 * w]),
      textTensor(`${p}.mlp.c_proj.bias`, [w]),
      textTensor(`${p}.ln_2.weight`, [w]),
      textTensor(`${p}.ln_2.bias`, [w]),
    )
  }
  if (text.finalLayerNorm)
    tensors.push(textTensor('final_ln.weight', [w]), textTensor('final_ln.bias', [w]))
  tensors.push(
    textTensor('token_embedding.weight', [glideVocabularySize, w]),
    textTensor('transformer_proj.weight', [modelChannels * 4, w]),
    textTensor('transformer_proj.bias', [modelChannels * 4]),
  )
  return tensors
}
