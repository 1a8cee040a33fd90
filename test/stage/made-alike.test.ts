// Every reader checks provenance: compare, verdict and counterfactual refuse audits made with another
// tokenizer or other windows (the models may differ: that is the point), train refuses scores and labels
// of other tokens, and distill refuses targets of another tokenizer — each exit 2 with one line naming
// both inputs, the field and both values, unless --allow-mismatch names the field (then recorded in the
// output). Inputs without provenance get one warning line. Real CLI runs on 20 rows of the kit.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileMetadata } from '../../src/io/metadata.js';
import { runCli } from '../helpers/cli.js';
import { kitCorpus, kitFile, kitGolden, readParquetRows, tempDir } from '../helpers/kit.js';

const dir = tempDir('memsieve-made-alike-');
const path = (name: string) => join(dir, name);
const TOKENIZER = kitFile('tokenizer.json');
/** the same tokenizer with one more byte: another sha256, the same ids */
const OTHER_TOKENIZER = path('other-tokenizer.json');
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const short = (file: string) => `sha256 ${sha256(file).slice(0, 12)}…`;

function run(args: string[]) {
  const result = runCli(args);
  expect(result.status, result.stderr).toBe(0);
  return result;
}

function audit(output: string, model: string, extra: string[] = [], tokenizer = TOKENIZER): string {
  run(['audit', '-i', path('corpus.parquet'), '-o', path(output), '--model', kitFile(model), '--tokenizer', tokenizer, '--max-tokens', '128', '-q', ...extra]);
  return path(output);
}

let ids: string[];
let teacher: string; // teacher.onnx, default windows (50 + 50 of 128)
let baseline: string; // baseline.onnx, the same settings: another model only
let teacherP40: string; // --prefix-tokens 40
let teacherOtherTokenizer: string;
let baselineM100: string; // --max-tokens 100
let handMade: string; // id + memorized, no provenance
let scores: string;

beforeAll(async () => {
  // 6 rows the baseline memorizes in the kit's golden audit and 14 it does not: train gets both classes
  const golden = await kitGolden();
  const memorized = new Set(golden.filter((g) => g.mem_baseline).map((g) => String(g.id)));
  const corpus = await kitCorpus();
  const rows = [...corpus.filter((r) => memorized.has(String(r.id))).slice(0, 6), ...corpus.filter((r) => !memorized.has(String(r.id))).slice(0, 14)];
  ids = rows.map((r) => String(r.id));
  parquetWriteFile({ filename: path('corpus.parquet'), columnData: [{ name: 'id', data: ids, type: 'STRING' }, { name: 'text', data: rows.map((r) => String(r.text)), type: 'STRING' }] });
  writeFileSync(OTHER_TOKENIZER, `${readFileSync(TOKENIZER, 'utf8')}\n`);
  teacher = audit('teacher.parquet', 'teacher.onnx');
  baseline = audit('baseline.parquet', 'baseline.onnx');
  teacherP40 = audit('teacher-p40.parquet', 'teacher.onnx', ['--prefix-tokens', '40']);
  teacherOtherTokenizer = audit('teacher-other-tokenizer.parquet', 'teacher.onnx', [], OTHER_TOKENIZER);
  baselineM100 = audit('baseline-m100.parquet', 'baseline.onnx', ['--max-tokens', '100']);
  const labels = await readParquetRows(baseline);
  handMade = path('hand-made.parquet');
  parquetWriteFile({ filename: handMade, columnData: [{ name: 'id', data: labels.map((r) => r.id), type: 'STRING' }, { name: 'memorized', data: labels.map((r) => r.memorized), type: 'BOOLEAN' }] });
  scores = path('scores.parquet');
  run(['score', '-i', path('corpus.parquet'), '-o', scores, '--teacher', kitFile('teacher.onnx'), '--baseline', kitFile('baseline.onnx'), '--tokenizer', TOKENIZER, '--max-tokens', '128', '-q']);
}, 300_000);

/** the refusal's one line, as the user reads it */
const refusal = (second: string, field: string, b: string | number, first: string, a: string | number, why: string, redo: string, override: string) =>
  `memsieve: error: ${second}: ${field} is ${b}, but ${first} has ${field} ${a}; ${why}: ${redo}, or pass --allow-mismatch ${field} ${override}\n`;
const auditsRefusal = (second: string, field: string, b: string | number, first: string, a: string | number) =>
  refusal(second, field, b, first, a, 'memorization rates measured otherwise are not comparable', 'audit every model with the same tokenizer and settings', 'to combine them anyway');

