// Provenance: score and audit record how their output was made in the output's own metadata (Parquet
// key-value metadata, Arrow schema metadata, a JSONL sidecar) and in their summary; the model and
// tokenizer hashes are checked against hashes taken here of the files' bytes; merge refuses parts made
// with other settings; a large model file's hash is cached by path, size and modification time.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC, Table, Utf8, vectorFromArray } from 'apache-arrow';
import { parquetMetadata } from 'hyparquet';
import { beforeAll, describe, expect, it } from 'vitest';
import { openWriter } from '../../src/io/index.js';
import { modelIdentity } from '../../src/stage/provenance.js';
import { loadTokenizer } from '../../src/text/tokenizer.js';
import { runCli } from '../helpers/cli.js';
import { kitCorpus, kitFile, tempDir } from '../helpers/kit.js';

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const VERSION = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')).version;
const WINDOW = ['--max-tokens', '64', '--prefix-tokens', '16', '--suffix-tokens', '16'];

/** The key-value metadata of a Parquet file, read with hyparquet (not memsieve's reader). */
function parquetKeyValues(path: string): Record<string, string> {
  const bytes = readFileSync(path);
  const metadata = parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer);
  return Object.fromEntries((metadata.key_value_metadata ?? []).map((kv) => [kv.key, kv.value]));
}

let dir: string;
let corpus: string;

beforeAll(async () => {
  dir = tempDir('memsieve-provenance-');
  const rows = (await kitCorpus()).slice(0, 12);
  corpus = join(dir, 'corpus.parquet');
  const writer = await openWriter(corpus);
  await writer.write(new Table({ id: vectorFromArray(rows.map((r) => String(r.id)), new Utf8()), text: vectorFromArray(rows.map((r) => String(r.text)), new Utf8()) }));
  await writer.close();
});

function score(output: string, extra: string[] = []) {
  const result = runCli(['score', '-i', corpus, '-o', output, '--teacher', kitFile('teacher.onnx'), '--baseline', kitFile('baseline.onnx'), '--tokenizer', kitFile('tokenizer.json'), ...WINDOW, '-q', ...extra]);
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stderr.trim().split('\n').at(-1)!);
}

