#!/bin/sh
# scripts/run with stub install-deps, build and vdmabuf-run in a scratch tree:
# --help answers without installing or building; each step says what it does;
# a failed build shows its errors (they used to go to /dev/null: exit 1, no word).
# usage: scripts_run_test.sh SOURCE_ROOT
src=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
mkdir -p "$tmp/scripts" "$tmp/build/tools/vdmabuf-run"
cp "$src/scripts/run" "$tmp/scripts/run"
cat >"$tmp/scripts/install-deps" <<'STUB'
#!/bin/sh
echo install-deps >>called
echo "install-deps: all 3 packages present"
STUB
cat >"$tmp/scripts/build" <<'STUB'
#!/bin/sh
echo build >>called
echo "[1/2] Compiling C++ object foo.o"
if [ -e build-fails ]; then
  # ninja prints the compiler's errors on stdout
  echo "../foo.cpp:12:5: error: 'frobnicate' was not declared in this scope"
  echo "ninja: build stopped: subcommand failed."
  exit 1
fi
STUB
cat >"$tmp/build/tools/vdmabuf-run/vdmabuf-run" <<'STUB'
#!/bin/sh
echo "vdmabuf-run $*"
STUB
chmod +x "$tmp/scripts/"* "$tmp/build/tools/vdmabuf-run/vdmabuf-run"

check() { # check DESCRIPTION CONDITION...
    what=$1
    shift
    if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; sed 's/^/    /' "$tmp/result.txt"; fail=1; fi
}

cd "$tmp"
timeout 10 scripts/run --help >result.txt 2>&1
rc=$?
check "--help exits 0" [ "$rc" -eq 0 ]
check "--help shows vdmabuf-run's help" grep -q "vdmabuf-run --help" result.txt
check "--help installs and builds nothing" [ ! -e called ]

timeout 10 scripts/run --seconds 1 >result.txt 2>&1
rc=$?
check "a good run exits 0" [ "$rc" -eq 0 ]
check "one progress line per step" sh -c 'grep -q "^\[1/3 packages\]" result.txt && grep -q "^\[2/3 build\]" result.txt && grep -q "^\[3/3 run\]" result.txt'
check "vdmabuf-run gets the arguments" grep -q "vdmabuf-run --seconds 1" result.txt

touch build-fails
rm -f called
timeout 10 scripts/run --seconds 1 >result.txt 2>&1
rc=$?
check "a failed build exits 1" [ "$rc" -eq 1 ]
check "a failed build shows the compiler error" grep -q "error: 'frobnicate' was not declared" result.txt
check "a failed build names its log" grep -q "out/scripts-run.log" result.txt
check "nothing runs after a failed build" sh -c '! grep -q "^vdmabuf-run" result.txt'
exit $fail
