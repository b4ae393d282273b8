//! The few `core` items the capOS Rust runtime needs, for `#![no_core]` builds (the rustup
//! nightly here has no rust-src, so `core` cannot be built for a custom target). Operator
//! trait impls on primitives are never called: rustc lowers primitive operators to built-in
//! operations once the lang item trait is implemented. Integer division, indexing and
//! anything that could panic are avoided by the runtime and the programs.
#![allow(dead_code, internal_features, non_camel_case_types)]

#[lang = "pointee_sized"]
pub trait PointeeSized {}
#[lang = "meta_sized"]
pub trait MetaSized: PointeeSized {}
#[lang = "sized"]
pub trait Sized: MetaSized {}
#[lang = "legacy_receiver"]
pub trait LegacyReceiver {}
impl<T: PointeeSized> LegacyReceiver for &T {}
impl<T: PointeeSized> LegacyReceiver for &mut T {}
#[lang = "copy"]
pub trait Copy: Sized {}
#[lang = "destruct"]
pub trait Destruct: PointeeSized {}
#[lang = "freeze"]
pub unsafe auto trait Freeze {}
#[lang = "unsafe_unpin"]
pub unsafe auto trait UnsafeUnpin {}
#[lang = "unpin"]
pub auto trait Unpin {}
#[lang = "tuple_trait"]
pub trait Tuple {}
/// Needed for `match` on integer constants.
#[lang = "structural_peq"]
pub trait StructuralPartialEq {}

macro_rules! marker_impls {
    ($Trait:ident => $($t:ty),*) => { $( impl $Trait for $t {} )* };
}
marker_impls!(Copy => bool, u8, u16, u32, u64, usize, i8, i16, i32, i64, isize);
impl<T: PointeeSized> Copy for *const T {}
impl<T: PointeeSized> Copy for *mut T {}
impl<T: PointeeSized> Copy for &T {}
impl<T: Copy, const N: usize> Copy for [T; N] {}

pub trait Sync {}
marker_impls!(Sync => bool, u8, u16, u32, u64, usize, i8, i16, i32, i64, isize);
impl<T: PointeeSized> Sync for &T {}
#[lang = "drop_glue"]
fn drop_glue<T>(_: *mut T) {}
#[lang = "drop"]
pub trait Drop {
    fn drop(&mut self);
}

#[lang = "fn_once"]
pub trait FnOnce<Args: Tuple> {
    #[lang = "fn_once_output"]
    type Output;
    extern "rust-call" fn call_once(self, args: Args) -> Self::Output;
}
#[lang = "fn_mut"]
pub trait FnMut<Args: Tuple>: FnOnce<Args> {
    extern "rust-call" fn call_mut(&mut self, args: Args) -> Self::Output;
}
#[lang = "fn"]
pub trait Fn<Args: Tuple>: FnMut<Args> {
    extern "rust-call" fn call(&self, args: Args) -> Self::Output;
}

#[rustc_builtin_macro]
pub macro asm("assembly template", $(operands,)* $(options($(option),*))?) {
    /* compiler built-in */
}
#[rustc_builtin_macro]
pub macro global_asm("assembly template", $(operands,)* $(options($(option),*))?) {
    /* compiler built-in */
}
#[rustc_builtin_macro]
#[macro_export]
macro_rules! concat {
    ($($e:expr),* $(,)?) => {
        /* compiler built-in */
    };
}

macro_rules! binop {
    ($Trait:ident, $lang:literal, $method:ident; $($t:ty),*) => {
        #[lang = $lang]
        pub trait $Trait<Rhs = Self> {
            type Output;
            fn $method(self, rhs: Rhs) -> Self::Output;
        }
        $( impl $Trait for $t { type Output = $t; fn $method(self, _rhs: $t) -> $t { loop {} } } )*
    };
}
macro_rules! assignop {
    ($Trait:ident, $lang:literal, $method:ident; $($t:ty),*) => {
        #[lang = $lang]
        pub trait $Trait<Rhs = Self> {
            fn $method(&mut self, rhs: Rhs);
        }
        $( impl $Trait for $t { fn $method(&mut self, _rhs: $t) { loop {} } } )*
    };
}
binop!(Add, "add", add; u8, u16, u32, u64, usize, i8, i16, i32, i64, isize);
binop!(Sub, "sub", sub; u8, u16, u32, u64, usize, i8, i16, i32, i64, isize);
binop!(Mul, "mul", mul; u8, u16, u32, u64, usize, i32, i64, isize);
binop!(BitAnd, "bitand", bitand; bool, u8, u16, u32, u64, usize, i32, i64);
binop!(BitOr, "bitor", bitor; bool, u8, u16, u32, u64, usize, i32, i64);
binop!(BitXor, "bitxor", bitxor; u8, u16, u32, u64, usize);
assignop!(AddAssign, "add_assign", add_assign; u8, u16, u32, u64, usize, i32, i64);
assignop!(SubAssign, "sub_assign", sub_assign; u32, u64, usize);
assignop!(BitOrAssign, "bitor_assign", bitor_assign; bool, u8, u32, u64, usize);
assignop!(BitAndAssign, "bitand_assign", bitand_assign; bool, u8, u32, u64, usize);

