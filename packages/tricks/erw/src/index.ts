/** `@converge/erw`: ERW (Embedded Representation Warmup) and REPA for diffusion transformers. */
export { erw, type ErwOptions } from './erw.js'
export { repa, type RepaOptions } from './repa.js'
export {
  representationAlignment,
  representationAlignmentOptionsSchema,
  type RepresentationAlignmentOptions,
  type RepresentationAlignmentTrick,
} from './representation-alignment.js'
export { alignmentLoss } from './alignment.js'
export { alignmentWeightAt, alignmentWeightSchema, type AlignmentWeight } from './schedule.js'
export { Projector } from './projector.js'
export type { FrozenEncoder, TeacherLoader } from './frozen-encoder.js'
