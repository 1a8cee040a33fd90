// `memsieve doctor`: everything memsieve can use on this machine, each piece with what was found and, when
// it is missing or fails, the command that fixes it. Probes run as child processes (onnxruntime's native
// logs and a crashing driver stay out of the table; the Python probe is the interpreter memsieve starts).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { VERSION } from '../version.js';
import { siblingModule } from '../worker-thread.js';
import { classifyDeviceFailure, CUDA_PROVIDER_FIX, WEBGPU_ADAPTER_FIX } from '../models/device-errors.js';
import { nativeZstdAvailable } from '../io/zstd.js';
import { pythonExecutable, torchPackageDir } from '../torch/python.js';
import type { Device } from '../models/types.js';

/** ok: works; missing: not installed or not usable (the fix says how); info: a fact, nothing to fix. */
export type CheckStatus = 'ok' | 'missing' | 'info';

export interface Check {
  /** what is checked, e.g. "onnxruntime CUDA" */
  name: string;
  status: CheckStatus;
  /** what was found: a version, a path, or why it failed */
  found: string;
  /** the command that fixes it (missing only) */
  fix?: string;
  /** what memsieve uses it for */
  used_for: string;
  /** the CPU path (score, audit, train, filter on onnxruntime's CPU provider) needs it: doctor exits 1 without it */
  required: boolean;
}

export const DOCTOR_SCHEMA = 'memsieve.doctor/v1';

export interface DoctorReport {
  schema: typeof DOCTOR_SCHEMA;
  memsieve: string;
  /** true when the CPU path works (doctor exits 0) */
  cpu_path_works: boolean;
  checks: Check[];
}

const MIN_NODE_MAJOR = 20;

function nodeCheck(): Check {
  const major = Number(process.versions.node.split('.')[0]);
  const ok = major >= MIN_NODE_MAJOR;
  return {
    name: 'Node.js', status: ok ? 'ok' : 'missing', found: `${process.version} at ${process.execPath}`, required: true,
    used_for: 'everything', ...(ok ? {} : { fix: `install Node ${MIN_NODE_MAJOR} or later (e.g. nvm install ${MIN_NODE_MAJOR})` }),
  };
}

function onnxruntimeVersion(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    return (require('onnxruntime-node/package.json') as { version: string }).version;
  } catch {
    return undefined;
  }
}

/** A session on `device` in a child process: { ok } or the error onnxruntime gave. */
interface OnnxProbe {
  ok: boolean;
  error?: string;
  /** onnxruntime-node's listSupportedBackends(): the providers it was built with, and whether each ships in the npm package */
  backends?: Array<{ name: string; bundled: boolean }>;
  stderr: string;
}

function probeOnnx(device: Device): Promise<OnnxProbe> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, siblingModule(import.meta.url, 'onnx-probe'), device], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('error', (error) => resolve({ ok: false, error: error.message, stderr }));
    child.on('close', (code, signal) => {
      try {
        resolve({ ...(JSON.parse(stdout.trim().split('\n').pop() ?? '') as Omit<OnnxProbe, 'stderr'>), stderr });
      } catch {
        resolve({ ok: false, error: `the probe ${signal ? `was killed by ${signal}` : `exited with code ${code}`}`, stderr });
      }
    });
  });
}

// onnxruntime's first line, without its source-file prefix
function reason(probe: { error?: string }): string {
  return (probe.error ?? '').split('\n')[0].replace(/^\/onnxruntime_src\/\S+ .*? was false\. /, '');
}

function describeBackends(backends: OnnxProbe['backends']): string {
  if (!backends) return 'unknown (the probe failed)';
  return backends.map((b) => (b.bundled ? b.name : `${b.name} (downloaded separately)`)).join(', ');
}

