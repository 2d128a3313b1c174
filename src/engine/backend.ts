import { GuardError } from '../errors.js';
import type { Backend, BackendRequest, FaultInjection, GuardInfo } from '../protocol.js';

/** What this worker found out about WebGPU, once. */
export interface WebGpuProbe {
  device: GPUDevice | null;
  adapter: GuardInfo['adapter'];
  /** Why there is no device, when there is none. */
  reason: string;
}

/** Asks for an adapter and a device; never throws, since a missing GPU is an answer, not an error. */
export async function probeWebGpu(faults: FaultInjection): Promise<WebGpuProbe> {
  const gpu = (globalThis.navigator as Navigator & { gpu?: GPU }).gpu;
  if (faults.webgpuAbsent || !gpu) {
    return { device: null, adapter: null, reason: 'WebGPU is not available (navigator.gpu is undefined)' };
  }
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (error) {
    return { device: null, adapter: null, reason: `requestAdapter failed: ${(error as Error).message}` };
  }
  if (!adapter) return { device: null, adapter: null, reason: 'no WebGPU adapter' };
  const info = adapter.info;
  const adapterInfo = {
    vendor: info.vendor,
    architecture: info.architecture,
    description: info.description,
    isFallbackAdapter: Boolean((info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter ?? (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter),
  };
  try {
    const device = await adapter.requestDevice({
      requiredLimits: {
        maxBufferSize: adapter.limits.maxBufferSize,
        maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
        maxComputeWorkgroupStorageSize: adapter.limits.maxComputeWorkgroupStorageSize,
      },
    });
    return { device, adapter: adapterInfo, reason: '' };
  } catch (error) {
    return { device: null, adapter: adapterInfo, reason: `requestDevice failed: ${(error as Error).message}` };
  }
}

/** The backends to try, in order, with the reason to report if the first one is WASM. */
export interface BackendPlan {
  order: Backend[];
  reason: string;
}

const requests: readonly BackendRequest[] = ['auto', 'webgpu', 'wasm'];

/**
 * Which backends to try for a request. `'auto'` skips a software adapter (SwiftShader and the like are about
 * a hundred times slower than WASM) unless `allowSoftwareAdapter` is set.
 */
export function planBackends(request: BackendRequest, probe: Pick<WebGpuProbe, 'device' | 'adapter' | 'reason'>, allowSoftwareAdapter: boolean): BackendPlan {
  if (!requests.includes(request)) {
    throw new GuardError('invalid-input', `backend must be one of ${requests.map((r) => `'${r}'`).join(', ')}, got ${JSON.stringify(request)}`);
  }
  if (request === 'wasm') return { order: ['wasm'], reason: 'requested' };
  if (request === 'webgpu') {
    if (!probe.device) throw new GuardError('backend-unavailable', `backend 'webgpu' was requested but ${probe.reason}; use 'auto' to fall back to WASM`);
    return { order: ['webgpu'], reason: 'requested' };
  }
  if (!probe.device) return { order: ['wasm'], reason: probe.reason };
  if (probe.adapter?.isFallbackAdapter && !allowSoftwareAdapter) {
    return {
      order: ['wasm'],
      reason: `software WebGPU adapter (${probe.adapter.description || probe.adapter.vendor || 'fallback'}) skipped: WASM is faster; set allowSoftwareAdapter to use it`,
    };
  }
  return { order: ['webgpu', 'wasm'], reason: '' };
}
