// memsieve doctor on this CPU-only machine, and with pieces taken away: a Python that does not exist, a Python
// without torch (a venv without system site packages), a PATH without Slurm or zstd. What it reports is
// checked against the pieces themselves (the interpreter's own torch version, onnxruntime asked directly).
import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/kit.js';
import { lacks, PYTHON } from '../helpers/system.js';
import { describeDoctor, type Check, type DoctorReport } from '../../src/doctor/index.js';
import { cudaProviderInstalled } from '../../src/models/device-errors.js';

const ROOT = join(import.meta.dirname, '..', '..');
const PACKAGE_DIR = join(ROOT, 'pipelines', 'torch');

function doctorJson(env: NodeJS.ProcessEnv = {}): { status: number | null; report: DoctorReport; stderr: string } {
  const r = runCli(['doctor', '--json'], { env });
  return { status: r.status, report: JSON.parse(r.stdout) as DoctorReport, stderr: r.stderr };
}
const check = (report: DoctorReport, name: string): Check => {
  const found = report.checks.find((c) => c.name === name);
  if (!found) throw new Error(`no check named ${name}: ${report.checks.map((c) => c.name).join(', ')}`);
  return found;
};

async function webgpuWorks(): Promise<boolean> {
  try {
    await ort.InferenceSession.create(join(ROOT, 'fixtures', 'brown-tiny', 'teacher.onnx'), { executionProviders: ['webgpu'] });
    return true;
  } catch {
    return false;
  }
}