async function onnxChecks(): Promise<Check[]> {
  const version = onnxruntimeVersion();
  if (!version) {
    return [{ name: 'onnxruntime-node', status: 'missing', found: 'not installed', fix: 'npm ci (in memsieve\'s folder)', used_for: 'score and audit (--backend onnx)', required: true }];
  }
  const [cpu, cuda, webgpu] = await Promise.all((['cpu', 'cuda', 'webgpu'] as const).map(probeOnnx));
  const checks: Check[] = [
    { name: 'onnxruntime-node', status: 'info', found: `${version}; execution providers: ${describeBackends(cpu.backends)}`, used_for: 'score and audit (--backend onnx)', required: false },
    {
      name: 'onnxruntime CPU', status: cpu.ok ? 'ok' : 'missing', found: cpu.ok ? 'a session runs' : reason(cpu), used_for: '--device cpu', required: true,
      ...(cpu.ok ? {} : { fix: 'npm ci --no-audit --no-fund in memsieve\'s folder (onnxruntime-node\'s native library did not load)' }),
    },
  ];
  for (const [device, probe, fallbackFix] of [['cuda', cuda, CUDA_PROVIDER_FIX], ['webgpu', webgpu, WEBGPU_ADAPTER_FIX]] as const) {
    const name = device === 'cuda' ? 'onnxruntime CUDA' : 'onnxruntime WebGPU';
    if (probe.ok) {
      checks.push({ name, status: 'ok', found: 'a session runs', used_for: `--device ${device}`, required: false });
      continue;
    }
    // an unknown failure keeps onnxruntime's words
    const failure = classifyDeviceFailure(device, probe.error ?? '');
    // Dawn says on stderr why it found no adapter (e.g. "Couldn't load Vulkan: libvulkan.so.1: …")
    const vulkan = /Couldn't load Vulkan: [^\n]*/.exec(probe.stderr)?.[0];
    const what = failure ? [failure.what, vulkan].filter(Boolean).join('; ') : reason(probe);
    const fix = failure?.fix ?? fallbackFix;
    checks.push({ name, status: 'missing', found: what, fix, used_for: `--device ${device}`, required: false });
  }
  return checks;
}

interface PythonFacts {
  executable: string;
  version: string;
  modules: Record<string, { version?: string; error?: string } | null>;
  torch_cuda?: { available: boolean; cuda?: string | null; devices: string[] };
  memsieve_torch?: { version?: string; path?: string; installed: boolean; error?: string };
}

// Run by the interpreter memsieve starts; finds memsieve_torch the way src/torch/python.ts's bootstrap does.
const PYTHON_PROBE = `
import importlib, importlib.util, json, platform, sys
fallback = sys.argv[1]
facts = {"executable": sys.executable, "version": platform.python_version(), "modules": {}}
for name in ("torch", "numpy", "transformers", "onnx", "onnxruntime"):
    if importlib.util.find_spec(name) is None:
        facts["modules"][name] = None
        continue
    try:
        facts["modules"][name] = {"version": str(getattr(importlib.import_module(name), "__version__", "?"))}
    except Exception as error:
        facts["modules"][name] = {"error": f"{type(error).__name__}: {error}".splitlines()[0]}
if facts["modules"]["torch"] and "version" in facts["modules"]["torch"]:
    import torch
    available = torch.cuda.is_available()
    facts["torch_cuda"] = {"available": available, "cuda": torch.version.cuda,
                           "devices": [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] if available else []}
installed = importlib.util.find_spec("memsieve_torch") is not None
if not installed:
    sys.path.append(fallback)
try:
    import memsieve_torch
    facts["memsieve_torch"] = {"installed": installed, "version": getattr(memsieve_torch, "__version__", None), "path": memsieve_torch.__path__[0]}
except Exception as error:
    facts["memsieve_torch"] = {"installed": installed, "error": f"{type(error).__name__}: {error}".splitlines()[0]}
print(json.dumps(facts))
`;

