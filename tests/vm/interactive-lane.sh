#!/usr/bin/env bash
# The VM lane, interactive (suite 'vm'): the host drives real clients inside a
# QEMU guest through the whole kernel path. One boot (tests/vm/vm-lib.sh: the
# host's root over 9p) runs vdmabuf-compositor --device /dev/virtio-vdmabuf on
# virtio_vdmabuf.ko with, in turn, foot, then two vdmabuf-input-client windows
# whose logs are written to WORK (shared with the host over 9p). The headless
# vdmabuf-viewer's --commands scripts on the host type, click, scroll, ask for
# a mode (MODE), and vdmabufctl hotplugs a second output (HOTPLUG); checked:
#   foot            typed text: the screenshot equals tests/reference/interactive-foot-typed.png
#   typing/keymap   the exact keysyms in the focused client's log (us, then de: z is y)
#   click-focus     a click on the window below focuses it, one on the other focuses back
#   scroll          two wheel steps down and one left reach the client under the pointer
#   cursor          the client's cursor image (CURSOR_SET) is in --screenshot-cursor's PNG only
#   resize          the viewer's MODE makes output 0 640x480 (screenshot, vdmabufctl list)
#   hotplug         a second output appears on the host (vdmabufctl list, --all-outputs)
# The guest goes through the phases when the host creates marker files in WORK.
# Bash, like the other lanes: the boot is vm-lib.sh's, the checks are greps of
# the clients' logs and numbers from vm-check-png (--point, --colour, --size).
# Without foot its check skips; the rest still runs.
#
#   tests/vm/interactive-lane.sh SRC VDMABUFD VIEWER VDMABUFCTL CHECK_PNG COMPOSITOR INPUT_CLIENT
# Exit 0 pass, 1 fail, 77 skip (the reason on stdout). VM_LANE_KEEP=1 keeps WORK.
set -uo pipefail

src=$1 vdmabufd=$2 viewer=$3 ctl=$4 check_png=$5 compositor=$6 client=$7
lane=vm-interactive
. "$src/tests/vm/vm-lib.sh"
vm_find_abi
vm_need_vsock
foot=$(command -v foot) || log "foot not installed: its check skips"
# The guest sees /tmp's host directories it needs (vm-lib.sh): the trees.
build=$(cd "$(dirname "$compositor")/.." && pwd)
for d in "$src" "$build"; do
  case $d in /tmp/?*) vm_keep=${vm_keep:+$vm_keep,}$d ;; esac
done
log "kernel $vm_abi, $(qemu-system-x86_64 --version | head -1)"

