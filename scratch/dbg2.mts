import { openReader } from '../src/io/index.js';
let n = 0;
const mb = (x: number) => Math.round(x / 1e6);
for await (const b of openReader(process.argv[2])) { n++; if (n < 3) { const m = process.memoryUsage(); console.log('batch', b.numRows, 'rss', mb(m.rss), 'heap', mb(m.heapUsed), 'ext', mb(m.external), 'ab', mb(m.arrayBuffers)); } }
