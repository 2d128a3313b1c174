/**
 * DICOM Part 10 bytes -> the header cadguard needs, read with dicom-parser. Every failure is a GuardError whose
 * code tells a truncated file from one that is not DICOM, one without pixels, or one with absurd attributes.
 */
import * as dicomParserModule from 'dicom-parser';
import type { DataSet, Element } from 'dicom-parser';
import { GuardError, isGuardError } from '../../errors.js';
import { MAX_DIMENSION, type DicomIdentity, type VoiFunction, type VoiLut } from '../stored-image.js';
import { transferSyntax, transferSyntaxName, type TransferSyntax } from './transfer-syntax.js';

// dicom-parser is a UMD bundle: the bundler hands its exports over as the default export or as the namespace.
const dicomParser = ((dicomParserModule as { default?: unknown }).default ?? dicomParserModule) as typeof dicomParserModule;

/** What cadguard reads from a DICOM image's header. */
export interface DicomHeader {
  syntax: TransferSyntax;
  rows: number;
  columns: number;
  bitsAllocated: number;
  bitsStored: number;
  highBit: number;
  /** 0 unsigned, 1 two's complement. */
  pixelRepresentation: 0 | 1;
  photometric: 'MONOCHROME1' | 'MONOCHROME2';
  numberOfFrames: number;
  rescale: { slope: number; intercept: number } | undefined;
  /** Every window the file carries, in order (Window Center / Width (0028,1050) / (0028,1051)). */
  windows: { center: number; width: number }[];
  voiFunction: VoiFunction;
  /** Every VOI LUT Sequence (0028,3010) item, in order. */
  voiLuts: VoiLut[];
  identity: DicomIdentity;
  dataSet: DataSet;
  pixelData: Element;
}

/** dicom-parser throws strings and `{exception, dataSet}` objects; this gets the message out of either. */
function messageOf(error: unknown): string {
  const inner = (error as { exception?: unknown })?.exception ?? error;
  return inner instanceof Error ? inner.message : String(inner);
}

/** A dicom-parser failure as a GuardError: `dicom-truncated` when it read past the end, else `dicom-invalid`. */
export function parseFailure(error: unknown, where: string): GuardError {
  const message = messageOf(error);
  if (/past end|overread|overrun|eof|end of buffer|greater than or equal/i.test(message)) {
    return new GuardError('dicom-truncated', `the DICOM ${where} ends early or declares an element longer than the file (${message})`);
  }
  return new GuardError('dicom-invalid', `the DICOM ${where} could not be parsed: ${message}`);
}

