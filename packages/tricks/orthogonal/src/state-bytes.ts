/** float32 state: 4 bytes per element. */
export const BYTES_PER_ELEMENT = 4

/** Persistent optimizer state of one variable, in bytes. */
export interface ParamStateBytes {
  readonly name: string
  readonly role: 'matrix' | 'adam'
  /** The momentum buffer of an orthogonalized matrix (one float per entry). */
  readonly momentum: number
  /** AdamW's first and second moments (two floats per entry). */
  readonly moments: number
  readonly total: number
}

/** The optimizer's persistent state now and its largest total so far; Newton–Schulz temporaries are not state. */
export interface OrthogonalStateReport {
  readonly momentum: number
  readonly moments: number
  readonly total: number
  readonly peak: number
  readonly params: readonly ParamStateBytes[]
}

const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1)

/** What AdamW would hold for the same variables: m and v for every element. */
export function adamwStateBytes(params: readonly { readonly shape: readonly number[] }[]): number {
  return params.reduce((a, p) => a + 2 * numel(p.shape) * BYTES_PER_ELEMENT, 0)
}
