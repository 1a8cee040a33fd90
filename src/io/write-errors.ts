// The operating system's refusals while writing (disk full, read-only or forbidden folder) as one line
// naming the output, instead of a stack trace: the user fixes these, so they exit 2 like bad input.
import { declaredOutputs } from './no-overwrite.js';

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on the device; free space or write to another folder',
  EDQUOT: 'disk quota exceeded; free space or write to another folder',
  EFBIG: 'file too large for this file system; write to another folder',
  EROFS: 'read-only file system; write to another folder',
  EACCES: 'permission denied; write to a folder you may write to',
  EPERM: 'operation not permitted; write to a folder you may write to',
};

/** A one-line message for a write refused by the system, or null for any other error. */
export function describeWriteError(error: unknown): string | null {
  const { code, path, syscall } = (error ?? {}) as { code?: unknown; path?: unknown; syscall?: unknown };
  // Node's recursive mkdir reports a read-only file system as ENOENT
  if (code === 'ENOENT' && syscall === 'mkdir' && typeof path === 'string') {
    return `cannot create the folder ${path}: its file system is read-only or a parent folder is missing (mkdir: ENOENT)`;
  }
  if (typeof code !== 'string' || !(code in REASONS)) return null;
  // a temporary file stands for its output (OUTPUT.tmp-…); a write without a path, for the command's outputs
  const where = typeof path === 'string' ? path.replace(/\.tmp-[^/]*$/, '') : declaredOutputs().join(', ') || 'output';
  return `cannot write ${where}: ${REASONS[code]} (${code})`;
}
