// SPDX-License-Identifier: GPL-2.0-only
import { describe, expect, it } from 'vitest';

import { DamoError } from '../../src/core/errors.js';
import { formatSchemesJson, parseSchemesJson } from '../../src/schemes/damo_json.js';
import { parseSchemes } from '../../src/schemes/load.js';
import { schemesEqual } from '../../src/schemes/model.js';
import { formatSchemesText, parseSchemesText } from '../../src/schemes/text.js';

// The shape `damo args damon` / `damo report damon --json` prints for a scheme (3.x).
const DAMO_SCHEME = `[
    {
        "action": "pageout",
        "dests": [],
        "access_pattern": {
            "sz_bytes": {"min": "4.000 KiB", "max": "max"},
            "nr_accesses": {"min": "0 %", "max": "0 %"},
            "age": {"min": "5 s", "max": "max"}
        },
        "apply_interval_us": "0 ns",
        "quotas": {
            "time_ms": "0 ns",
            "sz_bytes": "1.000 GiB",
            "reset_interval_ms": "1 s",
            "goals": [{"metric": "some_mem_psi_us", "nid": null, "target_value": "1 ms", "current_value": "0"}],
            "effective_sz_bytes": "0 B",
            "weights": {"sz_permil": "0 %", "nr_accesses_permil": "30 %", "age_permil": "70 %"}
        },
        "watermarks": {"metric": "free_mem_rate", "interval_us": "5 s",
                       "high_permil": "50 %", "mid_permil": "40 %", "low_permil": "20 %"},
        "filters": [
            {"filter_type": "anon", "matching": true, "allow": false, "memcg_path": null,
             "address_range": null, "damon_target_idx": null, "hugepage_size": null},
            {"filter_type": "addr", "matching": true, "filter_pass": true, "memcg_path": null,
             "address_range": {"start": "4,096", "end": "1048576"}, "damon_target_idx": null}
        ],
        "stats": {"nr_tried": "0", "sz_tried": "0 B"}
    }
]`;

function errorOf(f: () => unknown): DamoError {
  try {
    f();
  } catch (err) {
    if (err instanceof DamoError) return err;
    throw err;
  }
  throw new Error('expected an error');
}

