// filter --rule: the grammar (parsed by hand, checked against an independent evaluation in plain JS),
// and a rule filter on the kit with the golden lead/memorized columns joined as score columns: the same
// D_clean/removed/manifest/verify guarantees as the model path.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { evaluateRule, parseRule, ruleReasons } from '../../src/filter/rule.js';
import { runCli } from '../helpers/cli.js';
import { kitCorpus, kitFile, kitGolden, tempDir } from '../helpers/kit.js';
import { readParquetRows } from './kit-setup.js';

describe('the rule grammar', () => {
  it('parses comparisons, bare columns, and/or/not and parentheses, with and binding tighter than or', () => {
    const rule = parseRule('a>1 or b<=2 and not (c or d != -1.5e1)');
    expect(rule.canonical).toBe('a > 1 or b <= 2 and not (c or d != -15)');
    expect(rule.columns).toEqual(['a', 'b', 'c', 'd']);
    // the canonical form parses to itself
    expect(parseRule(rule.canonical).canonical).toBe(rule.canonical);
    const independent = (a: number, b: number, c: number, d: number) => a > 1 || (b <= 2 && !(c !== 0 || d !== -15));
    for (const a of [0, 2]) for (const b of [1, 3]) for (const c of [0, 1]) for (const d of [-15, 0]) {
      expect(evaluateRule(rule, [a, b, c, d])).toBe(independent(a, b, c, d));
    }
    expect(parseRule('(a or b) and c').canonical).toBe('(a or b) and c');
    for (const op of ['<', '<=', '>', '>=', '==', '!=']) {
      const r = parseRule(`x ${op} 20`);
      const expected = { '<': 19 < 20, '<=': 20 <= 20, '>': 21 > 20, '>=': 20 >= 20, '==': 20 === 20, '!=': 21 !== 20 }[op];
      expect(evaluateRule(r, [{ '<': 19, '<=': 20, '>': 21, '>=': 20, '==': 20, '!=': 21 }[op]!])).toBe(expected);
    }
  });

  it('prints every number it accepts so that the canonical rule parses back to the same rule (the manifest records it)', () => {
    for (const number of ['1.7976931348623157e308', '1e21', '123456789012345678901234', '5e-324', '0.1', '-1.5e-7', '.5']) {
      const rule = parseRule(`x >= ${number} or not (y < ${number} and z)`);
      const again = parseRule(rule.canonical);
      expect(again.canonical).toBe(rule.canonical);
      expect(again.root).toEqual(rule.root);
    }
    // 100 levels are fine, and print back
    const deep = parseRule(`${'('.repeat(50)}${'not '.repeat(50)}lead${')'.repeat(50)}`);
    expect(parseRule(deep.canonical).canonical).toBe(deep.canonical);
  });

  it("gives as reasons the clauses that hold, a negated one as 'not …'", () => {
    const rule = parseRule('lead >= 20 or memorized and not teacher_lead < 5');
    expect(ruleReasons(rule, [25, 1, 10])).toEqual(['lead >= 20', 'memorized', 'not (teacher_lead < 5)']);
    expect(ruleReasons(rule, [3, 1, 10])).toEqual(['memorized', 'not (teacher_lead < 5)']);
  });

  it('rejects anything but the grammar, pointing at the character', () => {
    for (const [text, fragment] of [
      ['', 'empty rule'],
      ['lead >=', 'expected a number after ">="'],
      ['20 <= lead', 'expected a column name, got "20" at character 1'],
      ['lead >= 20 lead', 'expected "and", "or" or the end of the rule, got "lead" at character 12'],
      ['process.exit(1)', 'unexpected character at character 8'],
      ['(lead > 1', 'expected ")"'],
      ['lead > "x"', 'unexpected character'],
      ['and', 'expected a column name'],
      ['lead >= 1e999', 'expected a number a double can hold'],
      ['lead >= -2e308', 'expected a number a double can hold'],
      [`${'('.repeat(101)}lead${')'.repeat(101)}`, 'parentheses and "not" nested more than 100 deep'],
      [`${'not '.repeat(101)}lead`, 'parentheses and "not" nested more than 100 deep'],
    ]) {
      expect(() => parseRule(text)).toThrow(UserError);
      expect(() => parseRule(text)).toThrow(fragment);
    }
  });
});