describe('compare: audits of other models, made alike', () => {
  it('compares audits of two models made with the same tokenizer and windows, silently', () => {
    const r = run(['compare', '--audit', `teacher=${teacher}`, '--audit', `baseline=${baseline}`, '--audit', `student=${teacher}`, '-o', path('overlap.json')]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(readFileSync(path('overlap.json'), 'utf8')).allowed_mismatches).toBeUndefined();
  });

  it('refuses other windows and another tokenizer, exit 2, naming both files, the field and both values; writes nothing', () => {
    const out = tempDir('memsieve-made-alike-compare-');
    let r = runCli(['compare', '--audit', `teacher=${teacher}`, '--audit', `student=${teacherP40}`, '-o', join(out, 'overlap.json'), '--sets', join(out, 'sets.parquet')]);
    expect([r.status, r.stderr]).toEqual([2, auditsRefusal(`--audit student=${teacherP40}`, 'prefix_tokens', 40, `--audit teacher=${teacher}`, 50)]);
    r = runCli(['compare', '--audit', `baseline=${baseline}`, '--audit', `teacher=${teacherOtherTokenizer}`, '-o', join(out, 'overlap.json')]);
    expect([r.status, r.stderr]).toEqual([2, auditsRefusal(`--audit teacher=${teacherOtherTokenizer}`, 'tokenizer', short(OTHER_TOKENIZER), `--audit baseline=${baseline}`, short(TOKENIZER))]);
    expect(readdirSync(out)).toEqual([]);
  });

  it('--allow-mismatch prefix_tokens compares them anyway and records the difference in overlap.json', () => {
    const r = run(['compare', '--audit', `teacher=${teacher}`, '--audit', `baseline=${baseline}`, '--audit', `student=${teacherP40}`, '-o', path('overlap-allowed.json'), '--allow-mismatch', 'prefix_tokens']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`combined although made differently (--allow-mismatch): prefix_tokens 40 in --audit student=${teacherP40}, 50 in --audit teacher=${teacher}`);
    expect(JSON.parse(readFileSync(path('overlap-allowed.json'), 'utf8')).allowed_mismatches).toEqual([
      { field: 'prefix_tokens', inputs: [`--audit teacher=${teacher}`, `--audit student=${teacherP40}`], values: [50, 40] },
    ]);
  });

  it('sharded, each rank refuses the same way; allowed, the merged overlap.json records it as one process does', () => {
    const out = tempDir('memsieve-made-alike-shards-');
    const audits = ['--audit', `teacher=${teacher}`, '--audit', `baseline=${baseline}`, '--audit', `student=${teacherP40}`];
    const refused = runCli(['compare', ...audits, '-o', join(out, 'overlap.json'), '--shard-index', '0', '--shard-count', '2']);
    expect([refused.status, refused.stderr]).toEqual([2, auditsRefusal(`--audit student=${teacherP40}`, 'prefix_tokens', 40, `--audit teacher=${teacher}`, 50)]);
    for (const index of [0, 1]) run(['compare', ...audits, '-o', join(out, 'overlap.json'), '--shard-index', String(index), '--shard-count', '2', '--allow-mismatch', 'prefix_tokens']);
    run(['merge', join(out, 'overlap.json')]);
    expect(JSON.parse(readFileSync(join(out, 'overlap.json'), 'utf8')).allowed_mismatches).toEqual(JSON.parse(readFileSync(path('overlap-allowed.json'), 'utf8')).allowed_mismatches);
  });

  it('--allow-mismatch names only fields that are checked', () => {
    const r = runCli(['compare', '--audit', `teacher=${teacher}`, '--audit', `student=${teacherP40}`, '-o', path('never.json'), '--allow-mismatch', 'prefix']);
    expect([r.status, r.stderr]).toEqual([2, 'memsieve: error: --allow-mismatch prefix: not a field that is checked; use tokenizer, special_tokens, max_tokens, prefix_tokens, suffix_tokens, temperature, min_k\n']);
  });

  it('an audit without provenance: one warning line, and the comparison is made', () => {
    const r = run(['compare', '--audit', `teacher=${teacher}`, '--audit', `baseline=${baseline}`, '--audit', `student=${handMade}`, '-o', path('overlap-hand.json')]);
    expect(r.stderr).toBe(`memsieve: warning: --audit student=${handMade} records no provenance (made by another tool or an older memsieve): its tokenizer and settings cannot be checked against the other inputs\n`);
    expect(existsSync(path('overlap-hand.json'))).toBe(true);
  });
});

