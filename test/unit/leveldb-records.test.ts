import { describe, expect, it } from "vitest";
import {
  BLOCK_SIZE,
  countLevelDbRecords,
  crc32c,
  HEADER_SIZE,
  RecordType,
  readLevelDbRecords,
  writeLevelDbRecords,
} from "../../local/leveldb-records.js";

const plain = (records: Uint8Array[]) => records.map((record) => Uint8Array.from(record));
const bytes = (length: number, seed: number) => Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff);

// A real fragment written by the Firestore emulator (the start of an exported entity's record).
const EMULATOR_FRAGMENT = Buffer.from("c8acaed5", "hex");

describe("crc32c", () => {
  it.each([
    ["", 0],
    ["a", 0xc1d04330],
    ["123456789", 0xe3069283],
  ])("of %j is the Castagnoli checksum", (text, expected) => {
    expect(crc32c(Buffer.from(text))).toBe(expected);
  });
});

describe("readLevelDbRecords", () => {
  const cases: Array<[string, Uint8Array[]]> = [
    ["no records", []],
    ["one small record", [bytes(70, 1)]],
    ["an empty record", [new Uint8Array(0)]],
    ["records filling a block exactly", [bytes(BLOCK_SIZE - HEADER_SIZE, 2), bytes(5, 3)]],
    [
      "a record that leaves fewer than 7 bytes (padding)",
      [bytes(BLOCK_SIZE - HEADER_SIZE - 3, 4), bytes(9, 5)],
    ],
    [
      "a record that leaves exactly a header (empty FIRST)",
      [bytes(BLOCK_SIZE - 2 * HEADER_SIZE, 6), bytes(9, 7)],
    ],
    ["a record spanning three blocks", [bytes(10, 8), bytes(2 * BLOCK_SIZE + 100, 9), bytes(11, 10)]],
  ];
  it.each(cases)("round-trips %s", (_name, records) => {
    const log = writeLevelDbRecords(records);
    expect(plain(readLevelDbRecords(log))).toEqual(records);
    expect(countLevelDbRecords(log)).toBe(records.length);
  });

  it("counts a FIRST..LAST chain as one record", () => {
    const log = writeLevelDbRecords([bytes(BLOCK_SIZE * 2, 1)]);
    const types = [log[6], log[BLOCK_SIZE + 6], log[2 * BLOCK_SIZE + 6]];
    expect(types).toEqual([RecordType.FIRST, RecordType.MIDDLE, RecordType.LAST]);
    expect(countLevelDbRecords(log)).toBe(1);
  });

  it("matches the checksum the emulator wrote", () => {
    // Header c8acaed5 4600 01 precedes this 70-byte entity in a real emulator export.
    const payload = Buffer.from(
      "6a296a0a6465767e64656d6f2d78721b0b12057573657273220275310c0b12066f726465727322026f310c7a09" +
        "1a017820002a02080182010d0b12057573657273220275310c",
      "hex",
    );
    const log = Buffer.concat([
      EMULATOR_FRAGMENT,
      Buffer.from([payload.length, 0, RecordType.FULL]),
      payload,
    ]);
    expect(plain(readLevelDbRecords(log))).toEqual(plain([payload]));
  });

  it.each<[string, (log: Uint8Array) => Uint8Array]>([
    ["a flipped payload bit", (log) => log.map((b, i) => (i === HEADER_SIZE + 3 ? b ^ 1 : b))],
    ["a truncated file", (log) => log.subarray(0, log.length - 2)],
    ["a truncated header", (log) => log.subarray(0, 3)],
    ["an unknown type", (log) => log.map((b, i) => (i === 6 ? 9 : b))],
  ])("rejects %s", (_name, damage) => {
    const log = writeLevelDbRecords([bytes(40, 1)]);
    expect(() => readLevelDbRecords(damage(log))).toThrow();
  });

  it("can skip checksum verification", () => {
    const log = writeLevelDbRecords([bytes(40, 1)]).map((b, i) => (i === HEADER_SIZE ? b ^ 1 : b));
    expect(countLevelDbRecords(log, { verifyChecksums: false })).toBe(1);
  });
});
