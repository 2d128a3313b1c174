/**
 * Working buffers kept between checks. A check's large typed arrays (the display values, the squeezed batch; the blend
 * seam's residual samples, now in its kernel's memory) were fresh allocations each time, and a fresh buffer is paid
 * for in page faults as it is first written, which in a Chromium worker cost more than the arithmetic on it (README,
 * Benchmarks). Checks run one at a time (CheckQueue), so one buffer per purpose suffices.
 *
 * The memory kept is that of the largest image checked so far (4 bytes a pixel for the display values here, and 9
 * bytes a sample for the seam's samples in src/detect/seam-samples.ts's kernel memory: about 5.3 bytes a pixel in
 * all), plus what does not grow with the image (for the bundled 512-px models the tensor and its squeezed copies, the
 * resize, the breast mask's steps, the content model's batch of tiles and a 16-bit display table: about 9 MB) and,
 * for a vendor model with `resize-v1`, its row pass (8 bytes per image row and model input column: 17 MB for a
 * 3328x4096 image into a 512-px input); it goes with the worker (`dispose()`).
 */

type ArrayType = Float32ArrayConstructor | Float64ArrayConstructor | Int32ArrayConstructor | Uint16ArrayConstructor | Uint8ArrayConstructor | Int8ArrayConstructor;

const buffers = new Map<string, ArrayBuffer>();

/**
 * A `length`-element array of `type` on the buffer kept under `key`, grown when too small. Its contents are whatever
 * the last user left: the caller writes every element it reads. Valid until the next call with the same key, so a
 * key belongs to one purpose, and nothing that outlives a check (a report, a heatmap) may be one of these.
 */
export function scratch<T extends ArrayType>(type: T, key: string, length: number): InstanceType<T> {
  const bytes = length * type.BYTES_PER_ELEMENT;
  let buffer = buffers.get(key);
  if (!buffer || buffer.byteLength < bytes) {
    buffer = new ArrayBuffer(bytes);
    buffers.set(key, buffer);
  }
  return new type(buffer, 0, length) as InstanceType<T>;
}

/**
 * {@link scratch} under `key`, or a fresh array when there is no key: for a function whose caller decides whether
 * its result may be overwritten by the next call with the same key.
 */
export function keptOrFresh<T extends ArrayType>(type: T, key: string | undefined, length: number): InstanceType<T> {
  return key ? scratch(type, key, length) : (new type(length) as InstanceType<T>);
}
