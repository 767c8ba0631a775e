/** Distances between two samples of the same shape, in the units of their values. */
export interface Distance {
  meanAbs: number
  rms: number
  maxAbs: number
}

export function distanceStats(a: ArrayLike<number>, b: ArrayLike<number>): Distance {
  if (a.length !== b.length || a.length === 0) {
    throw new RangeError(`cannot compare ${a.length} values with ${b.length}`)
  }
  let absSum = 0
  let squareSum = 0
  let maxAbs = 0
  for (let i = 0; i < a.length; i++) {
    const difference = Math.abs((a[i] ?? 0) - (b[i] ?? 0))
    absSum += difference
    squareSum += difference * difference
    if (difference > maxAbs || Number.isNaN(difference)) maxAbs = difference
  }
  return { meanAbs: absSum / a.length, rms: Math.sqrt(squareSum / a.length), maxAbs }
}