describe('verdict and counterfactual check their audits the same way', () => {
  it('verdict refuses --after audited with other windows; --allow-mismatch judges it and records the difference', () => {
    let r = runCli(['verdict', '--before', teacher, '--after', teacherP40, '-o', path('verdict.json')]);
    expect([r.status, r.stderr]).toEqual([2, auditsRefusal(`--after ${teacherP40}`, 'prefix_tokens', 40, `--before ${teacher}`, 50)]);
    expect(existsSync(path('verdict.json'))).toBe(false);
    // --teacher and --baseline are checked too (here an audit made with another max_tokens)
    r = runCli(['verdict', '--before', teacher, '--after', baseline, '--teacher', baselineM100, '--baseline', baseline, '-o', path('verdict.json')]);
    expect([r.status, r.stderr]).toEqual([2, auditsRefusal(`--teacher ${baselineM100}`, 'max_tokens', 100, `--before ${teacher}`, 128)]);
    r = run(['verdict', '--before', teacher, '--after', teacherP40, '-o', path('verdict.json'), '--allow-mismatch', 'prefix_tokens']);
    expect(JSON.parse(readFileSync(path('verdict.json'), 'utf8')).allowed_mismatches).toEqual([
      { field: 'prefix_tokens', inputs: [`--before ${teacher}`, `--after ${teacherP40}`], values: [50, 40] },
    ]);
  });

  it('verdict takes a score file as --teacher: its score provenance is compared with the audits', () => {
    const r = run(['verdict', '--before', teacher, '--after', baseline, '--teacher', scores, '--baseline', baseline, '-o', path('verdict-scores.json')]);
    expect(r.stderr).toBe('');
  });

  it('counterfactual refuses audits made with another tokenizer; --allow-mismatch combines them and says so in the summary', () => {
    const half = path('half.parquet');
    parquetWriteFile({ filename: half, columnData: [{ name: 'id', data: ids.slice(0, 10), type: 'STRING' }] });
    const other = path('other-half.parquet');
    parquetWriteFile({ filename: other, columnData: [{ name: 'id', data: ids.slice(10), type: 'STRING' }] });
    const args = ['counterfactual', '--audit', `s0=${teacher}`, '--audit', `s1=${teacherOtherTokenizer}`, '--trained-on', `s0=${half}`, '--trained-on', `s1=${other}`, '-o', path('cf.parquet')];
    const r = runCli(args);
    expect([r.status, r.stderr]).toEqual([2, auditsRefusal(`--audit s1=${teacherOtherTokenizer}`, 'tokenizer', short(OTHER_TOKENIZER), `--audit s0=${teacher}`, short(TOKENIZER))]);
    expect(existsSync(path('cf.parquet'))).toBe(false);
    const allowed = run([...args, '--allow-mismatch', 'tokenizer']);
    const summary = JSON.parse(allowed.stderr.trim().split('\n').at(-1)!);
    expect(summary.allowed_mismatches).toEqual([{ field: 'tokenizer', inputs: [`--audit s0=${teacher}`, `--audit s1=${teacherOtherTokenizer}`], values: [sha256(TOKENIZER), sha256(OTHER_TOKENIZER)] }]);
    expect(JSON.parse(readFileSync(path('cf.parquet.summary.json'), 'utf8')).allowed_mismatches).toEqual(summary.allowed_mismatches);
  });
});

describe('train and evaluate: scores and labels of the same tokens', () => {
  const labelsRefusal = () => refusal(`--labels ${baselineM100}`, 'max_tokens', 100, `--scores ${scores}`, 128,
    'the labels would describe other tokens than the features', 'score and audit with the same tokenizer, --special-tokens and --max-tokens', 'to use them anyway');

  it('refuses labels audited with another max_tokens, exit 2, before reading a row; --allow-mismatch trains and records it', () => {
    const model = path('risk.json');
    const r = runCli(['train', '--scores', scores, '--labels', baselineM100, '--trials', '3', '--output', model]);
    expect([r.status, r.stderr]).toEqual([2, labelsRefusal()]);
    expect(existsSync(model)).toBe(false);
    run(['train', '--scores', scores, '--labels', baselineM100, '--trials', '3', '--output', model, '--allow-mismatch', 'max_tokens']);
    const risk = JSON.parse(readFileSync(model, 'utf8'));
    expect(risk.provenance.allowed_mismatches).toEqual([{ field: 'max_tokens', inputs: [`--scores ${scores}`, `--labels ${baselineM100}`], values: [128, 100] }]);
    expect(risk.provenance.scoring.max_tokens).toBe(128);
    expect(risk.provenance.labels_audit).toMatchObject({ stage: 'audit', max_tokens: 100, models: { model: { sha256: sha256(kitFile('baseline.onnx')) } } });
  });

  it('trains on scores and labels made alike without a word; labels from score\'s baseline_memorized are checked with its record', () => {
    const r = run(['train', '--scores', scores, '--labels', baseline, '--trials', '3', '--output', path('risk-alike.json')]);
    expect(r.stderr).toBe('');
    const fromScores = run(['train', '--scores', scores, '--labels', scores, '--label-column', 'baseline_memorized', '--trials', '3', '--output', path('risk-scores.json')]);
    expect(fromScores.stderr).toBe('');
    expect(JSON.parse(readFileSync(path('risk-scores.json'), 'utf8')).provenance.labels_audit.stage).toBe('score');
  });

  it('evaluate refuses labels audited with another max_tokens the same way; --allow-mismatch evaluates and records it', () => {
    const args = ['evaluate', '--model', path('risk-alike.json'), '--scores', scores, '--labels', baselineM100, '--output', path('eval.json')];
    const r = runCli(args);
    expect([r.status, r.stderr]).toEqual([2, labelsRefusal()]);
    expect(existsSync(path('eval.json'))).toBe(false);
    run([...args, '--allow-mismatch', 'max_tokens']);
    expect(JSON.parse(readFileSync(path('eval.json'), 'utf8')).labels_allowed_mismatches).toEqual([
      { field: 'max_tokens', inputs: [`--scores ${scores}`, `--labels ${baselineM100}`], values: [128, 100] },
    ]);
  });
});

