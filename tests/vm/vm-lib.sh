# Sourced by the VM lanes: a QEMU TCG guest whose root is this host's / over
# 9p (read-only), so it runs the host's Mesa, LLVM, wlroots and our build tree
# as they are, with no image to build. The initramfs only loads 9p, mounts the
# host root, gives it fresh /proc /sys /dev /tmp /run, mounts WORK (read-write,
# same path as on the host) and runs WORK/guest.sh in a chroot; the guest
# powers off when it returns. Boot to the script: 3-6 s on an idle machine.
#
# Set `lane` (the log prefix, e.g. zc-lane) before sourcing: this file then
# defines log, skip (exit 77 with a reason), fail (counted in failures), pass.
#
#   vm_find_abi                      sets vm_abi (kernel with headers), or skips
#   vm_need_vsock                    skips without vhost-user-vsock-pci
#   vm_root_initrd OUT.gz            the initramfs (busybox + 9p modules)
#   vm_boot WORK LOG [QEMU ARGS...]  starts QEMU in the background; vm_pid
#                                    (vm_keep: host dirs under /tmp to keep, A,B)

t0=$SECONDS
failures=0
log() { printf '[%s %3ds] %s\n' "${lane:-vm}" $((SECONDS - t0)) "$*"; }
skip() { echo "SKIP: $*"; exit 77; }
fail() { log "FAIL: $*"; failures=$((failures + 1)); }
pass() { log "ok: $*"; }

