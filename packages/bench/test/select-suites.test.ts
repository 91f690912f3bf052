import { describe, expect, it } from 'vitest'
import type { BenchSuite } from '@converge/core/suite'
import { selectSuites } from '../src/index.js'

const suite = (name: string, optIn?: boolean) => ({ name, ...(optIn === undefined ? {} : { optIn }) }) as unknown as BenchSuite

describe('selectSuites', () => {
  const all = [suite('a'), suite('slow', true), suite('b', false)]
  it('runs every suite but the opt-in ones by default', () => {
    expect(selectSuites(all).map((s) => s.name)).toEqual(['a', 'b'])
  })
  it('runs an opt-in suite when it is named, in config order', () => {
    expect(selectSuites(all, ['b', 'slow']).map((s) => s.name)).toEqual(['slow', 'b'])
  })
})
