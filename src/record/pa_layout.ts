// SPDX-License-Identifier: GPL-2.0-only
/**
 * The physical address ranges of NUMA nodes, found as damo 3.3.0 finds them for
 * `--numa_node`: the memory blocks under /sys/devices/system/node/node<N>/memory<I> say which
 * node each block (block_size_bytes long, /sys/devices/system/memory/block_size_bytes, in
 * hex) belongs to; each /proc/iomem resource (nested ones too) that starts inside a run of
 * blocks takes that run's node, a resource that runs past the run's end is cut there and its
 * rest is placed the same way, and a resource that starts outside every block is dropped.
 * The "System RAM" resources of the asked nodes, merged where they touch or overlap, are the
 * regions.
 *
 * Every file is read under a root directory ('/' on a real host), so that tests can give a
 * tree with several nodes.
 */
import * as fs from 'node:fs';
import { join } from 'node:path';

import { DamoError } from '../core/errors.js';

/** The files the layout is read from, under `root`. */
export interface HostFiles {
  root: string;
  readText(path: string): string;
  list(path: string): string[];
  isDir(path: string): boolean;
}

/** The host's own files under `root` ('/' unless a test gives a fake tree). */
export function hostFiles(root = '/'): HostFiles {
  const at = (p: string): string => join(root, p);
  return {
    root,
    readText: (p) => fs.readFileSync(at(p), 'utf8'),
    list: (p) => fs.readdirSync(at(p)),
    isDir: (p) => {
      try {
        return fs.statSync(at(p)).isDirectory();
      } catch {
        return false;
      }
    },
  };
}

const NODE_DIR = '/sys/devices/system/node';
const MEMORY_DIR = '/sys/devices/system/memory';

interface Run {
  start: number;
  end: number;
  nid: number;
  state: string;
}

interface Resource {
  start: number;
  end: number;
  name: string;
  nid?: number;
}

/** The memory blocks as runs of contiguous blocks of one node and one state, ordered by node then address. */
function memoryBlockRuns(files: HostFiles): Run[] {
  const blockSize = Number.parseInt(files.readText(`${MEMORY_DIR}/block_size_bytes`).trim(), 16);
  if (!(blockSize > 0)) throw new DamoError('E_IO', `${MEMORY_DIR}/block_size_bytes does not hold a block size in hex`);
  const blocks: Run[] = [];
  for (const node of files.list(NODE_DIR)) {
    const nm = /^node(\d+)$/.exec(node);
    if (nm === null) continue;
    const nid = Number(nm[1]);
    for (const entry of files.list(`${NODE_DIR}/${node}`)) {
      const bm = /^memory(\d+)$/.exec(entry);
      if (bm === null) continue;
      const index = Number(bm[1]);
      const state = files.readText(`${NODE_DIR}/${node}/${entry}/state`).trim();
      blocks.push({ start: index * blockSize, end: (index + 1) * blockSize, nid, state });
    }
  }
  blocks.sort((a, b) => a.nid - b.nid || a.start - b.start);
  const runs: Run[] = [];
  for (const b of blocks) {
    const last = runs[runs.length - 1];
    if (last !== undefined && last.end === b.start && last.nid === b.nid && last.state === b.state) last.end = b.end;
    else runs.push({ ...b });
  }
  return runs;
}

/** Every resource line of /proc/iomem, nested ones too, as [start, end) and its name. */
function iomemResources(text: string): Resource[] {
  const out: Resource[] = [];
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const addrs = line.slice(0, colon).trim().split('-');
    if (addrs.length !== 2 || !addrs.every((a) => /^[0-9a-f]+$/i.test(a.trim()))) continue;
    out.push({ start: Number.parseInt(addrs[0] as string, 16), end: Number.parseInt(addrs[1] as string, 16) + 1, name: line.slice(colon + 1).trim() });
  }
  return out;
}

/** The resources placed on their nodes, cut at the ends of block runs; ordered by address. */
function placedResources(runs: readonly Run[], resources: Resource[]): Resource[] {
  const placed: Resource[] = [];
  const pending = [...resources];
  for (let i = 0; i < pending.length; i++) {
    const r = pending[i] as Resource;
    const run = runs.find((b) => b.start <= r.start && r.start < b.end);
    if (run === undefined) continue;
    if (r.end > run.end) pending.push({ start: run.end, end: r.end, name: r.name });
    placed.push({ start: r.start, end: Math.min(r.end, run.end), name: r.name, nid: run.nid });
  }
  return placed.sort((a, b) => a.start - b.start);
}

/** Sorted, with ranges that overlap or touch merged. */
export function mergeRanges(ranges: ReadonlyArray<readonly [number, number]>): Array<[number, number]> {
  const sorted = ranges.map(([s, e]) => [s, e] as [number, number]).sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const [s, e] of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

/** The nodes that have System RAM, for messages. */
function nodesWithMemory(placed: readonly Resource[]): number[] {
  return [...new Set(placed.filter((r) => r.name.startsWith('System RAM')).map((r) => r.nid as number))].sort((a, b) => a - b);
}

/**
 * The System RAM ranges of the given nodes, merged (damo's `--numa_node <ids...>`). A node
 * without System RAM is refused (damo would leave the target without regions, which DAMON
 * reads as its own default, the biggest System RAM block of any node).
 */
export function numaNodeRegions(files: HostFiles, nodes: readonly number[], flag = '--numa_node'): Array<[number, number]> {
  if (!files.isDir(MEMORY_DIR)) {
    throw new DamoError('E_UNSUPPORTED', `${flag}: ${join(files.root, MEMORY_DIR)} not found; the node of each memory block is read there`, { hint: 'it needs CONFIG_MEMORY_HOTPLUG; or give the ranges with --regions <start>-<end>' });
  }
  let placed: Resource[];
  try {
    placed = placedResources(memoryBlockRuns(files), iomemResources(files.readText('/proc/iomem')));
  } catch (err) {
    if (err instanceof DamoError) throw err;
    throw new DamoError('E_IO', `${flag}: cannot read the memory layout: ${(err as Error).message}`, { hint: 'or give the ranges with --regions <start>-<end>' });
  }
  const ranges: Array<[number, number]> = [];
  for (const nid of nodes) {
    const own = placed.filter((r) => r.nid === nid && r.name.startsWith('System RAM')).map((r): [number, number] => [r.start, r.end]);
    if (own.length === 0 || own.every(([s, e]) => s === 0 && e === 1)) {
      const have = nodesWithMemory(placed);
      throw new DamoError('E_USAGE', `${flag} ${nodes.join(' ')}: node ${nid} has no System RAM (nodes with memory: ${have.length === 0 ? 'none found; /proc/iomem shows zeros to non-root users' : have.join(', ')})`, {
        hint: 'give a node id of /sys/devices/system/node that has memory',
      });
    }
    ranges.push(...own);
  }
  return mergeRanges(ranges);
}
