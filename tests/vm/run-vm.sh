#!/usr/bin/env bash
# `scripts/run --vm` as a user types it (suite 'vm'): vdmabuf-run --vm boots a
# QEMU guest running vdmabuf-compositor with the pattern client on
# virtio_vdmabuf.ko and shows it in the headless viewer; it must exit 0, print
# the figures with frames shown, and write a screenshot holding the client's
# window exactly.
#
#   tests/vm/run-vm.sh VDMABUF_RUN VM_CHECK_PNG
# Exit 0 pass, 1 fail, 77 skip (the reason on stdout: no QEMU, kernel or headers).
set -uo pipefail
run=$1 check_png=$2
lane=run-vm
src=$(cd "$(dirname "$0")/../.." && pwd)
. "$src/tests/vm/vm-lib.sh"
vm_find_abi
vm_need_vsock

out=$(mktemp -d "${TMPDIR:-/tmp}/vdmabuf-run-vm.XXXXXX")
trap 'rm -rf "$out"' EXIT
"$run" --vm --seconds 3 --output 640x480 --screenshot "$out/run.png" >"$out/run.log" 2>&1
code=$?
cat "$out/run.log"
((code == 0)) && pass "vdmabuf-run --vm exited 0 ($((SECONDS - t0)) s)" || fail "vdmabuf-run --vm exited $code"
frames=$(sed -n 's/.*frames: \([0-9]*\) shown by the viewer.*/\1/p' "$out/run.log")
((${frames:-0} > 0)) && pass "$frames frames shown" || fail "no frames in the figures"
"$check_png" --locate "$out/run.png" >"$out/locate.txt" 2>&1 && pass "$(cat "$out/locate.txt")" ||
  fail "screenshot: $(cat "$out/locate.txt")"
log "wall time $((SECONDS - t0)) s, failures $failures"
((failures == 0))
