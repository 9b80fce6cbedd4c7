// SPDX-License-Identifier: GPL-2.0-only
// Page-exact refaults of one process, for the simulation scenarios (5x-accuracy-simulate,
// docs/ACCURACY.md "Refaults: what the kernel counts"): every INTERVAL_MS it reads the
// process's /proc/PID/pagemap over all its mappings and counts the pages that were swapped
// out at the previous reading (bit 62, PM_SWAP) and are present now (bit 63, PM_PRESENT):
// those the process touched again after a pageout, however the kernel served the fault.
// /proc/vmstat's pswpin misses two ways of serving it: a zero-filled page goes out to the
// swap device's zeromap and comes back without I/O (swap_read_folio_zeromap counts
// swpin_zero, not pswpin), and a folio still in the swap cache is mapped again by
// do_swap_page without a read at all (a minor fault).
//
//   node /vm/tools/swapins.mjs PID INTERVAL_MS OUT
//
// Runs until PID exits or SIGTERM, then writes one k=v line to OUT:
//   swapins_pages       swapped -> present transitions (page-exact refaults)
//   swapped_gone_pages  swapped -> neither (unmapped or freed while out)
//   swapped_max_pages   the most pages swapped out at one reading
//   swapped_end_pages   pages swapped out at the last reading
//   readings            how many readings were made
//   ever_swapped_pages  distinct pages seen swapped out at some reading
//   distinct_swapins_pages  distinct pages among the swap-ins
//   top_tenth_share_pct the share of the swap-ins that fell on the tenth of those pages
//                       that refaulted most: near 10 when the refaults spread evenly over
//                       the pages (sparse accesses everywhere), near 100 when a few pages
//                       refault again and again (hot pages inside a region DAMON found idle)
// and a second line, by_mapping: swapins_pages per mapping (its path, or [anon] / [heap] /
// [stack]), largest first: which of the target's memory refaulted.
// A page swapped in and out again between two readings is missed (counted once at most
// per interval), so this is a lower bound at INTERVAL_MS resolution.
import { Buffer } from 'node:buffer';
import { openSync, readSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { setTimeout } from 'node:timers';

const [pid, intervalArg, outPath] = process.argv.slice(2);
if (!pid || !outPath) {
  console.error('usage: swapins.mjs PID INTERVAL_MS OUT');
  process.exit(2);
}
const intervalMs = Number(intervalArg) || 500;
const PAGE = 4096;
const PM_PRESENT = 1n << 63n;
const PM_SWAP = 1n << 62n;
// Mappings bigger than this are reservations (never mostly touched); skip their pagemap.
const MAX_MAPPING_BYTES = 4 * 1024 ** 3;

let swapped = new Set(); // page numbers (vaddr / PAGE) swapped out at the last reading
const everSwapped = new Set();
const refaultsOf = new Map(); // page number -> swap-ins seen
const byMapping = new Map(); // mapping name -> swapins_pages
let swapins = 0;
let gone = 0;
let swappedMax = 0;
let readings = 0;
let done = false;

function reading() {
  let maps;
  let fd;
  try {
    maps = readFileSync(`/proc/${pid}/maps`, 'utf8');
    fd = openSync(`/proc/${pid}/pagemap`, 'r');
  } catch {
    return false;
  }
  const now = new Set();
  const present = new Set();
  try {
    for (const line of maps.split('\n')) {
      const m = /^([0-9a-f]+)-([0-9a-f]+)/.exec(line);
      if (!m) continue;
      const name = line.split(/\s+/).slice(5).join(' ') || '[anon]';
      const start = parseInt(m[1], 16);
      const end = parseInt(m[2], 16);
      if (end - start > MAX_MAPPING_BYTES || line.endsWith('[vsyscall]')) continue;
      const n = (end - start) / PAGE;
      const buf = Buffer.alloc(n * 8);
      let got = 0;
      try {
        got = readSync(fd, buf, 0, buf.length, (start / PAGE) * 8);
      } catch {
        continue;
      }
      for (let i = 0; i < got / 8; i++) {
        const e = buf.readBigUInt64LE(i * 8);
        const p = start / PAGE + i;
        if (e & PM_SWAP) {
          now.add(p);
          everSwapped.add(p);
        } else if (e & PM_PRESENT && swapped.has(p)) {
          present.add(p);
          refaultsOf.set(p, (refaultsOf.get(p) ?? 0) + 1);
          byMapping.set(name, (byMapping.get(name) ?? 0) + 1);
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  swapins += present.size;
  for (const p of swapped) if (!now.has(p) && !present.has(p)) gone++;
  swapped = now;
  if (now.size > swappedMax) swappedMax = now.size;
  readings++;
  return true;
}

/** The share (percent) of all swap-ins on the tenth of the refaulted pages that refaulted most. */
function topTenthSharePct() {
  const counts = [...refaultsOf.values()].sort((a, b) => b - a);
  if (counts.length === 0) return 0;
  const top = counts.slice(0, Math.max(1, Math.round(counts.length / 10))).reduce((a, b) => a + b, 0);
  return Math.round((top / counts.reduce((a, b) => a + b, 0)) * 100);
}

function finish() {
  if (done) return;
  done = true;
  writeFileSync(
    outPath,
    `swapins_pages=${swapins} swapped_gone_pages=${gone} swapped_max_pages=${swappedMax} swapped_end_pages=${swapped.size} readings=${readings}` +
      ` ever_swapped_pages=${everSwapped.size} distinct_swapins_pages=${refaultsOf.size} top_tenth_share_pct=${topTenthSharePct()}\n` +
      `by_mapping ${[...byMapping].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}=${v}`).join(' ')}\n`,
  );
  process.exit(0);
}

process.on('SIGTERM', finish);
process.on('SIGINT', finish);
const tick = () => {
  if (!reading()) return finish();
  setTimeout(tick, intervalMs);
};
tick();
