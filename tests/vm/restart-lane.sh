#!/usr/bin/env bash
# The restart lane (suite 'vm'): vdmabufd is killed (-9) and restarted while a
# QEMU 7.2 TCG guest runs vdmabuf-compositor --device /dev/virtio-vdmabuf with
# vdmabuf-pattern-client; QEMU reconnects (chardev reconnect=1), the guest
# driver resets the device when its requests go unanswered and starts a new
# session, the compositor reopens the device, and a new viewer must find the
# client's window again. Also: no Oops/BUG/WARNING in the guest, and what
# became of the old session's buffers. docs/qemu.md explains what QEMU does.
#
#   tests/vm/restart-lane.sh SRC VDMABUFD VIEWER CHECK_PNG COMPOSITOR CLIENT
# The guest runs this machine's root over 9p (vm-lib.sh), so it runs these
# build-tree binaries. Exit 0 pass, 1 fail, 77 skip (the reason on stdout).
# VM_LANE_KEEP=1 keeps the work directory; VM_RESTART_DOWN_S=N restarts vdmabufd
# N s after the kill (default 4; 0: at once).
set -uo pipefail

src=$1 vdmabufd=$2 viewer=$3 check_png=$4 compositor=$5 client=$6
# The guest runs them at the host's paths: make them absolute.
compositor=$(realpath "$compositor") client=$(realpath "$client")
lane=vm-restart
. "$src/tests/vm/vm-lib.sh"
vm_find_abi
vm_need_vsock
command -v python3 >/dev/null || skip "python3 (the QMP client) not installed"
log "kernel $vm_abi, $(qemu-system-x86_64 --version | head -1)"

