#!/usr/bin/env bash
# The zero-copy lane (suite 'zerocopy'), host half: a QEMU TCG guest that plays
# the host. It runs this machine's root over 9p (tests/vm/vm-lib.sh) with the
# modules Debian's kernel lacks (tests/vm/extra-modules.sh: udmabuf, sw_sync, a
# vgem that kms_swrast can import foreign dma-bufs with). Inside it vdmabufd runs
# in udmabuf mode for real and vdmabuf-viewer imports every frame with
# EGL_EXT_image_dma_buf_import; then weston (headless, GL renderer: kms_swrast
# on the patched vgem) runs in the guest too and the viewer's Wayland window
# hands it each dma-buf with zwp_linux_dmabuf_v1, drawing nothing itself. This
# script checks what they left in WORK.
#
#   tests/zerocopy/run-lane.sh SRC BUILD KMOD_DIR
# BUILD is the meson build directory (binaries by their build paths); KMOD_DIR
# caches the built modules. Exit 0 pass, 1 fail, 77 skip (reason on stdout).
# ZC_LANE_KEEP=1 keeps the work directory (its path is printed).
set -uo pipefail

src=$(cd "$1" && pwd) build=$(cd "$2" && pwd) kmod=$3
lane=zc-lane
. "$src/tests/vm/vm-lib.sh"
vm_find_abi
kmod=$("$src/tests/vm/extra-modules.sh" "$kmod" "$vm_abi" | tail -1)
case $? in 0) ;; 77) skip "$kmod" ;; *) echo "$kmod"; log "FAIL: extra modules did not build"; exit 1 ;; esac
[[ -f $kmod/udmabuf.ko ]] || { echo "$kmod"; log "FAIL: extra modules did not build"; exit 1; }
pass "udmabuf.ko, sw_sync.ko, vgem.ko built from linux-source-6.1 for $vm_abi"

