// The lines of docs/bad-input.md that other bad-input tests do not cover: each bad input gives one line
// naming the file/row/option, exit 2, no stack trace, and leaves nothing at the output (nor a temp file).
// Disk full and a read-only folder are real tmpfs mounts where this machine allows mounting (root in CI);
// elsewhere the same system errors are injected by test/helpers/refuse-writes.mjs.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/cli.js';
import { kitCorpus, kitFile, tempDir } from '../helpers/kit.js';
import { FEATURES, makeKitInputs, writeScores, type KitInputs } from '../filter/kit-setup.js';

const dir = tempDir('memsieve-matrix-');
const tokenizer = kitFile('tokenizer.json');
const modelArgs = ['--teacher', kitFile('teacher.onnx'), '--baseline', kitFile('baseline.onnx'), '--tokenizer', tokenizer, '--max-tokens', '64', '--prefix-tokens', '8', '--suffix-tokens', '8', '--quiet'];

function expectRejected(result: CliResult, message: RegExp, folder: string, left: string[] = []) {
  expect(result.status, result.stderr).toBe(2);
  expect(result.stderr).toMatch(/^memsieve: error: /m);
  expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect(readdirSync(folder).filter((f) => !left.includes(f))).toEqual([]);
}

/** A folder whose writes the system refuses: a tmpfs mount (64 KiB, or read-only), else the injected errors. */
function refusingFolder(code: 'ENOSPC' | 'EROFS'): { dir: string; env: NodeJS.ProcessEnv; unmount: () => void } {
  const folder = tempDir(`memsieve-${code}-`);
  const mounted = process.env.MEMSIEVE_TEST_NO_MOUNT !== '1' && spawnSync('mount', ['-t', 'tmpfs', '-o', code === 'ENOSPC' ? 'size=64k' : 'ro,size=64k', 'tmpfs', folder]).status === 0;
  if (mounted) return { dir: folder, env: {}, unmount: () => spawnSync('umount', [folder]) };
  const preload = join(import.meta.dirname, '..', 'helpers', 'refuse-writes.mjs');
  const env = { NODE_OPTIONS: `--import=${preload}`, MEMSIEVE_TEST_REFUSE_DIR: folder, MEMSIEVE_TEST_REFUSE_CODE: code };
  return { dir: folder, env, unmount: () => {} };
}

let kit: KitInputs;
let slice: string;
const full = refusingFolder('ENOSPC');
const readOnly = refusingFolder('EROFS');
beforeAll(async () => {
  kit = await makeKitInputs();
  // 200 kit rows as JSONL: about 87 KB of text, more than the 64 KiB folder holds
  slice = join(dir, 'slice.jsonl');
  writeFileSync(slice, (await kitCorpus()).slice(0, 200).map((r) => JSON.stringify({ id: r.id, text: r.text })).join('\n') + '\n');
});
afterAll(() => {
  full.unmount();
  readOnly.unmount();
});

