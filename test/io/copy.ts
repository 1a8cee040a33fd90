// Child process for pipe.test.ts: copy INPUT to OUTPUT ('-' = stdin/stdout) through openReader/openWriter.
import type { Format } from '../../src/io/index.js';
import { openReader, openWriter } from '../../src/io/index.js';

const [input, output, inFormat, outFormat] = process.argv.slice(2);
const writer = await openWriter(output, { format: (outFormat || undefined) as Format | undefined });
for await (const batch of openReader(input, { format: (inFormat || undefined) as Format | undefined })) await writer.write(batch);
await writer.close();
