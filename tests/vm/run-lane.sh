#!/usr/bin/env bash
# The real-VM lane: builds virtio_vdmabuf.ko and a busybox initramfs, starts
# vdmabufd and the headless viewer, boots Debian's kernel under QEMU TCG with
# memfd guest RAM and vhost-user-vsock-pci (virtio id 19, borrowed) on vdmabufd's
# guest socket, and checks what the guest program (guest_test.c) and the host see.
# A second boot hot-unplugs the device (QMP device_del) under an open file.
#
#   tests/vm/run-lane.sh SRC VDMABUFD VIEWER VDMABUFCTL CHECK_PNG FRONTEND_TEST [COMPOSITOR CLIENT]
# With COMPOSITOR and CLIENT, phase 0 runs vdmabuf-compositor --device /dev/virtio-vdmabuf
# with vdmabuf-pattern-client in the guest and finds the client's window on the host.
# Exit 0 pass, 1 fail, 77 skip (the reason on stdout). Packages: scripts/install-deps --vm.
# VM_LANE_KEEP=1 keeps the work directory (its path is printed). The guest also
# loads udmabuf and sw_sync from tests/vm/extra-modules.sh (built into
# VM_EXTRA_MODULES_DIR, default beside vm-check-png) when it can build them.
set -uo pipefail

src=$1 vdmabufd=$2 viewer=$3 ctl=$4 check_png=$5 frontend_test=$6
compositor=${7:-} client=${8:-}
lane=vm-lane
. "$src/tests/vm/vm-lib.sh"

# --- What this machine has -------------------------------------------------
vm_find_abi
vm_need_vsock
abi=$vm_abi
busybox=/bin/busybox
log "kernel $abi, $(qemu-system-x86_64 --version | head -1)"

work=$(mktemp -d "${TMPDIR:-/tmp}/vdmabuf-vm.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
  wait 2>/dev/null
  if [[ ${VM_LANE_KEEP:-0} == 1 || $failures -gt 0 ]]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 1' TERM INT # meson's timeout: still clean up
deadline=$((t0 + 270))   # every wait below ends by then (meson's timeout is 300 s)

# --- The module and the guest program ------------------------------------
if ! vm_build_module "$src" "$work/src"; then
  cat "$work/src/kbuild.log"; fail "module build"; exit 1
fi
pass "virtio_vdmabuf.ko built against linux-headers-$abi"
if ! cc -static -O2 -std=gnu11 -Wall -Werror -I/usr/include/libdrm -I"$src/driver/uapi" \
     -I"$src/protocols" -I"$src/tests/vm" "$src/tests/vm/guest_test.c" -o "$work/guest-test"; then
  fail "guest program build"; exit 1
fi

# udmabuf (a fragmented foreign dma-buf) and sw_sync (explicit fences) for
# guest_test's foreign-EXPORT and fence checks; without them those checks skip.
extra_dir=${VM_EXTRA_MODULES_DIR:-$(cd "$(dirname "$check_png")" && pwd)/extra-modules}
extra=$("$src/tests/vm/extra-modules.sh" "$extra_dir" "$abi" 2>"$work/extra-modules.log")
case $? in
  0) pass "udmabuf.ko and sw_sync.ko from tests/vm/extra-modules.sh ($extra)" ;;
  77) log "extra modules unavailable, their guest checks skip: $extra"; extra= ;;
  *) cat "$work/extra-modules.log"; fail "tests/vm/extra-modules.sh"; extra= ;;
esac

# --- initramfs: busybox, modules in dependency order, the test -------------
root=$work/initramfs
mkdir -p "$root"/{bin,dev,proc,sys,results,lib/modules}
cp "$busybox" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
cp "$work/guest-test" "$root/bin/guest-test"
copy_closure() { # a dynamic executable and every shared library it loads
  cp "$1" "$root/bin/"
  ldd "$1" | awk '/=> \// { print $3 } /^\t\// { print $1 }' | while read -r lib; do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
}
copy_closure "$frontend_test"
if [[ -n $compositor ]]; then
  copy_closure "$compositor"
  copy_closure "$client"
  mkdir -p "$root/usr/share/X11"
  cp -r /usr/share/X11/xkb "$root/usr/share/X11/" # the compositor's seat keymap
