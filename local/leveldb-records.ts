// LevelDB log format, as used by Firestore export files (output-N and the metadata files):
// the file is cut into 32 KiB blocks; each record fragment has a 7-byte header
// masked-crc32c(4, LE) | length(2, LE) | type(1) followed by `length` bytes. A record that does not fit
// in the rest of a block is split into FIRST, MIDDLE..., LAST fragments. Fewer than 7 bytes left in a
// block are zero padding.

/** Size of one log block. */
export const BLOCK_SIZE = 32 * 1024;
/** Size of a fragment header. */
export const HEADER_SIZE = 7;

/** Fragment types of the log format. */
export const RecordType = { ZERO: 0, FULL: 1, FIRST: 2, MIDDLE: 3, LAST: 4 } as const;

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32C (Castagnoli), as used by LevelDB and by Cloud Storage's `crc32c` object field. */
export function crc32c(data: Uint8Array, initial = 0): number {
  let crc = ~initial >>> 0;
  for (const byte of data) crc = (CRC32C_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return ~crc >>> 0;
}

// LevelDB stores a rotated and offset crc so that a crc of data that itself holds crcs stays useful.
function maskCrc(crc: number): number {
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
}

function fragmentCrc(type: number, payload: Uint8Array): number {
  return maskCrc(crc32c(payload, crc32c(Uint8Array.of(type))));
}

/** Reading options for {@link readLevelDbRecords}. */
export interface ReadOptions {
  /** Throw on a fragment whose checksum does not match (default true). */
  verifyChecksums?: boolean;
}

/** The complete records of a LevelDB log, fragments joined. Throws on a malformed log. */
export function readLevelDbRecords(data: Uint8Array, options: ReadOptions = {}): Uint8Array[] {
  const verify = options.verifyChecksums ?? true;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const records: Uint8Array[] = [];
  let pending: Uint8Array[] | undefined;
  let offset = 0;
  while (offset < data.length) {
    const leftInBlock = BLOCK_SIZE - (offset % BLOCK_SIZE);
    if (leftInBlock < HEADER_SIZE) {
      offset += leftInBlock;
      continue;
    }
    if (offset + HEADER_SIZE > data.length) throw new Error(`truncated fragment header at byte ${offset}`);
    const storedCrc = view.getUint32(offset, true);
    const length = view.getUint16(offset + 4, true);
    const type = view.getUint8(offset + 6);
    // A zero type with zero length is what preallocated (not yet written) space looks like.
    if (type === RecordType.ZERO && length === 0) {
      offset += leftInBlock;
      continue;
    }
    const start = offset + HEADER_SIZE;
    const end = start + length;
    if (end > data.length || length > leftInBlock - HEADER_SIZE) {
      throw new Error(`fragment at byte ${offset} runs past its block or the file`);
    }
    const payload = data.subarray(start, end);
    if (verify && fragmentCrc(type, payload) !== storedCrc) {
      throw new Error(`checksum mismatch in fragment at byte ${offset}`);
    }
    switch (type) {
      case RecordType.FULL:
        if (pending) throw new Error(`FULL fragment at byte ${offset} inside an unfinished record`);
        records.push(payload);
        break;
      case RecordType.FIRST:
        if (pending) throw new Error(`FIRST fragment at byte ${offset} inside an unfinished record`);
        pending = [payload];
        break;
      case RecordType.MIDDLE:
      case RecordType.LAST:
        if (!pending) throw new Error(`continuation fragment at byte ${offset} without a FIRST`);
        pending.push(payload);
        if (type === RecordType.LAST) {
          records.push(Buffer.concat(pending));
          pending = undefined;
        }
        break;
      default:
        throw new Error(`unknown fragment type ${type} at byte ${offset}`);
    }
    offset = end;
  }
  if (pending) throw new Error("log ends inside an unfinished record");
  return records;
}

/** Number of records in a LevelDB log: for an export data file, the number of documents. */
export function countLevelDbRecords(data: Uint8Array, options: ReadOptions = {}): number {
  return readLevelDbRecords(data, options).length;
}

/** Encodes records as a LevelDB log, splitting across blocks exactly as LevelDB's writer does. */
export function writeLevelDbRecords(records: readonly Uint8Array[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const record of records) {
    let rest = record;
    let first = true;
    for (;;) {
      const leftInBlock = BLOCK_SIZE - (offset % BLOCK_SIZE);
      if (leftInBlock < HEADER_SIZE) {
        chunks.push(new Uint8Array(leftInBlock));
        offset += leftInBlock;
        continue;
      }
      const room = leftInBlock - HEADER_SIZE;
      const payload = rest.subarray(0, room);
      const last = payload.length === rest.length;
      const type =
        first && last
          ? RecordType.FULL
          : first
            ? RecordType.FIRST
            : last
              ? RecordType.LAST
              : RecordType.MIDDLE;
      const header = new Uint8Array(HEADER_SIZE);
      const view = new DataView(header.buffer);
      view.setUint32(0, fragmentCrc(type, payload), true);
      view.setUint16(4, payload.length, true);
      view.setUint8(6, type);
      chunks.push(header, payload);
      offset += HEADER_SIZE + payload.length;
      rest = rest.subarray(payload.length);
      first = false;
      if (last) break;
    }
  }
  return Buffer.concat(chunks);
}
