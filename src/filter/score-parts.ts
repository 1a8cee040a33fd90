// Shard-local joins: when the scores were written by `memsieve score` in M shards over the same corpus
// files and the parts were kept (`memsieve merge --keep-parts`, which the pipeline runner does for a
// sharded filter), filter shard i of N (N dividing M) needs only score parts j ≡ i (mod N): they hold the
// scores of exactly its corpus units, so its memory follows its shard, not the corpus. Anything else
// falls back to the whole scores file, and says so. The join stays by id either way: a wrong guess
// fails as a missing or unmatched id, never as a silent mismatch.
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { partPath, readMergedRecord, readShardMarker, type Shard } from '../stage/shard.js';

export type ScoresSource =
  | { local: true; files: string[]; rows: number; scoresRows: number }
  | { local: false; reason: string };

export async function locateScoreParts(scores: string, inputs: string[], shard: Shard): Promise<ScoresSource> {
  const record = await readMergedRecord(scores);
  if (!record) return { local: false, reason: `no score parts kept beside ${scores} (score in shards and merge with --keep-parts to join shard-locally)` };
  const now = await stat(scores).catch(() => null);
  if (!now || now.size !== record.size || now.mtimeMs !== record.mtime_ms) {
    return { local: false, reason: `the parts beside ${scores} are not those it was merged from (the file changed since)` };
  }
  const parts = record.count;
  if (parts % shard.count !== 0) return { local: false, reason: `the scores were made in ${parts} shards, and ${shard.count} does not divide ${parts}` };
  const files: string[] = [];
  let rows = 0;
  const corpus = JSON.stringify(inputs.map((p) => resolve(p)));
  for (let j = shard.index; j < parts; j += shard.count) {
    const marker = await readShardMarker(scores, j, parts).catch(() => undefined);
    if (!marker || marker.kind !== 'score') return { local: false, reason: `score part ${j} of ${parts} has no score marker` };
    if (JSON.stringify(marker.inputs) !== corpus) return { local: false, reason: `the scores were made from ${marker.inputs.join(' ')}, not from this --input` };
    files.push(partPath(scores, j, parts));
    rows += marker.rows.output ?? 0;
  }
  return { local: true, files, rows, scoresRows: record.rows };
}