describe('bad input matrix (docs/bad-input.md)', () => {
  it('a model file that is not ONNX: score and audit name the option and the file', () => {
    const fake = join(dir, 'fake.onnx');
    writeFileSync(fake, 'this is not a protobuf');
    const out = tempDir();
    const score = runCli(['score', '-i', slice, '-o', join(out, 's.parquet'), '--teacher', fake, '--baseline', kitFile('baseline.onnx'), '--tokenizer', tokenizer, '--quiet']);
    expectRejected(score, /--teacher .*fake\.onnx: not a loadable ONNX model/, out);
    const audit = runCli(['audit', '-i', slice, '-o', join(out, 'a.parquet'), '--model', fake, '--tokenizer', tokenizer, '--quiet']);
    expectRejected(audit, /--model .*fake\.onnx: not a loadable ONNX model/, out);
  });

  it('a text column full of nulls, and a text column of integers (Parquet): audit names the file, row and id', () => {
    const nulls = join(dir, 'nulls.parquet');
    parquetWriteFile({ filename: nulls, columnData: [{ name: 'id', data: ['a', 'b'], type: 'STRING' }, { name: 'text', data: [null, null], type: 'STRING' }] });
    const ints = join(dir, 'ints.parquet');
    parquetWriteFile({ filename: ints, columnData: [{ name: 'id', data: ['a', 'b'], type: 'STRING' }, { name: 'text', data: [1, 2], type: 'INT32' }] });
    const out = tempDir();
    const audit = (input: string) => runCli(['audit', '-i', input, '-o', join(out, 'a.parquet'), '--model', kitFile('student.onnx'), '--tokenizer', tokenizer, '--quiet']);
    expectRejected(audit(nulls), /nulls\.parquet: row 0 \(id a\): 'text' is null/, out);
    expectRejected(audit(ints), /ints\.parquet: row 0 \(id a\): 'text' is not a string \(number\)/, out);
  });

  it('a feature column of strings: filter names the scores file, the id and the feature', () => {
    const scores = join(dir, 'string-scores.parquet');
    const ids = kit.ids;
    parquetWriteFile({
      filename: scores,
      columnData: [
        { name: 'id', data: ids, type: 'STRING' },
        { name: 'teacher_ppl', data: ids.map(() => '12.5'), type: 'STRING' },
        ...['baseline_ppl', 'kl_teacher_baseline', 'zlib_entropy'].map((name) => ({ name, data: ids.map(() => 1), type: 'DOUBLE' as const })),
      ],
    });
    const out = tempDir();
    const r = runCli(['filter', '--input', kit.corpus, '--scores', scores, '--model', kit.model, '--clean', join(out, 'c.parquet'), '--removed', join(out, 'r.parquet'), '--report', join(out, 'report'), '--quiet']);
    expectRejected(r, /--scores .*string-scores\.parquet: id \S+: feature "teacher_ppl" is not a number \(string\)/, out);
  });

  it('an empty corpus is not an error: score and add-ids write an empty output and say 0 rows', () => {
    const empty = join(dir, 'empty.jsonl');
    writeFileSync(empty, '');
    const out = tempDir();
    const score = runCli(['score', '-i', empty, '-o', join(out, 's.jsonl'), ...modelArgs]);
    expect(score.status, score.stderr).toBe(0);
    expect(JSON.parse(score.stderr.trim().split('\n').at(-1)!)).toMatchObject({ rows: 0 });
    expect(readFileSync(join(out, 's.jsonl'), 'utf8')).toBe('');
    const ids = runCli(['add-ids', '-i', empty, '-o', join(out, 'ids.jsonl'), '--quiet']);
    expect(ids.status, ids.stderr).toBe(0);
    expect(JSON.parse(ids.stderr.trim().split('\n').at(-1)!)).toMatchObject({ rows: 0 });
    expect(readdirSync(out).sort()).toEqual(['ids.jsonl', 's.jsonl']);
  });

  it('disk full while writing: score and add-ids name the output, exit 2, and remove their temporary file', () => {
    const score = runCli(['score', '-i', slice, '-o', join(full.dir, 'scores.jsonl'), ...modelArgs], { env: full.env });
    expectRejected(score, /cannot write .*scores\.jsonl: no space left on the device.*\(ENOSPC\)/, full.dir);
    const ids = runCli(['add-ids', '-i', slice, '-o', join(full.dir, 'ids.jsonl'), '--id-column', 'row', '--quiet'], { env: full.env });
    expectRejected(ids, /cannot write .*ids\.jsonl: no space left on the device.*\(ENOSPC\)/, full.dir);
  });

  it('an output folder the command may not write to: add-ids and filter name the output, exit 2', () => {
    const ids = runCli(['add-ids', '-i', slice, '-o', join(readOnly.dir, 'ids.parquet'), '--id-column', 'row', '--quiet'], { env: readOnly.env });
    expectRejected(ids, /cannot write .*ids\.parquet: read-only file system.*\(EROFS\)/, readOnly.dir);
    const out = (name: string) => join(readOnly.dir, name);
    const filter = runCli(['filter', '--input', kit.corpus, '--scores', kit.scores, '--model', kit.model, '--clean', out('c.parquet'), '--removed', out('r.parquet'), '--report', out('report'), '--quiet'], { env: readOnly.env });
    expectRejected(filter, /cannot (write|create the folder) .*(c\.parquet|r\.parquet|report).*read-only/, readOnly.dir);
  });
});

