// Every long command shows progress on stderr (here not a TTY: plain lines, one per batch with
// MEMSIEVE_PROGRESS_SECONDS=0) and none of it with --quiet; results are printed either way.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeKitInputs, type KitInputs } from '../filter/kit-setup.js';

let kit: KitInputs;
const progressEnv = { MEMSIEVE_PROGRESS_SECONDS: '0' };

beforeAll(async () => {
  kit = await makeKitInputs();
});

const at = (name: string) => join(kit.dir, name);
const filterArgs = (prefix: string) => ['filter', '--input', kit.corpus, '--scores', kit.scores, '--model', kit.model, '--clean', at(`${prefix}clean.parquet`), '--removed', at(`${prefix}removed.parquet`), '--report', at(`${prefix}report`)];

// label, arguments (run twice: with and without --quiet), what the command prints as its result either way
const commands: Array<[string, () => string[], RegExp]> = [
  ['filter', () => filterArgs(''), /rows: kept \d+/],
  ['verify', () => ['verify', '--report', at('report')], /^verified: /],
  ['train', () => ['train', '--scores', kit.scores, '--labels', at('labels.parquet'), '--label-column', 'mem_student', '--trials', '2', '--output', at('risk-2.json')], /risk-2\.json/],
  ['compare', () => ['compare', '--audit', `student=${at('labels.parquet')}`, '--audit', `teacher=${at('labels.parquet')}`, '--label-column', 'mem_student', '-o', at('overlap.json')], /student/],
  ['add-ids', () => ['add-ids', '-i', kit.corpus, '-o', at('with-ids.parquet'), '--id-column', 'row'], /"rows":5300/],
  ['merge', () => ['merge', at('sharded-clean.parquet'), '--keep-parts'], /"rows"/],
  ['threshold', () => ['threshold', '--scores', kit.scores, '--model', kit.model, '--remove-top', '5%', '--output', at('threshold.json')], /^remove rows with risk >= /],
  ['verdict', () => ['verdict', '--before', `${at('labels.parquet')}:mem_student`, '--after', `${at('labels.parquet')}:mem_student`, '-o', at('verdict.json')], /^memorized before: /],
  ['evaluate', () => ['evaluate', '--model', kit.model, '--scores', kit.scores, '--labels', at('labels.parquet'), '--label-column', 'mem_student', '--output', at('evaluation.json')], /^wrote /],
];

describe('--quiet and progress on every long command', () => {
  it.each(commands)('%s', (label, args, result) => {
    if (label === 'merge' && !existsSync(at('sharded-clean.parquet.parts'))) {
      for (const index of ['0', '1']) {
        const shard = runCli([...filterArgs('sharded-'), '--shard-index', index, '--shard-count', '2', '--quiet']);
        expect(shard.status, shard.stderr).toBe(0);
      }
    }
    const loud = runCli(args(), { env: progressEnv });
    expect(loud.status, loud.stderr).toBe(0);
    expect(`${loud.stdout}${loud.stderr}`).toMatch(new RegExp(result.source, 'm'));
    const lines = loud.stderr.split('\n');
    // the file being read, a bar with its total (from the Parquet footer), the rate and an ETA
    expect(lines.some((l) => new RegExp(`^\\S+ ${label} \\S+ \\[[#.]{24}\\] \\d+% \\d+/\\d+ rows read, \\d+ rows/s, ETA [0-9hms ]+$`).test(l)), loud.stderr).toBe(true);
    // with a line per batch, the last one counts every row of the kit corpus
    if (label === 'add-ids') expect(lines.filter((l) => l.includes('rows read')).at(-1)).toContain(` add-ids corpus.parquet [${'#'.repeat(24)}] 100% ${kit.ids.length}/${kit.ids.length} rows read`);

    const quiet = runCli([...args(), '--quiet'], { env: progressEnv });
    expect(quiet.status, quiet.stderr).toBe(0);
    expect(`${quiet.stdout}${quiet.stderr}`).toMatch(new RegExp(result.source, 'm'));
    expect(quiet.stderr).not.toMatch(/rows read/);
  });
});
