/**
 * Decoding a 48-megapixel photo for main (issue 17, items 1 and 4): in main's own process (as
 * before the decoder process; sharp works on libuv's threads) and through the document decoder
 * process (the request and the 192 MB reply handed over as files). Reported: time to the
 * document, and main's event-loop delay meanwhile (sampled every 10 ms). Three rounds each,
 * alternating. `npx tsx --expose-gc bench/documentDecoder.ts`
 */
import { cpus, loadavg } from 'node:os'
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks'
import sharp from 'sharp'
import { DocumentDecoderClient } from '../main/documents/decoder/decoderClient'
import { inProcessDecoder, type DocumentDecoder } from '../main/documents/decoder/documentDecoder'
import type { ToDecoder } from '../main/documents/decoder/protocol'
import { nodeDecoderLauncher } from '../main/inference/client/nodeHostLauncher'
import { noisyPhotoJpeg } from './noisyPhoto'

const width = 8000
const height = 6000
const photo = await noisyPhotoJpeg(width, height)
const decoderProcess = new DocumentDecoderClient(nodeDecoderLauncher<ToDecoder>())
// Started before timing: the app starts it on the first file.
await decoderProcess.decodeImage(
  await sharp({ create: { width: 4, height: 4, channels: 3, background: '#fff' } })
    .png()
    .toBuffer(),
  'warm.png',
)

let longestGcMs = 0
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) longestGcMs = Math.max(longestGcMs, entry.duration)
}).observe({ entryTypes: ['gc'] })

async function round(decoder: DocumentDecoder): Promise<{ ms: number; max: number; gc: number }> {
  ;(globalThis as { gc?: () => void }).gc?.()
  longestGcMs = 0
  const delay = monitorEventLoopDelay({ resolution: 10 })
  delay.enable()
  const started = performance.now()
  const project = await decoder.readDocument(photo, 'photo.jpg')
  const ms = performance.now() - started
  delay.disable()
  if (project.layers[0]?.pixels?.data.byteLength !== width * height * 4)
    throw new Error('no pixels')
  return { ms, max: delay.max / 1e6, gc: longestGcMs }
}

console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, load ${loadavg()[0]?.toFixed(2)}`,
)
const rows: Record<string, { ms: number; max: number; gc: number }[]> = {
  'in main': [],
  'in the decoder process': [],
}
for (let index = 0; index < 3; index++) {
  rows['in main']!.push(await round(inProcessDecoder))
  rows['in the decoder process']!.push(await round(decoderProcess))
}
decoderProcess.dispose()
for (const [name, results] of Object.entries(rows)) {
  const list = (pick: (row: { ms: number; max: number; gc: number }) => number) =>
    results.map((row) => pick(row).toFixed(0)).join(' / ')
  console.log(
    `${width}×${height} JPEG (${(photo.byteLength / 1e6).toFixed(1)} MB) decoded ${name}: ` +
      `${list((row) => row.ms)} ms; main's event-loop delay max ${list((row) => row.max)} ms; ` +
      `longest GC ${list((row) => row.gc)} ms`,
  )
}
