// "memsieve or deduplication?" on the brown-tiny kit, measured with memsieve's own commands (docs/risk.md):
// score the kit (teacher, baseline), audit its soft student, then for two students — the soft student
// (student.onnx, audited here) and the sequence-level (hard) student (the kit's golden mem_student_hard; no
// model ships) — count what each way of removing rows removes and how many of the student's memorized rows
// it catches:
//   exact dedup (keep the first copy of each text: what any exact dedup does; computed here, memsieve has no
//   dedup), `filter --rule` on the copy count, the trained classifier (`train --trials 20`, filter at its
//   default threshold), and single-signal rules on score's membership-inference columns at the classifier's
//   removal budget (the threshold is the budget-th most member-like value, so ties can add a few rows).
// Every filter run passes `verify --check-risk`.
//   npx tsx scripts/kit-dedup-vs-risk.ts [--work DIR]     (score is most of the time; a rerun with the same --work reuses it)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { parquetWriteFile } from 'hyparquet-writer';

const ROOT = join(import.meta.dirname, '..');
const KIT = join(ROOT, 'fixtures', 'brown-tiny');
const workArg = process.argv.indexOf('--work');
const dir = workArg > 0 ? process.argv[workArg + 1] : mkdtempSync(join(tmpdir(), 'memsieve-dedup-vs-risk-'));
mkdirSync(dir, { recursive: true });

type Row = Record<string, any>;
async function rows(path: string, columns?: string[]): Promise<Row[]> {
  const bytes = readFileSync(path);
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
  return (await parquetReadObjects({ file, columns, compressors })) as Row[];
}

function memsieve(args: string[]): string {
  const started = Date.now();
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'main.ts'), ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 256 << 20 });
  if (result.status !== 0) throw new Error(`memsieve ${args.join(' ')} failed:\n${result.stderr}`);
  if (args[0] === 'score' || args[0] === 'audit') console.error(`memsieve ${args[0]}: ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return result.stdout;
}

const scores = join(dir, 'scores.parquet');
const audit = join(dir, 'audit-student.parquet');
const models = ['--teacher', join(KIT, 'teacher.onnx'), '--baseline', join(KIT, 'baseline.onnx'), '--tokenizer', join(KIT, 'tokenizer.json')];
// a rerun with the same --work reuses the scores and the audit (score takes minutes on 2 cores)
if (!existsSync(scores)) memsieve(['score', '-i', join(KIT, 'corpus.parquet'), '-o', scores, ...models, '-q']);
if (!existsSync(audit)) memsieve(['audit', '-i', join(KIT, 'corpus.parquet'), '-o', audit, '--model', join(KIT, 'student.onnx'), '--tokenizer', join(KIT, 'tokenizer.json'), '-q']);

const scored = await rows(scores);
const ids = scored.map((r) => String(r.id));
const golden = await rows(join(KIT, 'golden.parquet'), ['mem_student', 'mem_student_hard']);
const corpusIds = (await rows(join(KIT, 'corpus.parquet'), ['id'])).map((r) => String(r.id));
const auditRows = await rows(audit, ['id', 'memorized']);
const soft = new Map(auditRows.map((r) => [String(r.id), r.memorized === true]));
const hard = new Map(corpusIds.map((id, i) => [id, Boolean(golden[i].mem_student_hard)]));
const goldenSoft = golden.filter((g) => g.mem_student).length;

// the hard student's labels as a labels file (golden is in corpus order)
const hardLabels = join(dir, 'labels-hard.parquet');
parquetWriteFile({
  filename: hardLabels,
  columnData: [
    { name: 'id', data: corpusIds, type: 'STRING' },
    { name: 'memorized', data: corpusIds.map((id) => hard.get(id)!), type: 'BOOLEAN' },
  ],
});

// exact dedup: the first row of each text stays, every later copy goes
const firstOfText = new Map<string, string>();
const dedupRemoved = new Set<string>();
for (const r of scored) {
  if (firstOfText.has(r.text)) dedupRemoved.add(String(r.id));
  else firstOfText.set(r.text, String(r.id));
}

let runs = 0;
function filterRemoved(decide: string[], input = join(KIT, 'corpus.parquet'), scoreFile = scores): Set<string> {
  const out = join(dir, `filter-${++runs}`);
  memsieve(['filter', '--input', input, '--scores', scoreFile, ...decide, '--clean', join(out, 'clean.parquet'), '--removed', join(out, 'removed.parquet'), '--report', join(out, 'report'), '-q']);
  memsieve(['verify', '--report', join(out, 'report'), '--check-risk']);
  return new Set(readFileSync(join(out, 'report', 'removed-rows.jsonl'), 'utf8').trimEnd().split('\n').filter(Boolean).map((l) => JSON.parse(l).id as string));
}

const textOf = new Map(scored.map((r) => [String(r.id), r.text as string]));
function row(name: string, command: string, removed: Set<string>, labels: Map<string, boolean>): string {
  const memorized = ids.filter((id) => labels.get(id));
  const caught = memorized.filter((id) => removed.has(id)).length;
  // memorized texts of which at least one copy stays in D_clean
  const textsLeft = new Set(memorized.filter((id) => !removed.has(id)).map((id) => textOf.get(id)));
  const share = ((100 * removed.size) / ids.length).toFixed(1);
  return `| ${name} | ${command} | ${removed.size.toLocaleString('en-US')} (${share}%) | ${caught} of ${memorized.length} | ${textsLeft.size} |`;
}

// membership-inference columns of score and which end is member-like (docs/features.md)
const SIGNALS: Array<[string, 'high' | 'low']> = [
  ['teacher_mink', 'high'], ['teacher_minkpp', 'high'], ['teacher_zlib_ratio', 'low'], ['teacher_nll', 'low'],
  ['baseline_mink', 'high'], ['baseline_minkpp', 'high'], ['baseline_nll', 'low'], ['kl_teacher_baseline', 'low'],
];
function budgetRule(column: string, end: 'high' | 'low', budget: number): string {
  const values = scored.map((r) => r[column]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  values.sort((a, b) => (end === 'high' ? b - a : a - b));
  const cut = values[budget - 1];
  return `${column} ${end === 'high' ? '>=' : '<='} ${cut}`;
}

const dupCounts = new Map<number, number>();
for (const r of scored) dupCounts.set(Number(r.copies), (dupCounts.get(Number(r.copies)) ?? 0) + 1);
console.log(`kit: ${ids.length} rows; rows by copies: ${[...dupCounts].sort((a, b) => a[0] - b[0]).map(([c, n]) => `${c}×: ${n}`).join(', ')}; ${firstOfText.size} distinct texts`);
console.log(`soft student: ${[...soft.values()].filter(Boolean).length} memorized by memsieve audit (golden mem_student: ${goldenSoft}); hard student: ${[...hard.values()].filter(Boolean).length} memorized (golden mem_student_hard)`);
for (const [who, labels] of [['soft', soft], ['hard', hard]] as const) {
  const memorized = ids.filter((id) => labels.get(id));
  const byCopies = new Map<number, number>();
  for (const id of memorized) {
    const c = Number(scored[ids.indexOf(id)].copies);
    byCopies.set(c, (byCopies.get(c) ?? 0) + 1);
  }
  console.log(`${who} student's memorized rows by copies: ${[...byCopies].sort((a, b) => a[0] - b[0]).map(([c, n]) => `${c}×: ${n}`).join(', ')}`);
}

