// Decodes a dropped file in the page into display-independent grey values, so the page can window it at full
// precision (a 16-bit PNG keeps all 16 bits) and attack it. The SDK decodes the same bytes again in its worker for
// the check: the page never tells the guard what the pixels are, as a viewer would not.
//
// PNG: a small decoder on the browser's own zlib (DecompressionStream), no dependency. JPEG and anything the browser
// can draw: createImageBitmap, 8 bit. DICOM: uncompressed (native) pixel data only; compressed transfer syntaxes are
// checked by the SDK but not drawn here.

/**
 * A grey image as the page keeps it.
 * @typedef {object} GreyImage
 * @property {Uint8Array | Uint16Array | Int16Array} data stored values, row-major
 * @property {number} width
 * @property {number} height
 * @property {number} bitsStored significant bits (sets the full display range)
 * @property {'MONOCHROME1' | 'MONOCHROME2'} photometric
 * @property {number} [windowCenter] the file's VOI window, in stored units
 * @property {number} [windowWidth]
 * @property {string} format 'png', 'jpeg', 'dicom', 'raw'
 */

/** Decodes encoded bytes to a {@link GreyImage}; throws an Error whose message says what is not supported. */
export async function decodeForDisplay(bytes, name = '') {
  const head = new Uint8Array(bytes, 0, Math.min(bytes.byteLength, 132));
  if (isPng(head)) return decodePng(bytes);
  if (isDicom(head) || /\.dcm$/i.test(name)) return decodeDicom(bytes);
  return decodeWithBrowser(bytes);
}

const isPng = (head) => head.length >= 8 && [137, 80, 78, 71, 13, 10, 26, 10].every((b, i) => head[i] === b);
const isDicom = (head) => head.length >= 132 && String.fromCharCode(...head.subarray(128, 132)) === 'DICM';

async function inflate(chunks) {
  const stream = new Blob(chunks).stream().pipeThrough(new DecompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** PNG of any colour type at 8 or 16 bits (and grey at 1-4 bits), not interlaced. Colour becomes Rec. 601 luma. */
export async function decodePng(bytes) {
  const view = new DataView(bytes);
  let offset = 8;
  let header = null;
  let palette = null;
  const idat = [];
  while (offset + 8 <= bytes.byteLength) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...new Uint8Array(bytes, offset + 4, 4));
    const body = new Uint8Array(bytes, offset + 8, length);
    if (type === 'IHDR') {
      header = { width: view.getUint32(offset + 8), height: view.getUint32(offset + 12), depth: body[8], colour: body[9], interlace: body[12] };
    } else if (type === 'PLTE') palette = body;
    else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    offset += 12 + length;
  }
  if (!header) throw new Error('not a PNG (no IHDR chunk)');
  const { width, height, depth, colour, interlace } = header;
  if (interlace) return decodeWithBrowser(bytes);
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[colour];
  if (!channels) throw new Error(`PNG colour type ${colour} is not supported`);
  const bitsPerPixel = channels * depth;
  const rowBytes = Math.ceil((width * bitsPerPixel) / 8);
  const stride = Math.max(1, bitsPerPixel >> 3);
  const raw = unfilter(await inflate(idat), rowBytes, height, stride);
  const count = width * height;
  const sample = (row, index) => {
    if (depth === 16) return (raw[row * rowBytes + index * 2] << 8) | raw[row * rowBytes + index * 2 + 1];
    if (depth === 8) return raw[row * rowBytes + index];
    const bit = index * depth;
    return (raw[row * rowBytes + (bit >> 3)] >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
  };
  if (colour === 3) {
    const data = new Uint8Array(count);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const p = sample(y, x) * 3;
        data[y * width + x] = luma(palette[p], palette[p + 1], palette[p + 2]);
      }
    }
    return { data, width, height, bitsStored: 8, photometric: 'MONOCHROME2', format: 'png' };
  }
  const data = depth === 16 ? new Uint16Array(count) : new Uint8Array(count);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const base = x * channels;
      data[y * width + x] = channels >= 3 ? luma(sample(y, base), sample(y, base + 1), sample(y, base + 2)) : sample(y, base);
    }
  }
  return { data, width, height, bitsStored: depth, photometric: 'MONOCHROME2', format: 'png' };
}

/** Greyscale (R = G = B) keeps its exact value, as the SDK does. */
const luma = (r, g, b) => (r === g && g === b ? r : Math.round(0.299 * r + 0.587 * g + 0.114 * b));

