#!/bin/sh
# vdmabuf-viewer's command line: usage errors are said clearly and exit 2, at
# once, before any window or daemon connection (no vdmabufd runs here).
# usage: cli_test.sh VIEWER
viewer=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# expect CODE TEXT ARGS...: exit status CODE within 10 s, TEXT in stderr.
expect() {
    code=$1 text=$2
    shift 2
    timeout 10 "$viewer" --connect "$tmp/none.sock" --no-reconnect "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ "$rc" -ne "$code" ] || ! grep -qF -- "$text" "$tmp/err"; then
        echo "FAIL: vdmabuf-viewer $*: exit $rc (want $code), stderr:"
        sed 's/^/    /' "$tmp/err"
        fail=1
    else
        echo "ok: vdmabuf-viewer $* -> $rc: $(grep -F -- "$text" "$tmp/err" | head -1)"
    fi
}

# A directory as the script used to abort (std::__ios_failure, exit 134).
expect 2 "is a directory" --commands /tmp
expect 2 "No such file" --commands "$tmp/nosuch"
# A file written at exit whose directory is missing: exit 2 now, not exit 0 later.
expect 2 "nodir" --stats-json "$tmp/nodir/s.json"
expect 2 "is a directory" --stats-json /tmp
# Options: an unknown presenter is a usage error (was exit 1 after trying it);
# an unknown flag is named as unknown (was "--bogus needs a value").
expect 2 "bad argument --presenter sdl" --presenter sdl
expect 2 "unknown option --bogus" --bogus
expect 2 "unknown option --bogus" --bogus value
expect 2 "--frames needs a value" --frames
expect 2 "bad argument --timeout 0" --timeout 0

# Headless with --frames need not wait forever: --timeout gives up with exit 1
# (no daemon here, and the viewer keeps retrying, so only the timeout ends it).
start=$(date +%s)
timeout 20 "$viewer" --connect "$tmp/none.sock" --presenter headless --frames 1 --timeout 2 \
    >"$tmp/out" 2>"$tmp/err"
rc=$?
took=$(($(date +%s) - start))
if [ "$rc" -ne 1 ] || [ "$took" -gt 10 ] || ! grep -q "giving up" "$tmp/err"; then
    echo "FAIL: --frames 1 --timeout 2: exit $rc after $took s (want 1 after ~2 s), stderr:"
    sed 's/^/    /' "$tmp/err"
    fail=1
else
    echo "ok: --frames 1 --timeout 2 -> 1 after $took s: $(grep "giving up" "$tmp/err")"
fi

exit $fail