fi
# A sanitizer build (scripts/test-sanitizers): the guest programs carry the
# runtime (copy_closure took it along); they get the host's options, and the
# suppression files they name, so a report fails them there as it does here.
: >"$root/sanitizer.env"
for var in ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS; do
  [[ -n ${!var:-} ]] || continue
  opts=()
  IFS=: read -ra parts <<<"${!var}"
  for opt in "${parts[@]}"; do
    if [[ $opt == suppressions=* ]]; then
      mkdir -p "$root/sanitizers"
      cp "${opt#suppressions=}" "$root/sanitizers/"
      opt=suppressions=/sanitizers/$(basename "${opt#suppressions=}")
    fi
    opts+=("$opt")
  done
  (IFS=:; echo "export $var='${opts[*]}'") >>"$root/sanitizer.env"
done
cp "$work/src/driver/kernel/virtio_vdmabuf.ko" "$root/lib/modules/"
mkdir -p "$root/lib/modules/extra"
[[ -z $extra ]] || cp "$extra/udmabuf.ko" "$extra/sw_sync.ko" "$root/lib/modules/extra/"
moddir=/lib/modules/$abi
for m in virtio_pci 9pnet_virtio 9p vgem; do
  grep -q "/$m.ko" "$moddir/modules.dep" "$moddir/modules.builtin" || skip "kernel $abi has no module $m"
done
: >"$root/modules.order"
for p in $(vm_module_closure virtio_pci 9pnet_virtio 9p vgem); do
  cp "$moddir/$p" "$root/lib/modules/"
  basename "$p" >>"$root/modules.order"
done
cat >"$root/init" <<'EOF'
#!/bin/sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
. /sanitizer.env
for m in $(cat /modules.order); do insmod /lib/modules/$m || echo "insmod $m failed"; done
# list_limit: guest_test's too-fragmented udmabuf has 2 x 4096 single pages.
if [ -f /lib/modules/extra/udmabuf.ko ]; then
  insmod /lib/modules/extra/udmabuf.ko list_limit=8192 || echo "insmod udmabuf failed"
  insmod /lib/modules/extra/sw_sync.ko || echo "insmod sw_sync failed"
  mount -t debugfs debugfs /sys/kernel/debug
fi
mount -t 9p -o trans=virtio,version=9p2000.L,cache=none results /results || echo "9p mount failed"
vdm="/lib/modules/virtio_vdmabuf.ko borrow_id=19 guest_name=vmguest"
insmod $vdm
dmesg | grep -i vdmabuf > /results/dmesg-probe.txt
if [ -x /bin/vdmabuf-compositor ]; then
  echo "guest: running vdmabuf-compositor on /dev/virtio-vdmabuf"
  mkdir -p /tmp/xdg; chmod 700 /tmp/xdg
  XDG_RUNTIME_DIR=/tmp/xdg /bin/vdmabuf-compositor --device /dev/virtio-vdmabuf \
    --output 640x480@30 -- /bin/vdmabuf-pattern-client --mode still --size 320x240 \
    > /results/compositor.log 2>&1 &
  cpid=$!
  i=0
  while [ ! -e /results/comp-seen ] && [ $i -lt 1200 ] && kill -0 $cpid 2>/dev/null; do
    sleep 0.1; i=$((i + 1))
  done
  kill $cpid 2>/dev/null; wait $cpid
  echo "compositor exit $?" > /results/comp-done
