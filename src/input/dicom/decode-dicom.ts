/**
 * DICOM Part 10 bytes -> a StoredImage that displays as a DICOM viewer displays it: stored values of the first
 * frame, modality rescale, the chosen VOI (window with its function, or VOI LUT), photometric interpretation, and
 * the identity the report and the audit record carry. Imported lazily by decode.ts, so PNG checks never load it.
 */
import { GuardError, isGuardError } from '../../errors.js';
import type { StoredImage } from '../stored-image.js';
import { parseDicom, parseFailure } from './parse.js';
import { storedValues } from './pixel-data.js';

/** How a DICOM file is read. */
export interface DicomDecodeOptions {
  /** Folder URL holding `codecs/` (the codec .wasm files). */
  assetBase: string;
  /** Which window (or, without windows, which VOI LUT) to apply, 0-based. */
  voiIndex: number;
  /** Whether the classifier takes `FOR PROCESSING` images (its manifest's `input.acceptsForProcessing`). */
  acceptsForProcessing: boolean;
}

export async function decodeDicom(bytes: Uint8Array, options: DicomDecodeOptions): Promise<StoredImage> {
  const header = await parseDicom(bytes).catch((error: unknown) => {
    throw isGuardError(error) ? error : parseFailure(error, 'file');
  });
  const { identity } = header;
  if (identity.presentationIntent === 'FOR PROCESSING' && !options.acceptsForProcessing) {
    throw new GuardError(
      'for-processing',
      'the DICOM image is FOR PROCESSING (raw detector data, not what a radiologist reads); the classifier takes FOR PRESENTATION images only (its manifest does not set input.acceptsForProcessing)',
      { sopInstanceUid: identity.sopInstanceUid },
    );
  }
  const { voiIndex } = options;
  const choices = header.windows.length || header.voiLuts.length;
  if (voiIndex > 0 && voiIndex >= choices) {
    throw new GuardError(
      'invalid-input',
      `voiIndex ${voiIndex} is out of range: the DICOM image has ${header.windows.length} window(s) and ${header.voiLuts.length} VOI LUT(s); windows are chosen first, LUTs only when there is no window`,
      { voiIndex, windows: header.windows.length, voiLuts: header.voiLuts.length },
    );
  }
  let pixels: StoredImage['pixels'];
  try {
    pixels = await storedValues(header, options.assetBase);
  } catch (error) {
    if (isGuardError(error)) throw error;
    throw parseFailure(error, 'pixel data');
  }
  const window = header.windows[voiIndex] ?? null;
  return {
    pixels,
    width: header.columns,
    height: header.rows,
    bitsStored: header.bitsStored,
    photometric: header.photometric,
    window,
    format: 'dicom',
    ...(header.rescale ? { rescale: header.rescale } : {}),
    ...(window ? { voiFunction: header.voiFunction } : {}),
    ...(!window && header.voiLuts[voiIndex] ? { voiLut: header.voiLuts[voiIndex] } : {}),
    dicom: identity,
  };
}
