#!/usr/bin/env bash
# Installs a pinned Cilium CLI for internet-connected machines, verifying its checksum before anything is unpacked.
#
#   hack/install-cilium-cli.sh [INSTALL_DIR]        (default: /usr/local/bin)
#
# CILIUM_CLI_VERSION overrides the pinned version. CILIUM_CLI_SHA256 pins the tarball's sha256 yourself; without it
# the script checks against the .sha256sum the release publishes next to the tarball (which proves the download is
# intact, not who made it: pin CILIUM_CLI_SHA256 in CI). Air-gapped sites use the container image, which bundles it.
set -euo pipefail

version="${CILIUM_CLI_VERSION:-v0.19.7}"
install_dir="${1:-/usr/local/bin}"

if [[ ! "$version" =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  echo "error: CILIUM_CLI_VERSION '$version' is not of the form vMAJOR.MINOR.PATCH" >&2
  exit 2
fi

case "$(uname -m)" in
  x86_64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "error: unsupported architecture $(uname -m)" >&2; exit 2 ;;
esac
os="$(uname -s | tr '[:upper:]' '[:lower:]')"

tarball="cilium-${os}-${arch}.tar.gz"
base="https://github.com/cilium/cilium-cli/releases/download/${version}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "Downloading Cilium CLI ${version} (${os}/${arch})..." >&2
curl --fail --location --silent --show-error --output "${work}/${tarball}" "${base}/${tarball}"

if [ -n "${CILIUM_CLI_SHA256:-}" ]; then
  echo "${CILIUM_CLI_SHA256}  ${tarball}" > "${work}/expected.sha256"
else
  curl --fail --location --silent --show-error --output "${work}/expected.sha256" "${base}/${tarball}.sha256sum"
fi
(cd "$work" && sha256sum --check --strict expected.sha256) >&2

tar -xzf "${work}/${tarball}" -C "$work" cilium
install -m 0755 "${work}/cilium" "${install_dir}/cilium"
"${install_dir}/cilium" version --client