fi
echo "guest: running vm-frontend-test"
/bin/vm-frontend-test /results
echo "vm-frontend-test exit $?" > /results/frontend-exit
# Unload (device reset: vdmabufd ends the session) and load again (a new HELLO).
rmmod virtio_vdmabuf && echo "rmmod ok" > /results/rmmod
insmod $vdm && echo "insmod again ok" >> /results/rmmod
echo "guest: running guest-test (it powers the guest off)"
/bin/guest-test /results
echo "guest-test returned $?" > /results/guest-exit
poweroff -f
EOF
chmod +x "$root/init"
cat >"$root/init-unplug" <<'EOF'
#!/bin/sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in $(cat /modules.order); do insmod /lib/modules/$m || echo "insmod $m failed"; done
mount -t 9p -o trans=virtio,version=9p2000.L,cache=none results /results || echo "9p mount failed"
# features=0: the 56-byte HELLO of a driver from before features (the device still serves it).
insmod /lib/modules/virtio_vdmabuf.ko borrow_id=19 guest_name=vmunplug features=0
echo "guest: running guest-test unplug"
/bin/guest-test /results unplug
dmesg > /results/dmesg-unplug.txt
sync
poweroff -f
EOF
chmod +x "$root/init-unplug"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initrd.gz"
pass "initramfs: busybox, $(wc -l <"$root/modules.order") kernel modules, virtio_vdmabuf.ko, guest-test"

# --- Host side --------------------------------------------------------------
share=$work/share
mkdir -p "$share"
wait_file() { # path timeout_s [pid that must stay alive]
  local end=$((SECONDS + $2))
  ((end < deadline)) || end=$deadline
  while [[ ! -e $1 ]]; do
    ((SECONDS < end)) || return 1
    [[ -z ${3:-} ]] || kill -0 "$3" 2>/dev/null || return 1
    sleep 0.1
  done
}
"$vdmabufd" --guest-socket "$work/guest.sock" --consumer-socket "$work/consumer.sock" \
  --release-timeout 30000 --udmabuf off --log "${VM_LANE_LOG:-info}" >"$work/vdmabufd.log" 2>&1 &
daemon=$!
pids+=("$daemon")
wait_file "$work/consumer.sock" 20 "$daemon" || { fail "vdmabufd did not start"; cat "$work/vdmabufd.log"; exit 1; }

# The first boot also has a cold-plugged DIMM, the only memory of NUMA node 1
# (onlined at boot by memhp_default_state): QEMU gives vdmabufd its memory with
# ADD_MEM_REG (CONFIGURE_MEM_SLOTS), and guest_test ALLOCs a buffer there.
qemu-system-x86_64 -accel tcg -machine pc -smp 1 -m 512M,slots=2,maxmem=2G \
  -object memory-backend-memfd,id=mem,size=512M,share=on -numa node,nodeid=0,memdev=mem \
  -object memory-backend-memfd,id=dimm1,size=256M,share=on -numa node,nodeid=1 \
  -device pc-dimm,id=d1,memdev=dimm1,node=1 \
  -kernel "/boot/vmlinuz-$abi" -initrd "$work/initrd.gz" \
  -append "console=ttyS0 panic=-1 loglevel=4 no_timer_check memhp_default_state=online_kernel" \
  -chardev socket,id=vdm,path="$work/guest.sock" -device vhost-user-vsock-pci,chardev=vdm \
  -virtfs local,path="$share",mount_tag=results,security_model=none,id=results \
  -display none -monitor none -serial file:"$work/console.log" -no-reboot &
qemu=$!
pids+=("$qemu")
boot_t=$SECONDS

# Phase 0: the guest compositor on the kernel frontend; each viewer that connects
# asks for a frame (REFRESH) until one shows the client's window, drawn exactly.
if [[ -n $compositor ]]; then
  seen=
  while [[ -z $seen ]] && kill -0 "$qemu" 2>/dev/null && ((SECONDS < deadline - 150)); do
    rm -f "$work/comp.png"
    timeout 20 "$viewer" --connect "$work/consumer.sock" --guest vmguest --presenter headless \
      --frames 1 --screenshot "$work/comp.png" >>"$work/viewer0.log" 2>&1
    [[ -f $work/comp.png ]] && "$check_png" --locate "$work/comp.png" >"$work/comp-check.txt" && seen=1
  done
  if [[ -n $seen ]]; then
    pass "compositor in the guest: $(cat "$work/comp-check.txt") ($((SECONDS - boot_t)) s after boot)"
  else
    fail "no pattern-client window from the guest compositor"
    cat "$work/comp-check.txt" 2>/dev/null
  fi
  : >"$share/comp-seen"
  # SIGTERM ends the session with 128 + 15; anything else (a sanitizer report
  # aborts) is a failure.
  if ! wait_file "$share/comp-done" 30 "$qemu"; then
    fail "compositor did not stop"
  elif grep -qx "compositor exit 143" "$share/comp-done"; then
    pass "compositor stopped: $(cat "$share/comp-done")"
  else
    fail "compositor stopped badly: $(cat "$share/comp-done")"
    tail -40 "$share/compositor.log"
  fi
