// --device cuda/webgpu failures name the device problem and its fix, not the model file. The first two are the
// real onnxruntime errors of a CPU-only machine (no WebGPU adapter; the CUDA provider not downloaded); the
// others are onnxruntime's message formats for a machine with the provider but no GPU or CUDA libraries.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { classifyDeviceFailure, cudaProviderInstalled } from '../../src/models/device-errors.js';

const KIT = join(import.meta.dirname, '..', '..', 'fixtures', 'brown-tiny');
const README = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
const PACKAGE = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8'));

// asked of onnxruntime directly, not through memsieve: whether this machine has a WebGPU adapter
async function webgpuWorks(): Promise<boolean> {
  try {
    const session = await ort.InferenceSession.create(join(KIT, 'teacher.onnx'), { executionProviders: ['webgpu'] });
    await session.release();
    return true;
  } catch {
    return false;
  }
}
const hasWebgpu = await webgpuWorks();

function scoreOn(device: string) {
  const dir = mkdtempSync(join(tmpdir(), 'memsieve-device-'));
  const output = join(dir, 'scores.parquet');
  const args = ['score', '-i', join(KIT, 'corpus.parquet'), '-o', output, '--teacher', join(KIT, 'teacher.onnx'), '--baseline', join(KIT, 'baseline.onnx')];
  const r = runCli([...args, '--tokenizer', join(KIT, 'tokenizer.json'), '--device', device, '-q']);
  return { ...r, output, lastLine: r.stderr.trim().split('\n').pop() ?? '' };
}

describe('device errors', { timeout: 300_000 }, () => {
  it.skipIf(hasWebgpu)('--device webgpu without an adapter says so, not "not a loadable ONNX model"', () => {
    const r = scoreOn('webgpu');
    expect(r.status).toBe(2);
    expect(r.lastLine).toMatch(/^memsieve: error: --device webgpu: no WebGPU adapter on this machine \(the model is fine\): install a Vulkan driver .*or use --device cpu; run `memsieve doctor`/);
    expect(r.stderr).not.toMatch(/not a loadable ONNX model/);
    expect(existsSync(r.output)).toBe(false);
  });

  it.skipIf(cudaProviderInstalled())('--device cuda without the CUDA provider gives the README\'s command', () => {
    const r = scoreOn('cuda');
    expect(r.status).toBe(2);
    expect(r.lastLine).toMatch(/^memsieve: error: --device cuda: onnxruntime-node's CUDA provider is not installed: run `npm run setup:cuda`.*ONNXRUNTIME_NODE_INSTALL=cuda12.*or use --device cpu/);
    expect(r.lastLine).not.toMatch(/npm ci/);
    expect(existsSync(r.output)).toBe(false);
    // the command named is the one package.json defines and the README documents
    expect(PACKAGE.scripts['setup:cuda']).toMatch(/^ONNXRUNTIME_NODE_INSTALL=cuda12 /);
    expect(README).toContain('`npm run setup:cuda`');
  });

  it('a CUDA provider that is installed but finds no GPU or no driver: CUDA\'s reason and nvidia-smi', () => {
    // the shape of onnxruntime's CudaCall error (cuda_call.cc) on a machine without a GPU
    const noDevice = 'cuda_call.cc:123 ... CUDA failure 100: no CUDA-capable device is detected ; GPU=32635 ; hostname=x ; file=cuda_execution_provider.cc ; line=245 ; expr=cudaSetDevice(info_.device_id);';
    const failure = classifyDeviceFailure('cuda', noDevice, true);
    expect(failure?.problem).toBe('cuda-no-device');
    expect(failure?.message).toBe(
      "--device cuda: onnxruntime's CUDA provider is installed but CUDA found no usable GPU (CUDA error 100: no CUDA-capable device is detected): check `nvidia-smi` (the NVIDIA driver must see a GPU and support CUDA 12), or use --device cpu; run `memsieve doctor` to check this machine",
    );
    expect(classifyDeviceFailure('cuda', 'CUDA failure 35: CUDA driver version is insufficient for CUDA runtime version ; GPU=0', true)?.problem).toBe('cuda-no-device');
    // running out of memory is not a missing device
    expect(classifyDeviceFailure('cuda', 'CUDA failure 2: out of memory ; GPU=0', true)).toBeUndefined();
  });

  it('the provider library present but its CUDA libraries missing is told apart from the provider missing', () => {
    const message = 'OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library';
    expect(classifyDeviceFailure('cuda', message, true)?.problem).toBe('cuda-libraries-missing');
    expect(classifyDeviceFailure('cuda', message, true)?.message).toMatch(/CUDA 12 and cuDNN 9 .*libcudnn\.so\.9/);
    expect(classifyDeviceFailure('cuda', message, false)?.problem).toBe('cuda-provider-missing');
    // which of the two: the provider library beside onnxruntime-node's binding
    const bin = mkdtempSync(join(tmpdir(), 'memsieve-ort-bin-'));
    expect(cudaProviderInstalled(bin)).toBe(false);
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'libonnxruntime_providers_cuda.so'), '');
    expect(cudaProviderInstalled(bin)).toBe(true);
  });

  it('a broken model on a working device still blames the model', () => {
    expect(classifyDeviceFailure('cpu', 'Protobuf parsing failed.')).toBeUndefined();
    expect(classifyDeviceFailure('cuda', 'Protobuf parsing failed.', true)).toBeUndefined();
    expect(classifyDeviceFailure('webgpu', 'Protobuf parsing failed.')).toBeUndefined();
  });
});
