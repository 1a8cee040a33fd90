// The lines of docs/bad-input.md that other bad-input tests do not cover: each bad input gives one line
// naming the file/row/option, exit 2, no stack trace, and leaves nothing at the output (nor a temp file).
// Disk full and a read-only folder are real tmpfs mounts where this machine allows mounting (root in CI);
// elsewhere the same system errors are injected by test/helpers/refuse-writes.mjs.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/cli.js';
import { kitCorpus, kitFile, tempDir } from '../helpers/kit.js';
import { makeKitInputs, type KitInputs } from '../filter/kit-setup.js';

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
