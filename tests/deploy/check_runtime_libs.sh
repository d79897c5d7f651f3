#!/usr/bin/env bash
# check_runtime_libs.sh BINARY DOCKERFILE
# Every shared library BINARY loads (ldd) must belong to a Debian package that the
# Dockerfile's runtime stage installs, to one of their dependencies, or to a package of
# priority "required" (what debian:12-slim already has). Uses the dpkg database of this
# machine, where the -dev packages pulled in the same runtime libraries.
set -euo pipefail
bin="$1" dockerfile="$2"

# The package list of the runtime stage's `apt-get install` (up to the line ending in "; \").
listed="$(awk '
  /^FROM .*RUNTIME_IMAGE/ { rt = 1 }
  rt && /apt-get install -y -qq --no-install-recommends/ { on = 1; next }
  on { line = $0; gsub(/\\/, "", line); if (line ~ /;[[:space:]]*$/) { gsub(/;/, "", line); print line; on = 0; rt = 0; exit } print line }
' "$dockerfile" | tr -s ' \t' '\n' | grep -E '^[a-z0-9][a-z0-9.+-]+$' | sort -u)"
[ -n "$listed" ] || { echo "no runtime package list found in $dockerfile"; exit 1; }

# Closure over Depends/Pre-Depends (every alternative) of the listed packages and of the
# installed packages of priority "required", from one read of the dpkg database.
declare -A allowed=()
while read -r p; do allowed[$p]=1; done < <(
  dpkg-query -W -f='${Package}\t${Priority}\t${Depends}, ${Pre-Depends}\n' |
  awk -F'\t' -v listed="$(printf '%s ' $listed)" '
    {
      deps[$1] = $3
      if ($2 == "required") queue[++n] = $1
    }
    END {
      split(listed, l, " ")
      for (i in l) if (l[i] != "") queue[++n] = l[i]
      for (i = 1; i <= n; i++) {
        p = queue[i]
        if (p == "" || (p in seen)) continue
        seen[p] = 1
        print p
        m = split(deps[p], d, /[,|]/)
        for (j = 1; j <= m; j++) {
          x = d[j]; sub(/\(.*\)/, "", x); sub(/:.*/, "", x); gsub(/ /, "", x)
          if (x != "" && !(x in seen)) queue[++n] = x
        }
      }
    }')

ldd_out="$(ldd "$bin")" || { echo "ldd failed on $bin"; exit 1; }
# Library -> owning package, from one dpkg-query -S over every spelling of each path
# (merged /usr: dpkg may know /lib/x/libfoo.so or /usr/lib/x/libfoo.so).
libs="$(printf '%s\n' "$ldd_out" | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }')"
candidates=()
while read -r lib path; do
  [ -n "$path" ] || continue
  candidates+=("$path" "$(realpath "$path")" "${path#/usr}" "/usr$path")
done <<<"$libs"
declare -A owner=()
while IFS= read -r line; do
  pkg="${line%%: *}"; pkg="${pkg%%:*}"; pkg="${pkg%%,*}"
  owner["${line#*: }"]="$pkg"
done < <(dpkg-query -S "${candidates[@]}" 2>/dev/null || true)

missing=()
while read -r lib path; do
  [ -n "$path" ] || continue
  pkg=""
  for c in "$path" "$(realpath "$path")" "${path#/usr}" "/usr$path"; do
    [ -n "${owner[$c]:-}" ] && { pkg="${owner[$c]}"; break; }
  done
  if [ -z "$pkg" ]; then missing+=("$lib (no Debian package owns $path)"); continue; fi
  [ -n "${allowed[$pkg]:-}" ] || missing+=("$lib from $pkg")
done <<<"$libs"

if [ ${#missing[@]} -gt 0 ]; then
  echo "add to the runtime stage of $dockerfile: ${missing[*]}"
  exit 1
fi
echo "all shared libraries of $bin are covered"
