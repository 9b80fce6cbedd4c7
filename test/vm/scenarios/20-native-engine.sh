# SPDX-License-Identifier: GPL-2.0-only
# The native engine's real-kernel primitives (issue 5), which the development host cannot
# run: page_idle (4 KiB pages and THP), soft_dirty and clear_refs against hotblock's static
# hot block (vaddr), and page_idle on physical memory (paddr). For each vaddr primitive the
# hot block must show up hot (size-weighted nr_accesses / max >= 0.8), the cold rest cold
# (<= 0.05; <= 0.1 with THP, whose 2 MiB folios straddle the block edges) and the mapping's
# accessed fraction within 20% of hot/total. clear_refs knows only how many bytes of a
# mapping were accessed, not where, so only its fraction is checked. soft_dirty write-protects
# every page at each sample, so each first write faults (slow under TCG): it gets a smaller
# hot block and longer intervals so the workload can write the whole block in one interval.
# paddr must see a working set of at least the hot block. One RESULT line per check, named
# native-<check>.
. /vm/lib.sh
cat > "$OUT/check.mjs" <<'EOF'
import { openNativeMonitor } from '/damo/dist/src/native/monitor.js';

const [pid, mapStart, mapEnd, hotStart, hotEnd, name, primitive, ops, sampleUs, aggrUs] = process.argv.slice(2);
const iv = { sampleUs: Number(sampleUs), aggrUs: Number(aggrUs), opsUpdateUs: 1000000 };
const maxNr = iv.aggrUs / iv.sampleUs;
const range = (lo, hi, s) => {
  let w = 0, cov = 0;
  for (let i = 0; i < s.starts.length; i++) {
    const a = Math.max(lo, s.starts[i]), b = Math.min(hi, s.ends[i]);
    if (b > a) { w += (b - a) * s.nrAccesses[i]; cov += b - a; }
  }
  return cov ? w / cov / maxNr : NaN;
};
const avg = (a) => a.reduce((x, y) => x + y, 0) / a.length;
try {
  const opts = ops === 'paddr' ? { ops: 'paddr', primitive, intervals: iv, nrRegions: { min: 100, max: 1000 }, seed: 1 }
    : { pids: [Number(pid)], primitive, intervals: iv, seed: 1 };
  const m = openNativeMonitor(opts);
  const snaps = [];
  m.start((s) => snaps.push(s));
  const t0 = Date.now();
  while (snaps.length < 20 && Date.now() - t0 < 150000) await new Promise((r) => setTimeout(r, 200));
  await m.stop();
  const end = await m.done;
  const used = snaps.slice(6);
  const stats = `snapshots=${snaps.length} samples=${end.stats.nrSamples} cpu_ms=${Math.round(end.stats.threadCpuNs / 1e6)} wall_ms=${Math.round(end.stats.wallNs / 1e6)}`;
  const hotBytes = Number(hotEnd) - Number(hotStart);
  if (ops === 'paddr') {
    const wss = avg(used.map((s) => { let b = 0; for (let i = 0; i < s.starts.length; i++) if (s.nrAccesses[i] > 0) b += s.ends[i] - s.starts[i]; return b; }));
    const ok = used.length >= 10 && wss >= hotBytes;
    console.log(`RESULT native-${name} ${ok ? 'pass' : 'fail'} wss_mib=${(wss / 2 ** 20).toFixed(1)} hot_mib=${hotBytes / 2 ** 20} ${stats}`);
  } else {
    const hot = avg(used.map((s) => range(Number(hotStart), Number(hotEnd), s)));
    const cold = avg(used.map((s) => Math.max(range(Number(mapStart), Number(hotStart), s) || 0, range(Number(hotEnd), Number(mapEnd), s) || 0)));
    const frac = avg(used.map((s) => range(Number(mapStart), Number(mapEnd), s)));
    const truth = hotBytes / (Number(mapEnd) - Number(mapStart));
    const coldMax = name.includes('thp') ? 0.1 : 0.05;
    const fracOk = Math.abs(frac - truth) <= 0.2 * truth;
    // clear_refs answers per mapping: where the accessed bytes are inside it is unknown.
    const ok = used.length >= 10 && fracOk && (primitive === 'clear_refs' || (hot >= 0.8 && cold <= coldMax));
    console.log(`RESULT native-${name} ${ok ? 'pass' : 'fail'} hot=${hot.toFixed(3)} cold=${cold.toFixed(3)} fraction=${frac.toFixed(4)} truth=${truth.toFixed(4)} ${stats}`);
  }
} catch (err) {
  console.log(`RESULT native-${name} fail error=${err.code} message=${JSON.stringify(err.message)}`);
}
EOF
run_check() {  # NAME PRIMITIVE OPS SAMPLE_US AGGR_US [hotblock args...]
  n=$1 p=$2 o=$3 su=$4 au=$5; shift 5
  HB_TIMELINE=$OUT/timeline-$n.txt
  start_hotblock --total-mib 256 --period-s 0 --first-slot 2 "$@" || { result_as "native-$n" fail reason=workload; return; }
  node "$OUT/check.mjs" "$HB_PID" "$HB_MAP_START" "$HB_MAP_END" "$HB_HOT_START" "$HB_HOT_END" "$n" "$p" "$o" "$su" "$au"
  stop_hotblock
}
run_check page_idle page_idle vaddr 20000 400000 --hot-mib 32
run_check page_idle-thp page_idle vaddr 20000 400000 --hot-mib 32 --thp
run_check soft_dirty soft_dirty vaddr 100000 1000000 --hot-mib 8
run_check clear_refs clear_refs vaddr 20000 400000 --hot-mib 32
run_check paddr-page_idle page_idle paddr 20000 400000 --hot-mib 32