vm_find_abi() {
  command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not installed (scripts/install-deps --vm)"
  [[ -x /bin/busybox ]] && ! ldd /bin/busybox >/dev/null 2>&1 || skip "no static /bin/busybox (busybox-static)"
  command -v cpio >/dev/null || skip "cpio not installed"
  vm_abi=
  local img a
  for img in $(ls -1 /boot/vmlinuz-*-amd64 2>/dev/null | sort -rV); do
    a=${img#/boot/vmlinuz-}
    if [[ -d /usr/src/linux-headers-$a && -f /lib/modules/$a/modules.dep ]]; then vm_abi=$a; break; fi
  done
  [[ -n $vm_abi ]] || skip "no Debian kernel image with headers of the same ABI (scripts/install-deps --vm)"
  [[ -r /boot/vmlinuz-$vm_abi ]] || skip "/boot/vmlinuz-$vm_abi not readable"
}

# QEMU 7.2's vhost-user device whose transport the lanes borrow (docs/qemu.md).
vm_need_vsock() {
  qemu-system-x86_64 -device help 2>/dev/null | grep -q '"vhost-user-vsock-pci"' ||
    skip "this QEMU has no vhost-user-vsock-pci"
}

# Paths (relative to /lib/modules/ABI) of modules and their dependencies, in
# load order.
vm_module_closure() {
  local moddir=/lib/modules/$vm_abi m path
  declare -A done_=()
  local order=()
  add() {
    [[ -n ${done_[$1]:-} ]] && return
    done_[$1]=1
    local d
    for d in $(awk -v m="$1:" '$1 == m { $1 = ""; print }' "$moddir/modules.dep"); do add "$d"; done
    order+=("$1")
  }
  for m in "$@"; do
    path=$(awk -F: -v m="$m" '{ n = $1; sub(".*/", "", n); sub("\\.ko.*", "", n); gsub("-", "_", n) }
                             n == m { print $1; exit }' "$moddir/modules.dep")
    [[ -n $path ]] && add "$path"
  done
  printf '%s\n' "${order[@]}"
}

vm_root_initrd() {
  local out=$1 root
  root=$(mktemp -d "${TMPDIR:-/tmp}/vdmabuf-initrd.XXXXXX")
  mkdir -p "$root"/{bin,dev,proc,sys,newroot,lib/modules}
  cp /bin/busybox "$root/bin/busybox"
  ln -s busybox "$root/bin/sh"
  : >"$root/modules.order"
  local p
  for p in $(vm_module_closure virtio_pci 9pnet_virtio 9p); do
    cp "/lib/modules/$vm_abi/$p" "$root/lib/modules/"
    basename "$p" >>"$root/modules.order"
  done
  cat >"$root/init" <<'EOF'
#!/bin/sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in $(cat /modules.order); do insmod /lib/modules/$m 2>/dev/null; done
work=$(sed -n 's/.*vdm.work=\([^ ]*\).*/\1/p' /proc/cmdline)
r=/newroot
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 hostroot $r ||
  { echo "vm: cannot mount the host root"; poweroff -f; }
mount -t proc proc $r/proc; mount -t sysfs sys $r/sys; mount -t devtmpfs dev $r/dev
mount -t debugfs debugfs $r/sys/kernel/debug 2>/dev/null
mkdir -p $r/dev/pts $r/dev/shm; mount -t devpts devpts $r/dev/pts; mount -t tmpfs shm $r/dev/shm
# A fresh /tmp, but the host directories under /tmp the guest needs (the
# source and build trees, vdm.keep=A,B) stay visible at their own paths.
mkdir -p /hosttmp; mount --bind $r/tmp /hosttmp
mount -t tmpfs tmp $r/tmp; mount -t tmpfs run $r/run
for k in $(sed -n 's/.*vdm.keep=\([^ ]*\).*/\1/p' /proc/cmdline | tr , ' '); do
  case $k in /tmp/?*) mkdir -p $r$k; mount --bind /hosttmp/${k#/tmp/} $r$k;; esac
done
mkdir -p $r$work 2>/dev/null
mount -t 9p -o trans=virtio,version=9p2000.L,cache=none,msize=512000 work $r$work ||
  { echo "vm: cannot mount $work"; poweroff -f; }
echo "vm: running $work/guest.sh"
HOME=/tmp PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  chroot $r /bin/sh -c "cd $work && exec /bin/sh $work/guest.sh" >$r$work/guest.log 2>&1
echo "guest.sh exit $?" >$r$work/guest.exit
sync
poweroff -f
EOF
  chmod +x "$root/init"
  (cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out"
  rm -rf "$root"
}

# WORK must exist; it is shared read-write at the same path. The kernel's
# console goes to LOG. Extra QEMU arguments follow (devices, memory backends).
vm_boot() {
  local work=$1 log=$2
  shift 2
  qemu-system-x86_64 -accel tcg -machine pc -cpu Nehalem -smp 2 -m 1G "$@" \
    -kernel "/boot/vmlinuz-$vm_abi" -initrd "$work/initrd.gz" \
    -append "console=ttyS0 panic=-1 loglevel=4 no_timer_check vdm.work=$work vdm.keep=${vm_keep:-}" \
    -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap,id=hostroot \
    -virtfs local,path="$work",mount_tag=work,security_model=none,id=work \
    -display none -monitor none -serial file:"$log" -no-reboot &
  vm_pid=$!
}

# "export VAR='value'" lines for guest.sh: a sanitizer build's options and
# preload (scripts/test-sanitizers) hold in the guest too; their paths are the
# same there (the source and build trees are the host's).
vm_sanitizer_env() {
  local var
  for var in ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS LD_PRELOAD; do
    [[ -n ${!var:-} ]] && printf "export %s='%s'\n" "$var" "${!var}"
  done
  return 0
}

# vm_build_module SRC DIR: virtio_vdmabuf.ko at DIR/driver/kernel/, built from
# SRC's driver/kernel, driver/uapi and protocols/vdmabuf_wire.h (copied to DIR:
# kbuild writes beside the sources) against $vm_abi's headers; its log in
# DIR/kbuild.log. Every lane of a run needs the same module: it is built once
# per content and ABI and then copied from a cache (VM_MODULE_CACHE, default
# under TMPDIR) keyed by both. Returns non-zero when make fails.
vm_build_module() {
  local src=$1 dir=$2 key cache
  mkdir -p "$dir/driver" "$dir/protocols"
  cp -r "$src/driver/kernel" "$src/driver/uapi" "$dir/driver/"
  cp "$src/protocols/vdmabuf_wire.h" "$dir/protocols/"
  key=$(cd "$dir" && cat driver/kernel/*.[ch] driver/kernel/Kbuild driver/kernel/Makefile \
    driver/uapi/*.h protocols/vdmabuf_wire.h | sha256sum | cut -c1-16)
  cache=${VM_MODULE_CACHE:-${TMPDIR:-/tmp}/vdmabuf-kmod-$(id -u)}/$vm_abi-$key
  if [[ -f $cache/virtio_vdmabuf.ko ]]; then
    cp "$cache/virtio_vdmabuf.ko" "$dir/driver/kernel/"
    echo "virtio_vdmabuf.ko from $cache" >"$dir/kbuild.log"
    return 0
  fi
  make -s -C "$dir/driver/kernel" KVER="$vm_abi" >"$dir/kbuild.log" 2>&1 || return 1
  mkdir -p "$cache" && cp "$dir/driver/kernel/virtio_vdmabuf.ko" "$cache/.ko.$$" &&
    mv "$cache/.ko.$$" "$cache/virtio_vdmabuf.ko"
  return 0
}

# vm_qmp SOCKET JSON: one QMP command on QEMU's QMP socket (after the
# capabilities handshake); non-zero with QEMU's error text when it fails.
vm_qmp() {
  python3 - "$1" "$2" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rw")
f.readline()
for cmd in ({"execute": "qmp_capabilities"}, json.loads(sys.argv[2])):
    f.write(json.dumps(cmd) + "\n"); f.flush()
    while True:
        r = json.loads(f.readline())
        if "return" in r or "error" in r:
            break
    if "error" in r:
        sys.exit(r["error"]["desc"])
PY
}
