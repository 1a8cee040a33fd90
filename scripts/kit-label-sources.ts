// The three label sources of docs/risk.md on the brown-tiny kit, measured with memsieve's own commands:
// filter --rule 'baseline_lead >= 20', filter --rule baseline_memorized, and the trained classifier at
// the kit's usual threshold (train --trials 20, filter's default risk >= 0.5); for each, rows removed
// and student-memorized rows among them. Also evaluate on held-out rows: a model trained on the kit's
// even rows, measured on its odd rows.
//   npx tsx scripts/kit-label-sources.ts            (about a minute on 2 cores)
// Score columns come from the kit's golden values (kit README definitions), joined by id, as
// `memsieve score` names them: teacher_ppl, baseline_ppl, kl_teacher_baseline, zlib_entropy,
// baseline_lead, baseline_memorized.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { parquetWriteFile } from 'hyparquet-writer';

const ROOT = join(import.meta.dirname, '..');
const KIT = join(ROOT, 'fixtures', 'brown-tiny');

async function rows(path: string): Promise<Record<string, any>[]> {
  const bytes = readFileSync(path);
  return (await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer, compressors })) as Record<string, any>[];
}

function memsieve(args: string[]): string {
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), ...args], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`memsieve ${args.join(' ')} failed:\n${result.stderr}`);
  return result.stdout;
}

const [corpus, golden] = await Promise.all([rows(join(KIT, 'corpus.parquet')), rows(join(KIT, 'golden.parquet'))]);
const ids = corpus.map((r) => String(r.id));
const memStudent = new Map(golden.map((g, i) => [ids[i], Boolean(g.mem_student)]));
const dir = mkdtempSync(join(tmpdir(), 'memsieve-label-sources-'));

function writeScores(path: string, pick: number[]): void {
  parquetWriteFile({
    filename: path,
    columnData: [
      { name: 'id', data: pick.map((i) => ids[i]), type: 'STRING' },
      { name: 'teacher_ppl', data: pick.map((i) => Math.exp(golden[i].nll_teacher)), type: 'DOUBLE' },
      { name: 'baseline_ppl', data: pick.map((i) => Math.exp(golden[i].nll_baseline)), type: 'DOUBLE' },
      { name: 'kl_teacher_baseline', data: pick.map((i) => Number(golden[i].kl_tb_T1)), type: 'DOUBLE' },
      { name: 'zlib_entropy', data: pick.map((i) => (8 * Number(golden[i].zlib_bytes)) / Number(golden[i].n_tokens)), type: 'DOUBLE' },
      { name: 'baseline_lead', data: pick.map((i) => Number(golden[i].lead_baseline)), type: 'INT32' },
      { name: 'baseline_memorized', data: pick.map((i) => Boolean(golden[i].mem_baseline)), type: 'BOOLEAN' },
    ],
  });
}
function writeLabels(path: string, pick: number[]): void {
  parquetWriteFile({ filename: path, columnData: [{ name: 'id', data: pick.map((i) => ids[i]), type: 'STRING' }, { name: 'mem_student', data: pick.map((i) => Boolean(golden[i].mem_student)), type: 'BOOLEAN' }] });
}

const all = ids.map((_, i) => i);
const scores = join(dir, 'scores.parquet');
const labels = join(dir, 'labels.parquet');
writeScores(scores, all);
writeLabels(labels, all);
const memorized = [...memStudent.values()].filter(Boolean).length;

async function filterRun(name: string, decide: string[]): Promise<string> {
  const out = join(dir, name);
  memsieve(['filter', '--input', join(KIT, 'corpus.parquet'), '--scores', scores, ...decide, '--clean', join(out, 'clean.parquet'), '--removed', join(out, 'removed.parquet'), '--report', join(out, 'report')]);
  memsieve(['verify', '--report', join(out, 'report'), '--check-risk']);
  const removed = readFileSync(join(out, 'report', 'removed-rows.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l).id as string);
  const caught = removed.filter((id) => memStudent.get(id)).length;
  return `| ${name} | ${removed.length} (${((100 * removed.length) / ids.length).toFixed(1)}%) | ${caught} of ${memorized} |`;
}

const model = join(dir, 'risk.json');
memsieve(['train', '--scores', scores, '--labels', labels, '--label-column', 'mem_student', '--trials', '20', '--output', model]);
const table = [
  '| label source | rows removed (share of 5,300) | student-memorized rows removed |',
  '| --- | --- | --- |',
  await filterRun("`--rule 'baseline_lead >= 20'`", ['--rule', 'baseline_lead >= 20']),
  await filterRun('`--rule baseline_memorized`', ['--rule', 'baseline_memorized']),
  await filterRun('classifier (`train --trials 20`, risk ≥ 0.5)', ['--model', model]),
];
console.log(table.join('\n'));

// held out: train on the even rows, evaluate on the odd rows
const even = all.filter((i) => i % 2 === 0);
const odd = all.filter((i) => i % 2 === 1);
for (const [name, pick] of [['even', even], ['odd', odd]] as const) {
  writeScores(join(dir, `scores-${name}.parquet`), pick);
  writeLabels(join(dir, `labels-${name}.parquet`), pick);
}
const evenModel = join(dir, 'risk-even.json');
memsieve(['train', '--scores', join(dir, 'scores-even.parquet'), '--labels', join(dir, 'labels-even.parquet'), '--label-column', 'mem_student', '--trials', '20', '--output', evenModel]);
console.log('\nmemsieve evaluate: trained on the even rows, evaluated on the odd rows (risk >= 0.5)');
console.log(memsieve(['evaluate', '--model', evenModel, '--scores', join(dir, 'scores-odd.parquet'), '--labels', join(dir, 'labels-odd.parquet'), '--label-column', 'mem_student', '--output', join(dir, 'eval-odd.json')]));
console.log(memsieve(['evaluate', '--model', evenModel, '--scores', join(dir, 'scores-odd.parquet'), '--labels', join(dir, 'labels-odd.parquet'), '--label-column', 'mem_student', '--target-recall', '1', '--output', join(dir, 'eval-odd-r1.json')]));