// Hostile and malformed input (issue 20): no hang, no stack trace, no litter, no silent wrong value.
describe('hostile input: one line, exit 2, nothing left (docs/bad-input.md)', () => {
  const mismatch = (name: string) => join(import.meta.dirname, '..', '..', 'fixtures', 'mismatch', name);
  const filterArgs = (out: string, scores: string, model: string, corpus = kit.corpus) =>
    ['filter', '--input', corpus, '--scores', scores, '--model', model, '--clean', join(out, 'c.parquet'), '--removed', join(out, 'r.parquet'), '--report', join(out, 'report'), '--quiet'];
  /** the kit's risk.json with some fields replaced */
  const riskWith = (name: string, change: (model: Record<string, any>) => void) => {
    const model = JSON.parse(readFileSync(kit.model, 'utf8'));
    change(model);
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(model));
    return path;
  };
  /** the kit's scores with some feature values replaced: row i of the kit gets override[name][i] */
  const scoresWith = (name: string, override: Partial<Record<(typeof FEATURES)[number], number[]>>, rows = kit.ids.length) => {
    const path = join(dir, name);
    const cut = Object.fromEntries(Object.entries(override).map(([k, v]) => [k, v!.slice(0, rows)]));
    writeScores(path, kit, kit.ids.slice(0, rows).map((_, i) => i), cut);
    return path;
  };
  /** the first `rows` kit rows as a JSONL corpus */
  const corpusOf = (rows: number) => {
    const path = join(dir, `corpus-${rows}.jsonl`);
    writeFileSync(path, kit.corpusRows.slice(0, rows).map((r) => JSON.stringify({ id: r.id, text: r.text })).join('\n') + '\n');
    return path;
  };

  it('a JSONL line longer than --max-line-bytes (gzip, 70 MB of text in 70 KB): refused within seconds, file and line named', () => {
    const long = join(dir, 'long.jsonl.gz');
    writeFileSync(long, gzipSync(Buffer.concat([Buffer.from('{"id":"a","text":"short"}\n{"id":"b","text":"'), Buffer.alloc(70e6, 'a'), Buffer.from('"}\n')]), { level: 1 }));
    const out = tempDir();
    // the default limit, 64 MiB
    expectRejected(runCli(['add-ids', '-i', long, '-o', join(out, 'x.parquet'), '--id-column', 'row', '--quiet']), /long\.jsonl\.gz:2: line longer than 64 MiB \(--max-line-bytes\)/, out);
    // the same flag on a model stage
    const score = runCli(['score', '-i', long, '-o', join(out, 's.parquet'), ...modelArgs, '--max-line-bytes', '1MiB']);
    expectRejected(score, /long\.jsonl\.gz:2: line longer than 1 MiB \(--max-line-bytes\)/, out);
    expectRejected(runCli(['add-ids', '-i', long, '-o', join(out, 'x.parquet'), '--max-line-bytes', 'lots']), /--max-line-bytes expects a size such as 1000000, 64MiB or 1GB, got "lots"/, out);
    // raised above the line, it is read
    const read = runCli(['add-ids', '-i', long, '-o', join(out, 'x.parquet'), '--id-column', 'row', '--max-line-bytes', '80MB', '--quiet']);
    expect(read.status, read.stderr).toBe(0);
    expect(JSON.parse(read.stderr.trim())).toMatchObject({ rows: 2 });
  });

  it('filter interrupted by SIGINT leaves staged copies that the next run removes, removed-rows list included', async () => {
    const out = tempDir();
    // the corpus comes through a FIFO the test holds open: filter is mid-split when interrupted
    const fifo = join(dir, 'corpus-fifo.jsonl');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts'), ...filterArgs(out, kit.scores, kit.model, fifo)], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_, signal) => resolve(signal)));
    const writer = createWriteStream(fifo).on('error', () => {}); // EPIPE once filter is gone
    writer.write(kit.corpusRows.slice(0, 2000).map((r) => JSON.stringify({ id: r.id, text: r.text }) + '\n').join(''));
    const inReport = () => (existsSync(join(out, 'report')) ? readdirSync(join(out, 'report')).map((f) => `report/${f}`) : []);
    const staged = () => [...readdirSync(out), ...inReport()].filter((f) => f.includes('.partial-'));
    // clean, removed and the removed-rows list (the report page is staged only at the end)
    for (let waited = 0; staged().length < 3; waited += 100) {
      if (waited > 60_000) throw new Error(`filter did not start writing: ${readdirSync(out).join(', ')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGINT');
    expect(await exited).toBe('SIGINT');
    writer.destroy();
    const left = staged();
    expect(left).toEqual(expect.arrayContaining([expect.stringMatching(/^\.partial-.+-\d+-c\.parquet/), expect.stringMatching(/^report\/\.partial-.+-\d+-removed-rows\.jsonl$/)]));

    const rerun = runCli(filterArgs(out, kit.scores, kit.model));
    expect(rerun.status, rerun.stderr).toBe(0);
    expect(rerun.stderr).toMatch(/memsieve: removed 1 staged file\(s\) of .*removed-rows\.jsonl .*: left by runs that no longer run/);
    expect(readdirSync(out).sort()).toEqual(['c.parquet', 'r.parquet', 'report']);
    expect(readdirSync(join(out, 'report')).sort()).toEqual(['manifest.json', 'removed-rows.jsonl', 'report.html']);
  });

  it('a rule nested 3,000 parentheses deep, and a number no double holds: the rule error, not a stack overflow', () => {
    const out = tempDir();
    const rule = (text: string) => runCli(['filter', '--input', kit.corpus, '--scores', kit.scores, '--rule', text, '--clean', join(out, 'c.parquet'), '--removed', join(out, 'r.parquet'), '--report', join(out, 'report'), '--quiet']);
    const deep = rule(`${'('.repeat(3000)}teacher_ppl > 1${')'.repeat(3000)}`);
    expectRejected(deep, /--rule '\({80}.*…\[5835 characters\]….*\){80}': parentheses and "not" nested more than 100 deep, got "\(" at character 101/, out);
    expect(deep.stderr.length).toBeLessThan(600);
    expectRejected(rule(`${'not '.repeat(3000)}teacher_ppl > 1`), /nested more than 100 deep/, out);
    // 1e999 is Infinity, which the manifest's canonical rule could not print back as a rule
    expectRejected(rule('teacher_ppl >= 1e999'), /expected a number a double can hold \(\|x\| < 1\.8e308\), got "1e999" at character 16/, out);
  });

  it('three feature values of 1e300 among 100 rows: the report is written, its histogram edges finite', () => {
    const out = tempDir();
    const kl = kit.features.kl_teacher_baseline.map((v, i) => (i < 3 ? 1e300 : v));
    const r = runCli(filterArgs(out, scoresWith('huge-kl.parquet', { kl_teacher_baseline: kl }, 100), kit.model, corpusOf(100)));
    expect(r.status, r.stderr).toBe(0);
    const histogram = JSON.parse(readFileSync(join(out, 'report', 'manifest.json'), 'utf8')).distributions.features.kl_teacher_baseline;
    expect(histogram.edges.every((e: unknown) => typeof e === 'number' && Number.isFinite(e))).toBe(true);
    expect([...histogram.kept, ...histogram.removed].reduce((a: number, b: number) => a + b)).toBe(100);
    expect(histogram.edges.at(-1)).toBeGreaterThan(1e300);
  });

  it('teacher and baseline with different vocabularies, and an ONNX embedding smaller than the tokenizer: named before scoring', () => {
    const out = tempDir();
    const score = (teacher: string, baseline: string) => runCli(['score', '-i', slice, '-o', join(out, 's.parquet'), '--teacher', teacher, '--baseline', baseline, '--tokenizer', tokenizer, '--quiet']);
    expectRejected(score(kitFile('teacher.onnx'), mismatch('wide-logits.onnx')), /--teacher .*teacher\.onnx has logits over 2048 tokens but --baseline .*wide-logits\.onnx over 4096; the teacher-baseline KL needs one vocabulary/, out);
    const small = score(mismatch('small-embedding.onnx'), kitFile('baseline.onnx'));
    expectRejected(small, /--teacher .*small-embedding\.onnx: the model cannot take the tokenizer's token id 2047 \(.*Gather.*\); its embedding has fewer rows than the tokenizer has ids/, out);
    // onnxruntime's own error line is not printed as well
    expect(small.stderr.trim().split('\n')).toHaveLength(1);
    const audit = runCli(['audit', '-i', slice, '-o', join(out, 'a.parquet'), '--model', mismatch('small-embedding.onnx'), '--tokenizer', tokenizer, '--quiet']);
    expectRejected(audit, /--model .*small-embedding\.onnx: the model cannot take the tokenizer's token id 2047/, out);
  });

  it('risk.json with "metrics": {} or a metric that is not a number: filter refuses it before writing anything', () => {
    const out = tempDir();
    expectRejected(runCli(filterArgs(out, kit.scores, riskWith('no-metrics.json', (m) => (m.metrics = {})))), /no-metrics\.json: invalid risk model: "metrics\.roc_auc" must be \{"mean": number, "std": number\}/, out);
    const text = riskWith('text-metric.json', (m) => (m.metrics.f1.mean = 'high'));
    expectRejected(runCli(filterArgs(out, kit.scores, text)), /text-metric\.json: invalid risk model: "metrics\.f1" must be/, out);
  });

  it('a risk.json of 200,000 features: the error names a few, not 1.7 MB of them', () => {
    const out = tempDir();
    const names = Array.from({ length: 200_000 }, (_, j) => `feature_number_${j}`);
    const wide = riskWith('wide-risk.json', (m) => {
      m.features = names;
      m.scaler = { mean: names.map(() => 0), std: names.map(() => 1) };
      m.coefficients = names.map(() => 0.1);
      m.metrics.coefficients = Object.fromEntries(names.map((n) => [n, { mean: 0.1, std: 0 }]));
    });
    const r = runCli(filterArgs(out, kit.scores, wide));
    expectRejected(r, /has no column "feature_number_0" .*the model needs feature_number_0, .*feature_number_9 and 199990 more/, out);
    expect(r.stderr.length).toBeLessThan(2500);
  });

  it('train: one teacher_ppl of 1e308 among the rest, or three: refused naming the rows, no model written', () => {
    const out = tempDir();
    const labels = join(kit.dir, 'labels.parquet');
    for (const count of [1, 3]) {
      const ppl = kit.features.teacher_ppl.map((v, i) => (i < count ? 1e308 : v));
      const r = runCli(['train', '--scores', scoresWith(`ppl-1e308-${count}.parquet`, { teacher_ppl: ppl }), '--labels', labels, '--label-column', 'mem_student', '--trials', '2', '--output', join(out, 'risk.json'), '--quiet']);
      const ids = kit.ids.slice(0, count).map((id) => `id "${id}" \\(1e\\+308\\)`).join(', ');
      expectRejected(r, new RegExp(`feature teacher_ppl: values too large to standardize \\(their (sum|variance) overflows a double\\); the largest: ${ids}`), out);
    }
  });

  it('coefficients of ±1e308: a NaN risk on a row with all its features is an error, not "too short to score"', () => {
    const out = tempDir();
    const extreme = riskWith('extreme.json', (m) => (m.coefficients = m.coefficients.map((_: number, j: number) => (j % 2 ? -1e308 : 1e308))));
    expectRejected(runCli(filterArgs(out, kit.scores, extreme)), /--scores .*: id \S+: every value the model reads is there, yet its risk is not a number/, out);
    // verify --check-risk shares filter's reader: a filter folder whose model is swapped for it fails
    const done = tempDir();
    const model = join(done, 'risk.json');
    writeFileSync(model, readFileSync(kit.model));
    expect(runCli(filterArgs(done, kit.scores, model)).status).toBe(0);
    writeFileSync(model, readFileSync(extreme));
    const manifestPath = join(done, 'report', 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    manifest.model.sha256 = createHash('sha256').update(readFileSync(model)).digest('hex');
    writeFileSync(manifestPath, JSON.stringify(manifest));
    const verify = runCli(['verify', '--report', join(done, 'report'), '--check-risk']);
    expect(verify.status, verify.stderr).toBe(1);
    expect(verify.stderr).toMatch(/--check-risk: cannot recompute risk \(--scores .*: id \S+: every value the model reads is there, yet its risk is not a number/);
  });

  it('negative perplexities: filter and train refuse a value outside the feature\'s domain', () => {
    const out = tempDir();
    const negative = scoresWith('negative-ppl.parquet', { teacher_ppl: kit.features.teacher_ppl.map((v) => -v) });
    expectRejected(runCli(filterArgs(out, negative, kit.model)), /--scores .*negative-ppl\.parquet: id \S+: teacher_ppl = -[\d.]+ must be positive, as 'memsieve score' writes it/, out);
    const train = runCli(['train', '--scores', negative, '--labels', join(kit.dir, 'labels.parquet'), '--label-column', 'mem_student', '--output', join(out, 'risk.json'), '--quiet']);
    expectRejected(train, /negative-ppl\.parquet: row id "\S+" has teacher_ppl = -[\d.]+; it must be positive/, out);
  });

  it("evaluate names itself in its errors, not train", () => {
    const out = tempDir();
    const gap = scoresWith('nan-ppl.parquet', { teacher_ppl: kit.features.teacher_ppl.map((v, i) => (i === 5 ? NaN : v)) });
    const r = runCli(['evaluate', '--model', kit.model, '--scores', gap, '--labels', join(kit.dir, 'labels.parquet'), '--label-column', 'mem_student', '--output', join(out, 'e.json'), '--quiet']);
    expectRejected(r, /nan-ppl\.parquet: row id "\S+" has teacher_ppl = NaN; evaluate needs a finite value for every feature/, out);
  });

  it("compare: a badly named audit is told the rule for names; \"pattern\" is told it is compare's own column", () => {
    const out = tempDir();
    const compare = (name: string) => runCli(['compare', '--audit', `${name}=${kit.scores}`, '--audit', `other=${kit.scores}`, '--output', join(out, 'o.json'), '--quiet']);
    const upper = compare('Teacher');
    expectRejected(upper, /--audit Teacher=.*: the name must be lower-case letters, digits and _ \(teacher, baseline, student, student_hard, …\)$/m, out);
    expect(upper.stderr).not.toContain('pattern');
    expectRejected(compare('pattern'), /--audit pattern=.*: "pattern" is the name of compare's own output column; name the audit otherwise/, out);
  });

  it('invalid UTF-8 in a Parquet string: refused with file, row and column, as in JSONL', () => {
    const bad = join(dir, 'bad-utf8.parquet');
    const utf8 = (text: string) => new TextEncoder().encode(text);
    parquetWriteFile({ filename: bad, columnData: [{ name: 'id', data: ['a', 'b'], type: 'STRING' }, { name: 'text', data: [utf8('fine'), Uint8Array.of(0x61, 0xff)], type: 'STRING' }] });
    const out = tempDir();
    expectRejected(runCli(['add-ids', '-i', bad, '-o', join(out, 'x.jsonl'), '--id-column', 'row', '--quiet']), /bad-utf8\.parquet: row 1: column 'text': invalid UTF-8; Parquet strings must be UTF-8/, out);
  });

  it('run: a step\'s commander error is printed once; --set __proto__=x and ${toString} are refused', () => {
    const out = tempDir();
    const pipeline = join(dir, 'no-labels.yaml');
    writeFileSync(pipeline, `name: t\nworkdir: ${out}/wd\nsteps:\n  - {id: t, kind: train, inputs: {scores: ${kit.scores}}, outputs: {output: ${out}/r.json}}\n`);
    const r = runCli(['run', pipeline, '--quiet']);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual(["memsieve: error: step \"t\": memsieve train: required option '--labels <file>' not specified"]);
    const clean = tempDir();
    const vars = join(dir, 'vars.yaml');
    writeFileSync(vars, `name: v\nvars: {out: ${clean}}\nworkdir: \${out}/wd\nsteps:\n  - {id: t, kind: train, inputs: {scores: ${kit.scores}, labels: ${kit.scores}}, outputs: {output: "\${toString}/r.json"}}\n`);
    expectRejected(runCli(['run', vars, '--quiet']), /key "outputs\.output": unknown variable \$\{toString\}; defined: pipeline_dir, out/, clean);
    expectRejected(runCli(['run', vars, '--set', '__proto__=x', '--quiet']), /--set __proto__=…: a variable name is letters, digits and _/, clean);
  });
});

describe('docs/bad-input.md', () => {
  it('names, on every line, tests that exist: each quoted title (up to its "…") is a test in the linked file', () => {
    const root = join(import.meta.dirname, '..', '..');
    const rows = readFileSync(join(root, 'docs', 'bad-input.md'), 'utf8').split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| bad input') && !l.startsWith('| ---'));
    expect(rows.length).toBeGreaterThan(30);
    for (const row of rows) {
      const cell = row.slice(row.lastIndexOf(' | ') + 3);
      const links = [...cell.matchAll(/\[[^\]]+\]\(\.\.\/(test\/[^)]+)\)((?:[\s,;]*"(?:[^"\\]|\\.)*")*)/g)];
      expect(links.length, row).toBeGreaterThan(0);
      for (const [, file, titles] of links) {
        // the source with its string escapes undone, as a title reads
        const source = readFileSync(join(root, file), 'utf8').replace(/\\(['"])/g, '$1');
        for (const [, quoted] of titles.matchAll(/"((?:[^"\\]|\\.)*)"/g)) {
          const title = quoted.replace(/\\(.)/g, '$1').replace(/\s*…$/, '');
          expect(source.includes(title), `${file} has no test "${title}" (docs/bad-input.md: ${row.slice(0, 60)}…)`).toBe(true);
        }
      }
    }
  });
});
