import type { FileHandle } from 'node:fs/promises';
import type { AsyncBuffer } from 'hyparquet';

/** hyparquet's random-access view of a file: only the byte ranges asked for are ever in memory. */
export function asyncBufferFromHandle(handle: FileHandle, byteLength: number): AsyncBuffer {
  return {
    byteLength,
    async slice(start: number, end = byteLength): Promise<ArrayBuffer> {
      const buffer = new ArrayBuffer(Math.max(0, end - start));
      const view = new Uint8Array(buffer);
      let offset = 0;
      while (offset < view.byteLength) {
        const { bytesRead } = await handle.read(view, offset, view.byteLength - offset, start + offset);
        if (bytesRead === 0) throw new Error(`unexpected end of file at byte ${start + offset}`);
        offset += bytesRead;
      }
      return buffer;
    },
  };
}
