// Running memsieve's Python package (pipelines/torch) as child processes.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.js';
import { VERSION } from '../version.js';

/** pipelines/torch of this installation (same relative place from src/ and dist/). */
export function torchPackageDir(): string {
  return fileURLToPath(new URL('../../pipelines/torch', import.meta.url));
}

/** Debian's torch lives in /usr/bin/python3; MEMSIEVE_PYTHON picks another interpreter. */
export function pythonExecutable(override?: string): string {
  return override ?? process.env.MEMSIEVE_PYTHON ?? '/usr/bin/python3';
}

/** Marks the bootstrap's one-line setup error on stderr (a missing dependency, a mismatched package). */
const SETUP_ERROR = 'memsieve-python-setup: ';

// Runs `module` from an installed memsieve_torch when the interpreter has one, else from this installation's
// pipelines/torch appended to sys.path (so an installed package wins); first checks what every module needs.
const BOOTSTRAP = `
import importlib.util, runpy, sys
fallback, expected, module = sys.argv[1:4]
def setup_error(message):
    sys.stderr.write(${JSON.stringify(SETUP_ERROR)} + message + "\\n")
    sys.exit(3)
if importlib.util.find_spec("memsieve_torch") is None:
    sys.path.append(fallback)
missing = [m for m in ("torch", "numpy") if importlib.util.find_spec(m) is None]
if missing:
    setup_error(f"the Python at {sys.executable} has no {' or '.join(missing)}: pip install '{fallback}' (memsieve-torch brings torch and numpy), or apt-get install python3-torch python3-numpy, or set MEMSIEVE_PYTHON to a Python that has them; run \`memsieve doctor\` to check this machine")
import memsieve_torch
if getattr(memsieve_torch, "__version__", None) != expected:
    setup_error(f"memsieve_torch {getattr(memsieve_torch, '__version__', '(no version)')} at {memsieve_torch.__path__[0]} is not memsieve {expected}'s: pip install --upgrade '{fallback}', or pip uninstall memsieve-torch to use the copy memsieve ships")
sys.argv = [module, *sys.argv[4:]]
runpy.run_module(module, run_name="__main__", alter_sys=True)
`;

export function spawnPythonModule(module: string, args: string[], python?: string): ChildProcess {
  const env = { ...process.env, PYTHONUNBUFFERED: '1' };
  return spawn(pythonExecutable(python), ['-c', BOOTSTRAP, torchPackageDir(), VERSION, module, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** The last lines a child wrote on stderr, for error messages. */
export class StderrTail {
  private lines: string[] = [];
  private partial = '';
  constructor(private readonly keep = 20) {}

  push(chunk: Buffer | string): void {
    const parts = (this.partial + chunk.toString()).split('\n');
    this.partial = parts.pop() ?? '';
    // progress bars redraw with \r; keep what they ended on
    for (const line of parts) this.lines.push(line.split('\r').pop() ?? '');
    if (this.lines.length > this.keep) this.lines = this.lines.slice(-this.keep);
  }

  text(): string {
    return [...this.lines, this.partial].filter((l) => l.trim() !== '').slice(-this.keep).join('\n');
  }
}

export function describeExit(what: string, code: number | null, signal: NodeJS.Signals | null, tail: StderrTail): string {
  const setup = tail.text().split('\n').find((line) => line.startsWith(SETUP_ERROR));
  if (setup) return setup.slice(SETUP_ERROR.length);
  const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
  const stderr = tail.text();
  return `${what} ${how}${stderr ? `; its last stderr lines:\n${stderr}` : ' without writing to stderr'}`;
}

export function spawnError(error: NodeJS.ErrnoException, python?: string): UserError {
  const exe = pythonExecutable(python);
  const hint = error.code === 'ENOENT' ? 'not found; install python3-torch (apt-get) or set MEMSIEVE_PYTHON; run `memsieve doctor` to check this machine' : error.message;
  return new UserError(`cannot start Python at ${exe}: ${hint}`);
}

/** One JSON object per stdout line, as the trainer and the exporter write them. */
export interface PythonEvent {
  event: string;
  [field: string]: unknown;
}

/**
 * Run a module that reports JSON lines on stdout and ends with {"event": "done"} or {"event": "error"}.
 * Resolves with the done event; an error event becomes a UserError, a crash an error with stderr.
 */
export function runPythonModule(
  module: string,
  args: string[],
  onEvent: (event: PythonEvent) => void,
  python?: string,
): Promise<PythonEvent> {
  return new Promise((resolve, reject) => {
    const child = spawnPythonModule(module, args, python);
    const tail = new StderrTail();
    let last: PythonEvent | undefined;
    let partial = '';
    child.stdin?.end();
    child.stderr?.on('data', (chunk: Buffer) => tail.push(chunk));
    child.stdout?.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        try {
          last = JSON.parse(line) as PythonEvent;
        } catch {
          tail.push(`${line}\n`);
          continue;
        }
        onEvent(last);
      }
    });
    child.on('error', (error) => reject(spawnError(error, python)));
    child.on('close', (code, signal) => {
      if (last?.event === 'error') reject(new UserError(String(last.message)));
      else if (code === 0 && last?.event === 'done') resolve(last);
      else reject(new UserError(describeExit(`python -m ${module}`, code, signal, tail)));
    });
  });
}
