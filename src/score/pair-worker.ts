// Worker thread for the feature math of a teacher/baseline pair, so that neither model's thread nor the
// main thread (reading, tokenizing, writing) spends its time on it.
import { parentPort } from 'node:worker_threads';
import { unpackRows, type PackedRows } from '../models/batch-pack.js';
import type { BatchLogits, PairScoreOptions } from '../models/types.js';
import { pairScoresFromLogits } from './features.js';

export interface PairRequest {
  id: number;
  teacher: BatchLogits;
  baseline: BatchLogits;
  rows: PackedRows;
  options: PairScoreOptions;
}

const port = parentPort!;
port.on('message', (request: PairRequest) => {
  try {
    const result = pairScoresFromLogits(request.teacher, request.baseline, unpackRows(request.rows), request.options);
    port.postMessage({ id: request.id, result }, Object.values(result).map((column) => column.buffer as ArrayBuffer));
  } catch (error) {
    port.postMessage({ id: request.id, message: (error as Error).message });
  }
});
