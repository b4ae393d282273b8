# The capOS capability interfaces that capos-conform exercises.
#
# Method names and ordinals follow the capOS manual where it gives them (Console,
# VirtualMemory map/unmap/protect at @0/@1/@2: https://capos-93z.pages.dev/capability-model.html).
# Everything else (reserve/commit/decommit ordinals, ThreadSpawner/ThreadControl/Timer/
# MemoryObject signatures, CapException fields) is PROVISIONAL: see spec/ABI.md.
# Interface IDs are fixed here so that CapSet entries are stable across regenerations.

@0xc4a1d6e2b3f40517;

interface Console @0xd1c0a5e000000001 {
  write @0 (data :Data) -> ();
  writeLine @1 (text :Text) -> ();
}

interface VirtualMemory @0xd1c0a5e000000002 {
  # Reserve and commit in one step; `hint` is advisory.
  map @0 (hint :UInt64, size :UInt64, prot :UInt32) -> (addr :UInt64);
  # Remove whatever is mapped or reserved in the range; drains park waiters in it.
  unmap @1 (addr :UInt64, size :UInt64) -> ();
  # Change protection of committed pages.
  protect @2 (addr :UInt64, size :UInt64, prot :UInt32) -> ();
  # Reserve address space only: accesses fault until committed.
  reserve @3 (hint :UInt64, size :UInt64) -> (addr :UInt64);
  # Back reserved pages with zeroed frames.
  commit @4 (addr :UInt64, size :UInt64, prot :UInt32) -> ();
  # Return frames; pages become reserved again and their contents are forfeit.
  decommit @5 (addr :UInt64, size :UInt64) -> ();
}

# Marker interface: PARK and UNPARK are ring opcodes authorised by this capability.
interface ParkSpace @0xd1c0a5e000000003 {}

interface ThreadSpawner @0xd1c0a5e000000004 {
  # Start a thread at `entry` with RSP = stackTop, RSI = arg and FS base = fsBase.
  # The new ThreadHandle arrives as the call's result capability; handleIndex is its index.
  spawn @0 (entry :UInt64, stackTop :UInt64, arg :UInt64, fsBase :UInt64) -> (handleIndex :UInt16);
}

interface ThreadHandle @0xd1c0a5e000000005 {
  # Completes when the thread has exited; releasing the handle detaches it.
  join @0 () -> (exitValue :UInt64);
}

interface ThreadControl @0xd1c0a5e000000006 {
  # Set the FS base of the calling thread.
  setFsBase @0 (base :UInt64) -> ();
  # End the calling thread; never completes.
  exit @1 (value :UInt64) -> ();
  getFsBase @2 () -> (base :UInt64);
}

interface Timer @0xd1c0a5e000000007 {
  # Monotonic virtual time in nanoseconds.
  now @0 () -> (ns :UInt64);
  # Completes at or after now + ns.
  sleep @1 (ns :UInt64) -> ();
}

interface MemoryObject @0xd1c0a5e000000008 {
  info @0 () -> (pageCount :UInt64, size :UInt64);
  unmap @1 (addr :UInt64, size :UInt64) -> ();
}

enum ExceptionType {
  failed @0;
  overloaded @1;
  disconnected @2;
  unimplemented @3;
  invalidArgument @4;
}

struct CapException {
  type @0 :ExceptionType;
  message @1 :Text;
}
