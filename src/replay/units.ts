/**
 * Size parsing and formatting for replay options. Sizes follow damo's text_to_bytes: binary
 * units (K = KiB = 1024), an optional `B`, and plain byte counts.
 */
const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 2 ** 10,
  kb: 2 ** 10,
  kib: 2 ** 10,
  m: 2 ** 20,
  mb: 2 ** 20,
  mib: 2 ** 20,
  g: 2 ** 30,
  gb: 2 ** 30,
  gib: 2 ** 30,
  t: 2 ** 40,
  tb: 2 ** 40,
  tib: 2 ** 40,
};

/** Parses `512M`, `1.5 GiB`, `4096`; returns bytes, or null when the text is not a size. */
export function parseSizeBytes(text: string): number | null {
  const m = /^\s*([0-9][0-9,_]*(?:\.[0-9]+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (m === null) return null;
  const unit = SIZE_UNITS[(m[2] ?? '').toLowerCase()];
  if (unit === undefined) return null;
  const value = Number((m[1] ?? '').replace(/[,_]/g, ''));
  if (!Number.isFinite(value)) return null;
  const bytes = Math.floor(value * unit);
  return Number.isSafeInteger(bytes) ? bytes : null;
}

/** `123456789` -> `117.738 MiB`, like damo's format_sz. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${bytes} B` : `${v.toFixed(3)} ${units[i]}`;
}
