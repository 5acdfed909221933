#!/usr/bin/env bash
# The guest-image packaging (docs/qemu.md §10), checked without a VM:
#   1. packaging/dkms/dkms-source.sh lays out the DKMS tree in a temporary dir,
#      with dkms.conf at the meson.build version;
#   2. with dkms installed: `dkms add` + `dkms build` of that tree for real, in
#      temporary --sourcetree/--dkmstree dirs (nothing under /usr/src or
#      /var/lib/dkms/virtio-vdmabuf; dkms may create its MOK key pair once);
#   3. `make -C TREE/driver/kernel` builds virtio_vdmabuf.ko against the headers,
#      `make modules_install INSTALL_MOD_PATH=STAGE` installs it under STAGE;
#   4. systemd-analyze verifies the user unit, where systemd-analyze exists.
# Skips (77) without kernel headers or make; the dkms and unit checks say SKIP
# without their tools. VM_KVER picks the headers (default: the newest
# /usr/src/linux-headers-*-amd64).
#   tests/vm/dkms-tree.sh SRC_ROOT [COMPOSITOR]
set -uo pipefail
PATH=$PATH:/usr/sbin:/sbin  # dkms, modinfo, depmod
src=$(cd "${1:?usage: dkms-tree.sh SRC_ROOT [COMPOSITOR]}" && pwd)
compositor=${2:-}
lane=dkms-tree
t0=$SECONDS
failures=0
log() { printf '[%s %3ds] %s\n' "$lane" $((SECONDS - t0)) "$*"; }
skip() { echo "SKIP: $*"; exit 77; }
fail() { log "FAIL: $*"; failures=$((failures + 1)); }
pass() { log "ok: $*"; }

command -v make >/dev/null || skip "make not installed"
abi=${VM_KVER:-}
if [[ -z $abi ]]; then
  for d in $(ls -1d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -rV); do
    [[ -f $d/Makefile ]] && { abi=${d#/usr/src/linux-headers-}; break; }
  done
fi
[[ -n $abi && -f /usr/src/linux-headers-$abi/Makefile ]] ||
  skip "no kernel headers (linux-headers-\$(uname -r) in a guest; scripts/install-deps --vm here)"

work=$(mktemp -d "${TMPDIR:-/tmp}/vdmabuf-dkms.XXXXXX")
trap 'rm -rf "$work"' EXIT
version=$("$src/packaging/dkms/dkms-source.sh" --version) || { echo "no version"; exit 1; }
tree=$work/usrsrc/virtio-vdmabuf-$version

# 1. The tree.
"$src/packaging/dkms/dkms-source.sh" "$tree" >/dev/null || { fail "dkms-source.sh"; exit 1; }
for f in dkms.conf driver/kernel/Kbuild driver/kernel/Makefile driver/kernel/vdmabuf_drv.h \
         driver/uapi/vdmabuf_uapi.h protocols/vdmabuf_wire.h; do
  [[ -f $tree/$f ]] || fail "$f missing from the DKMS tree"
done
for c in "$src"/driver/kernel/*.c; do
  [[ -f $tree/driver/kernel/${c##*/} ]] || fail "${c##*/} missing from the DKMS tree"
done
for kv in "PACKAGE_NAME=\"virtio-vdmabuf\"" "PACKAGE_VERSION=\"$version\"" \
          "BUILT_MODULE_NAME[0]=\"virtio_vdmabuf\"" "DEST_MODULE_LOCATION[0]=\"/updates/dkms\"" \
          "AUTOINSTALL=\"yes\""; do
  grep -qxF "$kv" "$tree/dkms.conf" || fail "dkms.conf lacks $kv"
done
((failures == 0)) && pass "DKMS tree virtio-vdmabuf-$version laid out"

# 2. dkms itself (it copies the tree to its build dir: the tree stays clean).
if command -v dkms >/dev/null && [[ $(id -u) -eq 0 ]]; then
  dk=(-m virtio-vdmabuf -v "$version" --sourcetree "$work/usrsrc" --dkmstree "$work/dkms")
  mkdir -p "$work/dkms"
  if dkms add "${dk[@]}" >"$work/dkms.log" 2>&1 &&
     dkms build "${dk[@]}" -k "$abi" >>"$work/dkms.log" 2>&1 &&
     [[ -f $work/dkms/virtio-vdmabuf/$version/$abi/x86_64/module/virtio_vdmabuf.ko ]]; then
    pass "dkms add + build: $(dkms status "${dk[@]}" 2>/dev/null)"
  else
    cat "$work/dkms.log" "$work/dkms/virtio-vdmabuf/$version/build/make.log" 2>/dev/null
    fail "dkms build"
  fi
else
  log "SKIP: dkms not installed or not root: only the make build is checked"
fi

# 3. make in the tree, and modules_install staged.
if make -s -C "$tree/driver/kernel" KVER="$abi" >"$work/make.log" 2>&1; then
  vermagic=$(modinfo -F vermagic "$tree/driver/kernel/virtio_vdmabuf.ko" 2>/dev/null)
  if [[ $vermagic == "$abi "* ]]; then
    pass "make: virtio_vdmabuf.ko, vermagic $vermagic"
  else
    fail "vermagic '$vermagic' is not $abi"
  fi
else
  cat "$work/make.log"; fail "make -C TREE/driver/kernel KVER=$abi"
fi
if make -s -C "$tree/driver/kernel" KVER="$abi" INSTALL_MOD_PATH="$work/stage" modules_install \
     >"$work/install.log" 2>&1 &&
   [[ -f $work/stage/lib/modules/$abi/extra/virtio_vdmabuf.ko ]]; then
  pass "make modules_install: lib/modules/$abi/extra/virtio_vdmabuf.ko"
else
  cat "$work/install.log"; fail "make modules_install INSTALL_MOD_PATH=..."
fi

# 4. The user unit, with ExecStart on the built compositor (systemd looks the
# bare name up in /usr/local/bin and /usr/bin, where it is not installed here).
unit=$src/packaging/systemd/user/vdmabuf-compositor.service
if command -v systemd-analyze >/dev/null && [[ -x $compositor ]]; then
  mkdir -p "$work/unit" "$work/xdg" && chmod 700 "$work/xdg"
  sed "s|^ExecStart=vdmabuf-compositor |ExecStart=$compositor |" "$unit" \
    >"$work/unit/vdmabuf-compositor.service"
  if XDG_RUNTIME_DIR=$work/xdg systemd-analyze verify --user \
       "$work/unit/vdmabuf-compositor.service" >"$work/verify.log" 2>&1; then
    pass "systemd-analyze verify --user vdmabuf-compositor.service"
  else
    cat "$work/verify.log"; fail "systemd-analyze verify"
  fi
else
  log "SKIP: no systemd-analyze or no compositor: the unit is not verified"
fi

log "$failures failure(s)"
((failures == 0))
