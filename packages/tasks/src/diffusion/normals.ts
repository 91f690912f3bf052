/** `n` standard normals from `rng`, in order: the noise of a diffusion batch. */
export function normals(rng: { normal(): number }, n: number): Float32Array {
  // a plain loop, not Float32Array.from with a map function (slower per element)
  const out = new Float32Array(n)
  for (let i = 0; i < n; i++) out[i] = rng.normal()
  return out
}
