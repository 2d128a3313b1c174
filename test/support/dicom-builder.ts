// Builds DICOM Part 10 files by hand for the tests: every transfer syntax cadguard reads, from synthetic pixels.
// Compressed frames come from the codecs' own encoders (codec-encoders.ts) or, for JPEG lossless, from the small
// encoder below. Nothing here is a real patient image.

export const ts = {
  implicitLittle: '1.2.840.10008.1.2',
  explicitLittle: '1.2.840.10008.1.2.1',
  deflated: '1.2.840.10008.1.2.1.99',
  explicitBig: '1.2.840.10008.1.2.2',
  jpegBaseline: '1.2.840.10008.1.2.4.50',
  jpegExtended: '1.2.840.10008.1.2.4.51',
  jpegLossless: '1.2.840.10008.1.2.4.57',
  jpegLosslessSv1: '1.2.840.10008.1.2.4.70',
  jpegLs: '1.2.840.10008.1.2.4.80',
  jpegLsNear: '1.2.840.10008.1.2.4.81',
  j2kLossless: '1.2.840.10008.1.2.4.90',
  j2k: '1.2.840.10008.1.2.4.91',
  htj2kLossless: '1.2.840.10008.1.2.4.201',
  htj2kRpcl: '1.2.840.10008.1.2.4.202',
  htj2k: '1.2.840.10008.1.2.4.203',
  rle: '1.2.840.10008.1.2.5',
} as const;

/** One data element: tag as 0xGGGGEEEE, VR, and a value. */
export interface DicomElement {
  tag: number;
  vr: string;
  value: string | number[] | Uint8Array | Uint16Array | DicomElement[][] | { fragments: Uint8Array[] };
}

export interface DicomSpec {
  transferSyntax: string;
  rows: number;
  columns: number;
  bitsAllocated: 8 | 16;
  bitsStored: number;
  highBit?: number;
  pixelRepresentation?: 0 | 1;
  photometric?: 'MONOCHROME1' | 'MONOCHROME2';
  /** Native pixel samples as written (already shifted to the high bit); ignored when `frame` is given. */
  samples?: Uint8Array | Uint16Array;
  /** A compressed frame, written encapsulated. */
  frame?: Uint8Array;
  windowCenter?: number[];
  windowWidth?: number[];
  voiFunction?: string;
  rescale?: { slope: number; intercept: number };
  voiLut?: { first: number; bits: number; data: Uint16Array };
  laterality?: string;
  viewCode?: string;
  viewPosition?: string;
  presentationIntent?: string;
  study?: string;
  series?: string;
  sop?: string;
  /** Elements to add or, with the same tag, to replace. */
  extra?: DicomElement[];
  /** Leave Pixel Data out. */
  noPixelData?: boolean;
}

const longLengthVrs = new Set(['OB', 'OW', 'OF', 'SQ', 'UT', 'UN']);

