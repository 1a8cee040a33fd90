// No command writes over one of its inputs: the same file by path, symlink, hard link or another spelling
// of the path is refused with exit 2 before anything is read, naming both paths; the input is untouched.
import { linkSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { refuseOverwrite } from '../../src/io/no-overwrite.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/kit.js';

describe('refuseOverwrite', () => {
  const dir = tempDir();
  const input = join(dir, 'corpus.parquet');
  writeFileSync(input, 'not read');
  mkdirSync(join(dir, 'sub'));
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'data', 'a.jsonl'), '{}\n');
  symlinkSync(input, join(dir, 'link.parquet'));
  linkSync(input, join(dir, 'hard.parquet'));
  symlinkSync(dir, join(dir, 'sub', 'up'));

  const refused = async (outputs: Record<string, string>, inputs: Record<string, string | string[]>) => {
    const error = await refuseOverwrite(outputs, inputs).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    return (error as Error).message;
  };

  it.each([
    ['the same path', input],
    ['a symlink to it', join(dir, 'link.parquet')],
    ['a hard link to it', join(dir, 'hard.parquet')],
    ['another spelling of the path', join(dir, 'sub', '..', 'corpus.parquet')],
    ['a path through a symlinked folder', join(dir, 'sub', 'up', 'corpus.parquet')],
  ])('refuses an output that is the input by %s, naming both', async (_, output) => {
    const message = await refused({ '--output': output }, { '--input': [join(dir, 'data', 'a.jsonl'), input] });
    expect(message).toContain(`--output ${output} is the same file as --input ${input}`);
  });

  it('refuses an output inside an input folder (a rerun would read it) and an input inside a folder output', async () => {
    expect(await refused({ '--output': join(dir, 'data', 'new.parquet') }, { '--input': join(dir, 'data') })).toMatch(/lies inside the input folder --input/);
    expect(await refused({ '--out': join(dir, 'data') }, { '--data': join(dir, 'data', 'a.jsonl') })).toMatch(/lies inside the output folder --out/);
  });

  it('lets through outputs that do not exist yet elsewhere, stdin/stdout, and missing inputs', async () => {
    await expect(refuseOverwrite({ '--output': join(dir, 'sub', 'new.parquet') }, { '--input': input })).resolves.toBeUndefined();
    await expect(refuseOverwrite({ '--output': '-' }, { '--input': '-' })).resolves.toBeUndefined();
    await expect(refuseOverwrite({ '--output': join(dir, 'x.parquet') }, { '--input': join(dir, 'missing.parquet'), '--figure': undefined })).resolves.toBeUndefined();
  });
});

