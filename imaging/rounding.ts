/** Rounds to the nearest integer, halves to even (Python's round, torch.round, numpy.round). */
export function roundHalfEven(value: number): number {
  const floor = Math.floor(value)
  const diff = value - floor
  if (diff > 0.5) return floor + 1
  if (diff < 0.5) return floor
  return floor % 2 === 0 ? floor : floor + 1
}

/** A value as a byte: rounded half up, clamped to 0..255 (NaN reads as 0). */
export function toByte(value: number): number {
  if (!(value > 0)) return 0
  if (value >= 255) return 255
  return Math.round(value)
}
