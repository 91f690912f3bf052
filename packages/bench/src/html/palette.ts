/**
 * How arms are told apart on every chart: a colour, a stroke dash and a point shape per arm, in
 * suite order. Colours alternate dark and light (their greyscale lightness differs from their
 * neighbours'), and dash and shape change with every arm too, so a chart printed in greyscale or read
 * with a colour-vision deficiency still separates the arms.
 */
export const ARM_COLOURS = ['#1f3b73', '#e69f00', '#2a9d8f', '#b2182b', '#9ecae1', '#5e3c99', '#a6d854', '#7f3b08'] as const
export const ARM_DASHES: readonly (readonly number[])[] = [[1, 0], [7, 3], [2, 2], [9, 3, 2, 3], [4, 4], [12, 3], [1, 3], [6, 2, 2, 2, 2, 2]]
export const ARM_SHAPES = ['circle', 'square', 'triangle-up', 'diamond', 'cross', 'triangle-down', 'triangle-right', 'triangle-left'] as const

const cycle = <T>(list: readonly T[], n: number): T[] => Array.from({ length: n }, (_, i) => list[i % list.length] as T)

/** Vega-Lite scales mapping arm names (in this order) to colour, dash and shape. */
export function armScales(arms: readonly string[]) {
  return {
    color: { domain: [...arms], range: cycle(ARM_COLOURS, arms.length) },
    strokeDash: { domain: [...arms], range: cycle(ARM_DASHES, arms.length).map((d) => [...d]) },
    shape: { domain: [...arms], range: cycle(ARM_SHAPES, arms.length) },
  }
}

/** CIE L* (0–100) of a `#rrggbb` colour: what it becomes in greyscale. */
export function lightness(hex: string): number {
  const lin = (c: number) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)
  const [r, g, b] = [1, 3, 5].map((i) => lin(Number.parseInt(hex.slice(i, i + 2), 16) / 255)) as [number, number, number]
  const y = 0.2126 * r + 0.7152 * g + 0.0722 * b
  return y > 216 / 24389 ? 116 * Math.cbrt(y) - 16 : (24389 / 27) * y
}
