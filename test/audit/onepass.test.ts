// The one-pass measures as pure math: on a toy "model" (a next-token table), greedy decoding done by
// hand step by step must give the same memorized/lead as the teacher-forced argmaxes, and the
// miss-started continuation must rebuild the whole greedy generation.
import { describe, expect, it } from 'vitest';
import { measureMemorization } from '../../src/audit/measures.js';
import { generationFromMiss, onePassMeasures, promptAfterMiss, stepsAfterMiss } from '../../src/audit/onepass.js';

// a toy deterministic LM: next token = f(last two tokens), over a 7-token vocabulary
const next = (context: number[]) => (context[context.length - 1] * 3 + (context[context.length - 2] ?? 0) + 1) % 7;
const greedy = (prompt: number[], n: number) => {
  const sequence = [...prompt];
  for (let i = 0; i < n; i++) sequence.push(next(sequence));
  return sequence.slice(prompt.length);
};
const teacherForced = (ids: number[], k: number, m: number) => Array.from({ length: m }, (_, i) => next(ids.slice(0, k + i)));

describe('onePassMeasures', () => {
  it('equals greedy decoding on every row of an exhaustive toy corpus (k = 2, m = 4)', () => {
    const [k, m] = [2, 4];
    let rows = 0;
    let memorized = 0;
    // every 6-token row over a 4-token alphabet, plus the rows the toy model would generate itself
    const corpus: number[][] = [];
    for (let code = 0; code < 4 ** 6; code++) corpus.push(Array.from({ length: 6 }, (_, t) => Math.floor(code / 4 ** t) % 4));
    for (let a = 0; a < 7; a++) for (let b = 0; b < 7; b++) corpus.push([a, b, ...greedy([a, b], m)]);
    for (const ids of corpus) {
      const reference = ids.slice(k, k + m);
      const generated = greedy(ids.slice(0, k), m);
      const full = measureMemorization(reference, generated);
      const one = onePassMeasures(reference, teacherForced(ids, k, m));
      expect([one.memorized, one.lead]).toEqual([full.memorized, full.lead]);
      if (!one.memorized) {
        // the miss token is what greedy emits at the first miss; resuming there rebuilds the generation
        expect(one.missToken).toBe(generated[one.lead]);
        const prompt = promptAfterMiss(ids, k, one);
        expect(Array.from(prompt)).toEqual([...ids.slice(0, k + one.lead), generated[one.lead]]);
        const rest = greedy(Array.from(prompt), stepsAfterMiss(m, one));
        expect(Array.from(generationFromMiss(reference, one, rest))).toEqual(generated);
      } else {
        memorized++;
        expect(Array.from(generationFromMiss(reference, one, []))).toEqual(generated);
      }
      rows++;
    }
    expect(rows).toBe(4 ** 6 + 49);
    expect(memorized).toBeGreaterThanOrEqual(49); // the self-generated rows, at least
  });

  it('lead counts leading matches only; a later match after a miss does not extend it', () => {
    expect(onePassMeasures([1, 2, 3, 4], [1, 2, 9, 4])).toEqual({ memorized: false, lead: 2, missToken: 9 });
    expect(onePassMeasures([1, 2, 3, 4], [1, 2, 3, 4])).toEqual({ memorized: true, lead: 4, missToken: null });
    expect(onePassMeasures([1, 2, 3, 4], [0, 2, 3, 4])).toEqual({ memorized: false, lead: 0, missToken: 0 });
    expect(stepsAfterMiss(4, onePassMeasures([1, 2, 3, 4], [1, 2, 3, 0]))).toBe(0);
  });

  it('rejects predictions of the wrong length and continuations that do not fill the window', () => {
    expect(() => onePassMeasures([1, 2, 3], [1, 2])).toThrow(/2 teacher-forced predictions for a 3-token/);
    const measures = onePassMeasures([1, 2, 3, 4], [1, 5, 0, 0]);
    expect(() => generationFromMiss([1, 2, 3, 4], measures, [7])).toThrow(/expected 2/);
    expect(() => promptAfterMiss([0, 1, 2, 3, 4], 1, onePassMeasures([1], [1]))).toThrow(/no miss/);
  });
});
