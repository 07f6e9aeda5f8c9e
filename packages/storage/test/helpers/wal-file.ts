/**
 * A reader of SQLite's WAL format (https://www.sqlite.org/fileformat.html#the_write_ahead_log),
 * independent of SQLite: which frames are valid (salts match the header, cumulative checksum
 * holds) and where each valid commit frame ends. SQLite's recovery keeps exactly the frames up
 * to the last valid commit frame; the tests compare what it kept with what this reader says.
 */
export const WAL_HEADER = 32;
export const FRAME_HEADER = 24;

export interface WalLayout {
  pageSize: number;
  /** Frames that pass the salt and checksum checks, in order (stops at the first bad one). */
  validFrames: number;
  /** Byte offset just past each valid commit frame, in order. */
  commitEnds: number[];
  /** Offset of the first byte of frame `i` (0-based). */
  frameOffset: (i: number) => number;
}

export function readWal(wal: Buffer): WalLayout {
  const empty = (pageSize: number): WalLayout => ({
    pageSize,
    validFrames: 0,
    commitEnds: [],
    frameOffset: (i) => WAL_HEADER + i * (FRAME_HEADER + pageSize),
  });
  if (wal.length < WAL_HEADER) return empty(0);
  const magic = wal.readUInt32BE(0);
  if (magic !== 0x377f0682 && magic !== 0x377f0683) return empty(0);
  const bigEndian = (magic & 1) === 1;
  const pageSize = wal.readUInt32BE(8) === 1 ? 65536 : wal.readUInt32BE(8);
  const layout = empty(pageSize);
  let [s0, s1] = checksum(wal, 0, 24, 0, 0, bigEndian);
  if (s0 !== wal.readUInt32BE(24) || s1 !== wal.readUInt32BE(28)) return layout;
  const salt1 = wal.readUInt32BE(16);
  const salt2 = wal.readUInt32BE(20);
  const frameSize = FRAME_HEADER + pageSize;
  for (let offset = WAL_HEADER; offset + frameSize <= wal.length; offset += frameSize) {
    if (wal.readUInt32BE(offset + 8) !== salt1 || wal.readUInt32BE(offset + 12) !== salt2) break;
    if (wal.readUInt32BE(offset) === 0) break;
    [s0, s1] = checksum(wal, offset, 8, s0, s1, bigEndian);
    [s0, s1] = checksum(wal, offset + FRAME_HEADER, pageSize, s0, s1, bigEndian);
    if (s0 !== wal.readUInt32BE(offset + 16) || s1 !== wal.readUInt32BE(offset + 20)) break;
    layout.validFrames++;
    if (wal.readUInt32BE(offset + 4) !== 0) layout.commitEnds.push(offset + frameSize);
  }
  return layout;
}

function checksum(
  buf: Buffer,
  start: number,
  length: number,
  s0: number,
  s1: number,
  bigEndian: boolean,
): [number, number] {
  for (let i = start; i < start + length; i += 8) {
    const x0 = bigEndian ? buf.readUInt32BE(i) : buf.readUInt32LE(i);
    const x1 = bigEndian ? buf.readUInt32BE(i + 4) : buf.readUInt32LE(i + 4);
    s0 = (s0 + x0 + s1) >>> 0;
    s1 = (s1 + x1 + s0) >>> 0;
  }
  return [s0, s1];
}
