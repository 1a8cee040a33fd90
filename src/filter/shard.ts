// filter as shards: each shard splits its units of the corpus, joined with its own score parts when
// they exist (src/filter/score-parts.ts), else with the whole scores file; it writes clean/removed parts,
// a partial report, and in its marker the exact histogram counts of its rows. The merge adds those up
// and joins everything into the report one process writes. A --remove-top cut over the whole corpus
// comes from `memsieve threshold` (--threshold-from), the reduce step between the scores and the shards.
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { DEFAULT_MAX_REMOVED, filterCorpus, MANIFEST_FILE, refuseRunaway, REPORT_FILE, type FilterOptions, type FilterResult } from './filter.js';
import { addFingerprints } from './fingerprint.js';
import { sameScoresRows } from './scores-identity.js';
import { loadManifest, splitSummary, type Manifest } from './manifest.js';
import { relativeTo, resolveFrom } from './paths.js';
import { readRemovedList, REMOVED_LIST_FILE, RemovedListWriter } from './removed-list.js';
import { openReader, sha256File } from '../io/index.js';
import { renderFilterReport } from '../report/filter-report.js';
import type { MergeHook } from '../stage/merge-hook.js';
import { partPath, preparePart, ShardLedger, writeShardMarker, type Shard, type ShardMarker } from '../stage/shard.js';
import { writeFileAtomic } from '../io/atomic.js';
import { stagedPathFor, sweepStaged } from '../io/litter.js';
import { addProfiles, profileDistributions, type FilterProfile } from './histogram.js';
import { ruleCutEdges } from './rule.js';
import { locateScoreParts } from './score-parts.js';
import { describeDrift, driftOf, driftWarning } from './drift.js';
import { describeTransfer, warnScoring } from '../stage/provenance.js';
import { scoresIdentity, type ScoresIdentity } from './threshold-file.js';
import type { RemovedRow } from './types.js';
import { note, warn } from '../stage/warnings.js';

/** Runs filter on one shard: parts under CLEAN.parts/, REMOVED.parts/ and REPORT.parts/, then the marker. */
export async function filterShard(options: FilterOptions, shard: Shard, log: (line: string) => void = note): Promise<FilterResult> {
  const inputs = Array.isArray(options.input) ? options.input : [options.input];
  const source = await locateScoreParts(options.scores, inputs, shard);
  if (source.local) {
    log(`filter shard ${shard.index}/${shard.count}: shard-local join with ${source.files.length} score part(s), ${source.rows} of ${source.scoresRows} scores rows`);
  } else {
    // every shard then sees every risk, so a --remove-top cut is the same in each without a reduce step
    log(`filter shard ${shard.index}/${shard.count}: whole-file join: ${source.reason}. Every shard reads all of ${options.scores} (three times) and holds ~60 bytes a scores row`);
  }
  if (source.local && options.removeTop !== undefined && options.thresholdFrom === undefined) {
    throw new UserError(
      `--remove-top in a filter shard needs the corpus-wide cut: run 'memsieve threshold --scores ${options.scores} --model ${options.model} --remove-top ${options.removeTop} --output CUT.json' ` +
        `(in shards, then 'memsieve merge CUT.json') and pass --threshold-from CUT.json; 'memsieve run' does this for you`,
    );
  }
  const ledger = new ShardLedger();
  // joined with the whole scores file a shard sees every risk and checks the corpus-wide share itself;
  // with its own score parts it sees only its rows, so the merge checks the total before joining any
  const maxRemoved = options.maxRemoved ?? DEFAULT_MAX_REMOVED;
  const result = await filterCorpus({
    ...options,
    maxRemoved: source.local ? 1 : maxRemoved,
    clean: await preparePart(options.clean, shard),
    removed: await preparePart(options.removed, shard),
    report: await preparePart(options.report, shard),
    shard,
    ledger,
    ...(source.local ? { scoresFiles: source.files } : { profileUnits: shard }),
  });
  const { rows_in, kept, removed } = result.manifest.summary;
  const extra: FilterShardExtra = {
    join: source.local ? 'shard-local' : 'whole-file',
    scores: await scoresIdentity(options.scores),
    scores_rows: source.local ? source.scoresRows : result.manifest.scores.rows,
    profile: result.profile,
    max_removed: maxRemoved,
  };
  await writeShardMarker({
    kind: 'filter',
    shard,
    inputs,
    outputs: { clean: options.clean, removed: options.removed, report: options.report },
    rows: { clean: kept, removed },
    ledger,
    stats: { rows_in, kept, removed },
    extra: extra as unknown as Record<string, unknown>,
  });
  return result;
}