#[lang = "shl"]
pub trait Shl<Rhs = Self> {
    type Output;
    fn shl(self, rhs: Rhs) -> Self::Output;
}
#[lang = "shr"]
pub trait Shr<Rhs = Self> {
    type Output;
    fn shr(self, rhs: Rhs) -> Self::Output;
}
macro_rules! shifts {
    ($($t:ty),*) => { $(
        impl Shl<u32> for $t { type Output = $t; fn shl(self, _r: u32) -> $t { loop {} } }
        impl Shr<u32> for $t { type Output = $t; fn shr(self, _r: u32) -> $t { loop {} } }
    )* };
}
shifts!(u8, u16, u32, u64, usize, i32, i64);

#[lang = "not"]
pub trait Not {
    type Output;
    fn not(self) -> Self::Output;
}
macro_rules! nots { ($($t:ty),*) => { $( impl Not for $t { type Output = $t; fn not(self) -> $t { loop {} } } )* }; }
nots!(bool, u8, u16, u32, u64, usize);

#[lang = "neg"]
pub trait Neg {
    type Output;
    fn neg(self) -> Self::Output;
}
macro_rules! negs { ($($t:ty),*) => { $( impl Neg for $t { type Output = $t; fn neg(self) -> $t { loop {} } } )* }; }
negs!(i8, i16, i32, i64, isize);

#[lang = "eq"]
pub trait PartialEq<Rhs: PointeeSized = Self>: PointeeSized {
    fn eq(&self, other: &Rhs) -> bool;
    fn ne(&self, other: &Rhs) -> bool;
}
#[lang = "partial_ord"]
pub trait PartialOrd<Rhs: PointeeSized = Self>: PartialEq<Rhs> + PointeeSized {
    fn lt(&self, other: &Rhs) -> bool;
    fn le(&self, other: &Rhs) -> bool;
    fn gt(&self, other: &Rhs) -> bool;
    fn ge(&self, other: &Rhs) -> bool;
}
macro_rules! cmps {
    ($($t:ty),*) => { $(
        impl PartialEq for $t { fn eq(&self, _o: &$t) -> bool { loop {} } fn ne(&self, _o: &$t) -> bool { loop {} } }
        impl PartialOrd for $t {
            fn lt(&self, _o: &$t) -> bool { loop {} } fn le(&self, _o: &$t) -> bool { loop {} }
            fn gt(&self, _o: &$t) -> bool { loop {} } fn ge(&self, _o: &$t) -> bool { loop {} }
        }
    )* };
}
cmps!(u8, u16, u32, u64, usize, i8, i16, i32, i64, isize);
impl PartialEq for bool { fn eq(&self, _o: &bool) -> bool { loop {} } fn ne(&self, _o: &bool) -> bool { loop {} } }
impl<T: PointeeSized> PartialEq for *const T { fn eq(&self, _o: &*const T) -> bool { loop {} } fn ne(&self, _o: &*const T) -> bool { loop {} } }
impl<T: PointeeSized> PartialEq for *mut T { fn eq(&self, _o: &*mut T) -> bool { loop {} } fn ne(&self, _o: &*mut T) -> bool { loop {} } }

#[rustc_intrinsic]
#[rustc_nounwind]
pub unsafe fn volatile_load<T>(src: *const T) -> T;
#[rustc_intrinsic]
#[rustc_nounwind]
pub unsafe fn volatile_store<T>(dst: *mut T, val: T);

#[rustc_intrinsic]
#[rustc_nounwind]
pub const fn size_of<T>() -> usize;

/// Volatile load/store used by the generated accessors in capos_abi.rs.
#[inline(always)]
pub unsafe fn vload<T: Copy>(p: *const T) -> T {
    unsafe { volatile_load(p) }
}
#[inline(always)]
pub unsafe fn vstore<T>(p: *mut T, v: T) {
    unsafe { volatile_store(p, v) }
}
/// Compiler memory barrier.
#[inline(always)]
pub fn barrier() {
    unsafe { asm!("", options(nostack, preserves_flags)) }
}