fi

"$viewer" --connect "$work/consumer.sock" --guest vmguest --presenter headless --frames 5 \
  --screenshot "$work/shot.png" --stats-json "$work/viewer1.json" >"$work/viewer1.log" 2>&1 &
viewer1=$!
pids+=("$viewer1")


# Phase 1: five frames through the viewer; it exits with a screenshot.
if wait_file "$share/phase1" 150 "$qemu"; then
  log "guest phase 1 done $((SECONDS - boot_t)) s after QEMU started: $(cat "$share/phase1")"
else
  fail "guest never finished phase 1"
fi
end=$((SECONDS + 30)); ((end < deadline)) || end=$deadline
while kill -0 "$viewer1" 2>/dev/null && ((SECONDS < end)); do sleep 0.1; done
kill -0 "$viewer1" 2>/dev/null && { fail "viewer 1 still running"; kill -KILL "$viewer1"; }
if wait "$viewer1"; then pass "viewer 1 exited after 5 frames"; else fail "viewer 1 failed"; fi
seed=$(sed -n 's/.*last_done_seq=\([0-9]*\).*/\1/p' "$share/phase1" 2>/dev/null)
last_buf=$(sed -n 's/.*last_buf=\([a-z]*\).*/\1/p' "$share/phase1" 2>/dev/null)
if [[ -n $seed ]] && "$check_png" "$work/shot.png" "$seed"; then
  pass "screenshot == guest pattern of frame $seed (drawn into the guest's ${last_buf:-?} buffer)"
else
  fail "screenshot does not match frame '${seed}'"
fi
grep -q '^done=5 ' "$share/phase1" 2>/dev/null && pass "5 RELEASE DONE in the guest" || fail "release count: $(cat "$share/phase1" 2>/dev/null)"

# The DIMM frame: a viewer for one frame; the guest draws it into the buffer it
# ALLOC'd on NUMA node 1 (the DIMM) and the screenshot must be that pattern.
dimm_t=$SECONDS
"$viewer" --connect "$work/consumer.sock" --guest vmguest --presenter headless --frames 1 \
  --screenshot "$work/dimm.png" >"$work/viewer-dimm.log" 2>&1 &
viewer_dimm=$!
pids+=("$viewer_dimm")
if wait_file "$share/dimm" 60 "$qemu"; then
  end=$((SECONDS + 20)); ((end < deadline)) || end=$deadline
  while kill -0 "$viewer_dimm" 2>/dev/null && ((SECONDS < end)); do sleep 0.1; done
  kill -0 "$viewer_dimm" 2>/dev/null && { fail "DIMM viewer still running"; kill -KILL "$viewer_dimm"; }
  wait "$viewer_dimm" 2>/dev/null
  dseq=$(sed -n 's/^seq=\([0-9]*\).*/\1/p' "$share/dimm")
  if [[ -n $dseq && $dseq != 0 ]] && "$check_png" "$work/dimm.png" "$dseq"; then
    pass "screenshot == guest pattern of frame $dseq, drawn into the buffer in the DIMM ($((SECONDS - dimm_t)) s)"
  else
    fail "DIMM frame: screenshot does not match frame '${dseq}'"
  fi
else
  fail "guest never presented the DIMM frame"
  kill -KILL "$viewer_dimm" 2>/dev/null
