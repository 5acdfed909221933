# Sourced by interactive-lane.sh: its host-side phases, each a step_* function
# printing its checks. Uses the lane's W, viewer, ctl, check_png, src, wait_for.

# The headless viewer on the guest "vmi"; NAME names its files in W.
#   view NAME SCRIPT [ARGS...]   runs a --commands script to its end (60 s at most)
#   view_bg NAME SCRIPT [ARGS...] the same in the background (viewer_pid)
#   shot NAME                    one frame into W/NAME.png
view_argv() {
  local name=$1 script=$2
  printf '%s\n' "$script" >"$W/$name.commands"
  argv=("$viewer" --connect "$W/consumer.sock" --guest vmi --presenter headless --no-reconnect
        --commands "$W/$name.commands" --stats-json "$W/$name.json")
}
view() {
  local name=$1
  view_argv "$1" "$2"
  shift 2
  local left=$((deadline - SECONDS))
  ((left < 60)) || left=60
  timeout "$((left > 1 ? left : 1))" "${argv[@]}" "$@" >"$W/$name.log" 2>&1
}
view_bg() {
  local name=$1
  view_argv "$1" "$2"
  shift 2
  "${argv[@]}" "$@" >"$W/$name.log" 2>&1 &
  viewer_pid=$!
  pids+=("$viewer_pid")
}
shot() {
  rm -f "$W/$1.png"
  timeout 30 "$viewer" --connect "$W/consumer.sock" --guest vmi --presenter headless \
    --no-reconnect --frames 1 --screenshot "$W/$1.png" >"$W/$1.log" 2>&1 && [[ -f $W/$1.png ]]
}
json() { sed -n "s/.*\"$2\": *\([0-9]*\).*/\1/p" "$W/$1.json" 2>/dev/null; }
pressed() { awk '$1 == "key" && $4 == "pressed" { printf "%s ", $2 }' "$W/$1.log"; }

# foot running cat: drawn and still, then typed into; the screenshot must
# become the host's reference (same 800x600 output, fonts and renderer: the
# guest runs the host's root).
step_foot() {
  local t=$SECONDS n prev=
  until shot foot-before && n=$("$check_png" --content "$W/foot-before.png") && ((n >= 20000)) &&
        [[ -n $prev ]] && "$check_png" --same "$W/foot-before.png" "$prev" >/dev/null; do
    [[ -f $W/foot-before.png ]] && cp "$W/foot-before.png" "$W/foot-prev.png" && prev=$W/foot-prev.png
    ((SECONDS < t + 40 && SECONDS < deadline)) || { fail "foot: never drawn and still"; return; }
    sleep 0.3
  done
  log "foot drawn and still ($((SECONDS - t)) s)"
  view foot-typing $'type vdmabuf typed: Hello 123\nkey KEY_ENTER\nquit' ||
    { fail "foot: the typing viewer failed: $(tail -3 "$W/foot-typing.log")"; return; }
  local ref=$src/tests/reference/interactive-foot-typed.png
  t=$SECONDS
  until shot foot-typed && "$check_png" --same "$W/foot-typed.png" "$ref" "$W/foot-diff.png" >"$W/foot-same.txt"; do
    ((SECONDS < t + 20 && SECONDS < deadline)) ||
      { fail "foot: the typed text never matched the reference: $(cat "$W/foot-same.txt" 2>/dev/null)"; return; }
    sleep 0.3
  done
  pass "foot: typed text, screenshot == reference interactive-foot-typed ($((SECONDS - t)) s)"
}

