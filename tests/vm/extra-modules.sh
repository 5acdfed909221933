#!/usr/bin/env bash
# Builds the guest modules Debian's 6.1 kernel lacks, out of tree, from Debian's
# linux-source-6.1 package (a dependency, never copied into the repo) with our
# small patches (tests/vm/kmod-patches/, why in each hunk):
#   udmabuf.ko  dma-bufs of sealed memfd pages (vdmabufd's udmabuf import mode)
#   sw_sync.ko  software sync_files (explicit fences), <debugfs>/sync/sw_sync
#   vgem.ko     vgem that maps imported dma-bufs for Mesa's kms_swrast, and
#               render_node=0 for a primary-only device (wlroots' GBM needs dumb
#               buffers, which render nodes refuse)
#
#   tests/vm/extra-modules.sh OUT_DIR KVER
# Prints the directory holding the three .ko files. Rebuilds only when the
# source package, the headers or a patch changed (stamp in OUT_DIR).
# Exit 0 ok, 1 build failure, 77 what it needs is missing (reason on stdout).
set -euo pipefail
out=$(realpath -m "$1") kver=$2 # kbuild M= wants an absolute path
here=$(cd "$(dirname "$0")" && pwd)
tarball=/usr/src/linux-source-6.1.tar.xz
kdir=/lib/modules/$kver/build
[[ -r $tarball ]] || { echo "SKIP: $tarball missing (scripts/install-deps --vm)"; exit 77; }
[[ -d $kdir ]] || { echo "SKIP: no headers for $kver"; exit 77; }
command -v xz >/dev/null || { echo "SKIP: xz not installed"; exit 77; }
src_ver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null || true)
hdr_ver=$(dpkg-query -W -f='${Version}' "linux-headers-$kver" 2>/dev/null || true)
[[ -n $src_ver && $src_ver == "$hdr_ver" ]] ||
  echo "extra-modules: note: linux-source-6.1 $src_ver vs linux-headers-$kver $hdr_ver" >&2

stamp="$src_ver $hdr_ver $kver $(cat "$here"/kmod-patches/*.patch "$0" | sha256sum | cut -c1-16)"
if [[ -f $out/stamp && $(cat "$out/stamp") == "$stamp" ]] &&
   [[ -f $out/udmabuf.ko && -f $out/sw_sync.ko && -f $out/vgem.ko ]]; then
  echo "$out"
  exit 0
fi
rm -rf "$out"
mkdir -p "$out/src"
files=(drivers/dma-buf/udmabuf.c drivers/dma-buf/sw_sync.c drivers/dma-buf/sync_debug.c
       drivers/dma-buf/sync_debug.h drivers/dma-buf/sync_trace.h
       drivers/gpu/drm/vgem/vgem_drv.c drivers/gpu/drm/vgem/vgem_drv.h
       drivers/gpu/drm/vgem/vgem_fence.c)
tar -xJf "$tarball" -C "$out/src" --strip-components=1 "${files[@]/#/linux-source-6.1/}"
for p in "$here"/kmod-patches/*.patch; do
  patch -s -p1 -d "$out/src" <"$p" || { echo "extra-modules: $(basename "$p") does not apply" >&2; exit 1; }
done
# One flat directory: sw_sync.c is renamed because the module of that name is
# made of it and sync_debug.c.
b=$out/build
mkdir -p "$b"
cp "$out/src/drivers/dma-buf/udmabuf.c" "$b/"
cp "$out/src/drivers/dma-buf/sw_sync.c" "$b/sw_sync_core.c"
cp "$out/src/drivers/dma-buf"/sync_{debug.c,debug.h,trace.h} "$b/"
cp "$out/src/drivers/gpu/drm/vgem"/vgem_{drv.c,drv.h,fence.c} "$b/"
cat >"$b/Kbuild" <<'EOF'
obj-m := udmabuf.o sw_sync.o vgem.o
sw_sync-y := sw_sync_core.o sync_debug.o
vgem-y := vgem_drv.o vgem_fence.o
ccflags-y := -I$(src)
EOF
if ! make -s -C "$kdir" M="$b" modules >"$out/build.log" 2>&1; then
  cat "$out/build.log" >&2
  exit 1
fi
cp "$b"/{udmabuf,sw_sync,vgem}.ko "$out/"
echo "$stamp" >"$out/stamp"
echo "$out"
