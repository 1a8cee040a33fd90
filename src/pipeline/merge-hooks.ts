// What a stage writes besides its row files, joined after the rows are merged. Stage modules load
// lazily: merging scores must not load the audit or filter code.
import { readFile } from 'node:fs/promises';
import type { MergeHook } from '../stage/merge-hook.js';
import { writeFileAtomic } from '../io/atomic.js';
import { partPath, type ShardMarker } from '../stage/shard.js';

/** The shards' `<part>.summary.json` files, and a sum of one count over them. */
async function readPartSummaries(markers: ShardMarker[], summaryOf: (part: string) => string) {
  const output = markers[0].outputs.output;
  const parts = await Promise.all(
    markers.map(async (m) => JSON.parse(await readFile(summaryOf(partPath(output, m.index, m.count)), 'utf8')) as Record<string, any>),
  );
  const sum = (key: string) => parts.reduce((total, p) => total + (p[key] as number), 0);
  return { parts, sum };
}

/** audit: `<output>.summary.json` from the shards' summaries (counts summed, rates recomputed). */
const mergeAuditSummary: MergeHook = async (markers, merged) => {
  const { summaryPath } = await import('../audit/audit.js');
  const output = markers[0].outputs.output;
  const { parts, sum } = await readPartSummaries(markers, summaryPath);
  const audited = sum('audited');
  const memorized = sum('memorized');
  // null when the shards ran without the decoded measures (docs/audit.md)
  const approx = parts.every((p) => typeof p.approx_memorized === 'number') ? sum('approx_memorized') : null;
  const seconds = Math.max(...parts.map((p) => p.seconds as number));
  const oscillatory = parts.every((p) => typeof p.oscillatory === 'number') ? sum('oscillatory') : null;
  const summary = {
    ...parts[0],
    output,
    oscillatory,
    rows: merged.outputs.output.rows,
    audited,
    memorized,
    memorization_rate: audited === 0 ? 0 : memorized / audited,
    approx_memorized: approx,
    approx_memorization_rate: approx === null ? null : audited === 0 ? 0 : approx / audited,
    skipped: { too_short: parts.reduce((t, p) => t + (p.skipped.too_short as number), 0) },
    // wall time of the slowest shard; throughput over all shards
    seconds,
    prefixes_per_s: Math.round((audited / Math.max(seconds, 1e-9)) * 100) / 100,
    shards: markers.length,
  };
  await writeFileAtomic(summaryPath(output), `${JSON.stringify(summary, null, 1)}\n`);
};

/** targets: `<output>.summary.json` from the shards' summaries (counts summed). */
const mergeTargetsSummary: MergeHook = async (markers, merged) => {
  const { targetsSummaryPath } = await import('../targets/targets.js');
  const output = markers[0].outputs.output;
  const { parts, sum } = await readPartSummaries(markers, targetsSummaryPath);
  const counts = ['continued', 'regurgitated', 'regurgitated_tokens', 'continuation_tokens', 'oscillatory'];
  const summary = {
    ...parts[0],
    output,
    rows: merged.outputs.output.rows,
    ...Object.fromEntries(counts.map((key) => [key, sum(key)])),
    seconds: Math.max(...parts.map((p) => p.seconds as number)),
    shards: markers.length,
  };
  await writeFileAtomic(targetsSummaryPath(output), `${JSON.stringify(summary, null, 1)}\n`);
};

/** filter: manifest.json and report.html for the merged files (src/filter/shard.ts). */
const mergeFilterReport: MergeHook = async (markers, merged) => (await import('../filter/shard.js')).mergeFilterReport(markers, merged);

/** compare: overlap.json from the shards' counts, the sets parts merged in the first audit's order (src/audit/compare-shard.ts). */
const mergeCompareReport: MergeHook = async (markers, merged) => (await import('../audit/compare-shard.js')).mergeCompareReport(markers, merged);

/** threshold: the reduce step, the corpus-wide --remove-top cut from the ranks' sorted risks. */
const mergeThreshold: MergeHook = async (markers, merged) => (await import('../filter/threshold-file.js')).mergeThreshold(markers, merged);

export const MERGE_HOOKS: Record<string, MergeHook | undefined> = {
  audit: mergeAuditSummary,
  targets: mergeTargetsSummary,
  filter: mergeFilterReport,
  compare: mergeCompareReport,
  threshold: mergeThreshold,
};

/** Checks of a kind's shards before any row is merged (filter: --max-removed over the whole corpus). */
export const MERGE_CHECKS: Record<string, ((markers: ShardMarker[]) => Promise<void>) | undefined> = {
  filter: async (markers) => (await import('../filter/shard.js')).checkFilterShards(markers),
};