describe('targets record provenance; distill checks it', () => {
  it('targets writes its record into the file and the summary, and filter --rule keeps it; distill refuses the filtered file with another tokenizer', async () => {
    const targets = path('targets.parquet');
    run(['targets', '-i', path('corpus.parquet'), '-o', targets, '--teacher', kitFile('teacher.onnx'), '--tokenizer', TOKENIZER, '--max-tokens', '64', '--prefix-tokens', '16', '-q']);
    const recorded = JSON.parse((await readFileMetadata(targets)).get('memsieve.provenance.targets')!);
    expect(recorded).toMatchObject({
      stage: 'targets',
      models: { teacher: { path: kitFile('teacher.onnx'), sha256: sha256(kitFile('teacher.onnx')) } },
      tokenizer: { path: TOKENIZER, sha256: sha256(TOKENIZER) },
      max_tokens: 64, prefix_tokens: 16, suffix_tokens: null, temperature: null, min_k: null, backend: 'onnx', dtype: null,
    });
    expect(JSON.parse(readFileSync(`${targets}.summary.json`, 'utf8')).provenance).toEqual(recorded);
    const clean = path('targets-clean.parquet');
    run(['filter', '--input', targets, '--scores', targets, '--rule', 'oscillatory', '--clean', clean, '--removed', path('targets-removed.parquet'),
      '--report', path('targets-report'), '--max-removed', '100%', '-q']);
    expect(JSON.parse((await readFileMetadata(clean)).get('memsieve.provenance.targets')!)).toEqual(recorded);
    const never = path('never-student');
    const r = runCli(['distill', '--mode', 'hard', '--targets', clean, '--student-config', kitFile('hf/student'), '--tokenizer', OTHER_TOKENIZER, '--out', never, '--device', 'cpu']);
    expect([r.status, r.stderr]).toEqual([2, `memsieve: error: --tokenizer ${OTHER_TOKENIZER}: tokenizer is ${short(OTHER_TOKENIZER)}, but --targets ${clean} has tokenizer ${short(TOKENIZER)}; the student must share the teacher's token ids: distill with the tokenizer and --special-tokens the targets were made with, or make them again\n`]);
    expect(existsSync(never)).toBe(false);

    // a targets file without provenance (its JSONL sidecar gone, as from an older memsieve): one warning, then
    // distill goes on (here to refuse an empty file: every row was filtered out)
    const empty = path('targets-none.jsonl');
    run(['filter', '--input', targets, '--scores', targets, '--rule', 'prompt_tokens >= 0', '--clean', empty, '--removed', path('targets-all.parquet'),
      '--report', path('targets-all-report'), '--max-removed', '100%', '-q']);
    expect(JSON.parse(JSON.parse(readFileSync(`${empty}.metadata.json`, 'utf8'))['memsieve.provenance.targets'])).toEqual(recorded);
    rmSync(`${empty}.metadata.json`);
    const unchecked = runCli(['distill', '--mode', 'hard', '--targets', empty, '--student-config', kitFile('hf/student'), '--tokenizer', TOKENIZER, '--out', never, '--device', 'cpu']);
    expect([unchecked.status, unchecked.stderr]).toEqual([2, `memsieve: warning: --targets ${empty} records no provenance (made by another tool or an older memsieve): its tokenizer and settings cannot be checked against the other inputs\nmemsieve: error: --targets ${empty}: no rows to train on\n`]);
  });
});
