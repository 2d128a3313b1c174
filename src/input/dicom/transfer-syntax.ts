/**
 * The DICOM transfer syntaxes cadguard reads, and how each one's pixel data is decoded. One table, so that the
 * supported list, the decoder and the error message for an unsupported syntax never drift apart.
 */

/** How a transfer syntax's pixel data is decoded. */
export type PixelEncoding =
  | 'native'
  | 'jpeg-baseline'
  | 'jpeg-lossless'
  | 'jpeg-ls'
  | 'jpeg-2000'
  | 'htj2k';

/** One supported transfer syntax. */
export interface TransferSyntax {
  uid: string;
  name: string;
  encoding: PixelEncoding;
  /** Explicit VR Big Endian: native 16-bit pixel values are byte-swapped. */
  bigEndian?: boolean;
  /** Deflated Explicit VR Little Endian: the data set after the file meta information is raw deflate. */
  deflated?: boolean;
}

const table: TransferSyntax[] = [
  { uid: '1.2.840.10008.1.2', name: 'Implicit VR Little Endian', encoding: 'native' },
  { uid: '1.2.840.10008.1.2.1', name: 'Explicit VR Little Endian', encoding: 'native' },
  { uid: '1.2.840.10008.1.2.1.99', name: 'Deflated Explicit VR Little Endian', encoding: 'native', deflated: true },
  { uid: '1.2.840.10008.1.2.2', name: 'Explicit VR Big Endian', encoding: 'native', bigEndian: true },
  { uid: '1.2.840.10008.1.2.4.50', name: 'JPEG Baseline (Process 1)', encoding: 'jpeg-baseline' },
  { uid: '1.2.840.10008.1.2.4.51', name: 'JPEG Extended (Process 2 & 4), 8-bit', encoding: 'jpeg-baseline' },
  { uid: '1.2.840.10008.1.2.4.57', name: 'JPEG Lossless, Non-Hierarchical (Process 14)', encoding: 'jpeg-lossless' },
  { uid: '1.2.840.10008.1.2.4.70', name: 'JPEG Lossless, First-Order Prediction (Process 14, SV1)', encoding: 'jpeg-lossless' },
  { uid: '1.2.840.10008.1.2.4.80', name: 'JPEG-LS Lossless', encoding: 'jpeg-ls' },
  { uid: '1.2.840.10008.1.2.4.81', name: 'JPEG-LS Near-Lossless', encoding: 'jpeg-ls' },
  { uid: '1.2.840.10008.1.2.4.90', name: 'JPEG 2000 (Lossless Only)', encoding: 'jpeg-2000' },
  { uid: '1.2.840.10008.1.2.4.91', name: 'JPEG 2000', encoding: 'jpeg-2000' },
  { uid: '1.2.840.10008.1.2.4.201', name: 'High-Throughput JPEG 2000 (Lossless Only)', encoding: 'htj2k' },
  { uid: '1.2.840.10008.1.2.4.202', name: 'High-Throughput JPEG 2000 with RPCL Options (Lossless Only)', encoding: 'htj2k' },
  { uid: '1.2.840.10008.1.2.4.203', name: 'High-Throughput JPEG 2000', encoding: 'htj2k' },
];

/** Names of syntaxes cadguard knows but does not decode, so the error names them. */
const unsupportedNames = new Map<string, string>([
  ['1.2.840.10008.1.2.4.52', 'JPEG Extended (Process 3 & 5, retired)'],
  ['1.2.840.10008.1.2.4.53', 'JPEG Spectral Selection (retired)'],
  ['1.2.840.10008.1.2.4.55', 'JPEG Full Progression (retired)'],
  ['1.2.840.10008.1.2.4.92', 'JPEG 2000 Part 2 Multi-component (Lossless Only)'],
  ['1.2.840.10008.1.2.4.93', 'JPEG 2000 Part 2 Multi-component'],
  ['1.2.840.10008.1.2.4.94', 'JPIP Referenced'],
  ['1.2.840.10008.1.2.4.100', 'MPEG2 Main Profile'],
  ['1.2.840.10008.1.2.4.102', 'MPEG-4 AVC/H.264'],
  ['1.2.840.10008.1.2.4.110', 'JPEG XL Lossless'],
  ['1.2.840.10008.1.2.4.112', 'JPEG XL'],
  ['1.2.840.10008.1.2.5', 'RLE Lossless'],
]);

const byUid = new Map(table.map((syntax) => [syntax.uid, syntax]));

/** The syntax for a UID, or undefined when cadguard does not decode it. */
export function transferSyntax(uid: string): TransferSyntax | undefined {
  return byUid.get(uid);
}

/** A human name for any transfer syntax UID, for error messages. */
export function transferSyntaxName(uid: string): string {
  return byUid.get(uid)?.name ?? unsupportedNames.get(uid) ?? 'unknown transfer syntax';
}

/** Every supported syntax, for docs and errors. */
export const supportedTransferSyntaxes: readonly TransferSyntax[] = table;
