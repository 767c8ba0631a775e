import { describe, expect, it } from 'vitest'
import { convFlops, summariseProfile } from '../../bench/opProfile'

function node(
  op: string,
  ts: number,
  dur: number,
  shapes?: { input: number[][]; output: number[] },
) {
  return {
    cat: 'Node',
    name: `${op}_${ts}_kernel_time`,
    ts,
    dur,
    args: {
      op_name: op,
      ...(shapes
        ? {
            input_type_shape: shapes.input.map((shape) => ({ float: shape })),
            output_type_shape: [{ float: shapes.output }],
          }
        : {}),
    },
  }
}

const conv3x3 = { input: [[1, 192, 256, 256], [192, 192, 3, 3], [192]], output: [1, 192, 256, 256] }

describe("the op profile's summary of ONNX Runtime's profiler output", () => {
  it('counts 2 × output elements × weights per output channel for a Conv node', () => {
    // The upsampler's 192→192 3×3 convolution at 256²: 43.5 GFLOP.
    expect(convFlops(node('Conv', 0, 1, conv3x3))).toBe(2 * 192 * 256 * 256 * 192 * 9)
    // A grouped (depthwise) convolution: the weight holds input channels per group.
    const depthwise = {
      input: [
        [1, 8, 4, 4],
        [8, 1, 3, 3],
      ],
      output: [1, 8, 4, 4],
    }
    expect(convFlops(node('Conv', 0, 1, depthwise))).toBe(2 * 8 * 16 * 9)
    expect(convFlops(node('Conv', 0, 1))).toBe(0)
  })

  it("sums only the last run's nodes per operator, with shares and the convolutions' rate", () => {
    const events = [
      { name: 'model_run', ts: 0, dur: 100 },
      node('Conv', 10, 999_999, conv3x3), // the warm-up run: left out
      { name: 'model_run', ts: 2_000_000, dur: 1_000_000 },
      node('Conv', 2_000_010, 600_000, conv3x3),
      node('Add', 2_600_020, 100_000),
      node('Conv', 2_700_030, 300_000, conv3x3),
    ]
    const profile = summariseProfile(events, 'upsample')
    expect(profile.stepSeconds).toBe(1)
    expect(profile.operators.map((entry) => [entry.op, entry.nodes])).toEqual([
      ['Conv', 2],
      ['Add', 1],
    ])
    expect(profile.operators[0]?.share).toBeCloseTo(0.9)
    const flops = 2 * convFlops(node('Conv', 0, 1, conv3x3))
    expect(profile.convGflop).toBeCloseTo(flops / 1e9)
    expect(profile.convGflopPerSecond).toBeCloseTo(flops / 1e9 / 0.9)
  })

  it('refuses a profile without a model run', () => {
    expect(() => summariseProfile([node('Conv', 0, 1)], 'base')).toThrow(/model_run/)
  })
})
