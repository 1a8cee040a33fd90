// What a failed onnxruntime session on --device cuda or webgpu means, in one line with the command that
// fixes it. onnxruntime's own messages blame the model or print a C++ assertion; `memsieve doctor` and
// the model loader both read them through here so the advice is the same everywhere.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Device } from './types.js';

/** The README's command for onnxruntime-node's CUDA provider (package.json "setup:cuda"). */
export const CUDA_PROVIDER_FIX =
  'run `npm run setup:cuda` in memsieve\'s folder (onnxruntime-node\'s installer with ONNXRUNTIME_NODE_INSTALL=cuda12; downloads from NuGet)';
export const WEBGPU_ADAPTER_FIX =
  'install a Vulkan driver for the GPU (apt-get install libvulkan1 mesa-vulkan-drivers, or the NVIDIA driver) and check with `vulkaninfo --summary`';
export const CUDA_LIBRARIES_FIX =
  'install the NVIDIA driver, CUDA 12 and cuDNN 9 so that libcuda.so.1, libcudart.so.12, libcublasLt.so.12 and libcudnn.so.9 load (check with `nvidia-smi`)';
export const CUDA_DEVICE_FIX = 'check `nvidia-smi` (the NVIDIA driver must see a GPU and support CUDA 12)';
export const DOCTOR_HINT = 'run `memsieve doctor` to check this machine';

export type DeviceProblem = 'webgpu-no-adapter' | 'cuda-provider-missing' | 'cuda-libraries-missing' | 'cuda-no-device';

export interface DeviceFailure {
  problem: DeviceProblem;
  /** what is wrong */
  what: string;
  /** the command that fixes it */
  fix: string;
  /** one line for an error: what is wrong, the fix, the way around it */
  message: string;
}

/** `aside` goes into the error message only (it answers what the user suspects there: the model file). */
function deviceFailure(device: Device, problem: DeviceProblem, what: string, fix: string, aside = ''): DeviceFailure {
  return { problem, what, fix, message: `--device ${device}: ${what}${aside}: ${fix}, or use --device cpu; ${DOCTOR_HINT}` };
}

/** onnxruntime-node's folder of native libraries for this platform (where setup:cuda puts the CUDA provider). */
function onnxruntimeBinDir(): string | undefined {
  try {
    const entry = createRequire(import.meta.url).resolve('onnxruntime-node');
    return join(dirname(entry), '..', 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return undefined;
  }
}

/** Whether `npm run setup:cuda` has put the CUDA provider library beside onnxruntime-node's binding. */
export function cudaProviderInstalled(binDir = onnxruntimeBinDir()): boolean {
  return binDir !== undefined && existsSync(join(binDir, 'libonnxruntime_providers_cuda.so'));
}

// cudaError codes that mean no GPU or no driver: 3 initialization error, 34 stub library (no driver),
// 35 driver too old, 100 no device, 803/804 driver and runtime mismatch, 999 unknown (often a broken driver)
const NO_DEVICE_CUDA_ERRORS = new Set([3, 34, 35, 100, 803, 804, 999]);

/**
 * The device problem behind an onnxruntime session-creation error, or undefined when the error is not
 * about the device (then the model file is to blame). `providerInstalled` tells a CUDA provider that is
 * missing from one whose CUDA libraries failed to load: onnxruntime reports both as "Failed to load
 * shared library".
 */
export function classifyDeviceFailure(device: Device, message: string, providerInstalled = cudaProviderInstalled()): DeviceFailure | undefined {
  if (device === 'webgpu' && /WebGPU adapter|adapter_result\.status/i.test(message)) {
    return deviceFailure(device, 'webgpu-no-adapter', 'no WebGPU adapter on this machine', WEBGPU_ADAPTER_FIX, ' (the model is fine)');
  }
  if (device !== 'cuda') return undefined;
  const cudaFailure = /CUDA failure (\d+): ([^;]+?)\s*(;|$)/.exec(message);
  if (cudaFailure && NO_DEVICE_CUDA_ERRORS.has(Number(cudaFailure[1]))) {
    const what = `onnxruntime's CUDA provider is installed but CUDA found no usable GPU (CUDA error ${cudaFailure[1]}: ${cudaFailure[2]})`;
    return deviceFailure(device, 'cuda-no-device', what, CUDA_DEVICE_FIX);
  }
  if (/Failed to load (shared )?library|cannot open shared object/i.test(message)) {
    if (!providerInstalled) return deviceFailure(device, 'cuda-provider-missing', "onnxruntime-node's CUDA provider is not installed", CUDA_PROVIDER_FIX);
    const what = "onnxruntime-node's CUDA provider is installed but did not load (no NVIDIA driver or CUDA libraries)";
    return deviceFailure(device, 'cuda-libraries-missing', what, CUDA_LIBRARIES_FIX);
  }
  return undefined;
}
