import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { GlideError } from '../../../../contract/errors'
import { openTorchCheckpoint } from '../../../../main/engine/checkpoint/checkpoint'
import { unpickleStateDict } from '../../../../main/engine/checkpoint/pickle'
import { ZipReader } from '../../../../main/engine/checkpoint/zipReader'

const smallPath = join(import.meta.dirname, '../../../fixtures/checkpoints/small.pt')
const original = readFileSync(smallPath)
const workDir = mkdtempSync(join(tmpdir(), 'checkpoint-fuzz-'))
afterAll(() => rmSync(workDir, { recursive: true, force: true }))

type Outcome = 'read' | 'GlideError'

/** Opens the bytes as a checkpoint and reads every tensor; anything but a GlideError escapes. */
async function openAndReadAll(bytes: Uint8Array): Promise<Outcome> {
  const path = join(workDir, 'mutated.pt')
  writeFileSync(path, bytes)
  try {
    const checkpoint = await openTorchCheckpoint(path)
    try {
      for (const name of checkpoint.names()) {
        const values = await checkpoint.read(name)
        const shape = checkpoint.shape(name)
        expect(values.length).toBe(shape.reduce((a, b) => a * b, 1))
      }
    } finally {
      await checkpoint.close()
    }
    return 'read'
  } catch (error) {
    if (error instanceof GlideError) return 'GlideError'
    throw error
  }
}

describe('openTorchCheckpoint under random corruption', () => {
  it('byte mutations of a valid checkpoint give a result or a GlideError, never another error', async () => {
    const outcomes = new Map<Outcome, number>()
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(original.length - 1), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 8,
        }),
        async (mutations) => {
          const bytes = Uint8Array.from(original)
          for (const [at, value] of mutations) bytes[at] = value
          const outcome = await openAndReadAll(bytes)
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1)
        },
      ),
      { numRuns: 400, seed: 20261125 },
    )
    // Most single-byte hits land in tensor data or padding, but some must be caught.
    expect(outcomes.get('GlideError') ?? 0).toBeGreaterThan(0)
  })

  it('truncation at any length gives a GlideError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(original.length - 1), async (length) => {
        expect(await openAndReadAll(original.subarray(0, length))).toBe('GlideError')
      }),
      { numRuns: 100, seed: 7 },
    )
  })

  it('mutations of data.pkl itself (past the CRC) give entries or a GlideError', async () => {
    const zip = await ZipReader.open(smallPath)
    const dataPkl = await zip.readEntry(zip.entry('small/data.pkl')!, 1 << 20)
    await zip.close()
    expect(unpickleStateDict(dataPkl).length).toBe(11)
    const outcomes = { entries: 0, refused: 0 }
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(dataPkl.length - 1), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        (mutations) => {
          const bytes = Uint8Array.from(dataPkl)
          for (const [at, value] of mutations) bytes[at] = value
          try {
            unpickleStateDict(bytes)
            outcomes.entries += 1
          } catch (error) {
            if (!(error instanceof GlideError)) throw error
            outcomes.refused += 1
          }
        },
      ),
      { numRuns: 2000, seed: 11 },
    )
    expect(outcomes.refused).toBeGreaterThan(0)
  })
})
