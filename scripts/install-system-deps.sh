#!/usr/bin/env bash
# Installs the Debian packages Anonify builds against (enclave toolchain and libraries, clang for
# libFuzzer and the sanitizers). Does nothing when they are all present; needs root otherwise.
set -euo pipefail

PACKAGES=(
  cmake make g++ pkg-config
  libssl-dev libsecp256k1-dev nlohmann-json3-dev libgtest-dev zlib1g-dev
  clang libclang-rt-14-dev lld-14
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "error: missing Debian packages: ${missing[*]}" >&2
  echo "       run this script as root (sudo bash scripts/install-system-deps.sh)" >&2
  exit 1
fi
echo "system packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "system packages: installed"
