// fixtures/demo/corpus-400.parquet: the first 400 kit rows (some memorized by the kit student),
// small enough for `npm run demo` to finish in about two minutes on two cores.
import { openReader, openWriter } from '../src/io/index.js';

const ROWS = 400;
const writer = await openWriter('fixtures/demo/corpus-400.parquet');
let kept = 0;
for await (const batch of openReader('fixtures/brown-tiny/corpus.parquet')) {
  if (kept >= ROWS) break;
  const take = batch.slice(0, Math.min(batch.numRows, ROWS - kept));
  await writer.write(take);
  kept += take.numRows;
}
await writer.close();
console.log(`wrote ${kept} rows`);