fi
# What QEMU sent for its memory so far (vdmabufd logs each region message).
memlog=$(grep -oE '(ADD_MEM_REG gpa 0x[0-9a-f]+ size 0x[0-9a-f]+|REM_MEM_REG gpa 0x[0-9a-f]+ size 0x[0-9a-f]+|SET_MEM_TABLE with [0-9]+ regions)' "$work/vdmabufd.log")
log "vhost-user memory messages from QEMU: $(grep -c ADD_MEM_REG <<<"$memlog") ADD_MEM_REG, $(grep -c REM_MEM_REG <<<"$memlog") REM_MEM_REG, $(grep -c SET_MEM_TABLE <<<"$memlog") SET_MEM_TABLE"
sort <<<"$memlog" | uniq -c | while read -r l; do log "  $l"; done
grep -q 'ADD_MEM_REG gpa 0x[0-9a-f]* size 0x10000000 ' "$work/vdmabufd.log" &&
  pass "QEMU added the 256 MiB DIMM with ADD_MEM_REG" || fail "no ADD_MEM_REG of the 256 MiB DIMM"

# Phase 2: a second viewer, stopped, then killed: the guest gets its releases.
"$viewer" --connect "$work/consumer.sock" --guest vmguest --presenter headless \
  >"$work/viewer2.log" 2>&1 &
viewer2=$!
pids+=("$viewer2")
if wait_file "$share/refresh2" 60 "$qemu"; then
  kill -STOP "$viewer2"
  : >"$share/go2"
  if wait_file "$share/presented2" 60 "$qemu"; then
    kill -KILL "$viewer2"
    wait "$viewer2" 2>/dev/null
    if wait_file "$share/phase2" 40 "$qemu"; then
      grep -q 'disconnected, released 2 held presentations' "$work/vdmabufd.log" &&
        pass "vdmabufd: the killed viewer's 2 held presentations released" ||
        fail "vdmabufd did not release the killed viewer's presentations"
      grep -q '^releases=2 ' "$share/phase2" && pass "killed viewer: guest got both releases ($(cat "$share/phase2"))" ||
        fail "killed viewer: $(cat "$share/phase2")"
    else fail "guest never finished phase 2"; fi
  else fail "guest never presented phase 2"; fi
else
  fail "guest saw no REFRESH for viewer 2"
fi

# Phase 3: buffers live, then the guest powers off holding them: vdmabufd retires them.
if wait_file "$share/live" 60 "$qemu"; then
  "$ctl" --connect "$work/consumer.sock" list >"$work/list-live.txt" 2>&1
  grep -q '"vmguest": 3 buffers' "$work/list-live.txt" && pass "vdmabufd holds the guest's 3 buffers" ||
    { fail "vdmabufctl list while live:"; cat "$work/list-live.txt"; }
  : >"$share/go3"
else
  fail "guest never reached phase 3"
fi
end=$((SECONDS + 60)); ((end < deadline)) || end=$deadline
while kill -0 "$qemu" 2>/dev/null && ((SECONDS < end)); do sleep 0.2; done
if kill -0 "$qemu" 2>/dev/null; then fail "guest did not power off"; kill -KILL "$qemu"; fi
wait "$qemu" 2>/dev/null
log "guest powered off $((SECONDS - boot_t)) s after QEMU started"
end=$((SECONDS + 10))
until "$ctl" --connect "$work/consumer.sock" list >"$work/list-after.txt" 2>&1 &&
      grep -q '^guests: 0' "$work/list-after.txt"; do
  ((SECONDS < end)) || break
  sleep 0.1
done
grep -q '^guests: 0' "$work/list-after.txt" && ! grep -q vmguest "$work/list-after.txt" &&
  pass "after power-off vdmabufd has no guest and no buffers" ||
  { fail "after power-off:"; cat "$work/list-after.txt"; }

grep -q "guest [0-9]* 'vmguest': ready (connection [0-9]*), features 0xf (from HELLO)" "$work/vdmabufd.log" &&
  pass "the driver's HELLO negotiated all four features" || fail "no HELLO with features from the driver"
grep -q 'guest [0-9]* "vmguest" removed' "$work/vdmabufd.log" && pass "vdmabufd retired the guest" ||
  fail "vdmabufd never logged the guest's removal"

