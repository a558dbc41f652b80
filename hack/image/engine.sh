# Sourced by hack/image/build and hack/release/build: picks the container engine both use.
# pick_engine NAME_OR_EMPTY: prints podman or docker (the one named, else whichever answers `info`, podman first), or
# fails with the reason on stderr.
pick_engine() {
  local wanted=$1 candidate
  if [ -n "$wanted" ]; then
    command -v "$wanted" >/dev/null 2>&1 || { echo "container engine '$wanted' is not on PATH" >&2; return 1; }
    "$wanted" info >/dev/null 2>&1 || { echo "'$wanted info' fails: $("$wanted" info 2>&1 | tail -n 1)" >&2; return 1; }
    echo "$wanted"
    return 0
  fi
  for candidate in podman docker; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" info >/dev/null 2>&1; then
      echo "$candidate"
      return 0
    fi
  done
  echo "neither podman nor docker answers 'info'; install one (Debian: apt-get install podman) or set CONTAINER_ENGINE" >&2
  return 1
}