# The two input clients: B (focused, over A) gets typing; a click focuses A,
# one outside A focuses B again; a scroll over B; then the viewer's keymap
# becomes German and "zy" types "y z".
step_input() {
  wait_for 30 'grep -qx keyboard-enter "$W/b.log" 2>/dev/null' ||
    { fail "input client B never got the keyboard"; return; }
  local pa pb t=$SECONDS
  # (B may be mapped a frame before the compositor shows it.)
  until shot windows && pa=$("$check_png" --point "$W/windows.png" cc2222) &&
        pb=$("$check_png" --point "$W/windows.png" 22cc22 cc2222); do
    ((SECONDS < t + 15 && SECONDS < deadline)) ||
      { fail "no visible part of both input clients in windows.png"; return; }
    sleep 0.3
  done
  log "input clients: A at $pa, B at $pb"
  view_bg input "type Hello, vdmabuf!
key KEY_ENTER
click $pa
type a
click $pb
type b
move $pb
scroll 0 2
scroll -1 0
keymap de
type zy
wait-ms 60000" --keymap us
  local t=$SECONDS
  # (Or the viewer's log says the guest has no INPUT feature: no point waiting.)
  wait_for 40 'grep -qx "key z z released" "$W/b.log" || grep -q "no feature bit" "$W/input.log"'
  grep -qx "key z z released" "$W/b.log" ||
    fail "input: B never got the last key; viewer: $(grep -m1 'no feature bit' "$W/input.log")"
  log "input script delivered ($((SECONDS - t)) s)"
  kill "$viewer_pid" 2>/dev/null
  local typed="Shift_L H e l l o comma space v d m a b u f Shift_L exclam Return "
  local b a
  b=$(pressed b) a=$(pressed a)
  [[ $b == "$typed"* ]] && grep -qx 'key exclam ! pressed' "$W/b.log" &&
    grep -qx 'key comma , pressed' "$W/b.log" && pass "typing: B got exactly '${typed% }'" ||
    fail "typing: B pressed '$b'"
  [[ $a == "a " ]] && grep -qx 'button 272 pressed' "$W/a.log" &&
    [[ ${b#"$typed"} == "b "* ]] && grep -qx 'button 272 pressed' "$W/b.log" &&
    pass "click-focus: the click on A focused A (it got 'a'), the click on B focused B ('b')" ||
    fail "click-focus: A pressed '$a', B after typing '${b#"$typed"}'"
  [[ ${b#"$typed"} == "b y z " ]] && pass "keymap: with 'de' the keys z, y typed y, z" ||
    fail "keymap: B after the click '${b#"$typed"}', want 'b y z'"
  local axes
  axes=$(awk '$1 == "axis" { v[$2] += $3; d[$2] += $4 }
              END { printf "%d %d %d %d", d["vertical"], (v["vertical"] > 0), d["horizontal"], (v["horizontal"] < 0) }' "$W/b.log")
  [[ $axes == "2 1 -1 1" ]] && grep -qx 'axis-source wheel' "$W/b.log" &&
    pass "scroll: B got 2 wheel steps down and 1 left" || fail "scroll: B's axes (steps, sign) '$axes'"
}

# B's magenta 24x24 cursor (hotspot 1,1) at its point: in the screenshot of
# --screenshot-cursor only, and where the pointer is.
step_cursor() {
  local pb x y
  pb=$("$check_png" --point "$W/windows.png" 22cc22 cc2222) || { fail "cursor: no point of B"; return; }
  read -r x y <<<"$pb"
  local s=$'move '"$pb"$'\nwait-ms 1000\nscreenshot '
  view cursor-with "${s}$W/cursor-with.png"$'\nquit' --screenshot-cursor &&
    view cursor-without "${s}$W/cursor-without.png"$'\nquit' ||
    { fail "cursor: a viewer failed: $(tail -2 "$W/cursor-with.log" "$W/cursor-without.log")"; return; }
  local n x0 y0 x1 y1
  read -r n x0 y0 x1 y1 < <("$check_png" --colour "$W/cursor-with.png" ff00ff)
  if ((n >= 24 * 24 / 2 && x0 + 1 >= x && x1 <= x + 24 && y0 + 1 >= y && y1 <= y + 24)) &&
     ! "$check_png" --colour "$W/cursor-without.png" ff00ff >/dev/null; then
    pass "cursor: the guest client's cursor image, $n pixels at $x0,$y0-$x1,$y1 (pointer $x,$y), cursor_images $(json cursor-with cursor_images)"
  else
    fail "cursor: magenta '$n' at $x0,$y0-$x1,$y1 for pointer $x,$y; without the cursor: $("$check_png" --colour "$W/cursor-without.png" ff00ff)"
  fi
}

# The viewer asks for 640x480 (MODE); the guest's output follows.
step_resize() {
  view resize "resize 640x480
wait-size 640x480
screenshot $W/resized.png
quit" || { fail "resize: the viewer failed: $(tail -2 "$W/resize.log")"; return; }
  local size
  size=$("$check_png" --size "$W/resized.png")
  [[ $size == 640x480 && $(json resize mode_requests) == 1 ]] &&
    pass "resize: the guest output is now $size (one MODE request)" || fail "resize: screenshot '$size'"
  "$ctl" --connect "$W/consumer.sock" list >"$W/list-resized.txt" 2>&1
  grep -qE '^    output 0 ".*" 640x480@' "$W/list-resized.txt" &&
    pass "resize: vdmabufctl list: $(grep -E '^    output 0 ' "$W/list-resized.txt" | sed 's/^ *//')" ||
    { fail "resize: vdmabufctl list:"; cat "$W/list-resized.txt"; }
}

# vdmabufctl asks the guest for a second output (HOTPLUG); the host sees it.
step_hotplug() {
  "$ctl" --connect "$W/consumer.sock" hotplug vmi 1 add 320x240 >"$W/hotplug.txt" 2>&1 ||
    { fail "hotplug: vdmabufctl: $(cat "$W/hotplug.txt")"; return; }
  wait_for 20 '"$ctl" --connect "$W/consumer.sock" list >"$W/list-hotplug.txt" 2>&1 &&
    grep -qE "^    output 1 \".*\" 320x240@" "$W/list-hotplug.txt"' ||
    { fail "hotplug: no output 1 in vdmabufctl list:"; cat "$W/list-hotplug.txt"; return; }
  pass "hotplug: vdmabufctl list: $(grep -E '^    output 1 ' "$W/list-hotplug.txt" | sed 's/^ *//')"
  mkdir -p "$W/all"
  view all-outputs "screenshot $W/all/shot.png
quit" --all-outputs || { fail "hotplug: the --all-outputs viewer failed: $(tail -2 "$W/all-outputs.log")"; return; }
  local sizes
  sizes=$(for f in "$W"/all/shot-*.png; do "$check_png" --size "$f"; done | sort | tr '\n' ' ')
  [[ $sizes == "320x240 640x480 " ]] && pass "hotplug: the viewer shows both outputs: $sizes" ||
    fail "hotplug: --all-outputs screenshots '$sizes'"
}
