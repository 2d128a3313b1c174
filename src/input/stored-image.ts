import type { DicomInfo, PixelArray } from '../protocol.js';

/**
 * An image as stored, before any display transform: one grey value per pixel, row-major, with what is needed to
 * display it the way a viewer would. Every input format decodes to this.
 */
export interface StoredImage {
  pixels: PixelArray;
  width: number;
  height: number;
  /** Significant bits of each value (1-16); 32 for float input, whose values are display values in [0, 1]. */
  bitsStored: number;
  photometric: 'MONOCHROME1' | 'MONOCHROME2';
  /** The VOI window in modality units (after {@link StoredImage.rescale}); null for none. */
  window: { center: number; width: number } | null;
  /** What the bytes were, for the report: `'raw'`, `'png'`, `'jpeg'`, `'imagedata'`, `'imagebitmap'`, `'dicom'`, `'viewer'`. */
  format: string;
  /** Modality rescale, stored value -> modality value `value * slope + intercept`; absent means identity. */
  rescale?: { slope: number; intercept: number };
  /** DICOM VOI LUT Function (0028,1056) of the window. @defaultValue 'LINEAR' */
  voiFunction?: VoiFunction;
  /** A VOI LUT (from the VOI LUT Sequence), used when there is no window. */
  voiLut?: VoiLut;
  /** DICOM identity and view, for DICOM input. */
  dicom?: DicomIdentity;
}

/** DICOM PS3.3 C.11.2.1.2 VOI LUT functions. */
export type VoiFunction = 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID';

/** One item of the VOI LUT Sequence (0028,3010): its descriptor and data. */
export interface VoiLut {
  /** First modality value mapped (LUT Descriptor value 2). */
  firstMapped: number;
  /** Bits of each entry (LUT Descriptor value 3); entries run 0 .. 2^bits - 1. */
  bits: number;
  data: Uint16Array;
}

/** Identity and view of a DICOM image, as the report carries them. */
export type DicomIdentity = DicomInfo;

/** Largest width or height accepted; larger images are refused before any allocation. */
export const MAX_DIMENSION = 16384;