# Second boot: the device is hot-unplugged (QMP device_del) under an open file
# with live exports; the driver's remove path runs and the guest checks the rest.
qmp() { vm_qmp "$work/qmp.sock" "$1"; } # one QMP command
unplug_t=$SECONDS
qemu-system-x86_64 -accel tcg -machine pc -smp 1 -m 512M,slots=2,maxmem=2G \
  -object memory-backend-memfd,id=mem,size=512M,share=on -numa node,memdev=mem \
  -kernel "/boot/vmlinuz-$abi" -initrd "$work/initrd.gz" \
  -append "console=ttyS0 panic=-1 loglevel=4 no_timer_check rdinit=/init-unplug memhp_default_state=online_movable" \
  -chardev socket,id=vdm,path="$work/guest.sock" -device vhost-user-vsock-pci,chardev=vdm,id=vdm0 \
  -virtfs local,path="$share",mount_tag=results,security_model=none,id=results \
  -qmp unix:"$work/qmp.sock",server=on,wait=off \
  -display none -monitor none -serial file:"$work/console-unplug.log" -no-reboot &
qemu2=$!
pids+=("$qemu2")
if wait_file "$share/unplug-ready" 120 "$qemu2"; then
  "$ctl" --connect "$work/consumer.sock" list >"$work/list-unplug.txt" 2>&1
  grep -q "guest [0-9]* 'vmunplug': ready (connection [0-9]*), features 0x0 (from virtio)" "$work/vdmabufd.log" &&
    pass "second boot: the 56-byte HELLO (features=0) served, no features" ||
    fail "second boot: vdmabufd did not log the 56-byte HELLO's session"
  grep -q '"vmunplug": 3 buffers' "$work/list-unplug.txt" && pass "second boot: vdmabufd holds 3 buffers" ||
    { fail "second boot: vdmabufctl list:"; cat "$work/list-unplug.txt"; }
  # A DIMM hot-plugged into the running device, then unplugged (the guest onlines
  # it movable, so it can give it back): QEMU sends ADD_MEM_REG, then REM_MEM_REG.
  hp_t=$SECONDS
  if qmp '{"execute": "object-add", "arguments": {"qom-type": "memory-backend-memfd", "id": "hp1", "size": 134217728, "share": true}}' &&
     qmp '{"execute": "device_add", "arguments": {"driver": "pc-dimm", "id": "hpd1", "memdev": "hp1"}}'; then
    wait_log() { # pattern timeout_s
      local end=$((SECONDS + $2)); ((end < deadline)) || end=$deadline
      until grep -q "$1" "$work/vdmabufd.log"; do ((SECONDS < end)) || return 1; sleep 0.1; done
    }
    if wait_log "connection [0-9]*: ADD_MEM_REG gpa 0x[0-9a-f]* size 0x8000000 " 20; then
      pass "hot-plugged DIMM: ADD_MEM_REG ($((SECONDS - hp_t)) s)"
      qmp '{"execute": "device_del", "arguments": {"id": "hpd1"}}' || fail "QMP device_del of the DIMM"
      wait_log "REM_MEM_REG gpa 0x[0-9a-f]* size 0x8000000 " 20 &&
        pass "hot-unplugged DIMM: REM_MEM_REG ($((SECONDS - hp_t)) s)" ||
        fail "no REM_MEM_REG after the DIMM's device_del"
    else
      fail "no ADD_MEM_REG for the hot-plugged DIMM"
    fi
  else
    fail "QMP: cannot hot-plug a DIMM"
  fi
  qmp '{"execute": "device_del", "arguments": {"id": "vdm0"}}' && pass "QMP device_del" || fail "QMP device_del"
else
  fail "second boot never became ready for the unplug"
