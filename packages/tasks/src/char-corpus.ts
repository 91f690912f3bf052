import { ConfigError } from '@converge/core'
import { z } from 'zod'
import { TEXT_CORPORA } from './data/text-corpus.js'

/** Which text the char-LM tasks model: the synthetic Markov source (known floor) or a real book. */
export const charCorpusSchema = z.enum(['markov', ...TEXT_CORPORA]).default('markov')

/** Options that describe the synthetic source; a real corpus fixes its own alphabet, text and floor. */
const MARKOV_ONLY = ['vocab', 'sourceOrder', 'teacherHidden', 'sharpness', 'trainChars', 'targetExcess'] as const

/**
 * Rejects options that do not apply to the chosen corpus (they would be silently ignored): the
 * synthetic source's settings with a real corpus, and `targetLoss` with the synthetic one (whose
 * target is `targetExcess` over its known floor).
 */
export function checkCorpusOptions(raw: unknown, what: string): void {
  if (!raw || typeof raw !== 'object') return
  const given = raw as Record<string, unknown>
  const corpus = given.corpus ?? 'markov'
  if (corpus === 'markov') {
    if (given.targetLoss !== undefined) throw new ConfigError(`${what}: targetLoss: got ${String(given.targetLoss)}; applies to a real corpus only (the markov corpus's target is targetExcess over its known floor)`)
    return
  }
  const wrong = MARKOV_ONLY.filter((k) => given[k] !== undefined)
  if (wrong.length) throw new ConfigError(`${what}: ${wrong.join(', ')}: apply to corpus "markov" only; corpus "${String(corpus)}" fixes its own alphabet and text (set the target with targetLoss)`)
}