describe("damo's JSON scheme format", () => {
  it("reads damo's output, units and all", () => {
    const [s] = parseSchemesJson(DAMO_SCHEME, 'd.json');
    expect(s).toBeDefined();
    if (s === undefined) return;
    expect(s.action).toBe('pageout');
    expect(s.pattern.sz).toEqual({ min: 4096, max: 'max' });
    expect(s.pattern.nrAccesses).toEqual({ unit: 'percent', min: 0, max: 0 });
    expect(s.pattern.age).toEqual({ unit: 'us', min: 5_000_000, max: 'max' });
    expect(s.quotas.szBytes).toBe(2 ** 30);
    expect(s.quotas.resetIntervalMs).toBe(1000);
    expect(s.quotas.weights).toEqual({ szPermil: 0, nrAccessesPermil: 300, agePermil: 700 });
    expect(s.quotas.goals).toEqual([{ metric: 'some_mem_psi_us', targetValue: 1000, currentValue: 0 }]);
    expect(s.watermarks).toEqual({ metric: 'free_mem_rate', intervalUs: 5_000_000, highPermil: 500, midPermil: 400, lowPermil: 200 });
    expect(s.filters[1]).toEqual({ type: 'addr', matching: true, allow: true, addrStart: 4096, addrEnd: 1048576 });
    expect(s.origin).toEqual({ file: 'd.json', line: 2 });
  });

  it('reads samples and aggr_intervals units, numbers, and the kdamonds tree', () => {
    const tree = JSON.stringify({
      kdamonds: [{ contexts: [{ ops: 'vaddr', schemes: [{ action: 'stat', access_pattern: {
        sz_bytes: { min: 0, max: 'max' },
        nr_accesses: { min: '1 samples', max: '20 samples' },
        age: { min: '3 aggr_intervals', max: 'max' },
      } }] }] }],
    });
    const [s] = parseSchemesJson(tree, 't.json');
    expect(s?.pattern.nrAccesses).toEqual({ unit: 'samples', min: 1, max: 20 });
    expect(s?.pattern.age).toEqual({ unit: 'aggr_intervals', min: 3, max: 'max' });
    const [n] = parseSchemesJson('[{"access_pattern": {"age": {"min": "1 s", "max": null}}}]', 'n.json');
    expect(n?.pattern.age).toEqual({ unit: 'us', min: 1_000_000, max: 'max' });
    const [d] = parseSchemesJson('{"schemes": [{}]}', 'e.json');
    expect(d?.action).toBe('stat');
    expect(d?.pattern.sz).toEqual({ min: 0, max: 'max' });
  });

  it('names the line, column and JSON path of bad values', () => {
    const bad = '[\n  {"action": "pageout",\n   "access_pattern": {"age": {"min": "5 sec", "max": "max"}}}\n]';
    const e = errorOf(() => parseSchemesJson(bad, 'b.json'));
    expect(e.message).toBe("b.json:3:38: schemes[0].access_pattern.age.min: '5 sec' is not a duration");
    expect(e.hint).toContain('aggr_intervals');

    const typo = errorOf(() => parseSchemesJson('[{"action": "pageout", "acess_pattern": {}}]', 't.json'));
    expect(typo.message).toBe('t.json:1:24: schemes[0]: unknown key "acess_pattern" (did you mean "access_pattern"?)');

    const syntax = errorOf(() => parseSchemesJson('[{"action": "pageout",}]', 's.json'));
    expect(syntax.message).toBe('s.json:1:23: invalid JSON: expected a "key"');

    // Columns count characters, not UTF-8 bytes.
    const wide = errorOf(() => parseSchemesJson('[{"name": "n\u00e9\u{1f600}", "action": "swap"}]', 'w.json'));
    expect(wide.message).toBe("w.json:1:29: schemes[0].action: 'swap' is not a DAMOS action");
    const cut = errorOf(() => parseSchemesJson('[{"action": "page', 'c.json'));
    expect(cut.message).toBe('c.json:1:18: invalid JSON: unexpected end of input');
    const ctl = errorOf(() => parseSchemesJson('[{"action": "page\nout"}]', 'l.json'));
    expect(ctl.message).toBe('l.json:1:18: invalid JSON: control character inside a string');
    const tail = errorOf(() => parseSchemesJson('[] x', 'x.json'));
    expect(tail.message).toBe('x.json:1:4: invalid JSON: unexpected text after the JSON value');
    const top = errorOf(() => parseSchemesJson('5', 'n.json'));
    expect(top.message).toBe('n.json:1:1: schemes: expected a list of schemes, found 5');

    const action = errorOf(() => parseSchemesJson('[{"action": "swap"}]', 'a.json'));
    expect(action.message).toBe("a.json:1:13: schemes[0].action: 'swap' is not a DAMOS action");
  });

  it('round-trips text -> JSON -> text', () => {
    const text = [
      'min max 80 max 100ms max willneed',
      'min max 10 20 200ms 1h cold',
      '4K max min min 5s max pageout quota_sz=1G quota_ms=10ms quota_reset=1s weights=0,300,700 filter=reject,anon',
      '1.5K 3G 33.3 66.6 1.5s 2m stat apply_interval=5ms',
      '2M max 2samples 20samples 3aggrs max hugepage wmarks=free_mem_rate,5s,500,400,200',
      'min max min max min max migrate_cold target_nid=1 filter=allow,none,addr,4K,1M filter=reject,target,0',
      'min max 0 0 1s max pageout goal=node_mem_used_bp,9970,nid=0 goal=some_mem_psi_us,1ms',
    ].join('\n');
    const fromText = parseSchemesText(text, 'x');
    const json = formatSchemesJson(fromText);
    const fromJson = parseSchemes(json, 'x.json');
    expect(fromJson).toHaveLength(fromText.length);
    fromText.forEach((s, i) => {
      const back = fromJson[i];
      expect(back !== undefined && schemesEqual(s, back)).toBe(true);
    });
    expect(formatSchemesText(fromJson)).toBe(formatSchemesText(fromText));
    // and JSON -> text -> JSON is stable too
    expect(formatSchemesJson(parseSchemesText(formatSchemesText(fromJson), 'y'))).toBe(json);
  });
});