fi
end=$((SECONDS + 90)); ((end < deadline)) || end=$deadline
while kill -0 "$qemu2" 2>/dev/null && ((SECONDS < end)); do sleep 0.2; done
kill -0 "$qemu2" 2>/dev/null && { fail "second guest did not power off"; kill -KILL "$qemu2"; }
wait "$qemu2" 2>/dev/null
if [[ -f $share/unplug.txt ]]; then
  grep '^FAIL ' "$share/unplug.txt" | while read -r l; do log "FAIL: unplug: $l"; done
  grep '^INFO ' "$share/unplug.txt" | while read -r l; do log "unplug: $l"; done
  failures=$((failures + $(grep -c '^FAIL ' "$share/unplug.txt")))
  grep -q '^END failures=0' "$share/unplug.txt" &&
    pass "hot-unplug: $(grep -c '^PASS ' "$share/unplug.txt") guest checks passed ($((SECONDS - unplug_t)) s)" ||
    fail "unplug test did not finish cleanly"
else
  fail "no unplug results"
fi
grep -q "guest [0-9]* 'vmunplug': session ended" "$work/vdmabufd.log" &&
  pass "vdmabufd ended the unplugged guest's session" || fail "vdmabufd did not end the unplugged session"

# The guest's own verdicts.
if [[ -f $share/guest.txt ]]; then
  npass=$(grep -c '^PASS ' "$share/guest.txt")
  if grep -q '^FAIL ' "$share/guest.txt"; then
    grep '^FAIL ' "$share/guest.txt" | while read -r l; do log "FAIL: guest: $l"; done
    failures=$((failures + $(grep -c '^FAIL ' "$share/guest.txt")))
  fi
  grep '^SKIP ' "$share/guest.txt" | while read -r l; do log "guest: $l"; done
  grep '^INFO ' "$share/guest.txt" | while read -r l; do log "guest: $l"; done
  grep -q '^END failures=0' "$share/guest.txt" && pass "guest: $npass checks passed" || fail "guest did not finish cleanly"
else
  fail "no guest results"
fi
if [[ -f $share/frontend.txt ]]; then
  grep '^FAIL ' "$share/frontend.txt" | while read -r l; do log "FAIL: frontend: $l"; done
  failures=$((failures + $(grep -c '^FAIL ' "$share/frontend.txt")))
  grep -q '^END failures=0' "$share/frontend.txt" && grep -qx "vm-frontend-test exit 0" "$share/frontend-exit" &&
    pass "libvdmabuf-guest kernel frontend: $(grep -c '^PASS ' "$share/frontend.txt") checks passed" ||
    fail "kernel frontend test did not finish cleanly ($(cat "$share/frontend-exit" 2>/dev/null))"
else
  fail "no kernel frontend results"
fi
grep -q 'insmod again ok' "$share/rmmod" 2>/dev/null &&
  pass "module unloaded and loaded again in the guest (two HELLO sessions)" ||
  fail "rmmod/insmod: $(cat "$share/rmmod" 2>/dev/null)"
[[ -f $share/guest-exit ]] && fail "guest-test did not power the guest off: $(cat "$share/guest-exit")"
if grep -qE 'BUG:|WARNING:|Oops|kmemleak|general protection' "$share"/dmesg*.txt "$work"/console*.log 2>/dev/null; then
  fail "kernel warnings:"; grep -E -A5 'BUG:|WARNING:|Oops|general protection' "$work"/console*.log | head -40
fi

log "vhost-user memory messages QEMU sent over both boots, in order:"
grep -oE 'connection [0-9]+: (ADD_MEM_REG gpa 0x[0-9a-f]+ size 0x[0-9a-f]+|REM_MEM_REG gpa .*|SET_MEM_TABLE with [0-9]+ regions)' \
  "$work/vdmabufd.log" | while read -r l; do log "  $l"; done
log "wall time $((SECONDS - t0)) s, failures $failures"
if ((failures)); then
  echo "--- console (tail)"; tail -30 "$work/console.log"
  echo "--- vdmabufd (tail)"; tail -20 "$work/vdmabufd.log"
  [[ -f $share/guest.txt ]] && { echo "--- guest"; cat "$share/guest.txt"; }
  [[ -f $share/frontend.txt ]] && { echo "--- frontend"; cat "$share/frontend.txt"; }
  [[ -f $share/unplug.txt ]] && { echo "--- unplug"; cat "$share/unplug.txt"; }
  exit 1
fi
exit 0
