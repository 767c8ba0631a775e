/**
 * The Gallery's store on a real folder: a finished job's images become PNG files with their
 * settings inside, a new store (the next session) lists them again, Delete removes the files,
 * files that are not results are passed over, and a folder that cannot be written keeps the
 * result for the session and says why.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import type { JobImage, JobSummary } from '../../../contract/jobs'
import type { ResultEntry } from '../../../contract/results'
import { readPngTextChunks } from '../../../main/documents/pngText'
import { ResultHistory, resultStem } from '../../../main/results/resultHistory'
import { finishedJob, samplingSettings } from '../../helpers/finishedJobs'

const settings = samplingSettings({
  prompt: 'a red boat, at dusk',
  seed: 4242,
  baseRespacing: '10',
  batchSize: 2,
})

/** A 256² image of one colour. */
function solid(r: number, g: number, b: number, side = 256): JobImage {
  const rgba = new Uint8Array(side * side * 4)
  for (let i = 0; i < rgba.length; i += 4) rgba.set([r, g, b, 255], i)
  return { width: side, height: side, rgba }
}

function doneJob(id: string, images: JobImage[], finishedAt: number): JobSummary {
  return finishedJob({ id, settings, images, finishedAt })
}

const folder = () => join(mkdtempSync(join(tmpdir(), 'glide-results-')), 'results')
const finishedAt = new Date(2026, 11, 7, 11, 5, 12).getTime()

