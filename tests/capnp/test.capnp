# A test-only schema that uses every field kind the C generator supports.
@0xb85fd0a92250f5fd;

using C = import "/c.capnp";
$C.namespace("t");

enum Color {
  red @0;
  green @1;
  blue @2;
}

interface Pinger {
  ping @0 (x :UInt32) -> (y :UInt32);
}

struct Inner {
  id @0 :UInt32;
  label @1 :Text;
}

struct AllTypes {
  voidField @0 :Void;
  boolField @1 :Bool;
  int8Field @2 :Int8;
  int16Field @3 :Int16;
  int32Field @4 :Int32;
  int64Field @5 :Int64;
  uint8Field @6 :UInt8;
  uint16Field @7 :UInt16;
  uint32Field @8 :UInt32;
  uint64Field @9 :UInt64;
  float32Field @10 :Float32;
  float64Field @11 :Float64;
  textField @12 :Text;
  dataField @13 :Data;
  structField @14 :Inner;
  enumField @15 :Color;
  capField @16 :Pinger;

  boolList @17 :List(Bool);
  int8List @18 :List(Int8);
  int16List @19 :List(Int16);
  int32List @20 :List(Int32);
  int64List @21 :List(Int64);
  uint8List @22 :List(UInt8);
  uint16List @23 :List(UInt16);
  uint32List @24 :List(UInt32);
  uint64List @25 :List(UInt64);
  float32List @26 :List(Float32);
  float64List @27 :List(Float64);
  textList @28 :List(Text);
  dataList @29 :List(Data);
  structList @30 :List(Inner);
  enumList @31 :List(Color);
  listList @32 :List(List(Int32));
  structListList @33 :List(List(Inner));
  voidList @34 :List(Void);

  union {
    unset @35 :Void;
    num @36 :UInt32;
    str @37 :Text;
    grp :group {
      a @38 :UInt16;
      b @39 :Text;
    }
  }

  outer :group {
    x @40 :Int32;
    nested :union {
      p @41 :Void;
      q @42 :Float32;
      r @43 :Inner;
    }
  }

  defaults @44 :Defaults;
  zeroed @45 :Defaults;
  caps @46 :List(Pinger);
}

struct Defaults {
  b @0 :Bool = true;
  i8 @1 :Int8 = -8;
  i16 @2 :Int16 = -1600;
  i32 @3 :Int32 = -320000;
  i64 @4 :Int64 = -640000000000;
  u8 @5 :UInt8 = 200;
  u16 @6 :UInt16 = 60000;
  u32 @7 :UInt32 = 4000000000;
  u64 @8 :UInt64 = 0xfedcba9876543210;
  f32 @9 :Float32 = 1.5;
  f64 @10 :Float64 = -2.25;
  t @11 :Text = "default text";
  d @12 :Data = 0x"deadbeef";
  e @13 :Color = blue;
}

const answer :Int32 = -42;
const greeting :Text = "hello \"world\"";
