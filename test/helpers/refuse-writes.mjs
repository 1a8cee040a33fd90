// Preloaded (NODE_OPTIONS=--import=…) where a tiny or read-only tmpfs cannot be mounted: writes under
// MEMSIEVE_TEST_REFUSE_DIR fail as the system would. EROFS: opening a file or making a folder there fails;
// ENOSPC: writing fails once the files there hold 64 KiB.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { resolve, sep } from 'node:path';

const root = resolve(process.env.MEMSIEVE_TEST_REFUSE_DIR ?? '/nonexistent') + sep;
const code = process.env.MEMSIEVE_TEST_REFUSE_CODE ?? 'ENOSPC';
const under = (path) => typeof path === 'string' && resolve(path).startsWith(root);
const refusal = (syscall, path) => Object.assign(new Error(`${code}: ${syscall} ${path ?? ''}`), { code, syscall, ...(path ? { path } : {}) });
let written = 0;

const { open, mkdir } = fs.promises;
fs.promises.open = async function (path, flags, mode) {
  if (under(path) && code === 'EROFS' && /[wa+]/.test(String(flags ?? 'r'))) throw refusal('open', path);
  const handle = await open.call(this, path, flags, mode);
  if (under(path) && code === 'ENOSPC') {
    for (const method of ['write', 'writeFile']) {
      const original = handle[method].bind(handle);
      handle[method] = async (data, ...rest) => {
        written += typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
        if (written > 64 * 1024) throw refusal('write');
        return original(data, ...rest);
      };
    }
  }
  return handle;
};
fs.promises.mkdir = async function (path, options) {
  if (under(path) && code === 'EROFS') throw refusal('mkdir', path);
  return mkdir.call(this, path, options);
};
syncBuiltinESMExports();