// each doctor run starts Node, onnxruntime three times and Python with torch: minutes on a loaded machine
describe('memsieve doctor', { timeout: 300_000 }, () => {
  it('reports this machine: the CPU path works (exit 0), every missing piece has its install command', async () => {
    const { status, report } = doctorJson();
    expect(status).toBe(0);
    expect(report.schema).toBe('memsieve.doctor/v1');
    expect(report.cpu_path_works).toBe(true);
    expect(check(report, 'Node.js').found).toContain(process.version);
    expect(check(report, 'onnxruntime CPU').status).toBe('ok');
    expect(check(report, 'onnxruntime-node').found).toMatch(/execution providers: cpu, .*cuda \(downloaded separately\)/);
    for (const c of report.checks.filter((c) => c.status === 'missing')) expect(c.fix, c.name).toMatch(/\S/);
    // the two device failures of a CPU-only machine, with the same fixes as score's errors
    if (!cudaProviderInstalled()) {
      expect(check(report, 'onnxruntime CUDA')).toMatchObject({ status: 'missing', found: "onnxruntime-node's CUDA provider is not installed" });
      expect(check(report, 'onnxruntime CUDA').fix).toMatch(/^run `npm run setup:cuda`.*ONNXRUNTIME_NODE_INSTALL=cuda12/);
    }
    if (!(await webgpuWorks())) {
      expect(check(report, 'onnxruntime WebGPU')).toMatchObject({ status: 'missing' });
      expect(check(report, 'onnxruntime WebGPU').found).toMatch(/^no WebGPU adapter on this machine(; Couldn't load Vulkan: .*)?$/);
      expect(check(report, 'onnxruntime WebGPU').fix).toMatch(/Vulkan/);
    }
    // the table says the same
    const table = runCli(['doctor']);
    expect(table.status).toBe(0);
    for (const c of report.checks) expect(table.stdout).toContain(c.name);
    expect(table.stdout).toMatch(/\nthe CPU path works/);
  });

  it.skipIf(lacks('python3-torch'))("reports the interpreter memsieve starts and its torch as that Python itself reports it", () => {
    const { report } = doctorJson({ MEMSIEVE_PYTHON: PYTHON });
    const own = spawnSync(PYTHON, ['-c', 'import sys, torch; print(sys.executable); print(torch.__version__); print(torch.cuda.device_count())'], { encoding: 'utf8' });
    const [executable, torchVersion, devices] = own.stdout.trim().split('\n');
    expect(check(report, 'Python')).toMatchObject({ status: 'ok' });
    expect(check(report, 'Python').found).toMatch(new RegExp(`^${executable} \\d+\\.\\d+\\.\\d+ \\(MEMSIEVE_PYTHON\\)$`));
    expect(check(report, 'Python torch').found.startsWith(torchVersion)).toBe(true);
    if (devices === '0') expect(check(report, 'Python torch').found).toMatch(/no CUDA device/);
    // not pip-installed into that Python here: memsieve's own copy, whose version is memsieve's
    const own_ = check(report, 'Python memsieve_torch');
    expect(own_.status).toBe('ok');
    expect(own_.found).toContain(join(PACKAGE_DIR, 'memsieve_torch'));
  });

  it('names a Python that does not exist, and still exits 0 (the CPU path does not need it)', () => {
    const missing = join(tempDir(), 'no-such-python');
    const { status, report } = doctorJson({ MEMSIEVE_PYTHON: missing });
    expect(status).toBe(0);
    expect(check(report, 'Python')).toMatchObject({ status: 'missing', found: `${missing} (MEMSIEVE_PYTHON): not found` });
    expect(check(report, 'Python').fix).toMatch(/apt-get install python3 python3-torch .*MEMSIEVE_PYTHON/);
  });

  it.skipIf(lacks('python3'))('a Python without torch: each missing module with the pip extra that brings it', () => {
    const venv = join(tempDir(), 'bare');
    const made = spawnSync(PYTHON, ['-m', 'venv', '--without-pip', venv], { encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    const { status, report } = doctorJson({ MEMSIEVE_PYTHON: join(venv, 'bin', 'python') });
    expect(status).toBe(0);
    expect(check(report, 'Python').status).toBe('ok');
    expect(check(report, 'Python torch')).toMatchObject({ status: 'missing', found: 'not installed', fix: `pip install '${PACKAGE_DIR}' (or apt-get install python3-torch)` });
    expect(check(report, 'Python numpy')).toMatchObject({ status: 'missing', fix: `pip install '${PACKAGE_DIR}' (or apt-get install python3-numpy)` });
    expect(check(report, 'Python transformers')).toMatchObject({ status: 'missing', fix: `pip install '${PACKAGE_DIR}[hf]'` });
    expect(check(report, 'Python onnx')).toMatchObject({ status: 'missing', fix: `pip install '${PACKAGE_DIR}[export]'` });
    expect(check(report, 'Python onnxruntime')).toMatchObject({ status: 'missing', fix: `pip install '${PACKAGE_DIR}[export]'` });
    // and a command that starts it says the same in one line, pointing at doctor
    const dir = tempDir();
    const r = runCli(['distill', '--mode', 'ce', '--student-config', join(dir, 'none'), '-i', join(ROOT, 'fixtures', 'brown-tiny', 'corpus.parquet'),
      '--tokenizer', join(ROOT, 'fixtures', 'brown-tiny', 'tokenizer.json'), '--out', join(dir, 'student'), '-q'], { env: { MEMSIEVE_PYTHON: join(venv, 'bin', 'python') } });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n').pop()).toBe(
      `memsieve: error: the Python at ${join(venv, 'bin', 'python')} has no torch or numpy: pip install '${PACKAGE_DIR}' (memsieve-torch brings torch and numpy), or apt-get install python3-torch python3-numpy, or set MEMSIEVE_PYTHON to a Python that has them; run \`memsieve doctor\` to check this machine`,
    );
  });

  it('a PATH without Slurm or zstd: "not on PATH" and the apt-get command', () => {
    const bin = join(tempDir(), 'bin');
    mkdirSync(bin);
    symlinkSync('/bin/sh', join(bin, 'sh'));
    const { status, report } = doctorJson({ PATH: bin });
    expect(status).toBe(0);
    for (const tool of ['sbatch', 'scontrol']) {
      expect(check(report, `Slurm ${tool}`)).toMatchObject({ status: 'missing', found: 'not on PATH' });
      expect(check(report, `Slurm ${tool}`).fix).toMatch(/apt-get install slurm-client/);
    }
    expect(check(report, 'zstd command')).toMatchObject({ status: 'missing', found: 'not on PATH', fix: 'apt-get install zstd' });
  });

  it('the summary line says when the CPU path does not work', () => {
    const report: DoctorReport = {
      schema: 'memsieve.doctor/v1', memsieve: '0.0.0', cpu_path_works: false,
      checks: [
        { name: 'onnxruntime CPU', status: 'missing', found: 'libonnxruntime.so.1: cannot open', fix: 'npm ci', used_for: '--device cpu', required: true },
        { name: 'Python torch', status: 'missing', found: 'not installed', fix: "pip install 'x'", used_for: 'distill', required: false },
      ],
    };
    const text = describeDoctor(report);
    expect(text).toMatch(/onnxruntime CPU +MISSING +libonnxruntime\.so\.1: cannot open +\[--device cpu\]\n +fix: npm ci\n/);
    expect(text.trim().split('\n').pop()).toBe('the CPU path does NOT work: onnxruntime CPU');
  });
});
