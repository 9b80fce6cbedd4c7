#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# System packages the side-by-side benchmark (bench/side_by_side.bench.ts) needs for its
# peer: the Python damo draws heat map images with gnuplot, and without it the benchmark's
# image rows have no damo figure ("peer not available"). Needs root (or sudo) and a
# Debian/Ubuntu apt; does nothing when gnuplot is already installed.
set -euo pipefail
if command -v gnuplot >/dev/null 2>&1; then
  echo "install-bench-deps: $(command -v gnuplot) is already installed"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-bench-deps: no apt-get here; install gnuplot with this system's package manager" >&2
  exit 1
fi
SUDO=
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends gnuplot-nox
echo "install-bench-deps: installed $(command -v gnuplot)"
