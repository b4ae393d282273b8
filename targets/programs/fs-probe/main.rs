//! fs-probe (Rust, #![no_core], x86_64-unknown-capos.json): the Rust twin of main.c.
//! Same protocol, same exit-status bits (see main.c); Console prefix "fs-probe.rs:".
#![feature(no_core, lang_items, intrinsics, rustc_attrs, decl_macro, auto_traits, thread_local, unboxed_closures)]
#![no_core]
#![no_main]
#![allow(internal_features, static_mut_refs, non_upper_case_globals, unused_unsafe)]

#[path = "../../rt/rust/minicore.rs"]
#[macro_use]
mod minicore;
#[path = "../../rt/rust/capos_abi.rs"]
#[macro_use]
mod capos_abi;
#[path = "../../rt/rust/rt.rs"]
#[macro_use]
mod rt;

use capos_abi::*;
use minicore::*;
use rt::*;

const NTHREADS: usize = 3;
const YIELDS: u32 = 4;
const STACK_SIZE: usize = 0x4000;
const TLS_AREA: usize = 0x1000;
const F_START: u64 = 1;
const F_IMAGE: u64 = 2;
const F_SETFS: u64 = 4;
const F_SWITCH: u64 = 8;
const F_MAIN: u64 = 16;
const F_CALLS: u64 = 32;
const F_RING: u64 = 64;
const F_JOIN: u64 = 128;

const V_DATA: u64 = 0x0f5b0f5b0f5b0f5b;
#[repr(C, align(64))]
pub struct Al64(pub u64);

#[thread_local]
#[unsafe(no_mangle)]
static mut rs_t_data: u64 = V_DATA;
#[thread_local]
#[unsafe(no_mangle)]
static mut rs_t_bss: u64 = 0;
#[thread_local]
#[unsafe(no_mangle)]
static mut rs_t_al64: Al64 = Al64(0x64);

macro_rules! tpoff {
    ($sym:literal) => {{
        let o: i64;
        unsafe { asm!(concat!("movq $", $sym, "@tpoff, {0}"), out(reg) o, options(att_syntax, nostack, nomem, preserves_flags)) };
        o
    }};
}
macro_rules! fsload64 {
    ($sym:literal) => {{
        let v: u64;
        unsafe { asm!(concat!("movq %fs:", $sym, "@tpoff, {0}"), out(reg) v, options(att_syntax, nostack, readonly, preserves_flags)) };
        v
    }};
}

#[repr(C, align(4096))]
pub struct Pages<const N: usize>(pub [u8; N]);
static mut STACKS: [Pages<STACK_SIZE>; NTHREADS] = [Pages([0u8; STACK_SIZE]), Pages([0u8; STACK_SIZE]), Pages([0u8; STACK_SIZE])];
static mut TLS_A: [Pages<TLS_AREA>; NTHREADS] = [Pages([0u8; TLS_AREA]), Pages([0u8; TLS_AREA]), Pages([0u8; TLS_AREA])];
static mut TLS_B: [Pages<TLS_AREA>; NTHREADS] = [Pages([0u8; TLS_AREA]), Pages([0u8; TLS_AREA]), Pages([0u8; TLS_AREA])];
static mut TH: [Thread; NTHREADS] = [
    Thread { func: worker, ring: 0, fs_base: 0, stack_top: 0, handle: 0, index: 0 },
    Thread { func: worker, ring: 0, fs_base: 0, stack_top: 0, handle: 0, index: 1 },
    Thread { func: worker, ring: 0, fs_base: 0, stack_top: 0, handle: 0, index: 2 },
];
static mut GATE: [u32; NTHREADS] = [0u32; NTHREADS];
static mut RINGS: [u64; NTHREADS] = [0u64; NTHREADS];
static mut REPORTED: [u64; NTHREADS] = [0u64; NTHREADS];

fn gate(i: usize) -> usize {
    (&raw mut GATE) as usize + 4 * i
}
fn ring_slot(i: usize) -> *mut u64 {
    ((&raw mut RINGS) as usize + 8 * i) as *mut u64
}
fn reported(i: usize) -> *mut u64 {
    ((&raw mut REPORTED) as usize + 8 * i) as *mut u64
}
fn thread(i: usize) -> *mut Thread {
    ((&raw mut TH) as usize + i * const { size_of::<Thread>() }) as *mut Thread
}
fn area(base: usize, i: usize, size: usize) -> usize {
    base + i * size
}

fn say(ring: usize, what: *const u8, idx: u64, a: u64, b: u64) {
    let mut l = line_new();
    l.str(cstr!("fs-probe.rs: "));
    l.str(what);
    l.kv(cstr!("thread"), idx);
    l.kv(cstr!("a"), a);
    l.kv(cstr!("b"), b);
    unsafe { l.flush(ring) };
}

#[inline(never)]
fn state_ok(ring: usize, tp: u64, d: u64, bss: u64) -> bool {
    unsafe {
        let mut g: u64 = 0;
        if read_tp() != tp {
            return false;
        }
        if get_fs_base(ring, &mut g) < 0 || g != tp {
            return false;
        }
        if vload(&raw const rs_t_data) != d || fsload64!("rs_t_data") != d || vload(&raw const rs_t_bss) != bss || fsload64!("rs_t_bss") != bss {
            return false;
        }
        (&raw const rs_t_data) as u64 == tp + tpoff!("rs_t_data") as u64 && (&raw const rs_t_bss) as u64 == tp + tpoff!("rs_t_bss") as u64
    }
}

