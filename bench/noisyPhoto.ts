import sharp from 'sharp'

/** A photo-like JPEG (blue-grey with gaussian noise, quality 85) that the open benches decode. */
export async function noisyPhotoJpeg(width: number, height: number): Promise<Buffer> {
  return sharp({
    create: {
      width,
      height,
      channels: 3,
      background: '#6688aa',
      noise: { type: 'gaussian', mean: 120, sigma: 40 },
    },
  })
    .jpeg({ quality: 85 })
    .toBuffer()
}
