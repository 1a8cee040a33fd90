// Child process for memory.test.ts: stream a file through openReader (and optionally a writer) and report peak RSS.
import { openReader, openWriter } from '../../src/io/index.js';

const [input, output] = process.argv.slice(2);
const writer = output ? await openWriter(output) : null;
let rows = 0;
let chars = 0;
for await (const batch of openReader(input)) {
  rows += batch.numRows;
  const text = batch.getChild('text')!;
  for (let i = 0; i < batch.numRows; i++) chars += (text.get(i) as string).length;
  if (writer) await writer.write(batch);
  // with --expose-gc: collect after each batch so peak RSS shows what is retained, not GC laziness
  (globalThis as { gc?: () => void }).gc?.();
}
await writer?.close();
process.stdout.write(JSON.stringify({ rows, chars, peak_rss_mb: process.resourceUsage().maxRSS / 1024 }));
