// Hard (sequence-level) KD as data: distill writes the targets it trains on beside the checkpoint,
// trains on a filtered targets file, and adapts the teacher first (Adaptive-SeqKD). Tiny models, CPU.
// Independent numbers: the teacher's (or adapted teacher's) own greedy decoding through the worker,
// the token file the trainer read, and rule counts recomputed here from the targets file.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileMetadata } from '../../src/io/metadata.js';
import { startTorchWorker } from '../../src/models/torch-worker.js';
import { runCli } from '../helpers/cli.js';
import { kitCorpus, kitFile, readParquetRows, tempDir } from '../helpers/kit.js';
import { lacks } from '../helpers/system.js';
import { makeTiny, readTokenFile } from './helpers.js';

const noTorch = lacks('python3-torch');
const dir = tempDir('memsieve-hard-kd-');
const teacher = join(dir, 'teacher');
const baseline = join(dir, 'baseline');
const train = join(dir, 'train.jsonl');
const adapt = join(dir, 'adapt.jsonl');
const PREFIX = 20;
const common = ['--tokenizer', kitFile('tokenizer.json'), '--max-tokens', '48', '--prefix-tokens', String(PREFIX), '--device', 'cpu', '--batch-size', '8', '--seed', '1'];
const ints = (a: ArrayLike<number | bigint>) => Array.from(a, Number);

beforeAll(async () => {
  if (noTorch) return;
  makeTiny(teacher, { layers: 2, seed: 1 });
  makeTiny(baseline, { layers: 1, seed: 2 });
  const texts = (await kitCorpus()).slice(100, 140).map((r) => r.text as string);
  writeFileSync(train, texts.slice(0, 24).map((text, i) => JSON.stringify({ id: `r${i}`, text })).join('\n') + '\n');
  writeFileSync(adapt, texts.slice(24, 40).map((text, i) => JSON.stringify({ id: `a${i}`, text })).join('\n') + '\n');
});

async function greedyOf(model: string, rows: Record<string, any>[]): Promise<number[][]> {
  const worker = await startTorchWorker({ model, device: 'cpu', dtype: 'float32' });
  try {
    const prefixes = rows.map((r) => Int32Array.from(ints(r.prompt_ids)));
    const steps = Math.max(...rows.map((r) => r.continuation_ids.length));
    return (await worker.greedy(prefixes, steps)).map((g, i) => ints(g).slice(0, rows[i].continuation_ids.length));
  } finally {
    await worker.close();
  }
}

