#!/usr/bin/env bash
# The VM lane's GL half (suite 'vm'): the guest desktop renders with wlroots'
# GLES2 renderer into GBM buffers on a DRM primary node (vgem built with
# render_node=0, tests/vm/extra-modules.sh) and exports those dma-bufs through
# virtio_vdmabuf.ko (foreign dma-buf EXPORT) to this host's vdmabufd; the host's
# headless viewer must show the pattern client's window exactly, and grim inside
# the guest must equal the host's screenshot. The guest runs this host's root
# over 9p (tests/vm/vm-lib.sh), so Mesa and wlroots are the host's.
#
#   tests/vm/gl-lane.sh SRC BUILD KMOD_DIR
# Exit 0 pass, 1 fail, 77 skip (reason on stdout). GL_LANE_KEEP=1 keeps WORK.
set -uo pipefail

src=$(cd "$1" && pwd) build=$(cd "$2" && pwd) kmod=$3
lane=gl-lane
. "$src/tests/vm/vm-lib.sh"
vm_find_abi
vm_need_vsock
kmod=$("$src/tests/vm/extra-modules.sh" "$kmod" "$vm_abi" | tail -1)
case $? in 0) ;; 77) skip "$kmod" ;; *) log "FAIL: extra modules did not build"; exit 1 ;; esac
[[ -f $kmod/vgem.ko ]] || { log "FAIL: extra modules did not build"; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/vdmabuf-gl.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}" ${vm_pid:-}; do kill -KILL "$p" 2>/dev/null; done
  wait 2>/dev/null
  if [[ ${GL_LANE_KEEP:-0} == 1 || $failures -gt 0 ]]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 1' TERM INT
deadline=$((t0 + 270)) # meson's timeout is 300 s

vm_build_module "$src" "$work/kbuild" ||
  { cat "$work/kbuild/kbuild.log"; fail "module build"; exit 1; }

cat >"$work/guest.sh" <<EOF
set -u
W=$work B=$build K=$kmod
EOF
vm_sanitizer_env >>"$work/guest.sh"
cat >>"$work/guest.sh" <<'EOF'
export XDG_RUNTIME_DIR=/tmp/xdg; mkdir -p -m 700 $XDG_RUNTIME_DIR
modprobe -a drm drm_shmem_helper
insmod $W/kbuild/driver/kernel/virtio_vdmabuf.ko borrow_id=19 guest_name=glguest &&
  insmod $K/vgem.ko render_node=0 && echo "modules ok" >$W/modules
ls -l /dev/dri >>$W/modules 2>&1
# --renderer auto: the probe must pick gl here (checked below).
$B/guest-compositor/vdmabuf-compositor --device /dev/virtio-vdmabuf --output 640x480@30 -- $B/tests/clients/vdmabuf-pattern-client --mode still \
  --size 320x240 >$W/compositor.log 2>&1 &
c=$!
i=0
while [ ! -e $W/seen ] && [ $i -lt 1800 ] && kill -0 $c 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
WAYLAND_DISPLAY=wayland-0 grim $W/grim.png >$W/grim.log 2>&1
echo $? >$W/grim.exit
kill $c; wait $c
echo "compositor exit $?" >$W/compositor.exit
dmesg >$W/dmesg.txt
EOF

"$build/driver/backend/vdmabufd" --guest-socket "$work/guest.sock" --consumer-socket "$work/consumer.sock" \
  --udmabuf off --log info >"$work/vdmabufd.log" 2>&1 &
pids+=($!)
for _ in $(seq 200); do [[ -S $work/consumer.sock ]] && break; sleep 0.1; done
vm_root_initrd "$work/initrd.gz"
vm_keep="$src,$build,$kmod"
boot_t=$SECONDS
vm_boot "$work" "$work/console.log" \
  -object memory-backend-memfd,id=mem,size=1G,share=on -numa node,memdev=mem \
  -chardev socket,id=vdm,path="$work/guest.sock" -device vhost-user-vsock-pci,chardev=vdm

# Each viewer that connects asks for a frame (REFRESH) until one shows the
# client's window drawn exactly.
seen=
while [[ -z $seen ]] && kill -0 "$vm_pid" 2>/dev/null && ((SECONDS < deadline - 60)); do
  rm -f "$work/host.png"
  timeout 30 "$build/host-viewer/vdmabuf-viewer" --connect "$work/consumer.sock" --guest glguest \
    --presenter headless --frames 1 --screenshot "$work/host.png" >>"$work/viewer.log" 2>&1
  [[ -f $work/host.png ]] && "$build/tests/vm/vm-check-png" --locate "$work/host.png" >"$work/locate.txt" && seen=1
  [[ -n $seen ]] || sleep 1
done
if [[ -n $seen ]]; then
  pass "host viewer: $(cat "$work/locate.txt") ($((SECONDS - boot_t)) s after boot)"
else
  fail "no exact pattern-client window from the GL guest compositor"
  cat "$work/locate.txt" 2>/dev/null
fi
: >"$work/seen"
while kill -0 "$vm_pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.5; done
kill -0 "$vm_pid" 2>/dev/null && { fail "guest still running"; kill -KILL "$vm_pid"; }
wait "$vm_pid" 2>/dev/null
vm_pid=
log "guest ran $((SECONDS - boot_t)) s"

w=$work
grep -q 'modules ok' "$w/modules" 2>/dev/null && pass "guest: virtio_vdmabuf + vgem (render_node=0) loaded" ||
  fail "modules: $(cat "$w/modules" 2>/dev/null)"
r=$(grep -m1 'server: renderer: ' "$w/compositor.log")
[[ $r == *'renderer: gl (GLES2 on /dev/dri/card'* ]] && pass "compositor (auto): ${r##*INFO }" ||
  fail "compositor renderer: '$r'"
if [[ $(cat "$w/grim.exit" 2>/dev/null) == 0 ]] &&
   "$build/tests/vm/vm-check-png" --same "$w/grim.png" "$w/host.png" >"$w/same.txt" 2>&1; then
  pass "grim in the guest == the host viewer's screenshot: $(cat "$w/same.txt")"
else
  fail "grim vs host: exit $(cat "$w/grim.exit" 2>/dev/null) $(cat "$w/grim.log" "$w/same.txt" 2>/dev/null)"
fi
grep -qx 'compositor exit 143' "$w/compositor.exit" 2>/dev/null && pass "compositor stopped on SIGTERM" ||
  fail "compositor stopped badly: $(cat "$w/compositor.exit" 2>/dev/null)"
if grep -qE 'BUG:|WARNING:|Oops|general protection' "$w/dmesg.txt" "$w/console.log" 2>/dev/null; then
  fail "kernel warnings:"; grep -E -A5 'BUG:|WARNING:|Oops|general protection' "$w/dmesg.txt" | head -30
fi
log "wall time $((SECONDS - t0)) s, failures $failures"
if ((failures)); then
  echo "--- compositor (tail)"; tail -30 "$w/compositor.log" 2>/dev/null
  echo "--- guest.log"; tail -20 "$w/guest.log" 2>/dev/null
  echo "--- console (tail)"; tail -20 "$w/console.log"
  exit 1
fi
exit 0
