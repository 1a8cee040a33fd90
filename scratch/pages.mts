import { asyncBufferFromFile, parquetMetadataAsync } from 'hyparquet';
import { pageLocationsOf } from '/work/wt/resume/src/io/parquet-pages.js';
const file = await asyncBufferFromFile(process.argv[2]);
const m = await parquetMetadataAsync(file);
const g = m.row_groups[0];
for (const c of g.columns) console.log(c.meta_data.path_in_schema, c.meta_data.encodings, Number(c.meta_data.total_compressed_size), Number(c.meta_data.total_uncompressed_size), c.offset_index_offset);
const locs = await pageLocationsOf(file, m, g);
for (const [k, v] of Object.entries(locs ?? {})) console.log(k, v.length, v.slice(0, 3).map(p => [Number(p.offset), p.compressed_page_size, Number(p.first_row_index)]));
