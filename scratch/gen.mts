import { DuckDBInstance } from '@duckdb/node-api';
const c = await (await DuckDBInstance.create(':memory:')).connect();
await c.run('SET threads = 1');
const [rows, groups, out] = process.argv.slice(2);
await c.run(`COPY (SELECT i::BIGINT AS id, array_to_string(list_transform(range(32), k -> md5((i * 32 + k)::VARCHAR)), '') AS text FROM range(${rows}) t(i)) TO '${out}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${groups})`);