work=$(mktemp -d "${TMPDIR:-/tmp}/vdmabuf-vmi.XXXXXX")
W=$work
pids=()
cleanup() {
  for p in "${pids[@]}" ${vm_pid:-}; do kill -KILL "$p" 2>/dev/null; done
  wait 2>/dev/null
  if [[ ${VM_LANE_KEEP:-0} == 1 || $failures -gt 0 ]]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 1' TERM INT
deadline=$((t0 + 240)) # every wait ends by then (meson's timeout is 300 s)

# Polls a shell condition every 0.1 s for at most $1 s (and never past the
# deadline) while the guest runs.
wait_for() {
  local end=$((SECONDS + $1))
  shift
  ((end < deadline)) || end=$deadline
  until eval "$@"; do
    ((SECONDS < end)) && kill -0 "$vm_pid" 2>/dev/null || return 1
    sleep 0.1
  done
}

# Built (or taken from the lanes' cache) while the guest boots (it waits for
# kbuild.exit before insmod).
(vm_build_module "$src" "$W/kbuild"; echo $? >"$W/kbuild.exit") &
pids+=($!)

# --- The guest: the compositor, its session script, the phases ------------
cat >"$W/guest.sh" <<EOF
set -u
W=$W
EOF
vm_sanitizer_env >>"$W/guest.sh"
cat >>"$W/guest.sh" <<EOF
export XDG_RUNTIME_DIR=/tmp/xdg; mkdir -p -m 700 \$XDG_RUNTIME_DIR
while [ ! -s \$W/kbuild.exit ]; do sleep 0.1; done
insmod \$W/kbuild/driver/kernel/virtio_vdmabuf.ko borrow_id=19 guest_name=vmi || exit 1
$compositor --device /dev/virtio-vdmabuf --output 800x600 -- /bin/sh \$W/session.sh \\
  >\$W/compositor.out 2>\$W/compositor.log &
EOF
cat >>"$W/guest.sh" <<'EOF'
c=$!
while kill -0 $c 2>/dev/null && [ ! -e $W/stop ]; do sleep 0.2; done
kill $c 2>/dev/null; wait $c
echo "compositor exit $?" >$W/compositor.exit
dmesg >$W/dmesg.txt
EOF
# The compositor's startup command: foot (alone, as the reference was made),
# then the two input clients; B (over A, larger) sets a magenta square cursor.
cat >"$W/session.sh" <<EOF
W=$W
if [ -n "$foot" ]; then
  LC_ALL=C.UTF-8 XDG_CONFIG_HOME=/nonexistent $foot --config /dev/null -- /bin/cat >\$W/foot.log 2>&1 &
  f=\$!
  until [ -e \$W/foot-done ]; do sleep 0.1; done
  kill \$f; wait \$f
fi
$client --color cc2222 --size 300x200 >\$W/a.log 2>\$W/a.err &
until grep -q '^ready' \$W/a.log; do sleep 0.1; done
$client --color 22cc22 --size 420x320 --cursor square --cursor-size 24 >\$W/b.log 2>\$W/b.err &
wait
EOF

"$vdmabufd" --guest-socket "$W/guest.sock" --consumer-socket "$W/consumer.sock" \
  --udmabuf off --log "${VM_LANE_LOG:-info}" >"$W/vdmabufd.log" 2>&1 &
pids+=($!)
for _ in $(seq 200); do [[ -S $W/consumer.sock ]] && break; sleep 0.1; done
vm_root_initrd "$W/initrd.gz"
boot_t=$SECONDS
vm_boot "$W" "$W/console.log" \
  -object memory-backend-memfd,id=mem,size=1G,share=on -numa node,memdev=mem \
  -chardev socket,id=vdm,path="$W/guest.sock" -device vhost-user-vsock-pci,chardev=vdm

# --- Host helpers -------------------------------------------------------------
. "$src/tests/vm/interactive-steps.sh"

# --- Phases -------------------------------------------------------------------
wait_for 90 'grep -q "vdmabuf-compositor: ready" "$W/compositor.out" 2>/dev/null' ||
  { [[ $(cat "$W/kbuild.exit" 2>/dev/null) == 0 ]] || { cat "$W/kbuild/kbuild.log"; fail "module build"; exit 1; }
    fail "the guest compositor never became ready"; tail -20 "$W/console.log" "$W/compositor.log"; exit 1; }
log "compositor ready in the guest ($((SECONDS - boot_t)) s after boot)"
[[ -z $foot ]] || step_foot
: >"$W/foot-done"
step_input
step_cursor
step_resize
step_hotplug

: >"$W/stop"
end=$((SECONDS + 30))
while kill -0 "$vm_pid" 2>/dev/null && ((SECONDS < end)); do sleep 0.2; done
kill -0 "$vm_pid" 2>/dev/null && { fail "guest did not power off"; kill -KILL "$vm_pid"; }
wait "$vm_pid" 2>/dev/null
vm_pid=
grep -qx 'compositor exit 143' "$W/compositor.exit" 2>/dev/null && pass "compositor stopped on SIGTERM" ||
  fail "compositor stopped badly: $(cat "$W/compositor.exit" 2>/dev/null)"
# A sanitizer build (scripts/test-sanitizers): a report in a guest program fails the lane.
if grep -lE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$W"/{compositor.log,a.err,b.err} 2>/dev/null; then
  fail "sanitizer reports in the guest's programs (files above)"
fi
if grep -qE 'BUG:|WARNING:|Oops|general protection' "$W/dmesg.txt" "$W/console.log" 2>/dev/null; then
  fail "kernel warnings:"; grep -E -A5 'BUG:|WARNING:|Oops|general protection' "$W/dmesg.txt" | head -30
fi
log "wall time $((SECONDS - t0)) s, failures $failures"
if ((failures)); then
  for f in compositor.log guest.log console.log vdmabufd.log a.log b.log; do
    echo "--- $f (tail)"; tail -15 "$W/$f" 2>/dev/null
  done
  exit 1
fi
exit 0
