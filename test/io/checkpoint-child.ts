// Child process for checkpoint.test.ts: copy `input` to `output` through a checkpointed writer in
// batches of `batchRows`, skipping the rows a resumed writer already holds; with `killAfter`, SIGKILL
// itself once that many rows (of this run) were handed to the writer.
import { openReader, openWriter } from '../../src/io/index.js';

const [input, output, batchRowsArg, killAfterArg, fingerprint] = process.argv.slice(2);
const batchRows = Number(batchRowsArg);
const killAfter = Number(killAfterArg);
const writer = await openWriter(output, { checkpoint: { fingerprint }, rowGroupRows: 3 * batchRows });
const skip = writer.resumed?.rows ?? 0;
const resumedStage = writer.resumed?.stage as { batches: number } | undefined;
let batches = resumedStage?.batches ?? 0;
let row = 0;
let handed = 0;
for await (const table of openReader(input)) {
  for (let start = 0; start < table.numRows; start += batchRows) {
    const batch = table.slice(start, start + batchRows);
    const end = row + batch.numRows;
    if (end <= skip) {
      row = end;
      continue;
    }
    if (row < skip) throw new Error(`checkpoint at row ${skip} is inside a batch (${row}..${end})`);
    row = end;
    batches++;
    await writer.write(batch, { batches });
    handed += batch.numRows;
    if (killAfter > 0 && handed >= killAfter) process.kill(process.pid, 'SIGKILL');
  }
}
await writer.close();
process.stdout.write(JSON.stringify({ skipped: skip, resumedBatches: resumedStage?.batches ?? null, batches }));
