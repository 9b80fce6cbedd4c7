// SPDX-License-Identifier: GPL-2.0-only
import { describe, expect, it } from 'vitest';

import { DamoError } from '../../src/core/errors.js';
import { checkLabels, parseLabel, pathSafe, recordingLabels } from '../../src/fleet/labels.js';

function usageError(text: string): string {
  try {
    parseLabel(text);
  } catch (e) {
    expect(e).toBeInstanceOf(DamoError);
    expect((e as DamoError).code).toBe('E_USAGE');
    return (e as DamoError).message;
  }
  throw new Error(`parseLabel('${text}') accepted it`);
}

describe('--label key=value', () => {
  it('accepts label columns and free keys; the value may hold =', () => {
    expect(parseLabel('service=web')).toEqual({ key: 'service', value: 'web' });
    expect(parseLabel('host=web-1.example.com')).toEqual({ key: 'host', value: 'web-1.example.com' });
    expect(parseLabel('date=2026-02-28')).toEqual({ key: 'date', value: '2026-02-28' });
    expect(parseLabel('query=a=b c')).toEqual({ key: 'query', value: 'a=b c' });
  });

  it('refuses what is not key=value, bad keys, reserved keys and bad values', () => {
    expect(usageError('service')).toMatch(/not key=value/);
    expect(usageError('Service=web')).toMatch(/must be lower-case/);
    expect(usageError('9x=1')).toMatch(/must be lower-case/);
    expect(usageError('recording_id=x')).toMatch(/is a column of the exported tables/);
    expect(usageError('nr_accesses=3')).toMatch(/is a column/);
    expect(usageError('weight=3')).toMatch(/is a column/);
    expect(usageError('service=')).toMatch(/empty/);
    expect(usageError('service=a\tb')).toMatch(/control characters/);
    expect(usageError('host=a/b')).toMatch(/names a directory/);
    expect(usageError('host=..x=')).toMatch(/names a directory/);
    expect(usageError('date=2026-02-30')).toMatch(/calendar day/);
    expect(usageError('date=yesterday')).toMatch(/names a directory|calendar day/);
  });

  it('refuses a key given twice', () => {
    expect(() => checkLabels([parseLabel('a=1'), parseLabel('a=2')])).toThrow(/given twice/);
  });

  it('user labels override the recording facts; the others go to the map', () => {
    const r = recordingLabels({ host: 'h', date: '2026-01-01', kernel: '6.12', workload: null, cgroup: null }, [parseLabel('host=web-2'), parseLabel('service=web')]);
    expect(r.columns.host).toBe('web-2');
    expect(r.columns.kernel).toBe('6.12');
    expect(r.extra).toEqual([{ key: 'service', value: 'web' }]);
  });

  it('makes host names safe as directory names', () => {
    expect(pathSafe('web 1/x')).toBe('web_1_x');
    expect(pathSafe('..')).toBe('unknown');
  });
});
