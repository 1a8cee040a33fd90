// DuckDB (another Parquet implementation) writes the foreign files and computes the expected values.
import { DuckDBInstance } from '@duckdb/node-api';

export async function duckdb() {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  return {
    run: (sql: string) => connection.run(sql),
    rows: async (sql: string) => (await connection.runAndReadAll(sql)).getRowObjects(),
    close: () => connection.closeSync(),
  };
}