/** What a filter shard's marker carries to the merge. */
interface FilterShardExtra {
  join: 'shard-local' | 'whole-file';
  /** the --scores file as named (size and mtime: every shard must have read the same one) */
  scores: ScoresIdentity;
  /** rows of the whole scores file */
  scores_rows: number;
  /** exact histogram counts of this shard's rows */
  profile: FilterProfile;
  /** the --max-removed share the run asked for (checked over all shards by checkFilterShards) */
  max_removed: number;
}

/**
 * Before any merged row is written: the shards together must not remove more than --max-removed of the
 * corpus (a shard joined with its own score parts could not tell). Exit 3, nothing merged.
 */
export async function checkFilterShards(markers: ShardMarker[]): Promise<void> {
  const extras = markers.map((m) => m.extra as unknown as FilterShardExtra);
  const maxRemoved = extras[0].max_removed ?? DEFAULT_MAX_REMOVED;
  const removed = markers.reduce((t, m) => t + (m.stats?.removed ?? 0), 0);
  const rows = markers.reduce((t, m) => t + (m.stats?.rows_in ?? 0), 0);
  if (rows === 0 || removed / rows <= maxRemoved) return;
  const report = markers[0].outputs.report;
  const first = await loadManifest(join(partPath(report, 0, markers.length), MANIFEST_FILE));
  const profile = extras.map((e) => e.profile).reduce(addProfiles);
  const drift = first.drift && profile.drift ? driftOf(profile.drift, rangesOf(first.drift)) : null;
  refuseRunaway(removed, rows, maxRemoved, [describeDrift(drift), first.scoring ? describeTransfer(first.scoring) : null]);
}

function rangesOf(drift: NonNullable<Manifest['drift']>): Record<string, { low: number; high: number }> {
  return Object.fromEntries(Object.entries(drift.features).map(([name, f]) => [name, { low: f.low, high: f.high }]));
}

/** The shard flags, dropped from the merged manifest's command line: it describes the whole run. */
function withoutShardFlags(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--shard-index' || args[i] === '--shard-count') i++;
    else if (!args[i].startsWith('--shard-index=') && !args[i].startsWith('--shard-count=')) out.push(args[i]);
  }
  return out;
}

