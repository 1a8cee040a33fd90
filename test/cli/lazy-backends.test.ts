// Heavy backends load lazily: a command that needs no model never maps onnxruntime's native library.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { kitFile, tempDir } from '../helpers/kit.js';

const PRELOAD = join(import.meta.dirname, '..', 'helpers', 'report-native-libs.mjs');
const run = (args: string[]) => runCli(args, { env: { NODE_OPTIONS: `--import ${PRELOAD}` } });
const loaded = (stderr: string) => /native-onnxruntime-loaded=true/.test(stderr);

describe('lazy backends', () => {
  it('commands that need no model do not load onnxruntime', () => {
    const dir = tempDir();
    const audit = join(dir, 'a.jsonl');
    writeFileSync(audit, '{"id":"x","memorized":true}\n{"id":"y","memorized":false}\n');
    const compare = run(['compare', '--audit', `teacher=${audit}`, '--audit', `student=${audit}`, '--output', join(dir, 'o.json')]);
    expect(compare.status, compare.stderr).toBe(0);
    expect(compare.stderr).toMatch(/native-onnxruntime-loaded=false/);
    const help = run(['train', '--help']);
    expect(help.stderr).toMatch(/native-onnxruntime-loaded=false/);
  });

  it('score does load it (the check can see the library)', () => {
    const dir = tempDir();
    const input = join(dir, 'in.jsonl');
    writeFileSync(input, '{"id":"a","text":"The jury said it did not find any evidence of irregularities."}\n');
    const result = run([
      'score', '-i', input, '-o', join(dir, 'out.jsonl'), '--teacher', kitFile('teacher.onnx'), '--baseline', kitFile('baseline.onnx'),
      '--tokenizer', kitFile('tokenizer.json'), '--max-tokens', '32', '--prefix-tokens', '4', '--suffix-tokens', '4', '--quiet',
    ]);
    expect(result.status, result.stderr).toBe(0);
    expect(loaded(result.stderr)).toBe(true);
  });
});
