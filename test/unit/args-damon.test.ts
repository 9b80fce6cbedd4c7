// SPDX-License-Identifier: GPL-2.0-only
// The kdamonds that `damo args damon` builds from flags, and their JSON/YAML round trip.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { kdamondsFromFlags } from '../../src/record/kdamond/args_damon.js';
import { kdamondsKvpairs } from '../../src/record/kdamond/damon_status_format.js';
import { kdamondsJson, kdamondsYaml } from '../../src/record/kdamond/kdamonds_text.js';
import { noDamonParamsFlags, resolveDamonParams } from '../../src/record/kdamond/damon_params.js';
import type { HostFiles } from '../../src/record/pa_layout.js';
import { defaultPaddrRegion, systemRamSpan } from '../../src/record/paddr.js';

const IOMEM = ['00000000-00000fff : Reserved', '00001000-0009fbff : System RAM', '00100000-bfffffff : System RAM', '  01000000-01ffffff : Kernel code', '100000000-63fffffff : System RAM', ''].join('\n');
const INTERVALS = { sampleUs: 5000, aggrUs: 100_000, opsUpdateUs: 1_000_000 };
const NR_REGIONS = { min: 10, max: 1000 };

describe('damo args damon model', () => {
  it("gives a paddr target damo 3.3.0's default region: first System RAM start to last end", () => {
    expect(systemRamSpan(IOMEM)).toEqual([0x1000, 0x640000000]);
    expect(defaultPaddrRegion(() => IOMEM, 'span')).toEqual([0x1000, 0x640000000]);
    expect(defaultPaddrRegion(() => IOMEM)).toEqual([0x100000000, 0x640000000]);
    const files: HostFiles = { root: '/fake', readText: () => IOMEM, list: () => [], isDir: () => false };
    const [kd] = resolveDamonParams({ ...noDamonParamsFlags(), deduced: { kind: 'paddr' } }, files);
    expect(kd?.contexts[0]?.targets).toEqual([{ regions: [[0x1000, 0x640000000]] }]);
  });

  it('leaves a paddr target without pid (null), a process target without regions under vaddr', () => {
    const [paddr] = kdamondsFromFlags({ ops: 'paddr', intervals: INTERVALS, nrRegions: NR_REGIONS, targets: [{ regions: [[4096, 8192]] }] });
    expect(paddr?.contexts[0]?.targets).toEqual([{ pid: null, obsolete: false, regions: [{ start: 4096, end: 8192 }] }]);
    const [vaddr] = kdamondsFromFlags({ ops: 'vaddr', intervals: INTERVALS, nrRegions: NR_REGIONS, targets: [{ pid: 42 }, { pid: 43 }] });
    expect(vaddr?.contexts[0]?.targets.map((t) => [t.pid, t.regions.length])).toEqual([
      [42, 0],
      [43, 0],
    ]);
  });

  it('writes JSON and YAML that read back to the same document, raw and formatted', () => {
    const kdamonds = kdamondsFromFlags({ ops: 'fvaddr', intervals: INTERVALS, nrRegions: NR_REGIONS, targets: [{ pid: 42, regions: [[4096, 2 ** 40]] }] });
    for (const raw of [false, true]) {
      const doc = { kdamonds: kdamondsKvpairs(kdamonds, { raw, paramsOnly: true }) };
      expect(JSON.parse(kdamondsJson(doc))).toEqual(doc);
      expect(parse(kdamondsYaml(doc))).toEqual(doc);
    }
  });

  it('quotes YAML strings that would read back as numbers, as PyYAML does', () => {
    expect(kdamondsYaml({ a: '0', b: '4,096', c: null, d: [] })).toBe("a: '0'\nb: 4,096\nc: null\nd: []\n\n");
  });
});