describe('every writing command refuses to write over an input (exit 2, before reading)', () => {
  const dir = tempDir();
  const file = (name: string, content = `input ${name}, never read\n`) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  const corpus = file('corpus.parquet');
  const hard = join(dir, 'corpus-hard.parquet');
  linkSync(corpus, hard);
  const link = join(dir, 'corpus-link.parquet');
  symlinkSync(corpus, link);
  const scores = file('scores.parquet');
  const model = file('risk.json');
  const tokenizer = file('tokenizer.json');
  const onnx = file('model.onnx');
  const audit = file('audit.parquet');
  mkdirSync(join(dir, 'ckpt'));
  const ckptConfig = file(join('ckpt', 'config.json'));
  const summary = file('audit.parquet.summary.json');
  mkdirSync(join(dir, 'student'));
  const distillRecord = file(join('student', 'distill.json'));
  const cfSummary = file('cf.parquet.summary.json');
  mkdirSync(join(dir, 'merged.parquet.parts'));
  file(join('merged.parquet.parts', 'part-0.parquet'));
  symlinkSync(join(dir, 'merged.parquet.parts', 'part-0.parquet'), join(dir, 'merged.parquet'));
  const pipeline = file(
    'pipeline.yaml',
    [
      'name: overwrite',
      `workdir: ${join(dir, 'work')}`,
      'steps:',
      '  - id: train',
      '    kind: train',
      `    inputs: { scores: ${scores}, labels: ${audit} }`,
      `    outputs: { output: ${join(dir, 'out-risk.json')} }`,
      '  - id: train-again',
      '    kind: train',
      `    inputs: { scores: ${join(dir, 'out-risk.json')}, labels: ${audit} }`,
      `    outputs: { output: ${hard} }`, // a hard link of the corpus the next step reads
      '  - id: uses-corpus',
      '    kind: train',
      `    inputs: { scores: ${corpus}, labels: ${audit} }`,
      `    outputs: { output: ${join(dir, 'other-risk.json')} }`,
    ].join('\n') + '\n',
  );

  // command, arguments, the message's output and input as named
  const cases: Array<[string, string[], string, string]> = [
    ['score', ['score', '-i', corpus, '-o', hard, '--teacher', onnx, '--baseline', onnx, '--tokenizer', tokenizer], `--output ${hard}`, `--input ${corpus}`],
    ['audit', ['audit', '-i', corpus, '-o', link, '--model', onnx, '--tokenizer', tokenizer], `--output ${link}`, `--input ${corpus}`],
    ['audit (its summary file)', ['audit', '-i', summary, '-o', audit, '--model', onnx, '--tokenizer', tokenizer], `--output ${summary}`, `--input ${summary}`],
    ['targets', ['targets', '-i', corpus, '-o', link, '--teacher', onnx, '--tokenizer', tokenizer], `--output ${link}`, `--input ${corpus}`],
    ['distill --targets', ['distill', '--mode', 'hard', '--targets', corpus, '--tokenizer', tokenizer, '--student-config', join(dir, 'ckpt'), '-o', join(dir, 'new-ckpt'), '--hard-data-out', hard], `--hard-data-out ${hard}`, `--targets ${corpus}`],
    ['train', ['train', '--scores', scores, '--labels', audit, '--output', scores], `--output ${scores}`, `--scores ${scores}`],
    ['filter', ['filter', '--input', corpus, '--scores', scores, '--model', model, '--clean', join(dir, 'clean.parquet'), '--removed', hard, '--report', join(dir, 'report')], `--removed ${hard}`, `--input ${corpus}`],
    ['compare', ['compare', '--audit', `teacher=${audit}`, '-o', join(dir, 'overlap.json'), '--figure', audit], `--figure ${audit}`, `--audit ${audit}`],
    ['add-ids', ['add-ids', '-i', corpus, '-o', `${dir}/./corpus.parquet`], `--output ${dir}/./corpus.parquet`, `--input ${corpus}`],
    ['merge', ['merge', join(dir, 'merged.parquet')], `output ${join(dir, 'merged.parquet')}`, `parts ${join(dir, 'merged.parquet.parts')}`],
    ['distill', ['distill', '--mode', 'ce', '-i', corpus, '--tokenizer', tokenizer, '--student', join(dir, 'ckpt'), '-o', join(dir, 'ckpt')], `--out ${join(dir, 'ckpt')}`, `--student ${join(dir, 'ckpt')}`],
    ['export', ['export', '--checkpoint', join(dir, 'ckpt'), '-o', dir], `--out ${dir}`, '--checkpoint'],
    ['evaluate', ['evaluate', '--model', model, '--scores', scores, '--labels', audit, '--output', join(dir, 'eval.json'), '--figure', `${dir}/../${dir.split('/').pop()}/risk.json`], '--figure', `--model ${model}`],
    ['sample', ['sample', '-i', corpus, '-o', hard, '--fraction', '0.5'], `--output ${hard}`, `--input ${corpus}`],
    ['verdict', ['verdict', '--before', audit, '--after', scores, '-o', audit], `--output ${audit}`, `--before ${audit}`],
    ['verdict (--before FILE:COLUMN, the output spelled otherwise)', ['verdict', '--before', `${audit}:memorized`, '--after', scores, '-o', `${dir}/./audit.parquet`], `--output ${dir}/./audit.parquet`, `--before ${audit}`],
    ['verdict (--before-distill DIR: its distill.json)', ['verdict', '--before', audit, '--after', scores, '--before-distill', join(dir, 'student'), '--after-distill', join(dir, 'student'), '-o', distillRecord], `--output ${distillRecord}`, `--before-distill ${distillRecord}`],
    ['verdict --by-file', ['verdict', '--before', audit, '--after', scores, '--by', 'copies', '--by-file', corpus, '-o', link], `--output ${link}`, `--by-file ${corpus}`],
    ['compare (--distill NAME=DIR: its distill.json)', ['compare', '--audit', `student=${audit}`, '--distill', `student=${join(dir, 'student')}`, '-o', distillRecord], `--output ${distillRecord}`, `--distill ${distillRecord}`],
    ['compare --by-file', ['compare', '--audit', `student=${audit}:memorized`, '--by', 'copies', '--by-file', corpus, '-o', hard], `--output ${hard}`, `--by-file ${corpus}`],
    ['counterfactual', ['counterfactual', '--audit', `a=${audit}:memorized`, '--audit', `b=${scores}`, '--trained-on', `a=${corpus}`, '--trained-on', `b=${corpus}`, '-o', link], `--output ${link}`, `--trained-on ${corpus}`],
    ['counterfactual (its summary file)', ['counterfactual', '--audit', `a=${audit}`, '--audit', `b=${scores}`, '--trained-on', `a=${cfSummary}`, '--trained-on', `b=${corpus}`, '-o', join(dir, 'cf.parquet')], `--output ${join(dir, 'cf.parquet.summary.json')}`, '--trained-on'],
    ['run', ['run', pipeline], `step "train-again" output output: ${hard}`, `step "uses-corpus" input scores: ${corpus}`],
  ];

  it('the typed API refuses what the CLI does (targets, counterfactual, compare, verdict), the input untouched', async () => {
    const api = await import('../../src/index.js');
    const refusal = (promise: Promise<unknown>) => promise.then(() => 'written', (e: unknown) => (e instanceof UserError ? e.message : `not a UserError: ${String(e)}`));
    expect(await refusal(api.targets({ input: [corpus], output: link, teacher: onnx, tokenizer } as Parameters<typeof api.targets>[0]))).toMatch(`--output ${link} is the same file as --input ${corpus}`);
    expect(await refusal(api.counterfactualFiles({ audits: [`a=${audit}`, `b=${scores}`], trainedOn: [`a=${corpus}`, `b=${corpus}`], output: hard }))).toMatch(`--output ${hard} is the same file as --trained-on ${corpus}`);
    expect(await refusal(api.compareAuditFiles({ audits: [`teacher=${audit}:memorized`, `student=${scores}`], output: audit }))).toMatch(`--output ${audit} is the same file as --audit ${audit}`);
    expect(await refusal(api.writeVerdict({ before: `${audit}:memorized`, after: scores, output: audit }))).toMatch(`--output ${audit} is the same file as --before ${audit}`);
    expect(readFileSync(corpus, 'utf8')).toBe('input corpus.parquet, never read\n');
    expect(readFileSync(audit, 'utf8')).toBe('input audit.parquet, never read\n');
  });

  it('two outputs of one command in one file are refused, naming both options', () => {
    const out = join(dir, 'overlap.json');
    const r = runCli(['compare', '--audit', `teacher=${audit}`, '-o', out, '--figure', `${dir}/./overlap.json`]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toBe(`memsieve: error: --output ${out} and --figure ${dir}/./overlap.json name the same file: each output needs its own; choose another path for one\n`);
    expect(existsSync(out)).toBe(false);
  });

  it.each(cases)('%s', (_, args, output, input) => {
    const before = statSync(corpus).mtimeMs;
    const r = runCli(args);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain(output);
    expect(r.stderr).toContain(input);
    expect(r.stderr).toMatch(/same file as|lies inside/);
    expect(readFileSync(corpus, 'utf8')).toBe('input corpus.parquet, never read\n');
    expect(statSync(corpus).mtimeMs).toBe(before);
    expect(readFileSync(ckptConfig, 'utf8')).toContain('never read');
    expect(existsSync(join(dir, 'out-risk.json'))).toBe(false); // run refused before its first step
  });
});
