#!/usr/bin/env bash
# Installs the Debian packages a target needs, or — when not root — prints the exact apt-get line.
#   scripts/install-deps.sh build   libraries the Swift build links
#   scripts/install-deps.sh test    build + what the test tiers need (browser, python venv)
#   scripts/install-deps.sh bench   build + load generator
#   scripts/install-deps.sh image   build + podman (runc), debootstrap for the base image
#   scripts/install-deps.sh order   build + valgrind, to regenerate the link order (scripts/gen-order-file)
set -euo pipefail

build=(libsqlite3-dev libssh-dev libcurl4-openssl-dev libssl-dev pkg-config poppler-utils libxml2)
# The agent's image under podman (DESIGN.md "Test rig"): runc (crun fails in the test rig), no
# registry here, so the debian:bookworm-slim base is made with debootstrap; binutils for strip.
image=(podman runc debootstrap binutils)
# cloud-init (test): its `cloud-init schema` validates the rendered user data, and test-fleet hosts
# are prepared from that same user data (scripts/apply-user-data). Installing it changes nothing on
# this machine until a boot with a datasource. nftables (test): hosts apply the user data's rules in
# their own network namespaces.
case "${1:-build}" in
  build) wanted=("${build[@]}") ;;
  test)  wanted=("${build[@]}" python3-venv chromium chromium-driver poppler-utils qpdf openssh-server openssh-client iproute2 util-linux "${image[@]}" caddy cloud-init nftables) ;;
  image) wanted=("${build[@]}" "${image[@]}") ;;
  bench) wanted=("${build[@]}" wrk python3-venv openssh-server openssh-client iproute2 util-linux) ;;
  order) wanted=("${build[@]}" valgrind binutils) ;;
  *) echo "usage: $0 build|test|bench|image|order" >&2; exit 64 ;;
esac

missing=()
for package in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages. Run this, then try again:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing ${missing[*]} …" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
