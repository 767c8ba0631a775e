import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import {
  generationDefaults,
  generationPresets,
  presetOf,
  respacingStepCount,
} from '../../../contract/generation'
import { samplingSettings, usage, type SamplingValues } from '../../../main/cli/index'
import { readPngTextChunks } from '../../../main/documents/pngText'

// Parse level: the flags of the speed settings and presets, as generateCommand turns them into the
// settings it submits (and writes into the PNG's text chunk).

const base: SamplingValues = { prompt: 'a red cube', seed: '7' }

function settingsOf(values: SamplingValues) {
  return samplingSettings({ ...base, ...values }, 'text-to-image')
}

describe('CLI presets and speed flags', () => {
  it('without --preset, and with --preset quality, gives exactly the settings of before presets', () => {
    const today = {
      prompt: 'a red cube',
      seed: 7,
      guidanceScale: 3,
      baseRespacing: '100',
      upsampleRespacing: 'fast27',
      upsampleTemperature: generationDefaults.sampling.upsampleTemperature,
      batchSize: 1,
    }
    expect(settingsOf({})).toEqual(today)
    expect(settingsOf({ preset: 'quality' })).toEqual(today)
    expect(presetOf(settingsOf({}), 'guided')).toBe('quality')
  })

  it('--preset fast sets the Fast preset’s fields', () => {
    const fast = settingsOf({ preset: 'fast' })
    const preset = generationPresets.fast.settings
    expect(fast).toMatchObject({
      baseSampler: preset.baseSampler,
      baseRespacing: preset.baseRespacing,
      guidanceCutoff: preset.guidanceCutoff,
      ...(preset.guidanceReuseBelow !== null
        ? { guidanceReuseBelow: preset.guidanceReuseBelow }
        : {}),
      upsampleSampler: preset.upsampleSampler,
      upsampleRespacing: preset.upsampleRespacing,
      upsampleStart: preset.upsampleStart,
      unetPrecision: preset.unetPrecision,
    })
    expect(presetOf(fast, 'guided')).toBe('fast')
  })

  it('--preset fast with --clip-guidance takes the preset’s CLIP base steps', () => {
    const clipFast = settingsOf({ preset: 'fast', 'clip-guidance': '3' })
    const clipSteps = generationPresets.fast.caseSettings?.['one-row']?.baseRespacing
    expect(clipSteps).toBeDefined()
    expect(clipFast).toMatchObject({
      guidanceMode: 'clip',
      clipGuidanceScale: 3,
      baseRespacing: clipSteps,
      upsampleRespacing: generationPresets.fast.settings.upsampleRespacing,
    })
    expect(presetOf(clipFast, 'one-row')).toBe('fast')
    // An explicit --steps still wins, and Quality is the notebook's 100 steps under CLIP too.
    expect(settingsOf({ preset: 'fast', 'clip-guidance': '3', steps: '40' })).toMatchObject({
      baseRespacing: '40',
    })
    expect(settingsOf({ 'clip-guidance': '3' })).toMatchObject({ baseRespacing: '100' })
  })

  it('--preset fast with --guidance 1 takes the one-row base steps too, and --guidance 2 does not', () => {
    const oneRowSteps = generationPresets.fast.caseSettings?.['one-row']?.baseRespacing
    const atOne = settingsOf({ preset: 'fast', guidance: '1' })
    expect(atOne).toMatchObject({ guidanceScale: 1, baseRespacing: oneRowSteps })
    expect(atOne).not.toHaveProperty('guidanceMode')
    expect(presetOf(atOne, 'one-row')).toBe('fast')
    expect(settingsOf({ preset: 'fast', guidance: '2' })).toMatchObject({
      baseRespacing: generationPresets.fast.settings.baseRespacing,
    })
    expect(settingsOf({ guidance: '1' })).toMatchObject({ baseRespacing: '100' })
  })

  it('--preset fast above the mode’s default guidance takes the strong-guidance base steps', () => {
    const strongSteps = generationPresets.fast.caseSettings?.['strong-guidance']?.baseRespacing
    expect(strongSteps).toBeDefined()
    const atFive = settingsOf({ preset: 'fast', guidance: '5' })
    expect(atFive).toMatchObject({ guidanceScale: 5, baseRespacing: strongSteps })
    expect(presetOf(atFive, 'strong-guidance')).toBe('fast')
    expect(settingsOf({ preset: 'fast', guidance: '3' })).toMatchObject({
      baseRespacing: generationPresets.fast.settings.baseRespacing,
    })
    // Inpainting's default is 5: there Fast keeps its steps up to 5 and takes the others above.
    const inpaint = (guidance?: string) =>
      samplingSettings({ ...base, preset: 'fast', ...(guidance ? { guidance } : {}) }, 'inpaint')
    expect(inpaint()).toMatchObject({
      guidanceScale: 5,
      baseRespacing: generationPresets.fast.settings.baseRespacing,
    })
    expect(inpaint('5').baseRespacing).toBe(generationPresets.fast.settings.baseRespacing)
    expect(inpaint('6').baseRespacing).toBe(strongSteps)
    expect(settingsOf({ guidance: '5' })).toMatchObject({ baseRespacing: '100' })
  })

  it('lets explicit flags override the preset', () => {
    const custom = settingsOf({
      preset: 'fast',
      steps: '30',
      sampler: 'ddim',
      'upsample-sampler': 'ancestral',
      'guidance-cutoff': '0.1',
      'guidance-reuse': '0.6',
      'upsample-start': '0.7',
      'upsample-steps': '8',
      precision: 'float32',
    })
    expect(custom).toMatchObject({
      baseSampler: 'ddim',
      baseRespacing: '30',
      guidanceCutoff: 0.1,
      guidanceReuseBelow: 0.6,
      upsampleSampler: 'ancestral',
      upsampleRespacing: '8',
      upsampleStart: 0.7,
      unetPrecision: 'float32',
    })
    expect(presetOf(custom, 'guided')).toBeNull()
    expect(presetOf(settingsOf({ preset: 'fast', precision: 'float32' }), 'guided')).toBeNull()
    // Without a preset, one flag adds one field to the notebook settings.
    expect(settingsOf({ sampler: 'dpm++2m' })).toMatchObject({
      baseSampler: 'dpm++2m',
      baseRespacing: '100',
    })
    expect(settingsOf({ sampler: 'dpm++2m' })).not.toHaveProperty('guidanceCutoff')
    expect(settingsOf({ sampler: 'dpm++2m' })).not.toHaveProperty('guidanceReuseBelow')
  })

  it('refuses bad values with the schema’s message and the flag’s name', () => {
    expect(() => settingsOf({ preset: 'turbo' })).toThrow(
      '--preset: Preset must be one of quality, fast',
    )
    expect(() => settingsOf({ precision: 'fp16' })).toThrow(
      '--precision: Precision must be one of float32, int8-upsampler, int8',
    )
    expect(() => settingsOf({ sampler: 'euler' })).toThrow(
      '--sampler: Sampler must be one of ancestral, ddim, dpm++2m',
    )
    expect(() => settingsOf({ 'upsample-sampler': 'plms' })).toThrow(
      '--upsample-sampler: Sampler must be one of ancestral, ddim, dpm++2m',
    )
    expect(() => settingsOf({ 'guidance-cutoff': '1.5' })).toThrow(
      '--guidance-cutoff: Guidance cutoff must be between 0 and 1',
    )
    expect(() => settingsOf({ 'guidance-reuse': '-0.2' })).toThrow(
      '--guidance-reuse: Guidance reuse must be between 0 and 1',
    )
    expect(() => settingsOf({ 'upsample-start': '0' })).toThrow(
      '--upsample-start: Upsampler start must be between 0.05 and 1',
    )
    expect(() => settingsOf({ 'upsample-start': 'half' })).toThrow(
      '--upsample-start must be a number, not "half"',
    )
  })

  it('lists the flags and what each preset sets in the usage text', () => {
    for (const flag of [
      '--preset P',
      '--sampler S',
      '--upsample-sampler S',
      '--guidance-cutoff F',
      '--guidance-reuse F',
      '--upsample-start F',
    ]) {
      expect(usage).toContain(flag)
    }
    expect(usage).toMatch(/^ {2}quality +--steps 100, --upsample-steps fast27/m)
    const fast = generationPresets.fast.settings
    expect(usage).toContain(`--sampler ${fast.baseSampler}, --steps ${fast.baseRespacing}`)
    expect(usage).toContain(`--upsample-start ${fast.upsampleStart}`)
    expect(usage).toContain(
      `with --clip-guidance or --guidance 1: --steps ${generationPresets.fast.caseSettings?.['one-row']?.baseRespacing}`,
    )
    expect(usage).toContain(
      `with --guidance above 3 (inpaint: above 5): --steps ${generationPresets.fast.caseSettings?.['strong-guidance']?.baseRespacing}`,
    )
  })
})