function unfilter(filtered, rowBytes, height, stride) {
  const out = new Uint8Array(rowBytes * height);
  for (let y = 0; y < height; y++) {
    const type = filtered[y * (rowBytes + 1)];
    const line = filtered.subarray(y * (rowBytes + 1) + 1, (y + 1) * (rowBytes + 1));
    const row = y * rowBytes;
    for (let i = 0; i < rowBytes; i++) {
      const left = i >= stride ? out[row + i - stride] : 0;
      const up = y > 0 ? out[row - rowBytes + i] : 0;
      const upLeft = y > 0 && i >= stride ? out[row - rowBytes + i - stride] : 0;
      let predictor = 0;
      if (type === 1) predictor = left;
      else if (type === 2) predictor = up;
      else if (type === 3) predictor = (left + up) >> 1;
      else if (type === 4) {
        const p = left + up - upLeft;
        const pa = Math.abs(p - left);
        const pb = Math.abs(p - up);
        const pc = Math.abs(p - upLeft);
        predictor = pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
      }
      out[row + i] = (line[i] + predictor) & 0xff;
    }
  }
  return out;
}

async function decodeWithBrowser(bytes) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(new Blob([bytes]), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch {
    throw new Error('the browser cannot decode this file (PNG, JPEG or uncompressed DICOM are shown)');
  }
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  context.drawImage(bitmap, 0, 0);
  const rgba = context.getImageData(0, 0, bitmap.width, bitmap.height).data;
  const data = new Uint8Array(bitmap.width * bitmap.height);
  for (let i = 0; i < data.length; i++) data[i] = luma(rgba[i * 4], rgba[i * 4 + 1], rgba[i * 4 + 2]);
  bitmap.close();
  return { data, width: canvas.width, height: canvas.height, bitsStored: 8, photometric: 'MONOCHROME2', format: 'jpeg' };
}

const nativeSyntaxes = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1']);

/** DICOM Part 10 with native (uncompressed) little-endian pixel data: enough to draw what the SDK checks. */
function decodeDicom(bytes) {
  const view = new DataView(bytes);
  const text = (offset, length) => String.fromCharCode(...new Uint8Array(bytes, offset, length)).replace(/[\0 ]+$/, '');
  const tags = {};
  let offset = 132;
  let explicit = true;
  let syntax = '';
  const longVr = new Set(['OB', 'OW', 'OF', 'SQ', 'UT', 'UN', 'OD', 'OL', 'OV', 'UC', 'UR']);
  while (offset + 8 <= bytes.byteLength) {
    const group = view.getUint16(offset, true);
    const element = view.getUint16(offset + 2, true);
    if (group !== 0x0002 && syntax) explicit = syntax !== '1.2.840.10008.1.2';
    let vr = null;
    let length;
    let valueOffset;
    if (explicit && group !== 0xfffe) {
      vr = text(offset + 4, 2);
      if (longVr.has(vr)) {
        length = view.getUint32(offset + 8, true);
        valueOffset = offset + 12;
      } else {
        length = view.getUint16(offset + 6, true);
        valueOffset = offset + 8;
      }
    } else {
      length = view.getUint32(offset + 4, true);
      valueOffset = offset + 8;
    }
    const key = group * 0x10000 + element;
    if (key === 0x7fe00010) {
      if (length === 0xffffffff) throw new Error(`compressed DICOM (${syntax}) is checked but not drawn by this page`);
      tags.pixelData = { offset: valueOffset, length };
      break;
    }
    if (length === 0xffffffff) throw new Error('DICOM with undefined-length sequences before the pixel data is not drawn by this page');
    if (key === 0x00020010) syntax = text(valueOffset, length);
    const us = () => view.getUint16(valueOffset, true);
    const ds = () => Number(text(valueOffset, length).split('\\')[0]);
    if (key === 0x00280010) tags.rows = us();
    else if (key === 0x00280011) tags.columns = us();
    else if (key === 0x00280100) tags.bitsAllocated = us();
    else if (key === 0x00280101) tags.bitsStored = us();
    else if (key === 0x00280103) tags.signed = us() === 1;
    else if (key === 0x00280004) tags.photometric = text(valueOffset, length);
    else if (key === 0x00281050) tags.windowCenter = ds();
    else if (key === 0x00281051) tags.windowWidth = ds();
    offset = valueOffset + length;
  }
  if (!nativeSyntaxes.has(syntax)) throw new Error(`DICOM transfer syntax ${syntax || '(none)'} is checked but not drawn by this page`);
  if (!tags.pixelData || !tags.rows || !tags.columns) throw new Error('DICOM without rows, columns or pixel data');
  const count = tags.rows * tags.columns;
  const bitsStored = tags.bitsStored ?? tags.bitsAllocated;
  const source = bytes.slice(tags.pixelData.offset, tags.pixelData.offset + count * (tags.bitsAllocated / 8));
  const data = tags.bitsAllocated === 8 ? new Uint8Array(source) : tags.signed ? new Int16Array(source) : new Uint16Array(source);
  const image = { data, width: tags.columns, height: tags.rows, bitsStored, photometric: tags.photometric === 'MONOCHROME1' ? 'MONOCHROME1' : 'MONOCHROME2', format: 'dicom' };
  if (tags.windowWidth > 0 && Number.isFinite(tags.windowCenter)) Object.assign(image, { windowCenter: tags.windowCenter, windowWidth: tags.windowWidth });
  return image;
}