work=$(mktemp -d "${TMPDIR:-/tmp}/vdmabuf-restart.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
  wait 2>/dev/null
  if [[ ${VM_LANE_KEEP:-0} == 1 || $failures -gt 0 ]]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 1' TERM INT
deadline=$((t0 + 240))

if ! vm_build_module "$src" "$work/kbuild"; then
  cat "$work/kbuild/kbuild.log"; fail "module build"; exit 1
fi
pass "virtio_vdmabuf.ko built"

# The client redraws its square at 10 fps: the compositor presents all the time,
# so the driver notices within its request timeout that the daemon is gone.
cat >"$work/guest.sh" <<EOF
W=$work C=$compositor P=$client
EOF
vm_sanitizer_env >>"$work/guest.sh" # a sanitizer build's options hold in the guest too
cat >>"$work/guest.sh" <<'EOF'
export XDG_RUNTIME_DIR=/tmp/xdg; mkdir -p -m 700 $XDG_RUNTIME_DIR
insmod $W/kbuild/driver/kernel/virtio_vdmabuf.ko borrow_id=19 guest_name=vmrestart || exit 1
i=0 # the device is plugged once the host saw the chardev connect
while [ ! -e /dev/virtio-vdmabuf ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
$C --device /dev/virtio-vdmabuf --output 640x480@30 -- $P --mode square --fps 10 --size 320x240 \
  >$W/compositor.out 2>$W/compositor.log &
c=$!
while kill -0 $c 2>/dev/null && [ ! -e $W/stop ]; do sleep 0.2; done
kill $c 2>/dev/null; wait $c
echo "compositor exit $?" >$W/compositor.exit
dmesg >$W/dmesg.txt
EOF
vm_root_initrd "$work/initrd.gz"
vm_keep= # a build tree under /tmp stays visible in the guest (vm-lib.sh)
for p in "$compositor" "$client"; do
  case $p in /tmp/?*) vm_keep=${vm_keep:+$vm_keep,}$(dirname "$p") ;; esac
done

start_daemon() { # log file
  rm -f "$work/guest.sock" "$work/consumer.sock"
  "$vdmabufd" --guest-socket "$work/guest.sock" --consumer-socket "$work/consumer.sock" \
    --mem-slots off --udmabuf off --log debug >"$1" 2>&1 &
  daemon=$!
  pids+=("$daemon")
  local end=$((SECONDS + 20))
  until [[ -S $work/consumer.sock ]]; do
    ((SECONDS < end)) && kill -0 "$daemon" 2>/dev/null || { fail "vdmabufd did not start"; cat "$1"; exit 1; }
    sleep 0.05
  done
}
qmp() { vm_qmp "$work/qmp.sock" "$1"; } # one QMP command
wait_log() { # file pattern timeout_s
  local end=$((SECONDS + $3))
  ((end < deadline)) || end=$deadline
  until grep -q "$2" "$1" 2>/dev/null; do
    ((SECONDS < end)) && kill -0 "$vm_pid" 2>/dev/null || return 1
    sleep 0.1
  done
}
# A viewer per try asks for a frame (REFRESH) until one shows the window.
find_window() { # png timeout_s
  local end=$((SECONDS + $2))
  ((end < deadline)) || end=$deadline
  while ((SECONDS < end)) && kill -0 "$vm_pid" 2>/dev/null; do
    rm -f "$1"
    timeout 10 "$viewer" --connect "$work/consumer.sock" --guest vmrestart --presenter headless \
      --frames 1 --screenshot "$1" >>"$work/viewer.log" 2>&1
    [[ -f $1 ]] && "$check_png" --locate "$1" >"$1.txt" 2>&1 && return 0
    sleep 0.3
  done
  return 1
}

start_daemon "$work/vdmabufd-1.log"
# QEMU 7.2: a reconnecting chardev connects in the background, and
# vhost-user-vsock-pci on the command line fails ("Failed to set msg fds") before
# it has; so the device comes with device_add once vdmabufd saw the connection.
vm_boot "$work" "$work/console.log" \
  -object memory-backend-memfd,id=mem,size=1G,share=on -numa node,memdev=mem \
  -chardev socket,id=vdm,path="$work/guest.sock",reconnect=1 \
  -qmp unix:"$work/qmp.sock",server=on,wait=off 2>"$work/qemu.err"
pids+=("$vm_pid")
boot_t=$SECONDS
wait_log "$work/vdmabufd-1.log" 'connection 1: connected' 30 || { fail "QEMU never connected"; exit 1; }
if qmp '{"execute": "device_add", "arguments": {"driver": "vhost-user-vsock-pci", "chardev": "vdm", "id": "vdm0"}}'; then
  pass "device_add vhost-user-vsock-pci on the connected chardev"
else
  fail "QMP device_add"; exit 1
fi

if find_window "$work/before.png" 90; then
  pass "before the restart: $(cat "$work/before.png.txt") ($((SECONDS - boot_t)) s after boot)"
else
  fail "no client window before the restart"; tail -n 20 "$work/guest.log" "$work/compositor.log" "$work/console.log"; exit 1
fi

disown "$daemon" # no "Killed" line from bash
kill -KILL "$daemon"
for _ in $(seq 40); do kill -0 "$daemon" 2>/dev/null || break; sleep 0.05; done
before=$(grep -c 'EXPORT [0-9]' "$work/vdmabufd-1.log")
kill_t=$SECONDS
# Down for longer than the driver's 3 s request timeout: its first reset
# usually finds no daemon (QEMU cannot start vhost) and it retries.
down=${VM_RESTART_DOWN_S:-4}
log "vdmabufd killed (-9); restarting it on the same sockets in $down s"
sleep "$down"
start_daemon "$work/vdmabufd-2.log"
restart_t=$SECONDS
wait_log "$work/vdmabufd-2.log" 'connection 1: connected' 15 &&
  pass "QEMU reconnected to the new vdmabufd ($((SECONDS - restart_t)) s after its start)" || fail "QEMU did not reconnect"
if find_window "$work/after.png" 60; then
  pass "frames resumed: $(cat "$work/after.png.txt") ($((SECONDS - kill_t)) s after the kill)"
else
  fail "no client window after the restart"
fi
grep -q 'front-end resumed without a handshake' "$work/vdmabufd-2.log" &&
  pass "new vdmabufd: $(grep -o 'front-end resumed without a handshake (first message [A-Z_]*' "$work/vdmabufd-2.log" | head -1))" ||
  fail "new vdmabufd did not log the resumed front-end"
grep -q 'SET_MEM_TABLE with' "$work/vdmabufd-2.log" &&
  pass "QEMU sent SET_MEM_TABLE to the new vdmabufd at the guest's device start" ||
  fail "no SET_MEM_TABLE to the new vdmabufd"

: >"$work/stop"
end=$((SECONDS + 30))
while kill -0 "$vm_pid" 2>/dev/null && ((SECONDS < end)); do sleep 0.2; done
kill -0 "$vm_pid" 2>/dev/null && { fail "guest did not power off"; kill -KILL "$vm_pid"; }
wait "$vm_pid" 2>/dev/null

dm=$work/dmesg.txt
[[ -f $dm ]] || { fail "no guest dmesg"; dm=$work/console.log; }
if grep -E 'Oops|BUG[: ]|WARNING:|Call Trace' "$dm" "$work/console.log" >"$work/oops.txt"; then
  fail "the guest kernel complained:"; head -20 "$work/oops.txt"
else
  pass "no Oops, BUG or WARNING in the guest's dmesg and console"
fi
for l in 'no response in' 'device stopped answering' 'session ended' 'no session' 'device answers again'; do
  grep -q "$l" "$dm" && log "  guest: $(grep -m1 "$l" "$dm" | sed 's/^\[[ 0-9.]*\] //')"
done
grep -q 'device answers again' "$dm" && pass "the driver reset the device and started a new session" ||
  fail "the driver did not recover"
# The old session's buffers: the driver retired its exports (the new daemon
# never knew them); the compositor lost the device and exported new buffers.
retired=$(sed -n 's/.*session ended: \([0-9]*\) export.*/\1/p' "$dm" | head -1)
[[ -n $retired ]] && pass "old buffers: the driver retired ${retired} export(s) of the old session" ||
  fail "the driver did not report the retired exports"
grep -q 'device /dev/virtio-vdmabuf lost' "$work/compositor.log" &&
  grep -q 'connected to /dev/virtio-vdmabuf (session 2' "$work/compositor.log" &&
  pass "compositor: lost the device, reopened it (session 2) and exported $(grep -c 'EXPORT [0-9]' "$work/vdmabufd-2.log") buffers again (old daemon: $before)" ||
  fail "compositor did not reopen the device: $(grep -E 'lost|connected' "$work/compositor.log" | tail -3)"
grep -q '^compositor exit 143' "$work/compositor.exit" 2>/dev/null && pass "compositor ran to the end" ||
  fail "compositor: $(cat "$work/compositor.exit" 2>/dev/null)"

log "done in $((SECONDS - t0)) s, $failures failure(s)"
((failures == 0))
