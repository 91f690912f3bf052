/** `@converge/group-detr`: Group DETR's group-wise one-to-many assignment for DETR-like set prediction. */
export { groupDetr, groupDetrOptionsSchema, type GroupDetrOptions, type ResolvedGroupDetrOptions, type GroupDetrTrick } from './group-detr.js'
export { groupedSelfAttention } from './grouped-self-attention.js'
export { groupMatch, hungarian } from './group-matching.js'