function pythonChecks(): Check[] {
  const python = pythonExecutable();
  const pkg = torchPackageDir();
  const chosenBy = process.env.MEMSIEVE_PYTHON ? 'MEMSIEVE_PYTHON' : 'the default';
  const probe = spawnSync(python, ['-c', PYTHON_PROBE, pkg], { encoding: 'utf8', timeout: 120_000 });
  if (probe.error || probe.status !== 0) {
    const why = probe.error ? ((probe.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : probe.error.message) : (probe.stderr.trim().split('\n').pop() ?? `exit ${probe.status}`);
    return [{
      name: 'Python', status: 'missing', found: `${python} (${chosenBy}): ${why}`, required: false,
      fix: 'apt-get install python3 python3-torch python3-numpy, or set MEMSIEVE_PYTHON to a Python with torch', used_for: 'distill, export, --backend torch',
    }];
  }
  const facts = JSON.parse(probe.stdout.trim().split('\n').pop()!) as PythonFacts;
  const checks: Check[] = [{ name: 'Python', status: 'ok', found: `${facts.executable} ${facts.version} (${chosenBy})`, used_for: 'distill, export, --backend torch', required: false }];
  const install = (extra: string) => `pip install '${pkg}${extra}'`;
  const modules: Array<[string, string, string, string]> = [
    ['torch', 'distill, export, --backend torch', `${install('')} (or apt-get install python3-torch)`, ''],
    ['numpy', 'distill, export, --backend torch', `${install('')} (or apt-get install python3-numpy)`, ''],
    ['transformers', 'Hugging Face checkpoints (config.json + model.safetensors)', install('[hf]'), ''],
    ['onnx', 'memsieve export', install('[export]'), ''],
    ['onnxruntime', 'memsieve export (checks the graphs)', install('[export]'), ''],
  ];
  for (const [name, used_for, fix] of modules) {
    const module = facts.modules[name];
    if (!module || module.error) {
      checks.push({ name: `Python ${name}`, status: 'missing', found: module?.error ?? 'not installed', fix, used_for, required: false });
      continue;
    }
    let found = module.version!;
    if (name === 'torch' && facts.torch_cuda) {
      const cuda = facts.torch_cuda;
      found += cuda.available ? ` (CUDA ${cuda.cuda}: ${cuda.devices.length} × ${[...new Set(cuda.devices)].join(', ')})` : ` (no CUDA device${cuda.cuda ? `; built for CUDA ${cuda.cuda}` : '; a CPU build'})`;
    }
    checks.push({ name: `Python ${name}`, status: 'ok', found, used_for, required: false });
  }
  const own = facts.memsieve_torch;
  if (own) {
    const ownCopy = own.path === join(pkg, 'memsieve_torch');
    const where = !ownCopy ? `installed at ${own.path}` : `memsieve's copy at ${own.path} (${own.installed ? 'already on sys.path: PYTHONPATH or pip install -e' : 'not pip-installed'})`;
    const matches = own.version === VERSION;
    checks.push({
      name: 'Python memsieve_torch', status: own.error || !matches ? 'missing' : 'ok', used_for: 'distill, export, --backend torch', required: false,
      found: own.error ? `${where}: ${own.error}` : `${own.version} ${where}${matches ? '' : `; memsieve is ${VERSION}`}`,
      ...(own.error || !matches ? { fix: `pip install --upgrade '${pkg}'` } : {}),
    });
  }
  return checks;
}

/** The tool's path on PATH, or undefined. */
function onPath(tool: string): string | undefined {
  const result = spawnSync('sh', ['-c', 'command -v "$0"', tool], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/** `tool --version`'s first line, or the last line it wrote when it failed. */
function toolVersion(path: string): { ok: boolean; line: string } {
  const result = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 20_000 });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n');
  if (result.error || result.status !== 0) return { ok: false, line: result.error?.message ?? output.pop() ?? `exit ${result.status}` };
  return { ok: true, line: output[0] };
}

function systemChecks(): Check[] {
  const checks: Check[] = [];
  for (const tool of ['sbatch', 'scontrol']) {
    const path = onPath(tool);
    const version = path ? toolVersion(path) : undefined;
    const common = { name: `Slurm ${tool}`, used_for: 'run --executor slurm', required: false };
    if (!path) checks.push({ ...common, status: 'missing', found: 'not on PATH', fix: "apt-get install slurm-client, or your cluster's `module load slurm`" });
    else if (!version!.ok) {
      checks.push({
        ...common, status: 'missing', found: `${path}, but it fails: ${version!.line}`,
        fix: 'run on a node of a Slurm cluster, or configure one (/etc/slurm/slurm.conf or SLURM_CONF)',
      });
    } else checks.push({ ...common, status: 'ok', found: `${version!.line} at ${path}` });
  }
  const native = nativeZstdAvailable();
  checks.push({
    name: 'zstd (zstd-napi)', status: native ? 'ok' : 'missing', used_for: 'fast ZSTD Parquet pages and .zst JSONL', required: false,
    found: native ? 'native addon loads' : 'not built: Parquet reads use the JavaScript decoder, .zst JSONL is refused, writes use gzip',
    ...(native ? {} : { fix: 'apt-get install build-essential python3 && npm rebuild zstd-napi (in memsieve\'s folder)' }),
  });
  const zstdPath = onPath('zstd');
  checks.push({
    name: 'zstd command', status: zstdPath ? 'ok' : 'missing', found: zstdPath ?? 'not on PATH', used_for: 'tests (checks memsieve\'s .zst files)', required: false,
    ...(zstdPath ? {} : { fix: 'apt-get install zstd' }),
  });
  const chromium = process.env.MEMSIEVE_CHROMIUM ?? '/usr/bin/chromium';
  const hasChromium = existsSync(chromium);
  checks.push({
    name: 'Chromium', status: hasChromium ? 'ok' : 'missing', found: hasChromium ? chromium : `no ${chromium}`, used_for: 'tests (the report page test; MEMSIEVE_CHROMIUM)', required: false,
    ...(hasChromium ? {} : { fix: 'apt-get install chromium' }),
  });
  return checks;
}

/** Check this machine. Never throws for a missing piece: that is what the report is for. */
export async function doctor(): Promise<DoctorReport> {
  const onnx = onnxChecks();
  const checks = [nodeCheck(), { name: 'memsieve', status: 'info' as const, found: VERSION, used_for: 'this program', required: false }, ...(await onnx), ...pythonChecks(), ...systemChecks()];
  return { schema: DOCTOR_SCHEMA, memsieve: VERSION, cpu_path_works: checks.every((c) => !c.required || c.status === 'ok'), checks };
}
