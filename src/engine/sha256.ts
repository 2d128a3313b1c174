/** SHA-256 of the bytes as lower-case hex, through WebCrypto (available in workers of secure contexts). */
export async function sha256Hex(bytes: ArrayBufferView | ArrayBuffer): Promise<string> {
  const view = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // WebCrypto refuses views on SharedArrayBuffer; those are copied once.
  const input = (view.buffer instanceof ArrayBuffer ? view : view.slice()) as Uint8Array<ArrayBuffer>;
  const digest = await crypto.subtle.digest('SHA-256', input);
  let hex = '';
  for (const byte of new Uint8Array(digest)) hex += byte.toString(16).padStart(2, '0');
  return hex;
}
