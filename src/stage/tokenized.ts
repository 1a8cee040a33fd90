// The reader side of the model stages (score, audit): batches with their texts checked and tokenized on
// the tokenizer pool, read and tokenized ahead of the stage so reading, tokenizing, scoring and writing overlap.
import type { Batch, BatchReader } from '../io/types.js';
import type { TokenIds } from '../models/types.js';
import { hasIdColumn, textsOf } from '../text/column.js';
import { openBatchTokenizer, type BatchTokenizer } from '../text/tokenizer-pool.js';
import type { Tokenizer } from '../text/tokenizer.js';
import { readAhead } from './ahead.js';

export interface TokenizedBatch {
  batch: Batch;
  texts: string[];
  ids: TokenIds[];
  /** whether the batch has the id column (else row indices identify rows in messages) */
  named: boolean;
  /** index of the batch's first row in the input (after any rows a resumed run skips) */
  firstRow: number;
}

/** Batches tokenized ahead of the consumer: this many wait, read and tokenized, besides the one in use. */
const READ_AHEAD = 2;

export function tokenizedBatches(
  reader: BatchReader,
  encoder: BatchTokenizer,
  o: { textColumn: string; idColumn?: string; maxTokens: number; firstRow: number },
): AsyncGenerator<TokenizedBatch> {
  let nextRow = o.firstRow;
  return readAhead(
    reader,
    async (batch) => {
      // checked and numbered here, in input order, before the first await
      const firstRow = nextRow;
      nextRow += batch.numRows;
      const named = o.idColumn !== undefined && hasIdColumn(batch, o.idColumn);
      const texts = textsOf(batch, o.textColumn, named ? o.idColumn : undefined, { path: reader.path, files: reader.files, firstRow });
      return { batch, texts, ids: await encoder.encodeBatch(texts, o.maxTokens), named, firstRow };
    },
    READ_AHEAD,
  );
}

/** What streamTokenized needs of a stage's ordered output. */
interface StageOutput {
  flush(): void;
  close(): Promise<void>;
  abort(): Promise<void>;
}

/**
 * The loop every model stage runs: each tokenized batch to `consume` (which queues its chunk on `output`),
 * the output closed once all are in and aborted on any error, the tokenizer pool always closed.
 */
export async function streamTokenized(
  reader: BatchReader,
  tokenizer: Tokenizer,
  threads: number,
  o: { textColumn: string; idColumn?: string; maxTokens: number; firstRow: number },
  output: StageOutput,
  consume: (tokenized: TokenizedBatch) => Promise<void>,
): Promise<void> {
  let encoder: BatchTokenizer | undefined;
  try {
    encoder = await openBatchTokenizer(tokenizer, threads);
    for await (const tokenized of tokenizedBatches(reader, encoder, o)) {
      await consume(tokenized);
      output.flush();
    }
    await output.close();
  } catch (error) {
    await output.abort();
    throw error;
  } finally {
    await encoder?.close();
  }
}