async function inflateRaw(bytes: Uint8Array): Promise<Uint8Array> {
  try {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (error) {
    throw new GuardError('dicom-truncated', `the deflated DICOM data set could not be inflated: ${(error as Error).message}`);
  }
}

function required(dataSet: DataSet, tag: string, name: string): number {
  const value = dataSet.elements[tag] && dataSet.elements[tag].length >= 2 ? dataSet.uint16(tag) : undefined;
  if (value === undefined) throw new GuardError('dicom-invalid', `the DICOM image has no ${name} (${tag.slice(1, 5)},${tag.slice(5)})`);
  return value;
}

function numbers(dataSet: DataSet, tag: string): number[] {
  const count = dataSet.elements[tag] ? dataSet.numStringValues(tag) ?? 0 : 0;
  return Array.from({ length: count }, (_, i) => dataSet.floatString(tag, i) ?? NaN);
}

function readWindows(dataSet: DataSet): { center: number; width: number }[] {
  const centers = numbers(dataSet, 'x00281050');
  const widths = numbers(dataSet, 'x00281051');
  if (centers.length !== widths.length) {
    throw new GuardError('dicom-invalid', `the DICOM image has ${centers.length} Window Center values but ${widths.length} Window Width values`);
  }
  return centers.map((center, i) => {
    const width = widths[i];
    if (!Number.isFinite(center) || !Number.isFinite(width) || width <= 0) {
      throw new GuardError('dicom-invalid', `DICOM window ${i} has center ${center}, width ${width}: both must be numbers and the width > 0`);
    }
    return { center, width };
  });
}

function readVoiFunction(dataSet: DataSet): VoiFunction {
  const value = (dataSet.string('x00281056') ?? 'LINEAR').trim().toUpperCase() || 'LINEAR';
  if (value !== 'LINEAR' && value !== 'LINEAR_EXACT' && value !== 'SIGMOID') {
    throw new GuardError('dicom-invalid', `VOI LUT Function (0028,1056) is ${JSON.stringify(value)}; DICOM allows LINEAR, LINEAR_EXACT and SIGMOID`);
  }
  return value;
}

function readVoiLuts(dataSet: DataSet, signed: boolean, bigEndian: boolean): VoiLut[] {
  const items = dataSet.elements.x00283010?.items ?? [];
  return items.map((item, index) => {
    const lut = item.dataSet;
    const descriptor = lut?.elements.x00283002;
    const data = lut?.elements.x00283006;
    if (!lut || !descriptor || descriptor.length < 6 || !data) {
      throw new GuardError('dicom-invalid', `VOI LUT Sequence item ${index} lacks its LUT Descriptor (0028,3002) or LUT Data (0028,3006)`);
    }
    const entries = lut.uint16('x00283002', 0) || 65536;
    const first = lut.uint16('x00283002', 1)!;
    const bits = lut.uint16('x00283002', 2)!;
    if (bits < 1 || bits > 16) throw new GuardError('dicom-invalid', `VOI LUT ${index} has ${bits} bits per entry; DICOM allows 8 to 16`);
    const values = new Uint16Array(entries);
    const bytes = lut.byteArray;
    if (data.dataOffset + data.length > bytes.length) throw new GuardError('dicom-truncated', `VOI LUT ${index} data runs past the end of the file`);
    if (data.length >= entries * 2) {
      const view = new DataView(bytes.buffer, bytes.byteOffset + data.dataOffset, entries * 2);
      for (let i = 0; i < entries; i++) values[i] = view.getUint16(i * 2, !bigEndian);
    } else if (data.length >= entries && bits <= 8) {
      values.set(bytes.subarray(data.dataOffset, data.dataOffset + entries));
    } else {
      throw new GuardError('dicom-invalid', `VOI LUT ${index} declares ${entries} entries but holds ${data.length} bytes`);
    }
    return { firstMapped: signed && first >= 32768 ? first - 65536 : first, bits, data: values };
  });
}

// Mammography view codes (CID 4014), SNOMED-RT and SNOMED CT forms, to the usual abbreviations.
const viewCodes = new Map<string, string>([
  ['R-10242', 'CC'], ['399162004', 'CC'],
  ['R-10226', 'MLO'], ['399368009', 'MLO'],
  ['R-10224', 'ML'], ['399260004', 'ML'],
  ['R-10228', 'LM'], ['399352003', 'LM'],
  ['R-10230', 'LMO'], ['399099002', 'LMO'],
  ['R-1024A', 'XCCL'], ['399192003', 'XCCL'],
  ['R-1024B', 'XCCM'], ['399101009', 'XCCM'],
]);

function readIdentity(dataSet: DataSet, transferSyntaxUid: string): DicomIdentity {
  const text = (tag: string) => dataSet.string(tag)?.trim() || null;
  const side = (text('x00200062') ?? text('x00200060'))?.toUpperCase() ?? null;
  const code = dataSet.elements.x00540220?.items?.[0]?.dataSet?.string('x00080100')?.trim();
  const view = (code && viewCodes.get(code)) || text('x00185101')?.toUpperCase() || null;
  return {
    studyInstanceUid: text('x0020000d'),
    seriesInstanceUid: text('x0020000e'),
    sopInstanceUid: text('x00080018'),
    transferSyntaxUid,
    laterality: side === 'L' || side === 'R' ? side : null,
    view,
    presentationIntent: text('x00080068')?.toUpperCase() ?? null,
  };
}

/** Parses a Part 10 file (with the `DICM` marker at byte 128) into its header. */
export async function parseDicom(bytes: Uint8Array): Promise<DicomHeader> {
  let meta: DataSet & { position?: number };
  try {
    meta = dicomParser.readPart10Header(bytes) as DataSet & { position?: number };
  } catch (error) {
    const failure = parseFailure(error, 'file meta information');
    if (failure.code === 'dicom-truncated') throw failure;
    throw new GuardError('not-dicom', `the bytes carry the DICM marker but no readable DICOM file meta information: ${messageOf(error)}`);
  }
  const uid = meta.elements.x00020010 ? meta.string('x00020010')?.trim() : undefined;
  if (!uid) throw new GuardError('not-dicom', 'the DICOM file meta information has no Transfer Syntax UID (0002,0010)');
  const syntax = transferSyntax(uid);
  if (!syntax) {
    throw new GuardError('unsupported-transfer-syntax', `transfer syntax ${uid} (${transferSyntaxName(uid)}) is not supported; see docs/dicom.md for the supported list`, { transferSyntaxUid: uid });
  }
  let inflated: Uint8Array | null = null;
  if (syntax.deflated) {
    const position = meta.position ?? bytes.length;
    const body = await inflateRaw(bytes.subarray(position));
    inflated = new Uint8Array(position + body.length);
    inflated.set(bytes.subarray(0, position));
    inflated.set(body, position);
  }
  let dataSet: DataSet;
  try {
    dataSet = dicomParser.parseDicom(bytes, inflated ? { inflater: () => inflated } : {}) as DataSet;
  } catch (error) {
    throw parseFailure(error, 'data set');
  }
  try {
    return readHeader(dataSet, syntax, uid);
  } catch (error) {
    // dicom-parser reads values lazily, so an element whose length runs past the file only throws here.
    if (isGuardError(error)) throw error;
    throw parseFailure(error, 'image attributes');
  }
}

function readHeader(dataSet: DataSet, syntax: TransferSyntax, uid: string): DicomHeader {
  if (dataSet.elements.x7fe00008 || dataSet.elements.x7fe00009) {
    throw new GuardError('unsupported-format', 'the DICOM image holds float pixel data (7FE0,0008/0009); cadguard reads integer Pixel Data (7FE0,0010)');
  }
  const pixelData = dataSet.elements.x7fe00010;
  if (!pixelData) throw new GuardError('dicom-no-pixel-data', 'the DICOM file has no Pixel Data (7FE0,0010): it is not an image, or the pixels were stripped');
  const rows = required(dataSet, 'x00280010', 'Rows');
  const columns = required(dataSet, 'x00280011', 'Columns');
  for (const [name, value] of [['Rows', rows], ['Columns', columns]] as const) {
    if (value < 1 || value > MAX_DIMENSION) throw new GuardError('dicom-invalid', `DICOM ${name} is ${value}; cadguard reads 1 to ${MAX_DIMENSION}`, { [name.toLowerCase()]: value });
  }
  const samplesPerPixel = dataSet.elements.x00280002 ? dataSet.uint16('x00280002') : 1;
  const photometric = dataSet.string('x00280004')?.trim().toUpperCase() ?? '';
  if (samplesPerPixel !== 1 || (photometric !== 'MONOCHROME1' && photometric !== 'MONOCHROME2')) {
    throw new GuardError('dicom-invalid', `the DICOM image is ${photometric || 'without Photometric Interpretation'} with ${samplesPerPixel} samples per pixel; mammograms are MONOCHROME1 or MONOCHROME2 with 1 sample`);
  }
  const bitsAllocated = required(dataSet, 'x00280100', 'Bits Allocated');
  const bitsStored = required(dataSet, 'x00280101', 'Bits Stored');
  const highBit = dataSet.elements.x00280102 ? required(dataSet, 'x00280102', 'High Bit') : bitsStored - 1;
  const pixelRepresentation = dataSet.elements.x00280103 ? required(dataSet, 'x00280103', 'Pixel Representation') : 0;
  if ((bitsAllocated !== 8 && bitsAllocated !== 16) || bitsStored < 1 || bitsStored > bitsAllocated || highBit < bitsStored - 1 || highBit >= bitsAllocated || pixelRepresentation > 1) {
    throw new GuardError(
      'dicom-invalid',
      `DICOM bits allocated ${bitsAllocated}, stored ${bitsStored}, high bit ${highBit}, pixel representation ${pixelRepresentation}: cadguard reads 8 or 16 bits allocated, 1 <= stored <= allocated, stored - 1 <= high bit < allocated, representation 0 or 1`,
    );
  }
  const framesText = dataSet.string('x00280008');
  const numberOfFrames = framesText ? Number.parseInt(framesText, 10) : 1;
  if (!(numberOfFrames >= 1)) throw new GuardError('dicom-invalid', `DICOM Number of Frames (0028,0008) is ${JSON.stringify(framesText)}`);
  if (dataSet.elements.x00283000) {
    throw new GuardError('unsupported-format', 'the DICOM image has a Modality LUT Sequence (0028,3000); cadguard applies Rescale Slope / Intercept only');
  }
  const slope = dataSet.elements.x00281053 ? dataSet.floatString('x00281053') : undefined;
  const intercept = dataSet.elements.x00281052 ? dataSet.floatString('x00281052') : undefined;
  let rescale: DicomHeader['rescale'];
  if (slope !== undefined || intercept !== undefined) {
    rescale = { slope: slope ?? 1, intercept: intercept ?? 0 };
    if (!Number.isFinite(rescale.slope) || rescale.slope === 0 || !Number.isFinite(rescale.intercept)) {
      throw new GuardError('dicom-invalid', `DICOM Rescale Slope ${rescale.slope} / Intercept ${rescale.intercept}: both must be numbers and the slope non-zero`);
    }
  }
  return {
    syntax,
    rows,
    columns,
    bitsAllocated,
    bitsStored,
    highBit,
    pixelRepresentation: pixelRepresentation as 0 | 1,
    photometric,
    numberOfFrames,
    rescale,
    windows: readWindows(dataSet),
    voiFunction: readVoiFunction(dataSet),
    voiLuts: readVoiLuts(dataSet, pixelRepresentation === 1, Boolean(syntax.bigEndian)),
    identity: readIdentity(dataSet, uid),
    dataSet,
    pixelData,
  };
}