describe('generate --preset fast with the bundled GLIDE-mini', () => {
  it('runs the Fast preset’s steps and writes its settings into the PNG', async () => {
    const bin = fileURLToPath(new URL('../../../bin/glide-studio.js', import.meta.url))
    const work = mkdtempSync(join(tmpdir(), 'glide-cli-fast-'))
    const out = join(work, 'fast.png')
    const env = {
      ...process.env,
      GLIDE_STUDIO_CONFIG_DIR: join(work, 'config'),
      GLIDE_STUDIO_MODELS_DIR: join(work, 'no-models'),
    }
    const args = ['generate', '--prompt', 'a red circle on the left', '--seed', '1']
    const result = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [bin, ...args, '--preset', 'fast', '--out', out],
        { env, timeout: 120_000 },
        (error, _stdout, stderr) =>
          resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stderr }),
      )
    })
    expect(result.code).toBe(0)
    const fast = generationPresets.fast.settings
    const baseSteps = respacingStepCount(fast.baseRespacing) ?? 0
    const upSteps = respacingStepCount(fast.upsampleRespacing) ?? 0
    expect(baseSteps).toBeLessThan(100)
    expect(result.stderr).toMatch(new RegExp(`base\\s+\\[#+\\] ${baseSteps}/${baseSteps}`))
    expect(result.stderr).toMatch(new RegExp(`upsample\\s+\\[#+\\] ${upSteps}/${upSteps}`))
    expect(result.stderr).not.toContain('100/100')
    const png = readFileSync(out)
    expect(await sharp(png).metadata()).toMatchObject({ width: 128, height: 128 })
    const written = JSON.parse(readPngTextChunks(png)['parameters'] ?? '{}') as Record<
      string,
      unknown
    >
    expect(presetOf(written, 'guided')).toBe('fast')
    expect(written).toHaveProperty('baseRespacing', fast.baseRespacing)
    expect(written).toHaveProperty('unetPrecision', fast.unetPrecision)
    // GLIDE-mini ships its 8-bit copies: nothing is made, nothing falls back to float32.
    expect(result.stderr).not.toMatch(/prepare|Could not make/)
  }, 120_000)
})