class Writer {
  private chunks: number[] = [];
  constructor(private readonly little: boolean, private readonly explicit: boolean) {}
  u8(bytes: ArrayLike<number>): void {
    for (let i = 0; i < bytes.length; i++) this.chunks.push(bytes[i] & 0xff);
  }
  u16(value: number): void {
    this.u8(this.little ? [value, value >> 8] : [value >> 8, value]);
  }
  u32(value: number): void {
    const v = value >>> 0;
    this.u8(this.little ? [v, v >>> 8, v >>> 16, v >>> 24] : [v >>> 24, v >>> 16, v >>> 8, v]);
  }
  tag(tag: number): void {
    this.u16(tag >>> 16);
    this.u16(tag & 0xffff);
  }
  header(tag: number, vr: string, length: number): void {
    this.tag(tag);
    if (!this.explicit || (tag >>> 16) === 0xfffe) {
      this.u32(length);
    } else if (longLengthVrs.has(vr)) {
      this.u8([vr.charCodeAt(0), vr.charCodeAt(1), 0, 0]);
      this.u32(length);
    } else {
      this.u8([vr.charCodeAt(0), vr.charCodeAt(1)]);
      this.u16(length);
    }
  }
  element(element: DicomElement): void {
    const { tag, vr, value } = element;
    if (vr === 'SQ') {
      this.header(tag, vr, 0xffffffff);
      for (const item of value as DicomElement[][]) {
        this.header(0xfffee000, '', 0xffffffff);
        for (const child of sortElements(item)) this.element(child);
        this.header(0xfffee00d, '', 0);
      }
      this.header(0xfffee0dd, '', 0);
      return;
    }
    if (typeof value === 'object' && 'fragments' in value) {
      this.header(tag, 'OB', 0xffffffff);
      this.header(0xfffee000, '', 0);
      for (const fragment of value.fragments) {
        const padded = fragment.length % 2 ? [...fragment, 0] : fragment;
        this.header(0xfffee000, '', padded.length);
        this.u8(padded);
      }
      this.header(0xfffee0dd, '', 0);
      return;
    }
    const bytes = encodeValue(vr, value as string | number[] | Uint8Array | Uint16Array, this.little);
    this.header(tag, vr, bytes.length);
    this.u8(bytes);
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}

function encodeValue(vr: string, value: string | number[] | Uint8Array | Uint16Array, little: boolean): Uint8Array {
  if (typeof value === 'string') {
    const bytes = Array.from(value, (c) => c.charCodeAt(0));
    if (bytes.length % 2) bytes.push(vr === 'UI' || vr === 'OB' ? 0 : 0x20);
    return Uint8Array.from(bytes);
  }
  if (vr === 'OB' || value instanceof Uint8Array) {
    const bytes = Array.from(value as ArrayLike<number>);
    if (bytes.length % 2) bytes.push(0);
    return Uint8Array.from(bytes);
  }
  const size = vr === 'UL' || vr === 'SL' ? 4 : 2;
  const out = new Uint8Array(value.length * size);
  const view = new DataView(out.buffer);
  for (let i = 0; i < value.length; i++) {
    if (size === 4) view.setUint32(i * 4, value[i] >>> 0, little);
    else view.setUint16(i * 2, value[i] & 0xffff, little);
  }
  return out;
}

function sortElements(elements: DicomElement[]): DicomElement[] {
  return [...elements].sort((a, b) => (a.tag >>> 0) - (b.tag >>> 0));
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

async function deflateRaw(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream('deflate-raw'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const ds = (values: number[]) => values.map((v) => String(v)).join('\\');

/** The data set elements of a spec (without the file meta information). */
export function dataSetElements(spec: DicomSpec): DicomElement[] {
  const elements: DicomElement[] = [
    { tag: 0x00080016, vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.1.2' },
    { tag: 0x00080018, vr: 'UI', value: spec.sop ?? '1.2.826.0.1.3680043.9.7433.3.1' },
    { tag: 0x00080060, vr: 'CS', value: 'MG' },
    { tag: 0x0020000d, vr: 'UI', value: spec.study ?? '1.2.826.0.1.3680043.9.7433.1.1' },
    { tag: 0x0020000e, vr: 'UI', value: spec.series ?? '1.2.826.0.1.3680043.9.7433.2.1' },
    { tag: 0x00280002, vr: 'US', value: [1] },
    { tag: 0x00280004, vr: 'CS', value: spec.photometric ?? 'MONOCHROME2' },
    { tag: 0x00280010, vr: 'US', value: [spec.rows] },
    { tag: 0x00280011, vr: 'US', value: [spec.columns] },
    { tag: 0x00280100, vr: 'US', value: [spec.bitsAllocated] },
    { tag: 0x00280101, vr: 'US', value: [spec.bitsStored] },
    { tag: 0x00280102, vr: 'US', value: [spec.highBit ?? spec.bitsStored - 1] },
    { tag: 0x00280103, vr: 'US', value: [spec.pixelRepresentation ?? 0] },
  ];
  if (spec.presentationIntent) elements.push({ tag: 0x00080068, vr: 'CS', value: spec.presentationIntent });
  if (spec.laterality) elements.push({ tag: 0x00200062, vr: 'CS', value: spec.laterality });
  if (spec.viewPosition) elements.push({ tag: 0x00185101, vr: 'CS', value: spec.viewPosition });
  if (spec.viewCode) {
    elements.push({
      tag: 0x00540220,
      vr: 'SQ',
      value: [[
        { tag: 0x00080100, vr: 'SH', value: spec.viewCode },
        { tag: 0x00080102, vr: 'SH', value: 'SCT' },
      ]],
    });
  }
  if (spec.windowCenter) elements.push({ tag: 0x00281050, vr: 'DS', value: ds(spec.windowCenter) });
  if (spec.windowWidth) elements.push({ tag: 0x00281051, vr: 'DS', value: ds(spec.windowWidth) });
  if (spec.voiFunction) elements.push({ tag: 0x00281056, vr: 'CS', value: spec.voiFunction });
  if (spec.rescale) {
    elements.push({ tag: 0x00281052, vr: 'DS', value: String(spec.rescale.intercept) });
    elements.push({ tag: 0x00281053, vr: 'DS', value: String(spec.rescale.slope) });
  }
  if (spec.voiLut) {
    const { first, bits, data } = spec.voiLut;
    elements.push({
      tag: 0x00283010,
      vr: 'SQ',
      value: [[
        { tag: 0x00283002, vr: 'US', value: [data.length === 65536 ? 0 : data.length, first & 0xffff, bits] },
        { tag: 0x00283006, vr: 'OW', value: data },
      ]],
    });
  }
  if (!spec.noPixelData) {
    if (spec.frame) elements.push({ tag: 0x7fe00010, vr: 'OB', value: { fragments: [spec.frame] } });
    else elements.push({ tag: 0x7fe00010, vr: spec.bitsAllocated === 8 ? 'OB' : 'OW', value: spec.samples! });
  }
  for (const extra of spec.extra ?? []) {
    const at = elements.findIndex((e) => e.tag === extra.tag);
    if (at >= 0) elements[at] = extra;
    else elements.push(extra);
  }
  return sortElements(elements);
}

/** A DICOM Part 10 file: 128-byte preamble, `DICM`, file meta information, then the data set in its syntax. */
export async function buildDicom(spec: DicomSpec): Promise<ArrayBuffer> {
  const syntax = spec.transferSyntax;
  const meta = new Writer(true, true);
  const metaElements: DicomElement[] = [
    { tag: 0x00020001, vr: 'OB', value: Uint8Array.of(0, 1) },
    { tag: 0x00020002, vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.1.2' },
    { tag: 0x00020003, vr: 'UI', value: spec.sop ?? '1.2.826.0.1.3680043.9.7433.3.1' },
    { tag: 0x00020010, vr: 'UI', value: syntax },
    { tag: 0x00020012, vr: 'UI', value: '1.2.826.0.1.3680043.9.7433.0.1' },
  ];
  for (const element of metaElements) meta.element(element);
  const metaBody = meta.bytes();
  const groupLength = new Writer(true, true);
  groupLength.element({ tag: 0x00020000, vr: 'UL', value: [metaBody.length] });
  const data = new Writer(syntax !== ts.explicitBig, syntax !== ts.implicitLittle);
  for (const element of dataSetElements(spec)) data.element(element);
  let body = data.bytes();
  if (syntax === ts.deflated) body = await deflateRaw(body);
  const preamble = new Uint8Array(132);
  preamble.set([0x44, 0x49, 0x43, 0x4d], 128);
  const file = concat([preamble, groupLength.bytes(), metaBody, body]);
  return file.buffer as ArrayBuffer;
}

/**
 * A JPEG lossless (process 14, first-order prediction, SV1) encoder for one grey component: enough to make test
 * fixtures. One Huffman table where each difference category 0-16 has a 5-bit code.
 */
export function encodeJpegLossless(pixels: Uint8Array | Uint16Array, width: number, height: number, precision: number): Uint8Array {
  const out: number[] = [0xff, 0xd8];
  const segment = (marker: number, body: number[]) => out.push(0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body);
  segment(0xc3, [precision, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0]);
  const counts = new Array(16).fill(0);
  counts[4] = 17;
  segment(0xc4, [0x00, ...counts, ...Array.from({ length: 17 }, (_, i) => i)]);
  segment(0xda, [1, 1, 0x00, 1, 0, 0]);
  let buffer = 0;
  let bits = 0;
  const put = (value: number, length: number) => {
    for (let i = length - 1; i >= 0; i--) {
      buffer = (buffer << 1) | ((value >> i) & 1);
      bits++;
      if (bits === 8) {
        out.push(buffer);
        if (buffer === 0xff) out.push(0);
        buffer = 0;
        bits = 0;
      }
    }
  };
  const modulus = 65536;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const prediction = x === 0 && y === 0 ? 1 << (precision - 1) : x === 0 ? pixels[i - width] : pixels[i - 1];
      let diff = (pixels[i] - prediction) % modulus;
      if (diff >= 32768) diff -= modulus;
      if (diff < -32767) diff += modulus;
      const magnitude = Math.abs(diff);
      const category = diff === 0 ? 0 : diff === 32768 ? 16 : Math.floor(Math.log2(magnitude)) + 1;
      put(category, 5);
      if (category > 0 && category < 16) put(diff > 0 ? diff : diff + (1 << category) - 1, category);
    }
  }
  if (bits > 0) put(0x7f, 8 - bits);
  out.push(0xff, 0xd9);
  return Uint8Array.from(out);
}
