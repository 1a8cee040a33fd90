// Child process for memory.test.ts: stream a file through openReader (and optionally a writer) and report peak RSS.
import { openReader, openWriter } from '../../src/io/index.js';

const [input, output] = process.argv.slice(2);
const writer = output ? await openWriter(output) : null; // '' reads only
let rows = 0;
let chars = 0;
// order-sensitive, so a slice read twice or out of place shows
let checksum = 0;
for await (const batch of openReader(input)) {
  const text = batch.getChild('text')!;
  for (let i = 0; i < batch.numRows; i++) {
    const value = text.get(i) as string;
    chars += value.length;
    checksum = (Math.imul(checksum, 31) + value.charCodeAt((rows + i) % value.length) + value.length) | 0;
  }
  rows += batch.numRows;
  if (writer) await writer.write(batch);
  // with --expose-gc: collect after each batch so peak RSS shows what is retained, not GC laziness
  (globalThis as { gc?: () => void }).gc?.();
}
await writer?.close();
process.stdout.write(JSON.stringify({ rows, chars, checksum, peak_rss_mb: process.resourceUsage().maxRSS / 1024 }));
