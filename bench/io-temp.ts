import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const tempDirectory = () => mkdtempSync(join(tmpdir(), 'memsieve-bench-io-'));
