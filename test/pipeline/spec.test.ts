// Pipeline files: every mistake is named by file, line, step and key; the order follows outputs → inputs.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { stepArgs } from '../../src/pipeline/args.js';
import { checkStepFlags } from '../../src/pipeline/flags.js';
// the CLI registers the stage commands the flag check reads (the runner does not import the CLI)
import '../../src/cli/commands.js';
import { planSteps } from '../../src/pipeline/plan.js';
import { arrayChunks, compressRanges } from '../../src/pipeline/slurm.js';
import { loadPipeline } from '../../src/pipeline/spec.js';
import { ROOT } from './build.js';
import { tempDir } from '../helpers/kit.js';

let dir: string;
beforeAll(() => {
  dir = tempDir('memsieve-spec-');
  mkdirSync(join(dir, 'sub'));
});

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('loadPipeline', () => {
  it('reads pipelines/kit.yaml: five steps, vars, paths against the current folder', () => {
    const p = loadPipeline(join(ROOT, 'pipelines', 'kit.yaml'), { cwd: dir, set: { out: 'o' } });
    expect(p.steps.map((s) => `${s.id}:${s.kind}`)).toEqual(['score:score', 'audit:audit', 'train:train', 'filter:filter', 'verify:verify']);
    expect(p.workdir).toBe(join(dir, 'o', '.memsieve'));
    expect(p.steps[0].inputs.teacher).toBe(join(ROOT, 'fixtures', 'brown-tiny', 'teacher.onnx'));
    expect(p.steps[0].outputs.output).toBe(join(dir, 'o', 'scores.parquet'));
    expect(stepArgs(p.steps[0])).toEqual([
      '--input', join(ROOT, 'fixtures', 'brown-tiny', 'corpus.parquet'),
      '--teacher', join(ROOT, 'fixtures', 'brown-tiny', 'teacher.onnx'),
      '--baseline', join(ROOT, 'fixtures', 'brown-tiny', 'baseline.onnx'),
      '--tokenizer', join(ROOT, 'fixtures', 'brown-tiny', 'tokenizer.json'),
      '--output', join(dir, 'o', 'scores.parquet'),
      '--max-tokens', '128',
      '--special-tokens', 'tokenizer',
      '--quiet',
    ]);
    // every model step exposes the special-token choice
    const none = loadPipeline(join(ROOT, 'pipelines', 'kit.yaml'), { cwd: dir, set: { special_tokens: 'none' } });
    expect(none.steps.filter((s) => ['score', 'audit'].includes(s.kind)).map((s) => stepArgs(s).join(' '))).toEqual([
      expect.stringContaining('--special-tokens none'),
      expect.stringContaining('--special-tokens none'),
    ]);
  });

  it('orders steps by outputs → inputs, whatever the file order', () => {
    const path = write('order.yaml', `
steps:
  - {id: verify, kind: verify, inputs: {report: out/report}}
  - {id: filter, kind: filter, inputs: {input: c.parquet, scores: out/s.parquet, model: out/risk.json}, outputs: {clean: out/c.parquet, removed: out/r.parquet, report: out/report}}
  - {id: train, kind: train, inputs: {scores: out/s.parquet, labels: out/a.parquet}, outputs: {output: out/risk.json}}
  - {id: score, kind: score, inputs: {input: c.parquet}, outputs: {output: out/s.parquet}}
  - {id: audit, kind: audit, inputs: {input: c.parquet}, outputs: {output: out/a.parquet}}
  - {id: compare, kind: compare, inputs: {audit: {student: out/a.parquet, teacher: t.parquet}}, outputs: {output: out/overlap.json}}
  - {id: early, kind: compare, inputs: {audit: {teacher: 'out/s.parquet:teacher_memorized', baseline: 'out/s.parquet:baseline_memorized'}}, outputs: {output: out/early.json}}
`);
    const plan = planSteps(loadPipeline(path, { cwd: dir }));
    expect(plan.map((p) => p.step.id)).toEqual(['score', 'audit', 'train', 'filter', 'verify', 'compare', 'early']);
    expect(plan.find((p) => p.step.id === 'filter')!.after.sort()).toEqual(['score', 'train']);
    const compare = plan.find((p) => p.step.id === 'compare')!.step;
    expect(stepArgs(compare)).toEqual(['--audit', `student=${join(dir, 'out/a.parquet')}`, '--audit', `teacher=${join(dir, 't.parquet')}`, '--output', join(dir, 'out/overlap.json')]);
    // a score column as a set (name=path:column) depends on the step writing the file
    expect(plan.find((p) => p.step.id === 'early')!.after).toEqual(['score']);
    expect(stepArgs(plan.find((p) => p.step.id === 'early')!.step).slice(0, 2)).toEqual(['--audit', `teacher=${join(dir, 'out/s.parquet')}:teacher_memorized`]);
  });

  it('refuses a cycle, naming its steps', () => {
    const path = write('cycle.yaml', `
steps:
  - {id: a, kind: train, inputs: {scores: b.json}, outputs: {output: a.json}}
  - {id: b, kind: train, inputs: {scores: a.json}, outputs: {output: b.json}}
`);
    expect(() => planSteps(loadPipeline(path, { cwd: dir }))).toThrow(/steps a, b read each other's outputs in a cycle/);
  });

  const mistakes: Array<[string, string, RegExp]> = [
    ['bad YAML', 'steps: [\n  {id: a', /bad YAML\.yaml \(line \d+\): not valid YAML/],
    ['unknown top key', 'stepz: []\n', /unknown top key\.yaml \(line 1\): key "stepz": unknown key; expected one of name, description, vars/],
    ['no steps', 'name: x\n', /no steps\.yaml: key "steps": expected a non-empty list of steps/],
    ['unknown kind', 'steps:\n  - id: s\n    kind: scor\n', /unknown kind\.yaml \(line 3\): steps\[0\] \(id "s"\): key "kind": expected one of score, audit, train, evaluate, filter, verify, distill, compare/],
    ['unknown step key', 'steps:\n  - id: s\n    kind: train\n    option: {}\n', /\(line 4\): steps\[0\] \(id "s"\): key "option": unknown key/],
    ['bad id', 'steps:\n  - id: "a b"\n    kind: train\n', /steps\[0\]: key "id": expected an id/],
    ['duplicate id', 'steps:\n  - {id: a, kind: train}\n  - {id: a, kind: verify}\n', /steps\[1\] \(id "a"\): key "id": duplicate id; steps\[0\] has it too/],
    ['two writers', 'steps:\n  - {id: a, kind: train, outputs: {output: x.json}}\n  - {id: b, kind: train, outputs: {output: x.json}}\n', /steps\[1\] \(id "b"\): key "outputs\.output": .*x\.json is already written by step "a"/],
    ['unknown var', 'steps:\n  - {id: a, kind: train, outputs: {output: "${nope}/x.json"}}\n', /key "outputs\.output": unknown variable \$\{nope\}/],
    ['shards on train', 'steps:\n  - {id: a, kind: train, shards: 4}\n', /key "shards": train runs as one process; only score, audit, filter, compare, threshold and targets take shards/],
    ['shard option', 'steps:\n  - {id: a, kind: score, outputs: {output: s.parquet}, options: {shard-index: 1}}\n', /key "options\.shard-index": shards are set with the step key "shards"/],
    ['missing filter output', 'steps:\n  - {id: f, kind: filter, outputs: {clean: c.parquet}}\n', /key "outputs": a filter step needs the output "removed"/],
    ['var toString', 'steps:\n  - {id: a, kind: train, outputs: {output: "${toString}/x.json"}}\n', /key "outputs\.output": unknown variable \$\{toString\}/],
    ['var constructor', 'steps:\n  - {id: a, kind: train, outputs: {output: "${constructor}/x.json"}}\n', /unknown variable \$\{constructor\}/],
    ['var __proto__', 'steps:\n  - {id: a, kind: train, outputs: {output: "${__proto__}/x.json"}}\n', /unknown variable \$\{__proto__\}/],
    ['var named __proto__', 'vars: {__proto__: o}\nsteps:\n  - {id: a, kind: train}\n', /key "vars\.__proto__": a variable name is letters, digits and _/],
    ['option object', 'steps:\n  - {id: a, kind: train, options: {trials: {n: 1}}}\n', /key "options\.trials": expected a string, number, boolean or a list of them/],
  ];
  for (const [name, text, message] of mistakes) {
    it(`names the file, step and key: ${name}`, () => {
      const path = write(`${name}.yaml`, text);
      expect(() => loadPipeline(path, { cwd: dir })).toThrow(message);
    });
  }

  it('refuses --set of a variable the file does not have', () => {
    const path = write('vars.yaml', 'vars: {out: o}\nsteps:\n  - {id: a, kind: train, outputs: {output: "${out}/x.json"}}\n');
    expect(loadPipeline(path, { cwd: dir, set: { out: 'p' } }).steps[0].outputs.output).toBe(join(dir, 'p', 'x.json'));
    expect(() => loadPipeline(path, { cwd: dir, set: { ouy: 'p' } })).toThrow(/--set ouy: .* has no variable "ouy" \(vars: out\)/);
    // an own __proto__ key, as `--set __proto__=x` gives it
    expect(() => loadPipeline(path, { cwd: dir, set: JSON.parse('{"__proto__": "x"}') })).toThrow(/--set __proto__=…: a variable name is letters, digits and _/);
    expect(() => loadPipeline(path, { cwd: dir, set: { toString: 'x' } })).toThrow(/--set toString: .* has no variable "toString"/);
  });

  it('refuses a YAML alias bomb in one line, before it expands', () => {
    let text = 'vars:\n  a0: &a0 [x, x, x, x, x, x, x, x, x]\n';
    for (let k = 1; k < 9; k++) text += `  a${k}: &a${k} [${Array(9).fill(`*a${k - 1}`).join(', ')}]\n`;
    const path = write('bomb.yaml', `${text}steps:\n  - {id: a, kind: train}\n`);
    expect(() => loadPipeline(path, { cwd: dir })).toThrow(/bomb\.yaml: not a usable pipeline file: Excessive alias count/);
  });
});

describe('checkStepFlags', () => {
  it("accepts the kit pipeline and names a flag the step's command does not have", async () => {
    await expect(checkStepFlags(loadPipeline(join(ROOT, 'pipelines', 'kit.yaml'), { cwd: dir }), 'kit.yaml')).resolves.toBeUndefined();
    const path = write('typo.yaml', 'steps:\n  - {id: t, kind: train, inputs: {scores: s.parquet, labels: a.parquet}, outputs: {output: r.json}, options: {trails: 5}}\n');
    await expect(checkStepFlags(loadPipeline(path, { cwd: dir }), 'typo.yaml')).rejects.toThrow(
      /typo\.yaml: steps\[0\] \(id "t"\): key "options\.trails": memsieve train has no option --trails \(options: .*--trials/,
    );
  });

  it('accepts every shipped pipeline, in the order its steps need (pilot: sample after score, verdict last)', async () => {
    const models = { teacher: 't', baseline: 'b', tokenizer: 'tok.json' };
    for (const name of ['kit.yaml', 'apply.yaml', 'pilot.yaml']) {
      await expect(checkStepFlags(loadPipeline(join(ROOT, 'pipelines', name), { cwd: dir, set: name === 'kit.yaml' ? {} : models }), name)).resolves.toBeUndefined();
    }
    const order = planSteps(loadPipeline(join(ROOT, 'pipelines', 'pilot.yaml'), { cwd: dir, set: models })).map((p) => p.step.id);
    expect(order).toEqual(['score', 'sample', 'distill-pilot', 'audit-pilot', 'train', 'filter', 'verify', 'distill-clean', 'audit-clean', 'verdict']);
  });
});

describe('variables without a default', () => {
  it("apply.yaml and pilot.yaml name the teacher, baseline and tokenizer they need rather than take the kit's", () => {
    for (const name of ['apply.yaml', 'pilot.yaml']) {
      const file = join(ROOT, 'pipelines', name);
      expect(() => loadPipeline(file, { cwd: dir })).toThrow(/key "vars\.teacher": variable "teacher" has no default; set it with --set teacher=\.\.\./);
      expect(() => loadPipeline(file, { cwd: dir, set: { teacher: 't' } })).toThrow(/variable "baseline" has no default/);
      expect(() => loadPipeline(file, { cwd: dir, set: { teacher: 't', baseline: 'b' } })).toThrow(/variable "tokenizer" has no default/);
      const steps = loadPipeline(file, { cwd: dir, set: { teacher: 't', baseline: 'b', tokenizer: 'tok.json' } }).steps;
      expect(steps.find((s) => s.kind === 'score')!.inputs).toMatchObject({ teacher: join(dir, 't'), baseline: join(dir, 'b'), tokenizer: join(dir, 'tok.json') });
    }
  });
});

describe('Slurm array specs', () => {
  it('compresses pending shards into ranges and splits them under MaxArraySize', () => {
    expect(compressRanges([0, 1, 2, 5, 7, 8])).toBe('0-2,5,7-8');
    expect(arrayChunks([2], 1001)).toEqual([{ offset: 0, spec: '2' }]);
    expect(arrayChunks([3, 0, 1, 2], 1001)).toEqual([{ offset: 0, spec: '0-3' }]);
    // task ids must stay below MaxArraySize: ranks 5.. go to a second array with offset 5
    expect(arrayChunks([0, 1, 5, 6, 7, 12], 5)).toEqual([
      { offset: 0, spec: '0-1' },
      { offset: 5, spec: '0-2' },
      { offset: 10, spec: '2' },
    ]);
  });
});
