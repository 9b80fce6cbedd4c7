// SPDX-License-Identifier: GPL-2.0-only
import { describe, expect, it } from 'vitest';

import type { TraceSource } from '../../src/core/model.js';
import { syntheticHeader, syntheticSnapshots, type SyntheticTraceSpec } from '../../src/format/synthetic.js';
import { computeHeats, fusedPassPays } from '../../src/report/heats.js';

function synthetic(spec: SyntheticTraceSpec): TraceSource & { passes: number } {
  const src = {
    path: 'synthetic',
    header: syntheticHeader(spec),
    passes: 0,
    snapshots: async function* () {
      src.passes += 1;
      yield* syntheticSnapshots(spec);
    },
    trailer: () => null,
    warnings: [],
  };
  return src;
}

describe('fusedPassPays', () => {
  it('fills every candidate grid in one pass only when that costs less than a pass more', () => {
    // damo's test recording x100 as a damo-ts trace: 2 ranges not drawn x 54,300 snapshots x 500
    // columns against a guide pass of ~80 ms: a pass more is cheaper.
    expect(fusedPassPays(2 * 54_300 * 500, 80e6)).toBe(false);
    // 1,000-region snapshots (9,770 of them) or a damo JSON file read anew: the fused pass pays.
    expect(fusedPassPays(2 * 9_770 * 500, 300e6)).toBe(true);
    expect(fusedPassPays(2 * 54_300 * 500, 4e9)).toBe(true);
    expect(fusedPassPays(0, 1)).toBe(true);
  });
});

describe('computeHeats', () => {
  const spec = { nrSnapshots: 80, nrRegionsPerSnapshot: 30, seed: 5, nrTargets: 2 };

  it('picks the first guide target, its time span and hottest range in two passes (the guide pass counts the ranges\' heats)', async () => {
    const src = synthetic(spec);
    const res = await computeHeats(src, { resol: [40, 50] });
    expect(src.passes).toBe(2);
    expect(res.nrPasses).toBe(2);
    expect(res.tid).toBe(4242n);
    expect(res.guide).not.toBeNull();
    expect(res.grids.map((g) => g.targetIndex)).toEqual([0]);

    // Giving the same choices explicitly needs one pass and gives the same cells.
    const explicit = synthetic(spec);
    const again = await computeHeats(explicit, {
      resol: [40, 50],
      tid: 4242n,
      timeRange: [
        { ns: res.timeRange[0], relative: false },
        { ns: res.timeRange[1], relative: false },
      ],
      addressRange: res.addressRange,
    });
    expect(explicit.passes).toBe(1);
    expect(Array.from(again.grids[0]!.grid.heats)).toEqual(Array.from(res.grids[0]!.grid.heats));
  });

  it('when the guide pass cannot count the heats (a region at address 0), draws every range in the heats pass or, when too large, takes a grid pass', async () => {
    const atZero = (): TraceSource & { passes: number } => {
      const src = synthetic(spec);
      const inner = src.snapshots;
      src.snapshots = async function* () {
        let first = true;
        for await (const s of inner()) {
          if (first && s.starts.length > 0) {
            first = false;
            yield { ...s, starts: Float64Array.from(s.starts, (a, i) => (i === 0 ? 0 : a)) };
          } else yield s;
        }
      };
      return src;
    };
    expect((await computeHeats(atZero(), { resol: [40, 50] })).nrPasses).toBe(2);
    const big = atZero();
    const res = await computeHeats(big, { resol: [1500, 1500] });
    expect(res.nrPasses).toBe(3);
    const explicit = await computeHeats(synthetic(spec), {
      resol: [1500, 1500],
      tid: res.tid!,
      timeRange: [
        { ns: res.timeRange[0], relative: false },
        { ns: res.timeRange[1], relative: false },
      ],
      addressRange: res.addressRange,
    });
    expect(explicit.grids[0]!.grid.heats).toEqual(res.grids[0]!.grid.heats);
  });

  it('resolves relative times against the guide start and finds other targets by id', async () => {
    const src = synthetic(spec);
    const res = await computeHeats(src, {
      resol: [10, 10],
      tid: 4243n,
      timeRange: [
        { ns: 1e9, relative: true },
        { ns: 2e9, relative: true },
      ],
    });
    expect(res.tid).toBe(4243n);
    expect(res.grids.map((g) => g.targetIndex)).toEqual([1]);
    expect(res.timeRange).toEqual([res.guide!.startNs + 1e9, res.guide!.startNs + 2e9]);
  });

  it('names the available targets when the id is unknown', async () => {
    await expect(computeHeats(synthetic(spec), { resol: [10, 10], tid: 1n })).rejects.toThrow(/no target with id 1/);
  });
});