describe('memsieve filter --rule on the kit', () => {
  let dir: string;
  let scores: string;
  let ids: string[];
  let lead: (number | null)[];
  let baselineMemorized: boolean[];
  const NULL_ROWS = [3, 4000];

  beforeAll(async () => {
    const [corpus, golden] = await Promise.all([kitCorpus(), kitGolden()]);
    ids = corpus.map((r) => String(r.id));
    // the kit's golden audit columns, as `score` names them (lead null where a row is too short)
    lead = golden.map((r, i) => (NULL_ROWS.includes(i) ? null : Number(r.lead_baseline)));
    baselineMemorized = golden.map((r) => Boolean(r.mem_baseline));
    dir = tempDir('memsieve-rule-');
    scores = join(dir, 'scores.parquet');
    parquetWriteFile({
      filename: scores,
      columnData: [
        { name: 'id', data: [...ids].reverse(), type: 'STRING' },
        { name: 'baseline_lead', data: [...lead].reverse(), type: 'INT32' },
        { name: 'baseline_memorized', data: [...baselineMemorized].reverse(), type: 'BOOLEAN' },
        { name: 'teacher_lead', data: golden.map((r) => Number(r.lead_teacher)).reverse(), type: 'INT32' },
      ],
    });
  });

  function filter(out: string, rule: string, extra: string[] = []) {
    return runCli(['filter', '--input', kitFile('corpus.parquet'), '--scores', scores, '--rule', rule, '--clean', join(out, 'clean.parquet'), '--removed', join(out, 'removed.parquet'), '--report', join(out, 'report'), ...extra]);
  }

  it("'baseline_lead >= 20': removes exactly those rows, keeps null ones as unscored, and verifies with --check-risk", async () => {
    const out = tempDir('memsieve-rule-out-');
    const result = filter(out, 'baseline_lead >= 20');
    expect(result.status, result.stderr).toBe(0);
    const expected = new Set(ids.filter((_, i) => lead[i] !== null && lead[i]! >= 20));
    const removed = await readParquetRows(join(out, 'removed.parquet'));
    const clean = await readParquetRows(join(out, 'clean.parquet'));
    expect(new Set(removed.map((r) => r.id))).toEqual(expected);
    expect(removed.length + clean.length).toBe(ids.length);
    expect(removed.every((r) => r.risk === 1)).toBe(true);
    const nullIds = NULL_ROWS.map((i) => ids[i]);
    expect(clean.filter((r) => r.risk === null).map((r) => r.id).sort()).toEqual([...nullIds].sort());
    expect(clean.filter((r) => r.risk !== null).every((r) => r.risk === 0)).toBe(true);

    const manifest = JSON.parse(readFileSync(join(out, 'report', 'manifest.json'), 'utf8'));
    expect(manifest.rule).toEqual({ text: 'baseline_lead >= 20', canonical: 'baseline_lead >= 20', columns: ['baseline_lead'] });
    expect(manifest.model).toBeUndefined();
    expect(manifest.threshold).toEqual({ value: 1, method: 'rule', requested: null });
    expect(manifest.summary.unscored).toBe(NULL_ROWS.length);
    const list = readFileSync(join(out, 'report', 'removed-rows.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(list).toHaveLength(expected.size);
    expect(list.every((r) => r.reason.length === 1 && r.reason[0] === 'baseline_lead >= 20' && r.features.baseline_lead >= 20)).toBe(true);
    const html = readFileSync(join(out, 'report', 'report.html'), 'utf8');
    expect(html).toContain('baseline_lead &gt;= 20 (rows where it holds were removed');
    expect(html).toContain('rule clauses that hold');
    // the lead (integers 0–50) on whole-number bins laid so the cut at 20 is an edge: no bar mixes kept and removed
    const h = manifest.distributions.features.baseline_lead;
    expect(h.integer).toBe(true);
    expect(h.edges.every(Number.isInteger)).toBe(true);
    expect(h.edges).toContain(20);
    const width = h.edges[1] - h.edges[0];
    expect(h.edges.length - 1).toBeLessThanOrEqual(40);
    const scored = lead.filter((x): x is number => x !== null);
    const inBin = (x: number, k: number) => (k === 0 || x >= h.edges[k]) && (k === h.edges.length - 2 || x < h.edges[k + 1]);
    for (let k = 0; k < h.kept.length; k++) {
      expect(h.edges[k + 1] - h.edges[k]).toBe(width);
      expect([h.kept[k], h.removed[k]], `bin [${h.edges[k]}, ${h.edges[k + 1]})`).toEqual([scored.filter((x) => x < 20 && inBin(x, k)).length, scored.filter((x) => x >= 20 && inBin(x, k)).length]);
      expect(h.kept[k] > 0 && h.removed[k] > 0).toBe(false);
    }
    // the cut drawn where it is, with the rule's words
    expect(html).toContain('>baseline_lead &gt;= 20</text>');
    expect(html).toMatch(/the dashed line is the rule(&#39;|')s cut/);

    const verified = runCli(['verify', '--report', join(out, 'report'), '--check-risk']);
    expect(verified.status, verified.stderr).toBe(0);

    // a manifest whose rule was edited: the recomputed split no longer matches the files
    const manifestPath = join(out, 'report', 'manifest.json');
    writeFileSync(manifestPath, JSON.stringify({ ...manifest, rule: { text: 'baseline_lead >= 30', canonical: 'baseline_lead >= 30', columns: ['baseline_lead'] } }));
    const tampered = runCli(['verify', '--report', join(out, 'report'), '--check-risk']);
    expect(tampered.status).toBe(1);
    expect(tampered.stderr).toMatch(/removed row id \S+: risk 1 in the file, the rule gives 0 from the scores/);
  });

  it("a compound rule gives each removed row the clauses that hold; 'baseline_memorized' as a bare column", async () => {
    const out = tempDir('memsieve-rule-out-');
    const result = filter(out, '(baseline_lead >= 20 and not baseline_memorized) or baseline_memorized');
    expect(result.status, result.stderr).toBe(0);
    const list = readFileSync(join(out, 'report', 'removed-rows.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    const index = new Map(ids.map((id, i) => [id, i]));
    const expected = ids.filter((_, i) => lead[i] !== null && ((lead[i]! >= 20 && !baselineMemorized[i]) || baselineMemorized[i]));
    expect(new Set(list.map((r) => r.id))).toEqual(new Set(expected));
    for (const r of list) {
      const i = index.get(r.id)!;
      const reasons = [...(lead[i]! >= 20 ? ['baseline_lead >= 20'] : []), ...(!baselineMemorized[i] ? ['not baseline_memorized'] : []), ...(baselineMemorized[i] ? ['baseline_memorized'] : [])];
      expect(r.reason).toEqual(reasons);
    }
    expect(runCli(['verify', '--report', join(out, 'report'), '--check-risk']).status).toBe(0);
  });

  it('rejects a rule with a threshold option, --model or --evaluation, or on a column the scores lack, and neither --model nor --rule; writes nothing', () => {
    const cases: [string, string[], string][] = [
      ['baseline_lead >= 20', ['--threshold', '0.5'], '--rule decides each row itself; --threshold applies'],
      ['baseline_lead >= 20', ['--model', join(dir, 'risk.json')], 'give --model or --rule, not both'],
      ['baseline_leed >= 20', [], 'has no column "baseline_leed" for --rule'],
      ['baseline_lead >= twenty', [], 'expected a number after ">="'],
      ['baseline_lead >= 20', ['--evaluation', join(dir, 'eval.json')], '--evaluation describes a risk model; it does not apply to --rule'],
    ];
    const neither = runCli(['filter', '--input', kitFile('corpus.parquet'), '--scores', scores, '--clean', join(dir, 'c.parquet'), '--removed', join(dir, 'r.parquet'), '--report', join(dir, 'rep')]);
    expect(neither.status).toBe(2);
    expect(neither.stderr).toContain("give --model risk.json or --rule '<rule>'");
    for (const [rule, extra, fragment] of cases) {
      const out = tempDir('memsieve-rule-bad-');
      const result = filter(out, rule, extra);
      expect(result.status).toBe(2);
      expect(result.stderr).toContain(fragment);
      expect(readdirSync(out).filter((f) => f !== 'report' || readdirSync(join(out, f)).length > 0)).toEqual([]);
    }
  });
});
