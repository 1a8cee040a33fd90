// Special tokens follow the tokenizer, on the kit's tokenizer with a post-processor that puts a BOS first
// (as Llama's and Gemma's add <bos>): the BOS leads every row as context only; the audit window, n_tokens,
// zlib_entropy and --max-tokens count text tokens; score and audit agree; the ONNX and torch backends see
// the same ids. Independent numbers: the tokenizers library's own encode, the model's logits and greedy
// decoding called directly, and the kit's plain tokenizer.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOnnxModel, type OnnxCausalLM } from '../../src/models/onnx.js';
import { loadTokenizer, type Tokenizer } from '../../src/text/tokenizer.js';
import { runCli } from '../helpers/cli.js';
import { kitCorpus, kitFile, readParquetRows, tempDir } from '../helpers/kit.js';
import { lacks } from '../helpers/system.js';
import { makeTiny } from '../torch/helpers.js';

const BOS = 0; // the kit's <|endoftext|>
const SHORT = 'The jury said it did not find.';
let dir: string;
let withBos: string;
let bosJson: object;
let plain: Tokenizer;
let texts: string[];

/** The kit tokenizer.json with a post-processor that puts <|endoftext|> first, as Llama's puts <s>. */
function bosTokenizerJson(): object {
  const json = JSON.parse(readFileSync(kitFile('tokenizer.json'), 'utf8'));
  json.post_processor = {
    type: 'TemplateProcessing',
    single: [{ SpecialToken: { id: '<|endoftext|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
    pair: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
    special_tokens: { '<|endoftext|>': { id: '<|endoftext|>', ids: [BOS], tokens: ['<|endoftext|>'] } },
  };
  return json;
}

beforeAll(async () => {
  dir = tempDir();
  bosJson = bosTokenizerJson();
  withBos = join(dir, 'tokenizer.json');
  writeFileSync(withBos, JSON.stringify(bosJson));
  plain = await loadTokenizer(kitFile('tokenizer.json'));
  texts = (await kitCorpus()).slice(0, 40).map((row) => row.text as string);
});

const ids = (tokenizer: Tokenizer, text: string, max = 1 << 20) => Array.from(tokenizer.encodeTruncated(text, max));

describe('ids: the tokenizer\'s special tokens by default', () => {
  it('the kit\'s tokenizer adds nothing, so the kit\'s golden ids are unchanged', () => {
    expect(plain.specialTokens).toBe('tokenizer');
    expect(plain.addedSpecialIds).toEqual({ leading: [], trailing: [] });
    expect(plain.warnings).toEqual([]);
  });

  it('puts the BOS before the first max text tokens, as the tokenizers library encodes; none gives raw ids', async () => {
    const bos = await loadTokenizer(withBos);
    const none = await loadTokenizer(withBos, { specialTokens: 'none' });
    const reference = new HfTokenizer(bosJson, {});
    expect(bos.addedSpecialIds).toEqual({ leading: [BOS], trailing: [] });
    expect(none.addedSpecialIds).toEqual({ leading: [], trailing: [] });
    for (const text of [SHORT, ...texts.slice(0, 5)]) {
      expect(ids(bos, text)).toEqual(Array.from(reference.encode(text).ids)); // the library's default: specials added
      expect(ids(none, text)).toEqual(Array.from(reference.encode(text, { add_special_tokens: false }).ids));
    }
    // --max-tokens counts text tokens: BOS + 64 of them (also through the long-text prefix path)
    expect(ids(bos, texts[0], 64)).toEqual([BOS, ...ids(plain, texts[0], 64)]);
    expect(ids(bos, texts[0], 64)).toHaveLength(65);
    expect(ids(bos, texts[0] + ' ' + texts[1], 16)).toEqual(Array.from(reference.encode(texts[0] + ' ' + texts[1]).ids).slice(0, 17));
  });
});

describe('trailing specials', () => {
  it('an EOS the post-processor appends is left off, with a warning', async () => {
    const json = JSON.parse(readFileSync(kitFile('tokenizer.json'), 'utf8'));
    const special = { '<|endoftext|>': { id: '<|endoftext|>', ids: [BOS], tokens: ['<|endoftext|>'] } };
    const single = [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '<|endoftext|>', type_id: 0 } }];
    json.post_processor = { type: 'TemplateProcessing', single, pair: single, special_tokens: special };
    const path = join(dir, 'eos.json');
    writeFileSync(path, JSON.stringify(json));
    expect(Array.from(new HfTokenizer(json, {}).encode(SHORT).ids)).toEqual([...ids(plain, SHORT), BOS]); // what the file says
    const eos = await loadTokenizer(path);
    expect(ids(eos, SHORT)).toEqual(ids(plain, SHORT));
    expect(eos.addedSpecialIds).toEqual({ leading: [], trailing: [] });
    expect(eos.warnings).toEqual([expect.stringMatching(/appends special ids \[0\] after the text; memsieve leaves them off/)]);
  });
});

const scoreArgs = (input: string, output: string, tokenizer: string, extra: string[] = []) => [
  'score', '-i', input, '-o', output, '--teacher', kitFile('teacher.onnx'), '--baseline', kitFile('baseline.onnx'),
  '--tokenizer', tokenizer, '--max-tokens', '128', '-q', ...extra,
];

function scoreRows(input: string, name: string, tokenizer: string, extra: string[] = []) {
  const output = join(dir, name);
  const r = runCli([...scoreArgs(input, output, tokenizer, extra)]);
  expect(r.status, r.stderr).toBe(0);
  return readFileSync(output, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
}

function writeRows(name: string, rows: { id: string; text: string }[]): string {
  const path = join(dir, name);
  writeFileSync(path, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return path;
}

/** Mean −log p(ids[t] | ids[<t]) over t = 1..len−1 from the model's logits, in float64 (no memsieve math). */
async function meanNll(model: OnnxCausalLM, row: number[]): Promise<number> {
  const { data, vocab } = await model.logits([Int32Array.from(row)]);
  let sum = 0;
  for (let t = 1; t < row.length; t++) {
    const z = data.subarray((t - 1) * vocab, t * vocab);
    let max = -Infinity;
    for (const v of z) max = Math.max(max, v);
    let total = 0;
    for (const v of z) total += Math.exp(v - max);
    sum += max + Math.log(total) - z[row[t]];
  }
  return sum / (row.length - 1);
}

describe('score: the BOS is context, the columns count text tokens', () => {
  let teacher: OnnxCausalLM;
  afterAll(async () => {
    await teacher?.close();
  });

  it('n_tokens and zlib_entropy as without a BOS; nll predicts every text token from the BOS on, never the BOS', async () => {
    const input = writeRows('rows.jsonl', [{ id: 'short', text: SHORT }, { id: 'long', text: texts[1] }]);
    const [bos, raw, kit] = [
      scoreRows(input, 'bos.jsonl', withBos),
      scoreRows(input, 'raw.jsonl', withBos, ['--no-special-tokens']),
      scoreRows(input, 'kit.jsonl', kitFile('tokenizer.json')),
    ];
    expect(raw).toEqual(kit); // --no-special-tokens: the raw ids, every column as the kit's tokenizer gives
    expect(bos.map((r) => r.n_tokens)).toEqual([ids(plain, SHORT).length, 128]);
    expect(bos.map((r) => r.zlib_entropy)).toEqual(kit.map((r) => r.zlib_entropy));
    teacher = await loadOnnxModel(kitFile('teacher.onnx'), { threads: 1, tokenizerVocab: plain.vocabSize });
    for (const [i, text] of [SHORT, texts[1]].entries()) {
      const expected = await meanNll(teacher, [BOS, ...ids(plain, text, 128)]);
      expect(Math.abs(bos[i].teacher_nll - expected) / expected).toBeLessThan(1e-5);
      expect(Math.abs(kit[i].teacher_nll - expected) / expected).toBeGreaterThan(1e-3); // the BOS changes the numbers
    }
  });
});

describe('audit: the prompt is the BOS + k text tokens, the suffix the next m', () => {
  let teacher: OnnxCausalLM;
  afterAll(async () => {
    await teacher?.close();
  });

  it('generations are greedy decoding of BOS + k text tokens; a row needs k + m text tokens', async () => {
    const [k, m] = [10, 10];
    const n = ids(plain, SHORT).length;
    const input = writeRows('audit.jsonl', [...texts.slice(0, 6).map((text, i) => ({ id: `r${i}`, text })), { id: 'short', text: SHORT }]);
    const audit = (name: string, prefix: number, suffix: number) => {
      const output = join(dir, name);
      const r = runCli(['audit', '-i', input, '-o', output, '--model', kitFile('teacher.onnx'), '--tokenizer', withBos,
        '--max-tokens', '32', '--prefix-tokens', String(prefix), '--suffix-tokens', String(suffix), '--keep-generations', '-q']);
      expect(r.status, r.stderr).toBe(0);
      return readFileSync(output, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    };
    const rows = audit('audit-out.jsonl', k, m);
    teacher = await loadOnnxModel(kitFile('teacher.onnx'), { threads: 1, tokenizerVocab: plain.vocabSize });
    for (const [i, text] of texts.slice(0, 6).entries()) {
      const textIds = ids(plain, text);
      const [generated] = await teacher.greedy([Int32Array.from([BOS, ...textIds.slice(0, k)])], m);
      expect(rows[i].generated_ids, `row ${i}`).toEqual(Array.from(generated));
      expect(rows[i].memorized).toBe(Array.from(generated).join() === textIds.slice(k, k + m).join());
    }
    expect(rows.slice(0, 6).some((r) => r.memorized)).toBe(true);
    // the short row has n text tokens (n + 1 ids): audited with k + m = n, not with k + m = n + 1
    expect(audit('fits.jsonl', n - 3, 3).at(-1).memorized).not.toBeNull();
    expect(audit('too-short.jsonl', n - 3, 4).at(-1).memorized).toBeNull();
  });
});

describe('score and audit agree under the BOS', () => {
  it('teacher_/baseline_memorized and _lead equal audit\'s memorized and lead', async () => {
    const input = writeRows('agree.jsonl', texts.map((text, i) => ({ id: `r${i}`, text })));
    const scores = scoreRows(input, 'agree-scores.jsonl', withBos);
    for (const model of ['teacher', 'baseline']) {
      const output = join(dir, `agree-${model}.jsonl`);
      const r = runCli(['audit', '-i', input, '-o', output, '--model', kitFile(`${model}.onnx`), '--tokenizer', withBos,
        '--max-tokens', '128', '-q']);
      expect(r.status, r.stderr).toBe(0);
      const audited = readFileSync(output, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
      expect(scores.map((s) => [s[`${model}_memorized`], s[`${model}_lead`]])).toEqual(audited.map((a) => [a.memorized, a.lead]));
    }
    // both kinds of rows are present, so agreement means something
    expect(new Set(scores.map((s) => s.teacher_memorized)).size).toBe(2);
  });
});

describe('tokenizer_config.json', () => {
  it('a bos_token the post-processor never adds: one warning line, even with -q; none with --no-special-tokens', () => {
    const folder = tempDir();
    copyFileSync(kitFile('tokenizer.json'), join(folder, 'tokenizer.json'));
    writeFileSync(join(folder, 'tokenizer_config.json'), JSON.stringify({ bos_token: { content: '<|endoftext|>' } }));
    const input = writeRows('warn.jsonl', [{ id: 'a', text: SHORT }]);
    const run = (name: string, extra: string[]) => runCli(scoreArgs(input, join(dir, name), join(folder, 'tokenizer.json'), extra));
    const warned = run('warn-out.jsonl', []);
    expect(warned.status, warned.stderr).toBe(0);
    const lines = warned.stderr.split('\n').filter((line) => line.startsWith('memsieve: warning: '));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/tokenizer_config\.json names bos_token <\|endoftext\|> \(id 0\) but tokenizer\.json's post-processor never adds it/);
    // the JSON summary (last line) carries it too, with its code
    const summary = JSON.parse(warned.stderr.trim().split('\n').at(-1)!);
    expect(summary.warnings).toEqual([{ code: 'tokenizer-special-tokens', message: lines[0].slice('memsieve: warning: '.length), option: '--tokenizer', file: join(folder, 'tokenizer.json') }]);
    const quiet = run('quiet-out.jsonl', ['--no-special-tokens']).stderr;
    expect(quiet).not.toMatch(/memsieve: warning/);
    expect(JSON.parse(quiet.trim().split('\n').at(-1)!).warnings).toEqual([]);
  });
});

describe.skipIf(lacks('python3-torch'))('the torch backend sees the same ids', () => {
  it('score --backend torch with the BOS: the same n_tokens, nll and memorization as onnx', async () => {
    const input = writeRows('torch.jsonl', texts.slice(0, 6).map((text, i) => ({ id: `r${i}`, text })));
    const tiny = tempDir();
    makeTiny(join(tiny, 'teacher'), { seed: 1, onnx: join(tiny, 'teacher.onnx') });
    makeTiny(join(tiny, 'baseline'), { seed: 2, onnx: join(tiny, 'baseline.onnx') });
    const score = (backend: string, teacher: string, baseline: string, output: string) => {
      const r = runCli(['score', '-i', input, '-o', output, '--teacher', teacher, '--baseline', baseline, '--tokenizer', withBos,
        '--max-tokens', '128', '--backend', backend, '-q', ...(backend === 'torch' ? ['--dtype', 'float32'] : [])]);
      expect(r.status, r.stderr).toBe(0);
      return readFileSync(output, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    };
    const onnx = score('onnx', join(tiny, 'teacher.onnx'), join(tiny, 'baseline.onnx'), join(dir, 'onnx-bos.jsonl'));
    const torch = score('torch', join(tiny, 'teacher'), join(tiny, 'baseline'), join(dir, 'torch-bos.jsonl'));
    expect(torch.map((t) => [t.n_tokens, t.teacher_lead, t.baseline_lead])).toEqual(onnx.map((o) => [o.n_tokens, o.teacher_lead, o.baseline_lead]));
    for (const key of ['teacher_nll', 'baseline_nll', 'kl_teacher_baseline', 'teacher_suffix_logprob']) {
      torch.forEach((t, i) => expect(Math.abs(t[key] - onnx[i][key]) / Math.abs(onnx[i][key]), `${key} row ${i}`).toBeLessThan(1e-4));
    }
  });
});

describe('bad input', () => {
  it('--special-tokens takes tokenizer or none', () => {
    const r = runCli(['score', '-i', 'x.jsonl', '-o', join(dir, 'x.out.jsonl'), '--teacher', 't', '--baseline', 'b', '--tokenizer', withBos, '--special-tokens', 'bos']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--special-tokens.*bos.*expected tokenizer or none/);
  });

  it('a post-processor that changes the text\'s own ids is refused', () => {
    const json = JSON.parse(readFileSync(kitFile('tokenizer.json'), 'utf8'));
    // the special token between two copies of the text: no fixed ids before and after the text's own
    const special = { '<|endoftext|>': { id: '<|endoftext|>', ids: [BOS], tokens: ['<|endoftext|>'] } };
    const single = [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '<|endoftext|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }];
    json.post_processor = { type: 'TemplateProcessing', single, pair: single, special_tokens: special };
    const path = join(dir, 'doubling.json');
    writeFileSync(path, JSON.stringify(json));
    const input = writeRows('bad.jsonl', [{ id: 'a', text: SHORT }]);
    const output = join(dir, 'bad-out.jsonl');
    const r = runCli(scoreArgs(input, output, path));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--tokenizer .*doubling\.json: its post-processor changes the text's own ids.*--no-special-tokens/);
    expect(runCli(scoreArgs(input, output, path, ['--no-special-tokens'])).status).toBe(0);
  });
});
