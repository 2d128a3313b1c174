// Reads the labels CSV of cadguard-eval: RFC 4180 fields (quotes, doubled quotes, CRLF, a UTF-8 BOM), a header
// row naming the columns, and the checks that turn a malformed file into one clear message instead of a
// half-evaluated data set.

/** Labels a row may carry. `unknown` rows count for the integrity metrics only. */
export const LABELS = Object.freeze(['normal', 'benign', 'malignant', 'unknown']);

/** A labels CSV that cannot be used; the message names the line and the value. */
export class CsvError extends Error {
  name = 'CsvError';
}

/**
 * Splits CSV text into records of raw fields, each with the 1-based line it starts on.
 * @param {string} text
 * @returns {{ line: number, fields: string[] }[]}
 */
export function parseCsvRecords(text) {
  const records = [];
  let fields = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endRecord = () => {
    fields.push(field);
    records.push({ line: recordLine, fields });
    fields = [];
    field = '';
  };
  for (; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') {
        quoted = false;
      } else {
        if (char === '\n') line++;
        field += char;
      }
    } else if (char === '"') {
      if (field !== '') throw new CsvError(`line ${line}: a quote inside an unquoted field ("${field}"); quote the whole field`);
      quoted = true;
    } else if (char === ',') {
      fields.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      recordLine = line;
    } else {
      field += char;
    }
  }
  if (quoted) throw new CsvError(`line ${recordLine}: a quoted field is never closed`);
  if (field !== '' || fields.length > 0) endRecord();
  return records.filter((record) => !(record.fields.length === 1 && record.fields[0].trim() === ''));
}

/**
 * One evaluation row as read from the CSV.
 * @typedef {{ line: number, file: string, label: 'normal'|'benign'|'malignant'|'unknown', tampered: boolean, source: string | null }} LabelRow
 */

/**
 * Parses and validates a labels CSV: columns `file` and `label` are required, `tampered` (0/1, empty = 0) and
 * `source` are optional, any other column is ignored. A file may appear once; a tampered row's `source` must
 * itself be a row, so its result is there to compare with.
 * @param {string} text
 * @returns {LabelRow[]}
 */
export function parseLabels(text) {
  const records = parseCsvRecords(text);
  if (records.length === 0) throw new CsvError('the CSV is empty; it needs a header row with at least the columns file,label');
  const header = records[0].fields.map((name) => name.trim().toLowerCase());
  const column = (name) => header.indexOf(name);
  for (const name of ['file', 'label']) {
    if (column(name) < 0) throw new CsvError(`the header (line ${records[0].line}) has no "${name}" column; found: ${header.join(', ') || '(nothing)'}`);
  }
  for (const name of new Set(header)) {
    if (['file', 'label', 'tampered', 'source'].includes(name) && header.indexOf(name) !== header.lastIndexOf(name)) {
      throw new CsvError(`the header names the column "${name}" twice`);
    }
  }
  if (records.length === 1) throw new CsvError('the CSV has a header but no rows');
  const cell = (record, name) => (column(name) >= 0 ? (record.fields[column(name)] ?? '').trim() : '');
  const rows = [];
  const lineOfFile = new Map();
  for (const record of records.slice(1)) {
    const { line } = record;
    if (record.fields.length > header.length) {
      throw new CsvError(`line ${line}: ${record.fields.length} fields but the header has ${header.length}; quote fields that contain commas`);
    }
    const file = cell(record, 'file');
    if (!file) throw new CsvError(`line ${line}: the file column is empty`);
    if (lineOfFile.has(file)) throw new CsvError(`line ${line}: "${file}" is listed twice (first on line ${lineOfFile.get(file)})`);
    lineOfFile.set(file, line);
    const label = cell(record, 'label').toLowerCase();
    if (!LABELS.includes(label)) throw new CsvError(`line ${line}: label "${cell(record, 'label')}" is not one of ${LABELS.join(', ')}`);
    const tamperedText = cell(record, 'tampered');
    if (!['', '0', '1'].includes(tamperedText)) throw new CsvError(`line ${line}: tampered "${tamperedText}" is not 0 or 1`);
    const source = cell(record, 'source') || null;
    rows.push({ line, file, label, tampered: tamperedText === '1', source });
  }
  for (const row of rows) {
    if (!row.source) continue;
    if (row.source === row.file) {
      // A clean image may name itself as its own source (attack generators write it so); a tampered one may not.
      if (row.tampered) throw new CsvError(`line ${row.line}: tampered "${row.file}" names itself as its source`);
      row.source = null;
      continue;
    }
    if (!lineOfFile.has(row.source)) {
      throw new CsvError(`line ${row.line}: source "${row.source}" is not a row of the CSV; add it (label unknown if it has none) so the flip can be measured`);
    }
  }
  return rows;
}