describe.skipIf(noTorch)('distill --mode hard: targets as data', () => {
  const out = join(dir, 'student');
  const targets = `${out}.targets.parquet`;

  it('writes the targets beside the checkpoint, trains on exactly them, and names them in distill.json', async () => {
    const sequences = join(dir, 'hard.tokens');
    const r = runCli(['distill', '--mode', 'hard', '-i', train, '--teacher', teacher, '--student-config', baseline, '--out', out, '--hard-data-out', sequences, ...common]);
    expect(r.status, r.stderr).toBe(0);
    const rows = await readParquetRows(targets);
    expect(rows.map((row) => row.id)).toEqual(Array.from({ length: 24 }, (_, i) => `r${i}`));
    // the student trained on prompt + the teacher's continuation, row by row
    expect(readTokenFile(sequences).map(ints)).toEqual(rows.map((row) => [...ints(row.prompt_ids), ...ints(row.continuation_ids)]));
    // and the continuation is the teacher's greedy one
    expect(rows.map((row) => ints(row.continuation_ids))).toEqual(await greedyOf(teacher, rows));
    const record = JSON.parse(readFileSync(join(out, 'distill.json'), 'utf8'));
    expect(record.mode).toBe('hard');
    expect(record.provenance.targets.path).toBe(targets);
    expect(record.provenance.targets.summary).toMatchObject({ command: 'targets', teacher, rows: 24, prefix_tokens: PREFIX, max_tokens: 48 });
    expect(existsSync(`${targets}.summary.json`)).toBe(true);
  });

  it('trains on what filter --rule leaves of a targets file', async () => {
    const rows = await readParquetRows(targets);
    // a cut that splits the rows: the median top bigram count of the continuations
    const counts = rows.map((row) => Number(row.top_ngram_count)).sort((a, b) => a - b);
    const cut = counts[12];
    const removedByHand = rows.filter((row) => Number(row.top_ngram_count) >= cut).length;
    expect(removedByHand).toBeGreaterThan(0);
    expect(removedByHand).toBeLessThan(24);
    const clean = join(dir, 'targets-clean.parquet');
    const f = runCli(['filter', '--input', targets, '--scores', targets, '--rule', `top_ngram_count >= ${cut}`, '--clean', clean,
      '--removed', join(dir, 'targets-removed.parquet'), '--report', join(dir, 'targets-report'), '--max-removed', '100%', '-q']);
    expect(f.status, f.stderr).toBe(0);
    const out2 = join(dir, 'student-filtered');
    const sequences = join(dir, 'filtered.tokens');
    const r = runCli(['distill', '--mode', 'hard', '--targets', clean, '--student-config', baseline, '--out', out2, '--hard-data-out', sequences, ...common]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/training on hard-KD targets .*targets-clean.parquet \(\d+ rows\) \(no summary beside it/);
    const kept = rows.filter((row) => Number(row.top_ngram_count) < cut);
    expect(readTokenFile(sequences).map(ints)).toEqual(kept.map((row) => [...ints(row.prompt_ids), ...ints(row.continuation_ids)]));
    // filter keeps the targets' provenance: distill checked it and records it
    const recorded = JSON.parse((await readFileMetadata(targets)).get('memsieve.provenance.targets')!);
    expect(recorded).toMatchObject({ stage: 'targets', models: { teacher: { path: teacher } }, prefix_tokens: PREFIX, max_tokens: 48, backend: 'torch', dtype: 'float32' });
    expect(JSON.parse(readFileSync(join(out2, 'distill.json'), 'utf8')).provenance.targets).toEqual({ path: clean, summary: null, provenance: recorded });
  });

  it('Adaptive-SeqKD: the adapted teacher is saved, named in distill.json, and is the one that wrote the targets', async () => {
    const out3 = join(dir, 'student-adapted');
    const r = runCli(['distill', '--mode', 'hard', '-i', train, '--teacher', teacher, '--student-config', baseline, '--out', out3,
      '--adapt-on', adapt, '--adapt-steps', '3', '--adapt-lr', '1e-2', ...common]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/adapting the teacher \(Adaptive-SeqKD\): training \(ce\)/);
    const adapted = `${out3}.adapted-teacher`;
    const adaptRecord = JSON.parse(readFileSync(join(adapted, 'distill.json'), 'utf8'));
    expect(adaptRecord).toMatchObject({ mode: 'ce', steps: 3, args: { student: teacher, lr: 1e-2, schedule: 'constant' } });
    const record = JSON.parse(readFileSync(join(out3, 'distill.json'), 'utf8'));
    expect(record.provenance.adapted_teacher).toEqual({ path: adapted, from: teacher, adapt_on: [adapt], steps: 3, lr: 1e-2 });
    expect(record.provenance.targets.summary.teacher).toBe(adapted);
    const rows = await readParquetRows(`${out3}.targets.parquet`);
    const [fromAdapted, fromTeacher] = await Promise.all([greedyOf(adapted, rows), greedyOf(teacher, rows)]);
    expect(rows.map((row) => ints(row.continuation_ids))).toEqual(fromAdapted);
    // three steps at 1e-2 move a random tiny model: its continuations are not the original teacher's
    expect(fromAdapted).not.toEqual(fromTeacher);
  });

  it('refuses --targets with --data or --adapt-on, and --adapt-on outside hard mode', () => {
    const never = join(dir, 'never');
    let r = runCli(['distill', '--mode', 'hard', '-i', train, '--targets', targets, '--student-config', baseline, '--out', never, ...common]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/memsieve: error: --targets replaces --data for hard KD: give one of them/);
    r = runCli(['distill', '--mode', 'hard', '--targets', targets, '--adapt-on', adapt, '--student-config', baseline, '--out', never, ...common]);
    expect(r.stderr).toMatch(/memsieve: error: --adapt-on adapts the teacher before it writes targets/);
    r = runCli(['distill', '--mode', 'soft', '-i', train, '--teacher', teacher, '--adapt-on', adapt, '--student-config', baseline, '--out', never, ...common]);
    expect(r.stderr).toMatch(/memsieve: error: --adapt-on is for --mode hard/);
    // another tokenizer (here: the same one with one more byte, so another sha256) than the targets were made with
    const otherTokenizer = join(dir, 'other-tokenizer.json');
    writeFileSync(otherTokenizer, `${readFileSync(kitFile('tokenizer.json'), 'utf8')}\n`);
    r = runCli(['distill', '--mode', 'hard', '--targets', targets, '--student-config', baseline, '--out', never, ...common, '--tokenizer', otherTokenizer]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^memsieve: error: --tokenizer .*other-tokenizer\.json: tokenizer is sha256 [0-9a-f]{12}…, but --targets .*student\.targets\.parquet has tokenizer sha256 [0-9a-f]{12}…; the student must share the teacher's token ids/);
    expect(existsSync(never)).toBe(false);
  });
});
