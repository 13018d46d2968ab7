# smtp-probe/deploy v2 (POSIX sh)
# What: the whole warm cycle on a Linux runner in one command. Prints the cache folder;
#   checks the runtime and the bundle in it (a file is trusted when its ".NAME.verified"
#   stamp is no older than it and its size matches, otherwise it is hashed in full); on a
#   miss prints "miss" lines and stops so the caller uploads and calls again. On a hit:
#   recreates the job's work folder, runs the probe, drops its run folder (the ZIP holds it
#   all), sends the ZIP back inline when it is small enough, and removes the work folder.
# Parameters (positional):
#   1 job (work folder name)      2-5 runtime sha256, name, bytes, fresh|old
#   6-9 bundle sha256, name, bytes, fresh|old
#   10 command (probe|diagnose)   11 password on stdin (yes|no)
#   12 inline ZIP limit in bytes, or "none" (leave the ZIP for a download)
#   13 the probe's settings: base64 of a JSON array of arguments (decoded and validated by
#      the probe itself, so no value is ever parsed by this shell)
# Output: control lines "@smtp-probe-deploy root|miss|cached|zip|zipdata|zipdata-end|exit".
# Exit codes: 0 after a miss; the probe's exit code after a run; 1 when the work folder
#   cannot be prepared or stdin has no password line.
# A runner whose environment turns tracing on (SHELLOPTS=xtrace) must not echo our
# commands into the job log.
set +xv
job=$1 rt_sha=$2 rt_name=$3 rt_bytes=$4 rt_fresh=$5
bd_sha=$6 bd_name=$7 bd_bytes=$8 bd_fresh=$9
shift 9
command=$1 pw_stdin=$2 inline_max=$3 args_b64=$4
r="${XDG_CACHE_HOME:-$HOME/.cache}/smtp-probe"
echo "@smtp-probe-deploy root $r"
cached() { # sha256 name bytes fresh|old
  f="$r/$1/$2" s="$r/$1/.$2.verified"
  [ -f "$f" ] || return 1
  [ "$4" = fresh ] && touch "$s"
  [ -f "$s" ] && [ ! "$f" -nt "$s" ] && [ "$(wc -c <"$f")" -eq "$3" ] && return 0
  [ "$(sha256sum <"$f" | cut -c1-64)" = "$1" ] && touch "$s"
}
miss=
cached "$rt_sha" "$rt_name" "$rt_bytes" "$rt_fresh" || { echo "@smtp-probe-deploy miss runtime"; miss=1; }
cached "$bd_sha" "$bd_name" "$bd_bytes" "$bd_fresh" || { echo "@smtp-probe-deploy miss bundle"; miss=1; }
[ -z "$miss" ] || exit 0
echo "@smtp-probe-deploy cached"
w="$r/work/$job"
rm -rf "$w" && mkdir -p "$w" || exit 1
rt="$r/$rt_sha/$rt_name"
[ -x "$rt" ] || chmod +x "$rt" || exit 1
# Compiled code of the bundle is cached next to it: later probes on this runner start faster.
export NODE_COMPILE_CACHE="$r/compile-cache"
set -- "$r/$bd_sha/$bd_name" "$command" --out "$w/out" --zip-to "$w/result.zip" --quiet --args-b64 "$args_b64"
# The probe runs in the background so that a command timeout stops it, not only this shell:
# a TERM/HUP from sshd is passed on, and since sshd refuses signals to root sessions, the
# end of our stdin (the caller closed the channel) stops it too.
exec 3<&0
if [ "$pw_stdin" = yes ]; then
  # head passes the first line of our stdin through a FIFO to the probe's stdin: the
  # password is never in a shell variable, an argument or a traced command. Waiting for
  # head before the watcher below starts keeps the two from racing for that line.
  mkfifo -m 600 "$w/.password" || exit 1
  head -n 1 <&3 >"$w/.password" &
  h=$!
  "$rt" "$@" --password-stdin <"$w/.password" 3<&- &
  p=$!
  wait $h
  rm -f "$w/.password"
else
  "$rt" "$@" </dev/null 3<&- &
  p=$!
fi
trap 'kill $p 2>/dev/null' HUP INT TERM
{ cat <&3; kill $p; } >/dev/null 2>&1 &
g=$!
wait $p
rc=$?
kill $g 2>/dev/null
rm -rf "$w/out"
if [ -f "$w/result.zip" ]; then
  n=$(wc -c <"$w/result.zip")
  echo "@smtp-probe-deploy zip $n"
  if [ "$inline_max" != none ]; then
    [ "$n" -le "$inline_max" ] && { echo "@smtp-probe-deploy zipdata"; base64 "$w/result.zip"; echo "@smtp-probe-deploy zipdata-end"; }
  fi
fi
[ "$inline_max" = none ] || rm -rf "$w"
echo "@smtp-probe-deploy exit $rc"
exit $rc
