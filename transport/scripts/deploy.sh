# smtp-probe/deploy v5 (POSIX sh)
# What: the whole warm cycle on a Linux runner in one command. Prints the cache folder;
#   checks the runtime, the bundle and the loader in it (a file is trusted when its ".NAME.verified"
#   stamp is no older than it and its size matches, otherwise it is hashed in full); on a
#   miss prints "miss" lines (and "gzip" when gzip is on PATH) and stops so the caller
#   uploads and calls again. A file uploaded gzip-compressed is unpacked first (see
#   unpack below): a bad one prints "bad WHICH why" and stays a miss. On a hit:
#   recreates the job's work folder, runs the probe, drops its run folder (the ZIP holds it
#   all), sends the ZIP back inline when it is small enough, and removes the work folder.
#   Keeps the cache bounded: once a day a run removes the versions no run has used for 30
#   days and work folders that killed jobs left (see sweep below).
# Parameters (positional):
#   1 job (work folder name)      2-5 runtime sha256, name, bytes, fresh|old|gz:FILE
#   6-9 bundle sha256, name, bytes, fresh|old|gz:FILE (FILE: the .gz uploaded into the
#       sha256 folder in this cycle; fresh: uploaded uncompressed and verified by the caller)
#   10-13 loader sha256, name, bytes, fresh|old|gz:FILE: what the runtime starts, which
#       runs the bundle with a code cache (payload/loader/runner.ts)
#   14 command (probe|diagnose)   15 password on stdin (yes|no)
#   16 inline ZIP limit in bytes, or "none" (leave the ZIP for a download)
#   17 the probe's settings: base64 of a JSON array of arguments (decoded and validated by
#      the probe itself, so no value is ever parsed by this shell)
# Output: control lines "@smtp-probe-deploy root|miss|gzip|bad|cached|zip|zipdata|zipdata-end|exit".
# Exit codes: 0 after a miss; the probe's exit code after a run; 1 when the work folder
#   cannot be prepared or stdin has no password line.
# A runner whose environment turns tracing on (SHELLOPTS=xtrace) must not echo our
# commands into the job log.
set +xv
job=$1 rt_sha=$2 rt_name=$3 rt_bytes=$4 rt_fresh=$5
bd_sha=$6 bd_name=$7 bd_bytes=$8 bd_fresh=$9
shift 9
ld_sha=$1 ld_name=$2 ld_bytes=$3 ld_fresh=$4
shift 4
command=$1 pw_stdin=$2 inline_max=$3 args_b64=$4
r="${XDG_CACHE_HOME:-$HOME/.cache}/smtp-probe"
echo "@smtp-probe-deploy root $r"
# Each run stamps the three folders it uses, before trusting them, so the daily sweep of
# another job never takes a version a run is about to start. A redirection opening with
# O_TRUNC sets the time as touch does, without starting a process; `true`, not `:`, since a
# failed redirection of a special built-in ends a POSIX shell (a folder not there yet).
for d in "$rt_sha" "$bd_sha" "$ld_sha"; do true 2>/dev/null >"$r/$d/.used"; done
trusted() { # sha256 name bytes
  f="$r/$1/$2" s="$r/$1/.$2.verified"
  [ -f "$f" ] || return 1
  [ -f "$s" ] && [ ! "$f" -nt "$s" ] && [ "$(wc -c <"$f")" -eq "$3" ] && return 0
  [ "$(sha256sum <"$f" | cut -c1-64)" = "$1" ] && touch "$s"
}
# mkdir is atomic: the lock is a folder holding its owner's pid. One whose owner is gone
# (killed mid-unpack) or that is over 10 minutes old is stale and taken over. Correctness
# does not rest on it: two jobs that both get past it unpack into their own temporary names
# and rename the same verified bytes into place; it only saves the second one the work.
lock() {
  n=0
  until mkdir "$1" 2>/dev/null; do
    o=$(cat "$1/pid" 2>/dev/null)
    if { [ -n "$o" ] && ! kill -0 "$o" 2>/dev/null; } || [ -n "$(find "$1" -prune -mmin +10 2>/dev/null)" ]; then
      rm -rf "$1"
      continue
    fi
    n=$((n + 1))
    [ "$n" -le 600 ] || return 1
    sleep 1
  done
  echo $$ >"$1/pid"
}
# The uploaded .gz becomes the cached file: unpacked under a temporary name in the same
# folder, its sha256 checked, then renamed into place, so the cache never holds half a
# runtime under its real name. A second job for the same file waits for the lock, then
# finds the file there. Leftovers of killed uploads and unpacks (never trusted: only the
# real name is) are swept once they are an hour old.
unpack() { # which sha256 name bytes gzfile
  d="$r/$2" z="$r/$2/$5" t="$r/$2/.$3.tmp-$$" l="$r/$2/.$3.lock"
  if ! lock "$l"; then
    echo "@smtp-probe-deploy bad $1 the lock $l is held by a live process for over 10 minutes"
    rm -f "$z"
    return 1
  fi
  if trusted "$2" "$3" "$4"; then
    :
  elif ! gzip -dc <"$z" >"$t" 2>/dev/null; then
    echo "@smtp-probe-deploy bad $1 $3: the upload is not valid gzip data (or the disk is full); removed"
  else
    got=$(sha256sum <"$t" | cut -c1-64)
    if [ "$got" = "$2" ]; then
      chmod 755 "$t" && mv -f "$t" "$d/$3" && touch "$d/.$3.verified"
    else
      echo "@smtp-probe-deploy bad $1 $3: unpacked to sha256 $got, expected $2; removed"
    fi
  fi
  rm -f "$z" "$t"
  find "$d" -type f \( -name '.*.gz-*' -o -name '.*.tmp-*' -o -name '*.part-*' \) -mmin +60 -exec rm -f {} + 2>/dev/null
  rm -rf "$l"
}
cached() { # which sha256 name bytes fresh|old|gz:FILE
  case $5 in
    gz:*) unpack "$1" "$2" "$3" "$4" "${5#gz:}" ;;
    fresh) [ -f "$r/$2/$3" ] && touch "$r/$2/.$3.verified" ;;
  esac
  trusted "$2" "$3" "$4"
}
# Old versions go: a sha256 folder that neither a run (its ".used" stamp) nor an upload (the
# folder's own time) has touched for over 30 days is removed, as are work folders over a day
# old (a job killed before its clean-up). Once a day per runner, by whichever run comes
# first ("$r/.swept"): the check costs one find. A version still run anywhere keeps being
# stamped, so a fleet half-way through an upgrade keeps both. Other folders (compile-cache,
# work) are not sha256 names and are never swept this way.
sweep() {
  [ -n "$(find "$r/.swept" -mmin -1440 2>/dev/null)" ] && return 0
  true 2>/dev/null >"$r/.swept" || return 0
  # 64 lower-case hex digits, listed rather than a range, which some locales' collation widens.
  h='[0123456789abcdef]' && h=$h$h$h$h && h=$h$h$h$h && h=$h$h$h$h
  find "$r" -mindepth 1 -maxdepth 1 -type d -name "$h" -mtime +30 ! -name "$rt_sha" ! -name "$bd_sha" ! -name "$ld_sha" 2>/dev/null | while IFS= read -r d; do
    [ -n "$(find "$d/.used" -mtime -31 2>/dev/null)" ] || rm -rf "$d"
  done
  find "$r/work" -mindepth 1 -maxdepth 1 -type d -mtime +0 ! -name "$job" -exec rm -rf {} + 2>/dev/null
  return 0
}
miss=
cached runtime "$rt_sha" "$rt_name" "$rt_bytes" "$rt_fresh" || { echo "@smtp-probe-deploy miss runtime"; miss=1; }
cached bundle "$bd_sha" "$bd_name" "$bd_bytes" "$bd_fresh" || { echo "@smtp-probe-deploy miss bundle"; miss=1; }
cached loader "$ld_sha" "$ld_name" "$ld_bytes" "$ld_fresh" || { echo "@smtp-probe-deploy miss loader"; miss=1; }
if [ -n "$miss" ]; then
  # Without gzip on the runner the caller sends the files uncompressed.
  command -v gzip >/dev/null 2>&1 && echo "@smtp-probe-deploy gzip"
  exit 0
fi
echo "@smtp-probe-deploy cached"
w="$r/work/$job"
rm -rf "$w" && mkdir -p "$w" || exit 1
rt="$r/$rt_sha/$rt_name"
[ -x "$rt" ] || chmod +x "$rt" || exit 1
# Compiled code of the bundle is cached next to it (by the loader, made after a command's first
# run): later probes on this runner start faster.
export NODE_COMPILE_CACHE="$r/compile-cache"
set -- "$r/$ld_sha/$ld_name" "$r/$bd_sha/$bd_name" "$command" --out "$w/out" --zip-to "$w/result.zip" --quiet --args-b64 "$args_b64"
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
sweep
echo "@smtp-probe-deploy exit $rc"
exit $rc
