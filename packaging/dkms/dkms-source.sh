#!/bin/sh
# Lays out the DKMS source tree of virtio_vdmabuf.ko (docs/qemu.md §10):
#   packaging/dkms/dkms-source.sh [DEST]   default /usr/src/virtio-vdmabuf-VERSION
#   packaging/dkms/dkms-source.sh --version
# VERSION is the project's version in meson.build. DEST keeps the repository's
# paths, so driver/kernel/Kbuild's include paths (../uapi, ../../protocols) hold:
#   DEST/dkms.conf
#   DEST/driver/kernel/{Kbuild,Makefile,*.c,*.h}
#   DEST/driver/uapi/vdmabuf_uapi.h
#   DEST/protocols/vdmabuf_wire.h
# and `make -C DEST/driver/kernel KVER=...` builds it as it does in the repository.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
version=$(sed -n "s/^  version: '\([^']*\)',\$/\1/p" "$root/meson.build" | head -n 1)
if [ -z "$version" ]; then
  echo "dkms-source.sh: no version: line in $root/meson.build" >&2
  exit 1
fi
if [ "${1:-}" = --version ]; then
  echo "$version"
  exit 0
fi
dest=${1:-/usr/src/virtio-vdmabuf-$version}
if [ "$(cd "$dest" 2>/dev/null && pwd)" = "$root" ]; then
  echo "dkms-source.sh: $dest is the repository itself" >&2
  exit 1
fi

rm -rf "$dest/driver" "$dest/protocols"
install -d "$dest/driver/kernel" "$dest/driver/uapi" "$dest/protocols"
install -m 644 "$root/driver/kernel/Kbuild" "$root/driver/kernel/Makefile" \
  "$root"/driver/kernel/*.c "$root"/driver/kernel/*.h "$dest/driver/kernel/"
install -m 644 "$root/driver/uapi/vdmabuf_uapi.h" "$dest/driver/uapi/"
install -m 644 "$root/protocols/vdmabuf_wire.h" "$dest/protocols/"
sed "s/@VERSION@/$version/g" "$root/packaging/dkms/dkms.conf.in" >"$dest/dkms.conf"
echo "$dest"
