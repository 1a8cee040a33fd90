// pipelines/torch as the Python package memsieve-torch: its version is memsieve's, it pip-installs into a fresh
// venv (seeing Debian's torch), memsieve runs the installed copy (a worker through it scores as memsieve's own
// copy does; a mismatched installed version is refused), and missing pieces name the extra that brings them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTorchWorker } from '../../src/models/torch-worker.js';
import { runCli } from '../helpers/cli.js';
import { kitFile, tempDir } from '../helpers/kit.js';
import { lacks } from '../helpers/system.js';
import { installPackageVenv, makeTiny, PYTHON, ROOT } from './helpers.js';

const PACKAGE_JSON = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; files: string[] };
const PACKAGE_DIR = join(ROOT, 'pipelines', 'torch');

describe('memsieve-torch package metadata', () => {
  it("keeps memsieve_torch.__version__ equal to package.json's, and ships with the npm package", () => {
    const init = readFileSync(join(PACKAGE_DIR, 'memsieve_torch', '__init__.py'), 'utf8');
    expect(/^__version__ = "([^"]+)"$/m.exec(init)?.[1]).toBe(PACKAGE_JSON.version);
    const pyproject = readFileSync(join(PACKAGE_DIR, 'pyproject.toml'), 'utf8');
    expect(pyproject).toMatch(/^version = \{ attr = "memsieve_torch.__version__" \}$/m);
    expect(PACKAGE_JSON.files).toContain('pipelines');
  });
});

describe.skipIf(lacks('python3-torch') || lacks('python3-numpy') || lacks('python3-venv') || lacks('python3-wheel'))('memsieve-torch installed into a venv', () => {
  const dir = tempDir('memsieve-package-');
  let python: string;
  const teacher = join(dir, 'teacher');
  const baseline = join(dir, 'baseline');

  beforeAll(() => {
    python = installPackageVenv(join(dir, 'good'));
    makeTiny(teacher, { layers: 1, seed: 3 });
    makeTiny(baseline, { layers: 1, seed: 4 });
  }, 600_000);

  it("installs with memsieve's version, torch and numpy as dependencies and the hf and export extras", () => {
    const r = spawnSync(python, ['-c', [
      'import importlib.metadata as m, json, memsieve_torch',
      'print(json.dumps({"version": m.version("memsieve-torch"), "requires": m.requires("memsieve-torch"), "file": memsieve_torch.__file__}))',
    ].join('\n')], { encoding: 'utf8', cwd: dir });
    expect(r.status, r.stderr).toBe(0);
    const meta = JSON.parse(r.stdout) as { version: string; requires: string[]; file: string };
    expect(meta.version).toBe(PACKAGE_JSON.version);
    expect(meta.file).toBe(join(dir, 'good', 'venv', 'lib', /python3\.\d+/.exec(meta.file)![0], 'site-packages', 'memsieve_torch', '__init__.py'));
    const requires = meta.requires.map((s) => s.replace(/\s+/g, '').replace(/'/g, '"'));
    expect(requires).toEqual(expect.arrayContaining([expect.stringMatching(/^torch\b/), 'numpy', 'transformers;extra=="hf"', 'onnx;extra=="export"', 'onnxruntime;extra=="export"', 'transformers;extra=="export"']));
  }, 600_000);

  it('memsieve runs the installed copy: doctor says where, and its worker scores as memsieve\'s own copy does', async () => {
    const doctor = runCli(['doctor', '--json'], { env: { MEMSIEVE_PYTHON: python } });
    const own = (JSON.parse(doctor.stdout) as { checks: Array<{ name: string; status: string; found: string }> }).checks.find((c) => c.name === 'Python memsieve_torch');
    expect(own).toMatchObject({ status: 'ok' });
    expect(own!.found).toMatch(new RegExp(`^${PACKAGE_JSON.version} installed at ${join(dir, 'good', 'venv')}/lib/python3\\.\\d+/site-packages/memsieve_torch$`));

    const rows = [Int32Array.from({ length: 40 }, (_, i) => (i * 37) % 2048), Int32Array.from({ length: 25 }, (_, i) => (i * 11 + 5) % 2048)];
    const options = { temperature: 1, prefixTokens: 8, suffixTokens: 8, minK: 0.2 };
    const scoreWith = async (interpreter: string) => {
      const worker = await startTorchWorker({ teacher, baseline, device: 'cpu', dtype: 'float32', python: interpreter });
      try {
        return await worker.scorePairs(rows, options);
      } finally {
        await worker.close();
      }
    };
    const [installed, bundled] = await Promise.all([scoreWith(python), scoreWith(PYTHON)]);
    expect(Array.from(installed.teacher_nll)).toEqual(Array.from(bundled.teacher_nll));
    expect(Array.from(installed.kl_teacher_baseline)).toEqual(Array.from(bundled.kl_teacher_baseline));
    expect(installed.teacher_nll.every(Number.isFinite)).toBe(true);
  }, 600_000);

  it('refuses an installed memsieve_torch whose version is not memsieve\'s, in one line', async () => {
    const stale = installPackageVenv(join(dir, 'stale'), { version: '0.0.1' });
    await expect(startTorchWorker({ teacher, baseline, device: 'cpu', python: stale })).rejects.toThrow(
      new RegExp(`^memsieve_torch 0\\.0\\.1 at ${join(dir, 'stale', 'venv')}/lib/python3\\.\\d+/site-packages/memsieve_torch is not memsieve ${PACKAGE_JSON.version.replace(/\./g, '\\.')}'s: pip install --upgrade '${PACKAGE_DIR}', or pip uninstall memsieve-torch to use the copy memsieve ships$`),
    );
  }, 600_000);

  it.skipIf(spawnSync(PYTHON, ['-c', 'import transformers']).status === 0)('a Hugging Face checkpoint without transformers names the hf extra', () => {
    const r = runCli(['score', '--backend', 'torch', '-i', kitFile('corpus.parquet'), '-o', join(dir, 'hf-scores.parquet'), '--teacher', kitFile('hf/teacher'),
      '--baseline', kitFile('hf/baseline'), '--tokenizer', kitFile('tokenizer.json'), '--device', 'cpu', '-q'], { env: { MEMSIEVE_PYTHON: python } });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n').pop()).toMatch(/needs the transformers package, which \S+ does not have: pip install 'memsieve-torch\[hf\]' \(from memsieve's pipelines\/torch\)/);
  }, 600_000);
});