/** filter: one manifest.json and report.html for the merged clean/removed files, as one process writes them. */
export const mergeFilterReport: MergeHook = async (markers, merged) => {
  const { clean, removed, report } = markers[0].outputs;
  const parts: Manifest[] = [];
  for (const m of markers) parts.push(await loadManifest(join(partPath(report, m.index, m.count), MANIFEST_FILE)));
  const extras = markers.map((m) => m.extra as unknown as FilterShardExtra);
  const first = parts[0];
  for (const [s, p] of parts.entries()) {
    if (p.threshold.value !== first.threshold.value || p.model?.sha256 !== first.model?.sha256 || p.rule?.canonical !== first.rule?.canonical || JSON.stringify(extras[s].scores) !== JSON.stringify(extras[0].scores)) {
      throw new UserError(`${partPath(report, s, parts.length)}: shard ${s} used another model (or rule), scores or threshold than shard 0; rerun the filter shards`);
    }
  }
  const sum = (pick: (p: Manifest) => number) => parts.reduce((t, p) => t + pick(p), 0);
  const fingerprint = (pick: (p: Manifest) => string) => parts.map(pick).reduce(addFingerprints);
  const rowsIn = sum((p) => p.input.rows);
  const scoresRows = extras[0].scores_rows;
  if (rowsIn !== scoresRows) {
    throw new UserError(`${report}: the shards read ${rowsIn} corpus rows but the scores hold ${scoresRows}; pass the scores made from this corpus`);
  }
  const scoresPath = extras[0].scores.path;
  // hashed once here rather than in every shard
  const scores = { files: [{ path: relativeTo(report, scoresPath), sha256: await sha256File(scoresPath) }], rows: scoresRows };
  // a shard joined with its own score parts did not hash the scores file: what compares with it is decided here
  const againstScores = async (model: NonNullable<Manifest['model']>) =>
    model.trained_on ? { trained_on: { ...model.trained_on, this_corpus: await sameScoresRows(model.trained_on.scores, scoresPath, scores.files[0].sha256, first.id_column, '--scores') } } : {};
  await mkdir(report, { recursive: true });
  await sweepStaged(join(report, REMOVED_LIST_FILE));
  const listTemp = stagedPathFor(join(report, REMOVED_LIST_FILE));
  const list = await RemovedListWriter.create(listTemp);
  try {
    await mergeRemovedLists(markers.map((m, s) => resolveFrom(partPath(report, m.index, m.count), parts[s].removed_rows.path)), removed, first.id_column, list);
    await list.close();
  } catch (error) {
    await list.abort();
    await rm(listTemp, { force: true });
    throw error;
  }
  const kept = merged.outputs.clean.rows;
  const profile = extras.map((e) => e.profile).reduce(addProfiles);
  // the shards' drift counts added up, against the same ranges
  const drift = first.drift ? driftOf(profile.drift!, rangesOf(first.drift)) : null;
  const dropped = merged.outputs.removed.rows;
  const entry = async (path: string) => ({ path: relativeTo(report, path), sha256: await sha256File(path) });
  const manifest: Manifest = {
    ...first,
    created: new Date().toISOString(),
    command_line: withoutShardFlags(first.command_line),
    // paths in a part's manifest are relative to the part's folder
    ...(first.model ? { model: { ...first.model, path: relativeTo(report, join(partPath(report, 0, parts.length), first.model.path)), ...(await againstScores(first.model)) } } : {}),
    ...(first.evaluation
      ? { evaluation: { ...first.evaluation, path: relativeTo(report, join(partPath(report, 0, parts.length), first.evaluation.path)), of_these_scores: await sameScoresRows(first.evaluation.result.scores, scoresPath, scores.files[0].sha256, first.id_column, '--scores') } }
      : {}),
    input: { files: first.input.files.map((f) => ({ ...f, path: relativeTo(report, join(partPath(report, 0, parts.length), f.path)) })), rows: rowsIn, fingerprint: fingerprint((p) => p.input.fingerprint) },
    scores,
    clean: { files: [await entry(clean)], rows: kept, fingerprint: fingerprint((p) => p.clean.fingerprint) },
    removed: { files: [await entry(removed)], rows: dropped, fingerprint: fingerprint((p) => p.removed.fingerprint) },
    report: { path: REPORT_FILE, sha256: '' },
    summary: splitSummary(rowsIn, kept, dropped, sum((p) => p.summary.unscored ?? 0)),
    distributions: profileDistributions(profile, ruleCutEdges(first.rule?.canonical)),
    // the shards' counts added up, against the same ranges
    ...(first.drift ? { drift } : {}),
    warnings: [...(first.scoring?.warnings ?? []), ...[driftWarning(drift)].filter((w): w is string => w !== null)],
    max_removed: extras[0].max_removed ?? first.max_removed,
    removed_rows: { path: REMOVED_LIST_FILE, sha256: await sha256File(listTemp), rows: list.rows },
  };
  const manifestPath = join(report, MANIFEST_FILE);
  await rm(manifestPath, { force: true }); // no manifest vouches for a half-written folder
  await rename(listTemp, join(report, REMOVED_LIST_FILE));
  const reportPath = join(report, REPORT_FILE);
  await writeFileAtomic(reportPath, renderFilterReport(manifest, list.top.result()));
  manifest.report.sha256 = await sha256File(reportPath);
  await writeFileAtomic(manifestPath, `${JSON.stringify(manifest, null, 1)}\n`);
  // said for the whole corpus, as one filter process says them (each shard said them in its own log)
  if (first.scoring) warnScoring(first.scoring);
  const driftLine = driftWarning(drift);
  if (driftLine) warn({ code: 'drift', message: driftLine, option: '--scores' });
};

/**
 * The shards' removed-rows lists in the merged removed file's order. Each list is in its shard's order
 * and the merge interleaves whole shard units, so the next merged row is always at the head of one list.
 */
async function mergeRemovedLists(paths: string[], removed: string, idColumn: string, out: RemovedListWriter): Promise<void> {
  const lists = paths.map((path) => readRemovedList(path)[Symbol.asyncIterator]());
  const next = async (s: number) => ((await lists[s].next()).value as RemovedRow | undefined) ?? null;
  const heads = await Promise.all(lists.map((_, s) => next(s)));
  for await (const batch of openReader(removed, { columns: [idColumn] })) {
    const ids = batch.getChild(idColumn);
    for (let i = 0; i < batch.numRows; i++) {
      const id = String(ids?.get(i));
      const s = heads.findIndex((head) => head?.id === id);
      if (s < 0) throw new UserError(`${removed}: row ${out.rows} (id ${id}) is next in no shard's removed-rows list; rerun the filter shards`);
      await out.add(heads[s]!);
      heads[s] = await next(s);
    }
  }
  const left = heads.findIndex((head) => head !== null);
  if (left >= 0) throw new UserError(`${paths[left]}: lists removed id ${heads[left]!.id}, which the merged ${removed} lacks; rerun the filter shards`);
}