// after exact dedup: the deduplicated corpus and its scores (the scores rows of the kept ids; score's values
// do not depend on the other rows), filtered by the same classifier — what memsieve finds once dedup has run
const kept = scored.filter((r) => !dedupRemoved.has(String(r.id)));
function writeRows(path: string, table: Row[], columns: string[]): void {
  const type = (column: string) => {
    const value = table.find((r) => r[column] !== null && r[column] !== undefined)?.[column];
    return typeof value === 'boolean' ? 'BOOLEAN' : typeof value === 'string' ? 'STRING' : typeof value === 'bigint' ? 'INT64' : 'DOUBLE';
  };
  parquetWriteFile({ filename: path, columnData: columns.map((name) => ({ name, data: table.map((r) => r[name] ?? null), type: type(name) })) });
}
const dedupCorpus = join(dir, 'corpus-dedup.parquet');
const dedupScores = join(dir, 'scores-dedup.parquet');
writeRows(dedupCorpus, kept, ['id', 'text', 'copies']);
writeRows(dedupScores, kept, Object.keys(scored[0]));

for (const [who, labels, labelFile] of [['soft (student.onnx, memsieve audit)', soft, audit], ['hard (golden mem_student_hard)', hard, hardLabels]] as const) {
  const risk = join(dir, `risk-${runs}.json`);
  memsieve(['train', '--scores', scores, '--labels', labelFile, '--label-column', 'memorized', '--trials', '20', '--output', risk, '-q']);
  const classifier = filterRemoved(['--model', risk]);
  const budget = classifier.size;
  const table = [
    `\n### ${who}\n`,
    '| method | command | rows removed (of 5,300) | memorized rows removed | memorized texts left in D_clean |',
    '| --- | --- | --- | --- | --- |',
    row('exact dedup (keep one copy)', 'first copy of each text kept', dedupRemoved, labels),
    row('copy count', "`filter --rule 'copies >= 2'`", filterRemoved(['--rule', 'copies >= 2']), labels),
    row('copy count', "`filter --rule 'copies >= 16'`", filterRemoved(['--rule', 'copies >= 16']), labels),
    row('classifier', '`train --trials 20`; `filter --model` (risk ≥ 0.5)', classifier, labels),
  ];
  for (const [column, end] of SIGNALS) {
    const rule = budgetRule(column, end, budget);
    table.push(row(`${column} alone, classifier's budget`, `\`filter --rule '${rule}'\``, filterRemoved(['--rule', rule]), labels));
  }
  console.log(table.join('\n'));
  // the deduplicated corpus (4,000 rows): which of the memorized texts' remaining copies the classifier still removes
  const afterDedup = filterRemoved(['--model', risk], dedupCorpus, dedupScores);
  const memorizedKept = kept.filter((r) => labels.get(String(r.id))).map((r) => String(r.id));
  const caught = memorizedKept.filter((id) => afterDedup.has(id)).length;
  console.log(`\nafter exact dedup (${kept.length.toLocaleString('en-US')} rows, ${memorizedKept.length} of them labelled memorized): the classifier removes ${afterDedup.size} rows (${((100 * afterDedup.size) / kept.length).toFixed(1)}%), ${caught} of the ${memorizedKept.length}`);
}
console.log(`\nwork folder: ${dir}`);
