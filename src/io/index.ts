// Streaming IO: Parquet, Arrow IPC and JSONL in and out as Arrow tables, with atomic outputs.
export { detectFormat, expandInputs } from './format.js';
export { openReader, emptyTable, type OpenReaderOptions, type Shard } from './reader.js';
export { openWriter } from './writer.js';
export { withColumns, withSchemaMetadata, columnValues, tableColumnValues } from './columns.js';
export { writeFileAtomic, checkOutputFolder } from './atomic.js';
export { sha256File } from './hash.js';
export { readTable } from './read-table.js';
export { parquetRowGroupRows } from './parquet-read.js';
export type { Batch, BatchReader, BatchWriter, Format, ReadOptions, WriteOptions } from './types.js';
export { addIds, ID_HINT, type AddIdsOptions } from './add-ids.js';
export { refuseOverwrite, type PathsByOption } from './no-overwrite.js';
