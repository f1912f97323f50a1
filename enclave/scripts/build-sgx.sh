#!/usr/bin/env bash
# Builds the Gramine-SGX package of the enclave: renders the manifest with gramine-manifest, signs
# it with gramine-sgx-sign, and prints MRENCLAVE (the value to allowlist on chain).
#
# Environment (all optional except where noted):
#   ANONIFY_SGX_ATTESTATION "dcap" (default: ECDSA quotes checked under Intel's collateral) or "epid"
#                           (quotes for the Intel Attestation Service, end-of-life); it picks the
#                           remote-attestation section appended to the manifest template
#                           (manifest-attestation/<kind>.template), so it is part of MRENCLAVE
#   ANONIFY_SGX_SPID        EPID service provider id, 32 hex characters (epid only: required by IAS)
#   ANONIFY_SGX_LINKABLE    "true" for linkable quotes (epid only; default "false": unlinkable)
#   ANONIFY_SGX_KEY         RSA-3072 signing key (default: Gramine's ~/.config/gramine/enclave-key.pem)
#   ANONIFY_SGX_SEALED_DIR  host directory of the encrypted sealed mount, relative to the build
#                           directory where gramine-sgx runs (default "sealed")
#   ANONIFY_SGX_ENCLAVE_SIZE (default "512M"), ANONIFY_SGX_MAX_THREADS (default 4),
#   ANONIFY_SGX_ISVPRODID / ANONIFY_SGX_ISVSVN (default 0 / 0), ANONIFY_SGX_LOG_LEVEL (default "error")
#
# Exits non-zero, naming exactly what is missing, where Gramine or its inputs are not available.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="$PWD/build"
binary="$build_dir/anonify-enclave"
template="$PWD/anonify-enclave.manifest.template"
attestation_templates="$PWD/manifest-attestation"

missing=()
for tool in gramine-manifest gramine-sgx-sign; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool (install Gramine >= 1.5: https://gramine.readthedocs.io/en/stable/installation.html)")
done
key="${ANONIFY_SGX_KEY:-$HOME/.config/gramine/enclave-key.pem}"
[ -f "$key" ] || missing+=("signing key $key (create one with \`gramine-sgx-gen-private-key\` or set ANONIFY_SGX_KEY)")
attestation="${ANONIFY_SGX_ATTESTATION:-dcap}"
attestation_vars=()
case "$attestation" in
  dcap) ;;
  epid)
    spid="${ANONIFY_SGX_SPID:-}"
    if ! [[ "$spid" =~ ^[0-9a-fA-F]{32}$ ]]; then
      missing+=("ANONIFY_SGX_SPID (the 32-hex-character EPID SPID of your IAS subscription; epid only)")
    fi
    linkable="${ANONIFY_SGX_LINKABLE:-false}"
    if [ "$linkable" != "true" ] && [ "$linkable" != "false" ]; then
      missing+=("ANONIFY_SGX_LINKABLE must be \"true\" or \"false\", got \"$linkable\"")
    fi
    attestation_vars=(-Dra_spid="$spid" -Dra_linkable="$linkable")
    ;;
  *) missing+=("ANONIFY_SGX_ATTESTATION must be \"dcap\" or \"epid\", got \"$attestation\"") ;;
esac
if [ "${#missing[@]}" -gt 0 ]; then
  echo "enclave:sgx cannot build the SGX package; missing:" >&2
  for m in "${missing[@]}"; do echo "  - $m" >&2; done
  exit 1
fi

# Intel's trust anchors compiled in; the binary refuses --mode simulation.
./scripts/build.sh sgx
arch_libdir="/lib/$(gcc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)"

cd "$build_dir"
# The template, then the evidence kind's remote-attestation section (both measured into MRENCLAVE).
cat "$template" "$attestation_templates/$attestation.template" > anonify-enclave.manifest.template
gramine-manifest \
  -Dbinary="$binary" \
  -Dsealed_dir="${ANONIFY_SGX_SEALED_DIR:-sealed}" \
  -Darch_libdir="$arch_libdir" \
  -Dlog_level="${ANONIFY_SGX_LOG_LEVEL:-error}" \
  -Denclave_size="${ANONIFY_SGX_ENCLAVE_SIZE:-512M}" \
  -Dmax_threads="${ANONIFY_SGX_MAX_THREADS:-4}" \
  -Disvprodid="${ANONIFY_SGX_ISVPRODID:-0}" \
  -Disvsvn="${ANONIFY_SGX_ISVSVN:-0}" \
  "${attestation_vars[@]}" \
  anonify-enclave.manifest.template anonify-enclave.manifest
mkdir -p "${ANONIFY_SGX_SEALED_DIR:-sealed}"
sign_output="$(gramine-sgx-sign --key "$key" --manifest anonify-enclave.manifest --output anonify-enclave.manifest.sgx)"
echo "$sign_output"
mrenclave=""
if command -v gramine-sgx-sigstruct-view >/dev/null 2>&1; then
  mrenclave="$(gramine-sgx-sigstruct-view --output-format json anonify-enclave.sig 2>/dev/null |
    sed -n 's/.*"mr_enclave": *"\([0-9a-fA-F]\{64\}\)".*/\1/p')"
fi
if [ -z "$mrenclave" ]; then
  mrenclave="$(echo "$sign_output" | grep -A1 -i 'measurement' | grep -oE '[0-9a-fA-F]{64}' | head -1)"
fi
if [ -z "$mrenclave" ]; then
  echo "error: could not read MRENCLAVE from the signed manifest" >&2
  exit 1
fi
echo "MRENCLAVE 0x$mrenclave ($attestation attestation)"
echo "run: cd $build_dir && gramine-sgx anonify-enclave   (EnclaveProcess does this in sgx mode)"