work=$(mktemp -d "${TMPDIR:-/tmp}/vdmabuf-zc.XXXXXX")
cleanup() {
  [[ -n ${vm_pid:-} ]] && kill -KILL "$vm_pid" 2>/dev/null
  wait 2>/dev/null
  if [[ ${ZC_LANE_KEEP:-0} == 1 || $failures -gt 0 ]]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 1' TERM INT

frames=8
cat >"$work/guest.sh" <<EOF
# Runs in the guest (vm-lib.sh), as root, in the host's root over 9p.
set -u
W=$work B=$build K=$kmod
EOF
vm_sanitizer_env >>"$work/guest.sh"
cat >>"$work/guest.sh" <<'EOF'
export XDG_RUNTIME_DIR=/tmp/xdg; mkdir -p -m 700 $XDG_RUNTIME_DIR
# vgem.ko needs what the stock vgem needs (drm, drm_shmem_helper) loaded first.
modprobe -a drm drm_shmem_helper
insmod $K/udmabuf.ko && insmod $K/sw_sync.ko && insmod $K/vgem.ko && echo "modules ok" >$W/modules
ls -l /dev/udmabuf /dev/dri >>$W/modules 2>&1

# 1. The viewer's importer alone: exact pixels, in-place rewrites, fences.
timeout 60 $B/tests/viewer/viewer-dmabuf-import >$W/import-test.log 2>&1
echo $? >$W/import-test.exit

# 2. The pipeline: a virtio-user guest -> vdmabufd (udmabuf) -> the real viewer.
d=/tmp/zc; mkdir -p $d
# A long release timeout: the viewer copies a frame still after half of it
# out (step 2a), and a TCG draw can take seconds.
$B/driver/backend/vdmabufd --guest-socket $d/g.sock --consumer-socket $d/c.sock --udmabuf auto \
  --release-timeout 60000 --log info >$W/vdmabufd.log 2>&1 &
vd=$!
i=0; while [ ! -S $d/c.sock ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
timeout 90 $B/tests/zerocopy/zc-producer $d/g.sock $W/producer.txt FRAMES >$W/producer.log 2>&1 &
pp=$!
VDMABUF_LOG=debug timeout 60 $B/host-viewer/vdmabuf-viewer --connect $d/c.sock --guest zc --presenter headless --frames FRAMES \
  --screenshot $W/shot.png --stats-json $W/viewer.json >$W/viewer.log 2>&1
echo $? >$W/viewer.exit
wait $pp; echo $? >$W/producer.exit
kill $vd; wait $vd; rm -f $d/g.sock $d/c.sock

# 2a. A still frame: vdmabufd says its release timeout (10 s) in WELCOME; the
# viewer copies the zero-copy frame out at half of it and gives the dma-buf
# back; what the guest then draws into it must not reach the screenshot.
$B/driver/backend/vdmabufd --guest-socket $d/g.sock --consumer-socket $d/c.sock --udmabuf auto \
  --release-timeout 10000 --log info >$W/vdmabufd-still.log 2>&1 &
vd=$!
i=0; while [ ! -S $d/c.sock ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
timeout 90 $B/tests/zerocopy/zc-producer $d/g.sock $W/producer-still.txt still >$W/producer-still.log 2>&1 &
pp=$!
VDMABUF_LOG=debug timeout 60 $B/host-viewer/vdmabuf-viewer --connect $d/c.sock --guest zc --presenter headless \
  --screenshot $W/shot-still.png --stats-json $W/viewer-still.json >$W/viewer-still.log 2>&1 &
vp=$!
i=0; while ! grep -q overwritten $W/producer-still.txt 2>/dev/null && [ $i -lt 500 ]; do sleep 0.1; i=$((i + 1)); done
sleep 1 # a redraw from the dma-buf, were there one, would have happened
kill $vp; wait $vp; echo $? >$W/viewer-still.exit
kill $pp; wait $pp

# 2b. The viewer's Wayland window on weston with the GL renderer, which imports
# dma-bufs: Mesa finds no vgem_dri.so and falls back to kms_swrast on the
# primary node (card0, where the dumb ioctls it maps images with work). Not
# MESA_LOADER_DRIVER_OVERRIDE=kms_swrast: that puts kms_swrast on the render
# node, whose MAP_DUMB is refused, and llvmpipe in weston faults on the first
# draw of an imported buffer. Each frame's dma-buf goes to weston as a
# zwp_linux_dmabuf_v1 wl_buffer. Once frame FRAMES-1 came back
# (released after frame FRAMES was presented), weston's own screenshot shows
# what it composited; then the viewer leaves (SIGTERM) and gives back the last.
# Its own vdmabufd with a long release timeout: the viewer copies a frame shown
# too long out of the dma-buf at half of it (the still-frame rule), and weston's
# screenshot must show the dma-buf itself, not that copy.
kill $vd; wait $vd; rm -f $d/g.sock $d/c.sock
d2=/tmp/zc-wl; mkdir -p $d2
$B/driver/backend/vdmabufd --guest-socket $d2/g.sock --consumer-socket $d2/c.sock --udmabuf auto \
  --release-timeout 120000 --log info >$W/vdmabufd-wl.log 2>&1 &
vd=$!
i=0; while [ ! -S $d2/c.sock ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
wd=/tmp/wl; mkdir -p -m 700 $wd
XDG_RUNTIME_DIR=$wd weston --backend=headless-backend.so \
  --use-gl --width 800 --height 600 --debug --socket=wl-zc --no-config >$W/weston.log 2>&1 &
wp=$!
i=0; while [ ! -S $wd/wl-zc ] && [ $i -lt 600 ] && kill -0 $wp 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
if [ -S $wd/wl-zc ]; then
  export WAYLAND_DISPLAY=wl-zc
  XDG_RUNTIME_DIR=$wd timeout 30 wayland-info >$W/wayland-info.txt 2>&1
  timeout 120 $B/tests/zerocopy/zc-producer $d2/g.sock $W/producer-wl.txt FRAMES >$W/producer-wl.log 2>&1 &
  pp=$!
  XDG_RUNTIME_DIR=$wd VDMABUF_LOG=debug timeout 120 $B/host-viewer/vdmabuf-viewer --connect $d2/c.sock \
    --guest zc --presenter wayland --stats-json $W/viewer-wl.json >$W/viewer-wl.log 2>&1 &
  vw=$!
  i=0
  while ! grep -q "^release seq=$((FRAMES - 1)) " $W/producer-wl.txt 2>/dev/null && [ $i -lt 900 ] &&
    kill -0 $vw 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
  sleep 1
  mkdir -p $W/wl-shot
  (cd $W/wl-shot && XDG_RUNTIME_DIR=$wd timeout 60 weston-screenshooter >$W/screenshooter.log 2>&1)
  kill -TERM $vw; wait $vw; echo $? >$W/viewer-wl.exit
  wait $pp; echo $? >$W/producer-wl.exit
  unset WAYLAND_DISPLAY
else
  echo "weston did not start" >$W/viewer-wl.exit
fi
kill $wp; wait $wp
kill $vd; wait $vd; rm -f $d/g.sock $d/c.sock
$B/driver/backend/vdmabufd --guest-socket $d/g.sock --consumer-socket $d/c.sock --udmabuf auto \
  --release-timeout 10000 --log info >$W/vdmabufd-3.log 2>&1 &
vd=$!
i=0; while [ ! -S $d/c.sock ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done

# 3. Honest probing: stock vgem, where kms_swrast advertises the import but
# llvmpipe faults on the first draw of a foreign dma-buf. The viewer must see it,
# say so once and copy instead.
rmmod vgem && modprobe vgem && echo "stock vgem" >$W/stock
timeout 60 $B/tests/zerocopy/zc-producer $d/g.sock $W/producer-stock.txt 4 >$W/producer-stock.log 2>&1 &
pp=$!
timeout 40 $B/host-viewer/vdmabuf-viewer --connect $d/c.sock --guest zc --presenter headless --frames 4 \
  --screenshot $W/shot-stock.png --stats-json $W/viewer-stock.json >$W/viewer-stock.log 2>&1
echo $? >$W/viewer-stock.exit
wait $pp
# 3b. The same with the Wayland window: weston (kms_swrast on the stock vgem)
# would fault on the first draw of an imported dma-buf, so the viewer's probe
# child must refuse linux-dmabuf; weston lives and the frames take a copy.
XDG_RUNTIME_DIR=$wd weston --backend=headless-backend.so --use-gl --width 800 --height 600 \
  --socket=wl-stock --no-config >$W/weston-stock.log 2>&1 &
wp=$!
i=0; while [ ! -S $wd/wl-stock ] && [ $i -lt 600 ] && kill -0 $wp 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
if [ -S $wd/wl-stock ]; then
  timeout 90 $B/tests/zerocopy/zc-producer $d/g.sock $W/producer-wl-stock.txt 4 >$W/producer-wl-stock.log 2>&1 &
  pp=$!
  WAYLAND_DISPLAY=wl-stock XDG_RUNTIME_DIR=$wd timeout 80 $B/host-viewer/vdmabuf-viewer --connect $d/c.sock \
    --guest zc --presenter wayland --frames 4 --stats-json $W/viewer-wl-stock.json >$W/viewer-wl-stock.log 2>&1
  echo $? >$W/viewer-wl-stock.exit
  wait $pp
  sleep 1
  kill -0 $wp 2>/dev/null && echo alive >$W/weston-stock.alive
fi
kill $wp; wait $wp
kill $vd; wait $vd
rmmod vgem; insmod $K/vgem.ko

# 4. The import-related hostile cases against vdmabufd in udmabuf mode.
VDMABUF_EXPECT_IMPORT_MODE=dmabuf timeout 90 $B/tests/hostile/hostile-export \
  --gtest_filter='Export.AddressOutsideGuestMemory:Export.AddressPlusLengthOverflows:Export.ExtentsOverlap*:Export.PlaneLayoutsBeyondTheBuffer:Export.ZeroSizes' \
  >$W/hostile.log 2>&1
echo $? >$W/hostile.exit
dmesg >$W/dmesg.txt
EOF
sed -i "s/FRAMES/$frames/g" "$work/guest.sh"
vm_root_initrd "$work/initrd.gz"
vm_keep="$src,$build,$kmod"
boot_t=$SECONDS
vm_boot "$work" "$work/console.log"
end=$((t0 + 570)) # meson's timeout is 600 s
while kill -0 "$vm_pid" 2>/dev/null && ((SECONDS < end)); do sleep 0.5; done
if kill -0 "$vm_pid" 2>/dev/null; then fail "guest still running after $((SECONDS - boot_t)) s"; kill -KILL "$vm_pid"; fi
wait "$vm_pid" 2>/dev/null
vm_pid=
log "guest ran $((SECONDS - boot_t)) s ($(cat "$work/guest.exit" 2>/dev/null || echo 'no guest.sh exit'))"

# --- Verdicts ----------------------------------------------------------------
w=$work
grep -q 'modules ok' "$w/modules" 2>/dev/null && pass "guest: udmabuf, sw_sync, patched vgem loaded" ||
  fail "modules: $(cat "$w/modules" 2>/dev/null)"

st=$(cat "$w/import-test.exit" 2>/dev/null)
if [[ $st == 0 ]]; then
  pass "viewer-dmabuf-import: $(grep -c 'ok:' "$w/import-test.log") checks passed ($(grep -m1 '^PASS' "$w/import-test.log"))"
else
  fail "viewer-dmabuf-import exit ${st:-none} (77 is a skip: not allowed in this lane)"
  cat "$w/import-test.log" 2>/dev/null
fi

grep -q 'import mode: dmabuf (/dev/udmabuf)' "$w/vdmabufd.log" && pass "vdmabufd: import mode dmabuf" ||
  fail "vdmabufd not in udmabuf mode: $(grep 'import mode' "$w/vdmabufd.log")"
path_line=$(grep -m1 'import path:' "$w/viewer.log")
[[ $path_line == *'zero-copy (EGL dma-buf import)'* ]] && pass "viewer: ${path_line##*] }" ||
  fail "viewer import path: '${path_line}'"
[[ $(cat "$w/viewer.exit" 2>/dev/null) == 0 ]] && pass "viewer exited after $frames frames" ||
  fail "viewer exit $(cat "$w/viewer.exit" 2>/dev/null)"
json=$(cat "$w/viewer.json" 2>/dev/null)
if [[ $json == *'"import_path": "dmabuf"'* && $json == *"\"frames\": $frames,"* &&
      $json == *'"bytes_uploaded_total": 0,'* ]]; then
  pass "viewer stats: import_path dmabuf, $frames frames, 0 bytes copied"
else
  fail "viewer stats: $json"
fi
if "$build/tests/vm/vm-check-png" "$w/shot.png" "$frames" 640x480 >"$w/check.txt" 2>&1; then
  pass "screenshot from the GL path == frame $frames, drawn in place into a buffer imported 3 frames before: $(cat "$w/check.txt")"
else
  fail "screenshot: $(cat "$w/check.txt")"
fi
if grep -q '^END failures=0' "$w/producer.txt" 2>/dev/null; then
  pass "guest: $(grep -c '^PASS' "$w/producer.txt") checks, releases: $(grep '^release' "$w/producer.txt" | tr '\n' ' ')"
else
  fail "producer:"; cat "$w/producer.txt" "$w/producer.log" 2>/dev/null
fi
n=$(grep -c 'after its fence' "$w/viewer.log")
early=$(grep -c 'before its fence' "$w/viewer.log")
((n >= frames - 1 && early == 0)) && pass "viewer: $n releases after the fence of the draw that sampled them, 0 before" ||
  fail "viewer fence releases: $n after, $early before"

if grep -q '^PASS still_frame_done' "$w/producer-still.txt" 2>/dev/null &&
   grep -q '^END failures=0' "$w/producer-still.txt"; then
  pass "still frame: the dma-buf came back DONE with no newer frame ($(grep -m1 '^release' "$w/producer-still.txt"))"
else
  fail "still frame:"; cat "$w/producer-still.txt" "$w/producer-still.log" 2>/dev/null
fi
grep -q 'copied out zero-copy buffer' "$w/viewer-still.log" && pass "viewer: $(grep -m1 -o 'copied out zero-copy buffer.*' "$w/viewer-still.log")" ||
  fail "viewer did not copy the still zero-copy frame out"
if [[ $(cat "$w/viewer-still.exit" 2>/dev/null) == 0 ]] &&
   "$build/tests/vm/vm-check-png" "$w/shot-still.png" 1 640x480 >"$w/check-still.txt" 2>&1; then
  pass "still screenshot is frame 1 after the guest drew frame 2 into the returned buffer: $(cat "$w/check-still.txt")"
else
  fail "still screenshot (exit $(cat "$w/viewer-still.exit" 2>/dev/null)): $(cat "$w/check-still.txt" 2>/dev/null)"
fi
grep -q 'ms: dropped' "$w/vdmabufd-still.log" && fail "vdmabufd took the still frame back: $(grep -m1 'ms: dropped' "$w/vdmabufd-still.log")"

# 2b: the Wayland window on weston (GL renderer) with zwp_linux_dmabuf_v1.
dmabuf_global=$(grep -m1 "'zwp_linux_dmabuf_v1'" "$w/wayland-info.txt" 2>/dev/null | tr -s ' ')
if [[ $(cat "$w/viewer-wl.exit" 2>/dev/null) == "weston did not start" ]]; then
  log "SKIP (Wayland window part only): weston --use-gl did not start in the guest: $(tail -3 "$w/weston.log" 2>/dev/null | tr '\n' ' ')"
elif [[ -z $dmabuf_global ]]; then
  log "SKIP (Wayland window part only): weston does not announce zwp_linux_dmabuf_v1: $(grep -m1 -i 'renderer\|EGL' "$w/weston.log" 2>/dev/null)"
else
  pass "weston (GL renderer) announces $dmabuf_global; XR24: $(grep -m1 "'XR24'; " "$w/wayland-info.txt" | tr -s ' \t' ' ')"
  wl_line=$(grep -m1 'import path:' "$w/viewer-wl.log")
  [[ $wl_line == *'import path: linux-dmabuf'* ]] && pass "Wayland window: ${wl_line##*] }" ||
    fail "Wayland window import path: '${wl_line}' ($(grep -m2 'not possible\|linux-dmabuf' "$w/viewer-wl.log" | tr '\n' ' '))"
  grep -m1 'zwp_linux_dmabuf_v1:' "$w/viewer-wl.log" | sed 's/.*] /  viewer saw: /'
  [[ $(cat "$w/viewer-wl.exit" 2>/dev/null) == 0 ]] && pass "Wayland window viewer left cleanly on SIGTERM" ||
    fail "Wayland window viewer exit $(cat "$w/viewer-wl.exit" 2>/dev/null)"
  json=$(cat "$w/viewer-wl.json" 2>/dev/null)
  # Not even a copy on demand: what weston showed (and screenshot) was the dma-buf.
  if [[ $json == *'"import_path": "linux-dmabuf"'* && $json == *"\"frames\": $frames,"* &&
        $json == *'"bytes_uploaded_total": 0,'* && $json == *'"bytes_copied_on_demand": 0,'* ]]; then
    pass "Wayland window stats: import_path linux-dmabuf, $frames frames, 0 bytes copied (0 on demand), $(grep -o '"draws": [0-9]*' <<<"$json") (the bars), $(grep -o '"releases_after_wl_release": [0-9]*' <<<"$json")"
  else
    fail "Wayland window stats: $json"
  fi
  if grep -q '^END failures=0' "$w/producer-wl.txt" 2>/dev/null && ! grep '^release' "$w/producer-wl.txt" | grep -qv 'reason=0$'; then
    pass "Wayland window, guest: every PRESENT came back DONE, after a newer frame: $(grep '^release' "$w/producer-wl.txt" | tr '\n' ' ')"
  else
    fail "Wayland window, producer:"; cat "$w/producer-wl.txt" "$w/producer-wl.log" 2>/dev/null
  fi
  n=$(grep -c 'no later commit reported presented' "$w/viewer-wl.log")
  ((n == 0)) && pass "Wayland window: every dma-buf went back after wl_buffer.release and a later commit's presentation feedback" ||
    log "note: $n dma-buf releases went back on wl_buffer.release alone (no feedback within 1 s; TCG weston repaints slowly)"
  shot=$(ls "$w"/wl-shot/*.png 2>/dev/null | head -1)
  if [[ -n $shot ]] && "$build/tests/vm/vm-check-png" --find "$shot" "$frames" 640x480 >"$w/check-wl.txt" 2>&1; then
    pass "weston's own screenshot shows frame $frames exactly: $(cat "$w/check-wl.txt")"
  else
    fail "weston screenshot: ${shot:-none ($(cat "$w/screenshooter.log" 2>/dev/null))} $(cat "$w/check-wl.txt" 2>/dev/null)"
  fi
fi

grep -q 'stock vgem' "$w/stock" 2>/dev/null || fail "could not load the stock vgem"
if [[ $(cat "$w/viewer-stock.exit" 2>/dev/null) == 0 ]] &&
   "$build/tests/vm/vm-check-png" "$w/shot-stock.png" 4 640x480 >"$w/check-stock.txt" 2>&1; then
  pass "stock vgem: viewer survived, copy path, exact: $(grep -m1 -E 'zero-copy import (disabled|unavailable|failed)' "$w/viewer-stock.log" | sed 's/.*] //')"
else
  fail "stock vgem: viewer exit $(cat "$w/viewer-stock.exit" 2>/dev/null), $(cat "$w/check-stock.txt" 2>/dev/null)"
  tail -20 "$w/viewer-stock.log" 2>/dev/null
fi

if [[ ! -s $w/viewer-wl-stock.exit ]]; then
  log "SKIP (stock vgem Wayland window part only): weston did not start: $(tail -2 "$w/weston-stock.log" 2>/dev/null | tr '\n' ' ')"
else
  refused=$(grep -m1 'linux-dmabuf) not allowed' "$w/viewer-wl-stock.log")
  json=$(cat "$w/viewer-wl-stock.json" 2>/dev/null)
  if [[ -n $refused && -f $w/weston-stock.alive && $(cat "$w/viewer-wl-stock.exit") == 0 &&
        $json == *'"frames": 4,'* && $json != *'"import_path": "linux-dmabuf"'* ]] &&
     grep -q '^END failures=0' "$w/producer-wl-stock.txt" 2>/dev/null; then
    pass "stock vgem, Wayland window: no dma-buf handed to weston, weston alive, 4 frames by $(grep -o '"import_path": "[^"]*"' <<<"$json"): ${refused##*] }"
  else
    fail "stock vgem, Wayland window: refused='${refused}', weston $(cat "$w/weston-stock.alive" 2>/dev/null || echo 'not alive'), viewer exit $(cat "$w/viewer-wl-stock.exit"), $json"
    tail -5 "$w/viewer-wl-stock.log" "$w/producer-wl-stock.txt" 2>/dev/null
  fi
fi

if [[ $(cat "$w/hostile.exit" 2>/dev/null) == 0 ]]; then
  pass "hostile export cases in udmabuf mode: $(grep -E '^\[  PASSED  \]' "$w/hostile.log")"
else
  fail "hostile export cases in udmabuf mode (exit $(cat "$w/hostile.exit" 2>/dev/null))"
  grep -E 'FAILED|Failure|error' "$w/hostile.log" | head -20
fi
if grep -qE 'BUG:|WARNING:|Oops|general protection' "$w/dmesg.txt" "$w/console.log" 2>/dev/null; then
  fail "kernel warnings:"; grep -E -A5 'BUG:|WARNING:|Oops|general protection' "$w/dmesg.txt" | head -30
fi

log "wall time $((SECONDS - t0)) s, failures $failures"
if ((failures)); then
  echo "--- guest.log"; tail -20 "$w/guest.log" 2>/dev/null
  echo "--- console (tail)"; tail -20 "$w/console.log"
  exit 1
fi
exit 0
