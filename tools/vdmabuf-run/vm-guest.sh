#!/usr/bin/env bash
# vdmabuf-run --vm, the guest part: boots Debian's kernel under QEMU TCG with
# virtio_vdmabuf.ko (built here from driver/kernel) on vhost-user-vsock-pci
# (virtio id 19, borrowed on QEMU 7.2; docs/qemu.md) connected to vdmabufd's
# guest socket, and runs vdmabuf-compositor --device /dev/virtio-vdmabuf with
# the client inside it. The guest runs this machine's root over 9p
# (tests/vm/vm-lib.sh), so it uses this build tree's binaries.
#
#   vm-guest.sh SRC BUILD GUEST_SOCKET WORK OUTPUT -- CLIENT ARGS...
# Prints "vdmabuf-vm: ready" once the compositor in the guest is ready. On
# SIGTERM the compositor is stopped and the guest powers off (killed after
# 15 s). Exit 77 (the reason on stdout) where no VM can run here.
set -uo pipefail

src=$1 build=$2 sock=$3 work=$4 output=$5
shift 5
[[ ${1:-} == -- ]] && shift
client=("$@")
lane=vm-run
. "$src/tests/vm/vm-lib.sh"
vm_find_abi
vm_need_vsock
mkdir -p "$work"
log "kernel $vm_abi, $(qemu-system-x86_64 --version | head -1)" >"$work/vm.log"

# udmabuf and sw_sync, which the guest compositor's kernel path uses where the
# guest has them (cached in the build tree; about a minute the first time).
kmod=$("$src/tests/vm/extra-modules.sh" "$build/tests/vm/extra-modules" "$vm_abi" 2>>"$work/vm.log" | tail -1)
[[ -f $kmod/udmabuf.ko ]] || kmod=
if ! vm_build_module "$src" "$work/kbuild"; then
  cat "$work/kbuild/kbuild.log" >&2
  echo "vm-guest: virtio_vdmabuf.ko did not build (log above)" >&2
  exit 1
fi

# guest.sh runs under the guest's /bin/sh (dash): the client is its "$@".
printf -v client_line '%q ' "${client[@]}"
cat >"$work/guest.sh" <<EOF
set -u
W=$work K=$kmod B=$build
OUTPUT=$output
set -- $client_line
EOF
vm_sanitizer_env >>"$work/guest.sh" # a sanitizer build's options hold in the guest too
cat >>"$work/guest.sh" <<'EOF'
export XDG_RUNTIME_DIR=/tmp/xdg; mkdir -p -m 700 $XDG_RUNTIME_DIR
if [ -n "$K" ]; then insmod $K/udmabuf.ko; insmod $K/sw_sync.ko; fi
insmod $W/kbuild/driver/kernel/virtio_vdmabuf.ko borrow_id=19 guest_name=vm || exit 1
$B/guest-compositor/vdmabuf-compositor --device /dev/virtio-vdmabuf --output $OUTPUT -- "$@" \
  >$W/compositor.out 2>$W/compositor.log &
c=$!
while kill -0 $c 2>/dev/null && ! grep -q 'vdmabuf-compositor: ready' $W/compositor.out; do sleep 0.1; done
kill -0 $c 2>/dev/null && : >$W/ready
while kill -0 $c 2>/dev/null && [ ! -e $W/stop ]; do sleep 0.2; done
kill $c 2>/dev/null; wait $c
echo "compositor exit $?" >$W/compositor.exit
dmesg >$W/dmesg.txt
EOF

stop() {
  : >"$work/stop"
  for _ in $(seq 75); do kill -0 "$vm_pid" 2>/dev/null || break; sleep 0.2; done
  kill -KILL "$vm_pid" 2>/dev/null
  wait "$vm_pid" 2>/dev/null
  exit 0
}
trap stop TERM INT

vm_root_initrd "$work/initrd.gz"
vm_keep=
case $src in /tmp/?*) vm_keep=$src ;; esac
case $build in /tmp/?*) vm_keep=${vm_keep:+$vm_keep,}$build ;; esac
case $kmod in /tmp/?*) vm_keep=${vm_keep:+$vm_keep,}$kmod ;; esac
vm_boot "$work" "$work/console.log" \
  -object memory-backend-memfd,id=mem,size=1G,share=on -numa node,memdev=mem \
  -chardev socket,id=vdm,path="$sock" -device vhost-user-vsock-pci,chardev=vdm
log "QEMU $vm_pid booting (console: $work/console.log)" >>"$work/vm.log"

# The guest signals through WORK (9p): the compositor is ready, or it is gone.
while kill -0 "$vm_pid" 2>/dev/null && [[ ! -e $work/ready ]]; do sleep 0.2; done
if [[ ! -e $work/ready ]]; then
  echo "vm-guest: the guest stopped before its compositor was ready" >&2
  tail -20 "$work/compositor.log" "$work/guest.log" "$work/console.log" >&2 2>/dev/null
  exit 1
fi
echo "vdmabuf-vm: ready"
while kill -0 "$vm_pid" 2>/dev/null; do sleep 0.2; done
echo "vm-guest: the guest powered off by itself: $(cat "$work/compositor.exit" 2>/dev/null)" >&2
tail -20 "$work/compositor.log" >&2 2>/dev/null
exit 1
