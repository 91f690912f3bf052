import { describe, expect, it } from 'vitest'
import { classAveragePrecision, detectionMetrics, type Box, type Detection, type SceneObject } from '../../src/index.js'

const A: Box = [0.25, 0.25, 0.2, 0.2]
const B: Box = [0.75, 0.75, 0.2, 0.2]
const gt = (label: number, box: Box): SceneObject => ({ label, box })
const det = (label: number, score: number, box: Box): Detection => ({ label, score, box })

describe('COCO-style average precision (101 recall points)', () => {
  it('perfect detections give AP 1', () => {
    const truths = [[gt(0, A)], [gt(0, B), gt(1, A)]]
    const dets = [[det(0, 0.9, A)], [det(0, 0.8, B), det(1, 0.7, A)]]
    expect(detectionMetrics(dets, truths, 3)).toEqual({ ap50: 1, ap: 1 })
  })

  it('a miss caps recall: precision 1 up to recall 0.5 → 51/101', () => {
    expect(classAveragePrecision([[det(0, 0.9, A)], []], [[gt(0, A)], [gt(0, B)]], 0, 0.5)).toBeCloseTo(51 / 101, 12)
  })

  it('a false positive ranked above the true one (shuffled scores) halves precision → 0.5', () => {
    expect(classAveragePrecision([[det(0, 0.9, B), det(0, 0.8, A)]], [[gt(0, A)]], 0, 0.5)).toBeCloseTo(0.5, 12)
    // ranked below, it costs nothing
    expect(classAveragePrecision([[det(0, 0.9, A), det(0, 0.8, B)]], [[gt(0, A)]], 0, 0.5)).toBe(1)
  })

  it('a duplicate counts as a false positive: (51·1 + 50·2/3) / 101', () => {
    const dets = [[det(0, 0.9, A), det(0, 0.8, A), det(0, 0.7, B)]]
    expect(classAveragePrecision(dets, [[gt(0, A), gt(0, B)]], 0, 0.5)).toBeCloseTo((51 + (50 * 2) / 3) / 101, 12)
  })

  it('the wrong class is a miss, and the IoU threshold decides a loose box', () => {
    expect(classAveragePrecision([[det(1, 0.9, A)]], [[gt(0, A)]], 0, 0.5)).toBe(0)
    const loose: Box = [0.25, 0.25, 0.2, 0.2 / 0.62] // same centre, IoU 0.62
    expect(classAveragePrecision([[det(0, 0.9, loose)]], [[gt(0, A)]], 0, 0.5)).toBe(1)
    expect(classAveragePrecision([[det(0, 0.9, loose)]], [[gt(0, A)]], 0, 0.75)).toBe(0)
    // AP 0.5:0.95: passes 0.5, 0.55, 0.6 of ten thresholds
    expect(detectionMetrics([[det(0, 0.9, loose)]], [[gt(0, A)]], 3).ap).toBeCloseTo(0.3, 12)
  })

  it('classes without ground truth are left out of the mean', () => {
    expect(classAveragePrecision([[det(2, 0.9, A)]], [[gt(0, A)]], 2, 0.5)).toBeNull()
    expect(detectionMetrics([[det(0, 0.9, A), det(2, 0.9, B)]], [[gt(0, A)]], 3).ap50).toBe(1)
  })
})

describe('COCO recall grid', () => {
  it("is numpy's linspace(0, 1, 101): one float step above i/100 at the ten points where i · 0.01 rounds up", async () => {
    const { RECALL_POINTS } = await import('../../src/set-prediction/average-precision.js')
    const above = [35, 41, 47, 57, 69, 70, 82, 83, 94, 95]
    expect(RECALL_POINTS).toHaveLength(101)
    expect(RECALL_POINTS[100]).toBe(1)
    for (let i = 0; i <= 100; i++) {
      if (above.includes(i)) expect(RECALL_POINTS[i], `i = ${i}`).toBeGreaterThan(i / 100)
      else expect(RECALL_POINTS[i], `i = ${i}`).toBe(i / 100)
    }
    expect(RECALL_POINTS[35]).toBe(0.35000000000000003)
  })

  it('a recall of exactly 0.35 does not reach the 0.35 point (as in pycocotools)', () => {
    // 20 images with one box each; 7 hits, then a false positive, then the other 13 hits.
    const truths = Array.from({ length: 20 }, () => [gt(0, A)])
    const dets = truths.map((_, i) => (i < 7 ? [det(0, 0.99 - i * 0.01, A)] : [det(0, 0.8 - i * 0.01, A)]))
    dets[7]!.push(det(0, 0.9, B))
    // precision 1 up to recall 7/20 = 0.35, then at most 20/21; COCO's point 35 lies just past 0.35
    expect(classAveragePrecision(dets, truths, 0, 0.5)).toBeCloseTo((35 + (66 * 20) / 21) / 101, 12)
  })
})
