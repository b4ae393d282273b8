#!/usr/bin/env bash
# TEMPLATE: a batch-protocol wrapper for a capOS kernel booted once under QEMU.
# Copy it, then fill in the parts marked ADAPT for your kernel. It speaks runner protocol v1,
# batch form (spec/runner-protocol.md):
#
#   npm run conform -- run --impl batch:'KERNEL=build/kernel.elf ./qemu-kernel-wrapper.sh'
#   (or an adapter file with "protocol": "batch" and this script as its "command")
#
# The runner writes one absolute ELF path per line on our stdin and expects, per path, one JSON
# line on our stdout: {"v":1,"status":N,"console":"<base64>","detail":"...","elf":"<path>","version":"..."}.
# Anything else must go to stderr. The runner enforces its own per-case wall-clock limit: if a
# case hangs it kills this script's whole process group (QEMU included) and starts us again,
# so this script needs no timeouts of its own.
#
# How the kernel side is assumed to work (ADAPT: this is a protocol between this script and a
# small "conformance init" in your kernel image, not something capOS defines):
#   - QEMU's first serial port is our stdin/stdout (-serial stdio). Boot messages may appear
#     there; we ignore every line that does not start with "CONFORM-".
#   - When ready, the init prints:        CONFORM-READY
#   - We send one case as one line:       CONFORM-RUN <base64 of the ELF image>
#   - The init spawns it as a process with the default CapSet, collects its Console bytes,
#     and when it ends prints one line:   CONFORM-RESULT <status> <base64 of the Console bytes> [detail]
#     where <status> uses the protocol's numbers (exit code 0..127, 126 rejected, 124 budget,
#     125 hang, 139 #PF/#GP, 132 #UD, 136 #DE) and [detail] is e.g. "#PF at 0x1000 write thread 1".
set -u

QEMU=${QEMU:-qemu-system-x86_64}
KERNEL=${KERNEL:?set KERNEL to the kernel image to boot}
VERSION=${VERSION:-"capOS kernel $(basename "$KERNEL") under QEMU"}
# ADAPT: machine, memory, accelerator, how your kernel is booted (multiboot -kernel, an ISO...).
QEMU_ARGS=(-machine q35 -m 512M -nographic -no-reboot -serial stdio -monitor none -kernel "$KERNEL")

# Start the guest once; its serial port is the coprocess's stdin/stdout.
coproc GUEST { exec "$QEMU" "${QEMU_ARGS[@]}"; }

# Wait for a line starting with $1 from the guest; boot chatter goes to our stderr.
read_guest() {
  local line
  while IFS= read -r line <&"${GUEST[0]}"; do
    line=${line%$'\r'}
    case $line in
      "$1"*) printf '%s\n' "$line"; return 0 ;;
      *) printf 'guest: %s\n' "$line" >&2 ;;
    esac
  done
  return 1
}

# JSON string contents for free text: drop quotes, backslashes and control characters.
json_text() { printf '%s' "$1" | tr -d '"\\\000-\037'; }

read_guest CONFORM-READY >/dev/null || { echo "the guest never said CONFORM-READY" >&2; exit 1; }

while IFS= read -r path; do
  # One line out per path in, always. base64 -w0: the image as one line.
  printf 'CONFORM-RUN %s\n' "$(base64 -w0 < "$path")" >&"${GUEST[1]}"
  result=$(read_guest CONFORM-RESULT) || { echo "the guest stopped answering" >&2; exit 1; }
  read -r _ status console detail <<<"$result"
  # "elf" echoes the path so the runner can tell a late answer from this one; json_text drops
  # what JSON would need escaped, so a path with such characters is not echoed (it is optional).
  elf=""
  [ "$(json_text "$path")" = "$path" ] && elf=$(printf ',"elf":"%s"' "$path")
  printf '{"v":1,"status":%d,"console":"%s","detail":"%s"%s,"version":"%s"}\n' \
    "$status" "$console" "$(json_text "${detail:-}")" "$elf" "$(json_text "$VERSION")"
done

# EOF on stdin: stop the guest and exit 0, as the protocol asks.
kill "$GUEST_PID" 2>/dev/null
exit 0