describe('score and audit record their provenance', () => {
  it("score: the models' and tokenizer's content hashes, the special tokens, the windows and settings, in the Parquet metadata and the summary", async () => {
    const output = join(dir, 'scores.parquet');
    const summary = score(output);
    const recorded = JSON.parse(parquetKeyValues(output)['memsieve.provenance.score']);
    expect(recorded).toEqual(summary.provenance);
    const tokenizer = await loadTokenizer(kitFile('tokenizer.json'));
    expect(recorded).toEqual({
      schema: 'memsieve.provenance/v1',
      stage: 'score',
      tool_version: VERSION,
      models: {
        teacher: { path: kitFile('teacher.onnx'), sha256: sha256(kitFile('teacher.onnx')) },
        baseline: { path: kitFile('baseline.onnx'), sha256: sha256(kitFile('baseline.onnx')) },
      },
      // the kit's tokenizer.json has no post-processor specials: nothing added whatever the policy
      tokenizer: { path: kitFile('tokenizer.json'), sha256: sha256(kitFile('tokenizer.json')), special_tokens: tokenizer.specialTokens, added_special_ids: { leading: [], trailing: [] } },
      max_tokens: 64,
      prefix_tokens: 16,
      suffix_tokens: 16,
      temperature: 1,
      min_k: 0.2,
      backend: 'onnx',
      dtype: null,
    });
  });

  it('score: a JSONL output keeps it in a sidecar, an Arrow output in its schema metadata', () => {
    const jsonl = join(dir, 'scores.jsonl');
    const summary = score(jsonl, ['--temperature', '2']);
    const sidecar = JSON.parse(readFileSync(`${jsonl}.metadata.json`, 'utf8'));
    expect(JSON.parse(sidecar['memsieve.provenance.score'])).toEqual(summary.provenance);
    expect(summary.provenance.temperature).toBe(2);
    const arrow = join(dir, 'scores.arrow');
    const fromArrow = score(arrow);
    expect(JSON.parse(tableFromIPC(readFileSync(arrow)).schema.metadata.get('memsieve.provenance.score')!)).toEqual(fromArrow.provenance);
  });

  it("audit: the audited model's hash, in the output's metadata and the summary file; the scores' provenance of an audited scores file is kept", () => {
    const output = join(dir, 'audit.parquet');
    const result = runCli(['audit', '-i', join(dir, 'scores.parquet'), '-o', output, '--model', kitFile('student.onnx'), '--tokenizer', kitFile('tokenizer.json'), ...WINDOW, '-q']);
    expect(result.status, result.stderr).toBe(0);
    const metadata = parquetKeyValues(output);
    const audit = JSON.parse(metadata['memsieve.provenance.audit']);
    expect(audit).toMatchObject({ stage: 'audit', models: { model: { path: kitFile('student.onnx'), sha256: sha256(kitFile('student.onnx')) } }, max_tokens: 64, temperature: null, min_k: null });
    expect(JSON.parse(readFileSync(`${output}.summary.json`, 'utf8')).provenance).toEqual(audit);
    expect(JSON.parse(metadata['memsieve.provenance.score']).stage).toBe('score');
  });

  it('merge keeps the parts\' provenance, and refuses parts scored with other settings, naming the field and both values', () => {
    const output = join(dir, 'sharded.parquet');
    const [first] = [0, 1].map((index) => score(output, ['--shard-index', String(index), '--shard-count', '2']));
    const kept = runCli(['merge', output]);
    expect(kept.status, kept.stderr).toBe(0);
    expect(JSON.parse(parquetKeyValues(output)['memsieve.provenance.score'])).toEqual(first.provenance);
    rmSync(output);
    score(output, ['--shard-index', '0', '--shard-count', '2']);
    const other = runCli(['score', '-i', corpus, '-o', output, '--teacher', kitFile('teacher.onnx'), '--baseline', kitFile('baseline.onnx'), '--tokenizer', kitFile('tokenizer.json'), '--max-tokens', '48', '--prefix-tokens', '16', '--suffix-tokens', '16', '-q', '--shard-index', '1', '--shard-count', '2']);
    expect(other.status, other.stderr).toBe(0);
    const merged = runCli(['merge', output]);
    expect(merged.status).toBe(2);
    expect(merged.stderr).toMatch(/^memsieve: error: part \S+part-00001-of-00002\.parquet: max_tokens is 48 but \S+part-00000-of-00002\.parquet has 64; parts read together must be made with the same models and settings/);
    expect(existsSync(output)).toBe(false);
  });
});

describe('model identity', () => {
  it("a checkpoint folder: its config and weight files' hashes by name, hashed together (generation settings left out)", async () => {
    const folder = kitFile('hf/teacher');
    const expected = createHash('sha256').update(JSON.stringify([['config.json', sha256(join(folder, 'config.json'))], ['model.safetensors', sha256(join(folder, 'model.safetensors'))]])).digest('hex');
    expect(await modelIdentity(folder)).toEqual({ path: folder, sha256: expected });
  });

  it('a large file is hashed once: the cache answers while size and modification time are unchanged', async () => {
    const cache = tempDir('memsieve-cache-');
    const previous = process.env.MEMSIEVE_CACHE_DIR;
    process.env.MEMSIEVE_CACHE_DIR = cache;
    try {
      const model = join(dir, 'big.onnx');
      writeFileSync(model, Buffer.alloc(17 << 20, 7));
      const real = sha256(model);
      expect((await modelIdentity(model)).sha256).toBe(real);
      // a cached entry is trusted without reading the file: planted, it is what comes back
      const file = join(cache, 'model-sha256.json');
      const entries = JSON.parse(readFileSync(file, 'utf8'));
      const key = Object.keys(entries).find((k) => k.endsWith('big.onnx'))!;
      writeFileSync(file, JSON.stringify({ [key]: { ...entries[key], sha256: 'f'.repeat(64) } }));
      expect((await modelIdentity(model)).sha256).toBe('f'.repeat(64));
      // a new modification time: hashed again
      utimesSync(model, new Date(), new Date(Date.now() + 5000));
      expect((await modelIdentity(model)).sha256).toBe(real);
    } finally {
      if (previous === undefined) delete process.env.MEMSIEVE_CACHE_DIR;
      else process.env.MEMSIEVE_CACHE_DIR = previous;
    }
  });
});
