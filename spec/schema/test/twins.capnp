# Named twins of capos.capnp's implicit params structs, wire-identical to them, so that the
# `capnp encode` tool (which cannot name `map$Params`) can produce reference bytes in tests.
@0xe7f0b1c2d3a49586;

struct MapParams {
  hint @0 :UInt64;
  size @1 :UInt64;
  prot @2 :UInt32;
}

struct WriteParams {
  data @0 :Data;
}

struct SpawnParams {
  entry @0 :UInt64;
  stackTop @1 :UInt64;
  arg @2 :UInt64;
  fsBase @3 :UInt64;
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
