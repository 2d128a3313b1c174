/**
 * Pixel Data (7FE0,0010) -> stored values of the first frame: native bytes read in the file's byte order, or a
 * compressed frame through its codec; then bits stored / high bit masking and sign extension, so that every
 * syntax of the same image gives the very same array (and so the same `pixelSha256`).
 */
import * as dicomParserModule from 'dicom-parser';
import { GuardError } from '../../errors.js';
import type { PixelArray } from '../../protocol.js';
import { decodeCompressedFrame, peekFrameSize } from './codecs.js';
import type { DicomHeader } from './parse.js';

const dicomParser = ((dicomParserModule as { default?: unknown }).default ?? dicomParserModule) as typeof dicomParserModule;

/** The bytes of the first compressed frame. */
function encapsulatedFrame(header: DicomHeader): Uint8Array {
  const { dataSet, pixelData, numberOfFrames } = header;
  const fragments = pixelData.fragments ?? [];
  if (fragments.length === 0) throw new GuardError('dicom-no-pixel-data', 'the encapsulated Pixel Data (7FE0,0010) has no fragments');
  for (const fragment of fragments) {
    if (fragment.position + fragment.length > dataSet.byteArray.length) {
      throw new GuardError('dicom-truncated', `a Pixel Data fragment runs past the end of the file (${fragment.position + fragment.length} > ${dataSet.byteArray.length} bytes)`);
    }
  }
  try {
    if (numberOfFrames === 1) return dicomParser.readEncapsulatedPixelDataFromFragments(dataSet, pixelData, 0, fragments.length) as Uint8Array;
    if (fragments.length === numberOfFrames) return dicomParser.readEncapsulatedPixelDataFromFragments(dataSet, pixelData, 0, 1) as Uint8Array;
    return dicomParser.readEncapsulatedImageFrame(dataSet, pixelData, 0) as Uint8Array;
  } catch (error) {
    throw new GuardError('dicom-invalid', `the first frame of the encapsulated Pixel Data could not be located: ${(error as Error)?.message ?? String(error)}`);
  }
}

/** Samples of the first frame as 8- or 16-bit values, before masking. */
async function frameSamples(header: DicomHeader, assetBase: string): Promise<Uint8Array | Uint16Array> {
  const { rows, columns, bitsAllocated, pixelData, dataSet, syntax } = header;
  const count = rows * columns;
  if (syntax.encoding === 'native') {
    if (pixelData.encapsulatedPixelData) throw new GuardError('dicom-invalid', `${syntax.name} Pixel Data must not be encapsulated`);
    const bytesPerSample = bitsAllocated / 8;
    const needed = count * bytesPerSample;
    const available = Math.min(pixelData.length, dataSet.byteArray.length - pixelData.dataOffset);
    if (available < needed) {
      throw new GuardError(
        'dicom-truncated',
        `Pixel Data holds ${Math.max(0, available)} bytes, but ${rows} rows x ${columns} columns x ${bitsAllocated} bits need ${needed}`,
        { available, needed },
      );
    }
    const bytes = dataSet.byteArray;
    if (bytesPerSample === 1) return bytes.slice(pixelData.dataOffset, pixelData.dataOffset + count);
    const view = new DataView(bytes.buffer, bytes.byteOffset + pixelData.dataOffset, needed);
    const samples = new Uint16Array(count);
    const little = !syntax.bigEndian;
    for (let i = 0; i < count; i++) samples[i] = view.getUint16(i * 2, little);
    return samples;
  }
  if (!pixelData.encapsulatedPixelData) throw new GuardError('dicom-invalid', `${syntax.name} Pixel Data must be encapsulated (undefined length, in fragments)`);
  const frame = encapsulatedFrame(header);
  const size = peekFrameSize(syntax.encoding, frame);
  if (size && (size.width !== columns || size.height !== rows)) {
    throw new GuardError('decode-failed', `the ${syntax.name} stream is ${size.width} x ${size.height} but the DICOM header says ${columns} x ${rows}`);
  }
  if (size && syntax.encoding === 'jpeg-baseline' && size.precision > 8) {
    throw new GuardError('unsupported-transfer-syntax', `${size.precision}-bit ${syntax.name} (${syntax.uid}) is not supported: cadguard decodes 8-bit JPEG baseline / extended only`, { transferSyntaxUid: syntax.uid });
  }
  const decoded = await decodeCompressedFrame(syntax.encoding, frame, assetBase, bitsAllocated);
  if ((decoded.width && decoded.width !== columns) || (decoded.height && decoded.height !== rows) || decoded.componentCount > 1) {
    throw new GuardError('decode-failed', `the ${syntax.name} frame decoded to ${decoded.width} x ${decoded.height} x ${decoded.componentCount} but the DICOM header says ${columns} x ${rows} x 1`);
  }
  if (decoded.bytes.length === count) return decoded.bytes;
  if (decoded.bytes.length === count * 2) {
    return new Uint16Array(decoded.bytes.buffer, decoded.bytes.byteOffset, count);
  }
  throw new GuardError('decode-failed', `the ${syntax.name} frame decoded to ${decoded.bytes.length} bytes, expected ${count} or ${count * 2}`);
}

/**
 * The stored values of the first frame: shifted down by (high bit + 1 - bits stored) for native data, masked to
 * bits stored and, for pixel representation 1, sign-extended. Unsigned 8-bit data stays Uint8Array, unsigned
 * 16-bit Uint16Array, signed data of either size Int16Array.
 */
export async function storedValues(header: DicomHeader, assetBase: string): Promise<PixelArray> {
  const samples = await frameSamples(header, assetBase);
  const { bitsStored, bitsAllocated, highBit, pixelRepresentation, syntax } = header;
  const shift = syntax.encoding === 'native' ? highBit + 1 - bitsStored : 0;
  const mask = 2 ** bitsStored - 1;
  if (pixelRepresentation === 1) {
    const signBit = 2 ** (bitsStored - 1);
    const out = new Int16Array(samples.length);
    for (let i = 0; i < samples.length; i++) {
      const value = (samples[i] >> shift) & mask;
      out[i] = value & signBit ? value - 2 * signBit : value;
    }
    return out;
  }
  if (shift === 0 && bitsStored === bitsAllocated && samples.BYTES_PER_ELEMENT * 8 === bitsAllocated) return samples;
  const out = bitsAllocated === 8 ? new Uint8Array(samples.length) : new Uint16Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = (samples[i] >> shift) & mask;
  return out;
}
