#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install what corolab needs to build and run, if it is missing.
# Idempotent and cheap when everything is present (one dpkg-query call).
# As root on Debian/Ubuntu it installs with apt-get; otherwise it prints the
# exact command to run and exits 1.
set -u

pkgs=(build-essential pkg-config clang llvm bpftool libbpf-dev liburing-dev
      libcurl4-openssl-dev libjansson-dev gnuplot-nox libelf-dev zlib1g-dev
      valgrind wrk nginx-light procps util-linux iproute2 python3 curl
      libclang-rt-14-dev)	# libFuzzer + sanitizer runtimes: make fuzz (CI runs it)
# Optional: perf (overhead comparison);
# an aarch64 cross compiler + qemu-user (the aarch64 context-switch test);
# the write-up's own program's dependencies (lab/python/run_original.sh).
opt=(linux-perf gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
     python3-aiohttp python3-requests python3-psutil python3-matplotlib)

missing=()
for p in "${pkgs[@]}" "${opt[@]}"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
	case "$st" in *"ok installed"*) ;; *) missing+=("$p") ;; esac
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
	echo "install-deps: not a Debian/Ubuntu system; install the equivalents of: ${missing[*]}" >&2
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}" >&2
	echo "install-deps: run as root: apt-get install -y ${missing[*]}" >&2
	exit 1
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null || { echo "install-deps: apt-get update failed" >&2; exit 1; }
# Install the required ones in one go; optional ones one by one so that a
# package missing from this release does not block the rest.
req=()
for p in "${missing[@]}"; do
	case " ${opt[*]} " in *" $p "*) ;; *) req+=("$p") ;; esac
done
if [ ${#req[@]} -gt 0 ]; then
	apt-get install -y -qq --no-install-recommends "${req[@]}" >/dev/null ||
		{ echo "install-deps: apt-get install ${req[*]} failed" >&2; exit 1; }
fi
for p in "${missing[@]}"; do
	case " ${opt[*]} " in *" $p "*)
		apt-get install -y -qq --no-install-recommends "$p" >/dev/null 2>&1 ||
			echo "install-deps: optional package $p not installed (continuing)" >&2 ;;
	esac
done
# nginx is only a benchmark baseline: keep the packaged service from holding port 80.
if command -v systemctl >/dev/null 2>&1; then systemctl disable --now nginx >/dev/null 2>&1 || true; fi
pkill -x nginx >/dev/null 2>&1 || true
exit 0