describe('ResultHistory', () => {
  it('keeps each image as a PNG with its settings, and the next session lists them again', async () => {
    const directory = folder()
    const added: ResultEntry[][] = []
    const history = new ResultHistory({ directory, onAdded: (entries) => added.push(entries) })
    const entries = await history.add(
      doneJob('job-1', [solid(200, 20, 20), solid(20, 20, 200)], finishedAt),
    )
    expect(entries.map((entry) => entry.id)).toEqual([
      '2026-12-07-110512-a-red-boat-at-dusk-4242-1',
      '2026-12-07-110512-a-red-boat-at-dusk-4242-2',
    ])
    expect(added).toEqual([entries])
    expect(readdirSync(directory).sort()).toEqual(entries.map((entry) => `${entry.id}.png`))
    // The same job reported again is not kept twice.
    expect(
      await history.add(doneJob('job-1', [solid(200, 20, 20), solid(20, 20, 200)], finishedAt)),
    ).toEqual([])
    expect(readdirSync(directory)).toHaveLength(2)

    const file = readFileSync(join(directory, `${entries[1]!.id}.png`))
    const parameters = JSON.parse(readPngTextChunks(file)['parameters']!)
    expect(parameters).toMatchObject({ prompt: 'a red boat, at dusk', seed: 4242, index: 1 })
    const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true })
    expect([info.width, info.height, data[0], data[1], data[2]]).toEqual([256, 256, 20, 20, 200])

    const nextSession = new ResultHistory({ directory })
    const listed = await nextSession.list()
    expect(listed.total).toBe(2)
    expect(listed.folder).toBe(directory)
    expect(listed.results.map((entry) => [entry.id, entry.index, entry.count])).toEqual([
      [entries[0]!.id, 0, 2],
      [entries[1]!.id, 1, 2],
    ])
    const [first] = listed.results
    expect(first!.settings).toEqual(settings)
    expect(first!.modelIds).toEqual(['glide-mini-base'])
    expect([first!.thumbnail.width, first!.thumbnail.height]).toEqual([128, 128])
    expect([...first!.thumbnail.rgba.subarray(0, 3)]).toEqual([200, 20, 20])
    const read = await nextSession.read(first!.id)
    expect([read.image.width, read.image.rgba[0]]).toEqual([256, 200])
    expect(
      Buffer.compare(Buffer.from(read.png), readFileSync(join(directory, `${first!.id}.png`))),
    ).toBe(0)
  })

  it('lists the newest job first, and no more than maxListed', async () => {
    const directory = folder()
    const history = new ResultHistory({ directory })
    for (let n = 0; n < 3; n++) {
      await history.add(doneJob(`job-${n}`, [solid(n * 50, 0, 0, 64)], finishedAt + n * 60_000))
    }
    const later = new ResultHistory({ directory, maxListed: 2 })
    const listed = await later.list()
    expect(listed.total).toBe(3)
    expect(listed.results.map((entry) => entry.jobId)).toEqual(['job-2', 'job-1'])
  })

  it('gives a second result of the same name its own file', async () => {
    const directory = folder()
    const history = new ResultHistory({ directory })
    const [a] = await history.add(doneJob('job-a', [solid(1, 2, 3, 64)], finishedAt))
    const [b] = await history.add(doneJob('job-b', [solid(4, 5, 6, 64)], finishedAt))
    expect(b!.id).toBe(`${a!.id}-2`)
    expect(readdirSync(directory)).toHaveLength(2)
  })

  it('deletes results and their files', async () => {
    const directory = folder()
    const removed: string[][] = []
    const history = new ResultHistory({ directory, onRemoved: (ids) => removed.push(ids) })
    const entries = await history.add(
      doneJob('job-1', [solid(9, 9, 9), solid(8, 8, 8)], finishedAt),
    )
    expect(await history.remove([entries[0]!.id, 'not-a-result'])).toBe(1)
    expect(removed).toEqual([[entries[0]!.id]])
    expect(readdirSync(directory)).toEqual([`${entries[1]!.id}.png`])
    const listed = await history.list()
    expect(listed.results.map((entry) => entry.id)).toEqual([entries[1]!.id])
    expect(listed.total).toBe(1)
    await expect(history.read(entries[0]!.id)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
  })

  it('passes over files that are not results: other PNGs, corrupt ones, oversized ones', async () => {
    const directory = folder()
    const history = new ResultHistory({ directory })
    const [kept] = await history.add(doneJob('job-1', [solid(1, 1, 1, 64)], finishedAt))
    const plain = await sharp({ create: { width: 8, height: 8, channels: 4, background: '#fff' } })
      .png()
      .toBuffer()
    writeFileSync(join(directory, '2026-12-08-000000-plain.png'), plain)
    writeFileSync(join(directory, '2026-12-08-000001-corrupt.png'), Buffer.from('not a png'))
    // A result's text chunk on a picture far larger than any result.
    const huge = readFileSync(join(directory, `${kept!.id}.png`))
    huge.writeUInt32BE(60_000, 16)
    writeFileSync(join(directory, '2026-12-08-000002-huge.png'), huge)
    writeFileSync(join(directory, 'holiday.png'), plain)
    const listed = await new ResultHistory({ directory }).list()
    expect(listed.results.map((entry) => entry.id)).toEqual([kept!.id])
  })

  it('keeps a result it cannot write for the session, and says why', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'glide-results-'))
    const directory = join(parent, 'results')
    writeFileSync(directory, 'a file where the folder should be')
    const history = new ResultHistory({ directory })
    const [entry] = await history.add(doneJob('job-1', [solid(7, 8, 9, 64)], finishedAt))
    expect(entry!.notKept).toMatch(/^Not kept after this session: .*results could not be written/)
    const read = await history.read(entry!.id)
    expect([...read.image.rgba.subarray(0, 3)]).toEqual([7, 8, 9])
    expect((await history.list()).results).toHaveLength(1)
  })

  it('names a result by when it was made, its prompt, seed and number', () => {
    expect(
      resultStem({ finishedAt, prompt: '  Ünïcode & «quotes»: a CAT!  ', seed: 7, index: 0 }),
    ).toBe('2026-12-07-110512-n-code-quotes-a-cat-7-1')
    expect(resultStem({ finishedAt, prompt: '', seed: 7, index: 2 })).toBe(
      '2026-12-07-110512-untitled-7-3',
    )
  })
})
