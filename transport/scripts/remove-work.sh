# smtp-probe/remove-work v2 (POSIX sh)
# What: removes one job's work folder under the per-user cache; a missing folder is fine.
# Parameters (positional): 1 the work folder's name (a plain name the caller has checked).
# Exit codes: 0 removed or absent; non-zero when rm failed.
set +xv
rm -rf "${XDG_CACHE_HOME:-$HOME/.cache}/smtp-probe/work/$1"
