/** A labelled field for one side of a canvas in whole pixels, 1 to `max`. */
export function PixelSideField({
  label,
  max,
  value,
  onValue,
}: {
  label: string
  max: number
  value: string | number
  onValue(value: string): void
}) {
  return (
    <label>
      {label}
      <input
        type="number"
        min={1}
        max={max}
        step={1}
        value={value}
        onChange={(event) => onValue(event.target.value)}
      />
    </label>
  )
}