#[inline(never)]
unsafe fn after_setfs(ring: usize, i: usize, tp1: u64) -> (u64, u64) {
    unsafe {
        let mut f: u64 = 0;
        if vload(&raw const rs_t_data) != V_DATA || vload(&raw const rs_t_bss) != 0 {
            f |= F_IMAGE;
        }
        let d = 0x1000 * (i as u64 + 1) + 0xd;
        let bss = 0x2000 * (i as u64 + 1) + 0xb;
        vstore(&raw mut rs_t_data, d);
        vstore(&raw mut rs_t_bss, bss);
        let mut k: u32 = 0;
        while k < YIELDS {
            yield_now();
            if !state_ok(ring, tp1, d, bss) {
                f |= F_SWITCH;
            }
            k += 1;
        }
        if timer_sleep(ring, 1000) < 0 {
            f |= F_CALLS;
        }
        if !state_ok(ring, tp1, d, bss) {
            f |= F_SWITCH;
        }
        let mut parks: u64 = 0;
        while vload(gate(i) as *const u32) == 0 {
            let r = park(ring, gate(i), 0, PARK_TIMEOUT_FOREVER);
            parks += 1;
            if r < 0 {
                f |= F_CALLS;
                break;
            }
            if !state_ok(ring, tp1, d, bss) {
                f |= F_SWITCH;
            }
        }
        if !state_ok(ring, tp1, d, bss) {
            f |= F_SWITCH;
        }
        (f, parks)
    }
}

unsafe fn worker(t: &mut Thread) -> u64 {
    unsafe {
        let ring = t.ring;
        let i = t.index as usize;
        let mut f: u64 = 0;
        let mut g: u64 = 0;
        vstore(ring_slot(i), ring as u64);
        let tp0 = read_tp();
        say(ring, cstr!("start"), i as u64, tp0, ring as u64);
        if tp0 != t.fs_base || get_fs_base(ring, &mut g) < 0 || g != t.fs_base {
            f |= F_START;
        }
        if vload(&raw const rs_t_data) != V_DATA || vload(&raw const rs_t_bss) != 0 || rs_t_al64.0 != 0x64 || ((&raw const rs_t_al64) as usize & 63) != 0 {
            f |= F_IMAGE;
        }
        let tp1 = tls_init(area((&raw mut TLS_B) as usize, i, TLS_AREA), TLS_AREA) as u64;
        if set_fs_base(ring, tp1) < 0 {
            f |= F_CALLS;
        }
        say(ring, cstr!("setfs"), i as u64, tp1, read_tp());
        if read_tp() != tp1 || get_fs_base(ring, &mut g) < 0 || g != tp1 {
            f |= F_SETFS;
        }
        // LLVM treats the thread pointer as constant within a function, so everything that
        // touches TLS after the FS base changed runs in a separate, non-inlined function.
        let (f2, parks) = after_setfs(ring, i, tp1);
        f |= f2;
        say(ring, cstr!("done"), i as u64, f, parks);
        vstore(reported(i), f);
        f
    }
}

pub fn capos_main(ring: usize, _pid: u64, _capset: usize) -> u64 {
    unsafe {
        let mut f: u64 = 0;
        let tp = read_tp();
        vstore(&raw mut rs_t_data, 0x3a3a);
        vstore(&raw mut rs_t_bss, 0x4b4b);
        say(ring, cstr!("main"), 0, tp, ring as u64);
        let mut i: usize = 0;
        while i < NTHREADS {
            let t = &mut *thread(i);
            t.stack_top = (area((&raw mut STACKS) as usize, i, STACK_SIZE) + STACK_SIZE) as u64;
            t.fs_base = tls_init(area((&raw mut TLS_A) as usize, i, TLS_AREA), TLS_AREA) as u64;
            let s = thread_spawn(ring, t);
            say(ring, cstr!("spawned"), i as u64, t.fs_base, s as u64);
            if s < 0 {
                f |= F_CALLS;
            }
            i += 1;
        }
        let mut k: u32 = 0;
        while k < YIELDS {
            yield_now();
            if !state_ok(ring, tp, 0x3a3a, 0x4b4b) {
                f |= F_MAIN;
            }
            k += 1;
        }
        if timer_sleep(ring, 10000) < 0 {
            f |= F_CALLS;
        }
        i = 0;
        while i < NTHREADS {
            vstore(gate(i) as *mut u32, 1);
            if unpark(ring, gate(i), 1) < 0 {
                f |= F_CALLS;
            }
            if !state_ok(ring, tp, 0x3a3a, 0x4b4b) {
                f |= F_MAIN;
            }
            i += 1;
        }
        i = 0;
        while i < NTHREADS {
            let mut v: u64 = !0u64;
            if join(ring, (*thread(i)).handle, &mut v) < 0 {
                f |= F_CALLS;
            } else {
                let r = vload(ring_slot(i));
                say(ring, cstr!("joined"), i as u64, v, r);
                f |= v & 0xff;
                if v != vload(reported(i)) {
                    f |= F_JOIN;
                }
                if r == ring as u64 || r == 0 {
                    f |= F_RING;
                }
                let mut j: usize = 0;
                while j < i {
                    if vload(ring_slot(j)) == r {
                        f |= F_RING;
                    }
                    j += 1;
                }
            }
            i += 1;
        }
        if !state_ok(ring, tp, 0x3a3a, 0x4b4b) {
            f |= F_MAIN;
        }
        say(ring, cstr!("result"), 0, f, 0);
        probe_status(f)
    }
}
