// Where each data page of a row group's column chunks starts, and at which row: what lets a big row
// group be read in slices that fetch and decode only the pages they overlap. From the offset index
// when the file has one; otherwise by walking the page headers (a few hundred bytes each), since
// pyarrow and DuckDB write no offset index by default. hyparquet reads only the pages of a row range
// when given these locations; without them it fetches the whole column chunk for every range.
import { readOffsetIndex, type AsyncBuffer, type ColumnMetaData, type FileMetaData, type OffsetIndex, type RowGroup } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';

type PageLocation = OffsetIndex['page_locations'][number];

const HEADER_WINDOW = 64 << 10;

/**
 * Page locations of the row group's chunks of `columns` (all when undefined), keyed by column path;
 * null when a chunk's pages cannot be placed by row (a nested column written with v1 data pages and
 * no offset index: its page headers count values, not rows).
 */
export async function pageLocationsOf(file: AsyncBuffer, metadata: FileMetaData, group: RowGroup, columns?: string[]): Promise<Record<string, PageLocation[]> | null> {
  const locations: Record<string, PageLocation[]> = {};
  for (const chunk of group.columns) {
    const meta = chunk.meta_data;
    if (!meta) return null;
    if (columns && !columns.includes(meta.path_in_schema[0])) continue;
    const path = meta.path_in_schema.join('.');
    if (chunk.offset_index_offset !== undefined && chunk.offset_index_length) {
      const start = Number(chunk.offset_index_offset);
      const bytes = await file.slice(start, start + chunk.offset_index_length);
      locations[path] = readOffsetIndex({ view: new DataView(bytes), offset: 0 }).page_locations;
      continue;
    }
    const pages = await walkPages(file, meta, isFlat(metadata, meta));
    if (!pages) return null;
    locations[path] = pages;
  }
  return locations;
}

/** A top-level column that is not repeated: one value (or null) per row, so v1 page headers count rows. */
function isFlat(metadata: FileMetaData, meta: ColumnMetaData): boolean {
  if (meta.path_in_schema.length !== 1) return false;
  const element = metadata.schema.find((e, i) => i > 0 && e.name === meta.path_in_schema[0]);
  return element !== undefined && element.repetition_type !== 'REPEATED';
}

async function walkPages(file: AsyncBuffer, meta: ColumnMetaData, flat: boolean): Promise<PageLocation[] | null> {
  const start = Number(meta.dictionary_page_offset || meta.data_page_offset);
  const end = start + Number(meta.total_compressed_size);
  const pages: PageLocation[] = [];
  let offset = start;
  let row = 0;
  while (offset < end) {
    const { header, length } = await headerAt(file, offset, end);
    const size = length + header.compressed_page_size;
    let rows: number | undefined;
    if (header.type === 'DATA_PAGE') {
      if (!flat) return null;
      rows = header.data_page_header!.num_values;
    } else if (header.type === 'DATA_PAGE_V2') {
      rows = header.data_page_header_v2!.num_rows;
    }
    if (rows !== undefined) {
      pages.push({ offset: BigInt(offset), compressed_page_size: size, first_row_index: BigInt(row) });
      row += rows;
    }
    offset += size;
  }
  return pages.length > 0 ? pages : null;
}

/** The page header at `offset`; headers with large statistics take a second, larger read. */
async function headerAt(file: AsyncBuffer, offset: number, end: number) {
  for (let window = HEADER_WINDOW; ; window *= 4) {
    const length = Math.min(window, end - offset);
    const view = new DataView(await file.slice(offset, offset + length));
    try {
      const reader = { view, offset: 0 };
      const header = parquetHeader(reader);
      return { header, length: reader.offset };
    } catch (error) {
      if (length >= end - offset) throw error;
    }
  }
}
