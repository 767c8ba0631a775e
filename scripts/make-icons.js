// Renders build/icon.svg into the icons electron-builder packs: build/icon.png (1024 px, macOS and
// the fallback), build/icons/<N>x<N>.png (Linux), build/icon.ico (Windows) and build/icon.icns
// (macOS). The .ico and .icns containers are written here: each holds PNG images, which Windows
// Vista+ and macOS 10.7+ read. Run `node scripts/make-icons.js` after changing the SVG.
import { Buffer } from 'node:buffer'
import console from 'node:console'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import process from 'node:process'
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'

const buildDir = fileURLToPath(new URL('../build/', import.meta.url))

export const linuxSizes = [16, 32, 48, 64, 128, 256, 512]
export const icoSizes = [16, 24, 32, 48, 64, 128, 256]
/** ICNS entry types holding PNG data, with the pixel size each must have. */
export const icnsTypes = [
  ['icp4', 16],
  ['icp5', 32],
  ['ic11', 32],
  ['icp6', 64],
  ['ic12', 64],
  ['ic07', 128],
  ['ic08', 256],
  ['ic13', 256],
  ['ic09', 512],
  ['ic14', 512],
  ['ic10', 1024],
]

async function renderPng(svg, size) {
  return sharp(svg)
    .resize(size, size, { kernel: 'lanczos3' })
    .png({ compressionLevel: 9 })
    .toBuffer()
}

/** ICONDIR (6 bytes), one 16-byte ICONDIRENTRY per image, then the PNG data. */
export function icoContainer(images) {
  const header = Buffer.alloc(6 + 16 * images.length)
  header.writeUInt16LE(0, 0)
  header.writeUInt16LE(1, 2)
  header.writeUInt16LE(images.length, 4)
  let offset = header.length
  images.forEach(({ size, png }, index) => {
    const entry = 6 + 16 * index
    header.writeUInt8(size >= 256 ? 0 : size, entry)
    header.writeUInt8(size >= 256 ? 0 : size, entry + 1)
    header.writeUInt8(0, entry + 2)
    header.writeUInt8(0, entry + 3)
    header.writeUInt16LE(1, entry + 4)
    header.writeUInt16LE(32, entry + 6)
    header.writeUInt32LE(png.length, entry + 8)
    header.writeUInt32LE(offset, entry + 12)
    offset += png.length
  })
  return Buffer.concat([header, ...images.map(({ png }) => png)])
}

/** 'icns' + total length, then per image its 4-character type, entry length and PNG data. */
export function icnsContainer(entries) {
  const parts = entries.map(({ type, png }) => {
    const head = Buffer.alloc(8)
    head.write(type, 0, 'latin1')
    head.writeUInt32BE(png.length + 8, 4)
    return Buffer.concat([head, png])
  })
  const head = Buffer.alloc(8)
  head.write('icns', 0, 'latin1')
  head.writeUInt32BE(8 + parts.reduce((sum, part) => sum + part.length, 0), 4)
  return Buffer.concat([head, ...parts])
}

export async function makeIcons() {
  const svg = await readFile(`${buildDir}icon.svg`)
  const sizes = [...new Set([...linuxSizes, ...icoSizes, ...icnsTypes.map(([, size]) => size)])]
  const pngs = new Map()
  for (const size of sizes) pngs.set(size, await renderPng(svg, size))
  const png = (size) => pngs.get(size)

  await mkdir(`${buildDir}icons`, { recursive: true })
  await writeFile(`${buildDir}icon.png`, png(1024))
  for (const size of linuxSizes) await writeFile(`${buildDir}icons/${size}x${size}.png`, png(size))
  await writeFile(
    `${buildDir}icon.ico`,
    icoContainer(icoSizes.map((size) => ({ size, png: png(size) }))),
  )
  await writeFile(
    `${buildDir}icon.icns`,
    icnsContainer(icnsTypes.map(([type, size]) => ({ type, png: png(size) }))),
  )
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await makeIcons()
  console.log(`Wrote icons into ${buildDir}`)
}
