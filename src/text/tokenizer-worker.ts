// Worker thread of the tokenizer pool: builds the tokenizer exactly as the main thread did (same module,
// same options) and answers pieces of texts with their truncated ids, packed and transferred.
import { parentPort, workerData } from 'node:worker_threads';
import { packRows } from '../models/batch-pack.js';
import { loadTokenizer, type Tokenizer, type TokenizerOptions } from './tokenizer.js';

export interface TokenizerWorkerInit {
  path: string;
  options: TokenizerOptions;
}

export interface EncodeRequest {
  id: number;
  texts: string[];
  maxTokens: number;
}

const port = parentPort!;
const init = workerData as TokenizerWorkerInit;
let tokenizer: Tokenizer;

try {
  tokenizer = await loadTokenizer(init.path, init.options);
  port.postMessage({ ready: true });
} catch (error) {
  port.postMessage({ ready: false, message: (error as Error).message });
}

port.on('message', (request: EncodeRequest) => {
  try {
    const packed = packRows(request.texts.map((text) => tokenizer.encodeTruncated(text, request.maxTokens)));
    port.postMessage({ id: request.id, result: packed }, [packed.flat.buffer, packed.offsets.buffer] as ArrayBuffer[]);
  } catch (error) {
    port.postMessage({ id: request.id, message: (error as Error).message });
  }
});
