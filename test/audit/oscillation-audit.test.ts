// audit --oscillation: the hallucination columns of each decoded continuation, against a plain loop
// over the generated and reference ids written beside them (sharing no code with src/audit/hallucination.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { kitFile, readParquetRows, tempDir } from '../helpers/kit.js';
import { loadTokenizer } from '../../src/text/tokenizer.js';

/** Most frequent bigram's count by sorting the pairs as strings. */
function topBigram(ids: number[]): number {
  const pairs = ids.slice(1).map((id, i) => `${ids[i]} ${id}`).sort();
  let best = 0;
  let run = 0;
  pairs.forEach((p, i) => {
    run = i > 0 && pairs[i - 1] === p ? run + 1 : 1;
    best = Math.max(best, run);
  });
  return best;
}

describe('audit --oscillation', () => {
  it('writes top bigram counts of generation and reference, the flag at a difference of 2, and the summary count', async () => {
    const dir = tempDir('memsieve-osc-');
    const corpus = join(dir, 'corpus.parquet');
    const out = join(dir, 'audit.parquet');
    expect(runCli(['sample', '-i', kitFile('corpus.parquet'), '-o', corpus, '--rows', '24', '--seed', '5', '-q']).status).toBe(0);
    const r = runCli(['audit', '-i', corpus, '-o', out, '--model', kitFile('baseline.onnx'), '--tokenizer', kitFile('tokenizer.json'),
      '--max-tokens', '100', '--oscillation', '--keep-generations', '--threads', '1', '-q']);
    expect(r.status, r.stderr).toBe(0);
    const tokenizer = await loadTokenizer(kitFile('tokenizer.json'));
    const rows = await readParquetRows(out);
    let flagged = 0;
    for (const row of rows) {
      const generated = Array.from(row.generated_ids as number[], Number);
      const reference = Array.from(tokenizer.encode(row.text)).slice(50, 100);
      expect(row.top_ngram_count).toBe(topBigram(generated));
      expect(row.reference_top_ngram_count).toBe(topBigram(reference));
      expect(row.oscillatory).toBe(topBigram(generated) - topBigram(reference) >= 2);
      if (row.oscillatory) flagged++;
    }
    const summary = JSON.parse(readFileSync(`${out}.summary.json`, 'utf8'));
    expect(summary).toMatchObject({ oscillatory: flagged, oscillation_ngram: 2, oscillation_threshold: 2, decoded: true });
  }, 300_000);
});
