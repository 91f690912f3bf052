export { orthogonal, orthogonalOptionsSchema, type OrthogonalOptions, type ResolvedOrthogonalOptions } from './orthogonal.js'
