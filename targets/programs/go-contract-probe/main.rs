//! go-contract-probe (Rust, #![no_core], x86_64-unknown-capos.json): the Rust twin of main.c.
//! Same checks, same failed-check mask bits and exit status (see main.c); Console prefix
//! "go-contract-probe.rs:". Go's g lives at -8(FS) with FS base = &m.tls[0] + 8 per thread;
//! VirtualMemory sequences imitate sysReserve/sysMap/sysUsed/sysUnused/sysFault/sysFree and
//! futexsleep/futexwakeup are PARK/UNPARK.
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

const NTHREADS: usize = 2;
const STACK_SIZE: usize = 0x4000;
const RESERVE_PAGES: u64 = 16;
const COMMIT_PAGES: u64 = 4;

const V_CTLS: u64 = 0x6060606060606060;
#[thread_local]
#[unsafe(no_mangle)]
static mut rs_t_ctls: u64 = V_CTLS;
#[thread_local]
#[unsafe(no_mangle)]
static mut rs_t_cbss: u64 = 0;

const F_GO1: u64 = 1;
const F_GO2: u64 = 2;
const F_GO3: u64 = 4;
const F_GO4: u64 = 8;
const F_GO5: u64 = 16;
const F_GO6: u64 = 32;
const F_GO7: u64 = 64;
const F_GO8: u64 = 128;
const F_MAP: u64 = 256;
const F_VMX1: u64 = 512;
const F_CALLS: u64 = 1024;
const F_CTLS: u64 = 2048;

/// Go's m: tls[0] is -8(FS) (FS base = &tls[1]), g0 the m's g, ring its ring.
#[repr(C)]
pub struct M {
    pub tls: [u64; 8],
    pub g0: u64,
    pub ring: u64,
}
/// Go's g (only what the probe needs).
#[repr(C)]
pub struct G {
    pub goid: u64,
    pub m: u64,
}
const M0: M = M { tls: [0u64; 8], g0: 0, ring: 0 };
const G0: G = G { goid: 0, m: 0 };
static mut MS: [M; NTHREADS + 1] = [M0, M0, M0];
static mut GS: [G; NTHREADS + 1] = [G0, G0, G0];

#[repr(C, align(16))]
pub struct Stack(pub [u8; STACK_SIZE]);
static mut STACKS: [Stack; NTHREADS] = [Stack([0u8; STACK_SIZE]), Stack([0u8; STACK_SIZE])];
static mut TH: [Thread; NTHREADS] = [
    Thread { func: mstart, ring: 0, fs_base: 0, stack_top: 0, handle: 0, index: 0 },
    Thread { func: mstart, ring: 0, fs_base: 0, stack_top: 0, handle: 0, index: 1 },
];
static mut FUTEX_WORD: u32 = 0;
static mut SLEEPER_PARKING: u32 = 0;
static mut SLEEPER_DONE: u32 = 0;
static mut SLEEPER_RESULT: i32 = 0;

fn m_at(i: usize) -> usize {
    (&raw mut MS) as usize + i * const { size_of::<M>() }
}
fn g_at(i: usize) -> usize {
    (&raw mut GS) as usize + i * const { size_of::<G>() }
}
fn thread(i: usize) -> *mut Thread {
    ((&raw mut TH) as usize + i * const { size_of::<Thread>() }) as *mut Thread
}
/// FS base Go's settls installs for m: &m.tls[1].
fn m_fs(m: usize) -> u64 {
    (m + 8) as u64
}
fn futex() -> usize {
    (&raw mut FUTEX_WORD) as usize
}

#[inline(always)]
fn setg(g: usize) {
    unsafe { asm!("movq {0}, %fs:-8", in(reg) g as u64, options(att_syntax, nostack, preserves_flags)) };
}
#[inline(always)]
fn getg() -> usize {
    let g: u64;
    unsafe { asm!("movq %fs:-8, {0}", out(reg) g, options(att_syntax, nostack, preserves_flags)) };
    g as usize
}
unsafe fn settls(ring: usize, m: usize) -> i64 {
    unsafe { set_fs_base(ring, m_fs(m)) }
}

/// runtime·futexsleep: sleep if *addr == val; ns < 0 means forever, ns == 0 never blocks.
unsafe fn futexsleep(ring: usize, addr: usize, val: u32, ns: i64) -> i32 {
    unsafe { park(ring, addr, val, if ns < 0 { PARK_TIMEOUT_FOREVER } else { ns as u64 }) }
}
unsafe fn futexwakeup(ring: usize, addr: usize, cnt: u32) -> i32 {
    unsafe { unpark(ring, addr, cnt) }
}

#[inline(never)]
fn g_ok(ring: usize, m: usize, g: usize) -> bool {
    unsafe {
        let mut base: u64 = 0;
        if getg() != g || vload(m as *const u64) != g as u64 {
            return false;
        }
        get_fs_base(ring, &mut base) >= 0 && base == m_fs(m)
    }
}

fn say(ring: usize, what: *const u8, a: u64, b: u64) {
    let mut l = line_new();
    l.str(cstr!("go-contract-probe.rs: "));
    l.str(what);
    l.kv(cstr!("a"), a);
    l.kv(cstr!("b"), b);
    unsafe { l.flush(ring) };
}

unsafe fn mstart(t: &mut Thread) -> u64 {
    unsafe {
        let ring = t.ring;
        let m = m_at(t.index as usize + 1);
        let g = vload((m + 64) as *const u64) as usize;
        let mut f: u64 = 0;
        vstore((m + 72) as *mut u64, ring as u64);
        if settls(ring, m) < 0 {
            f |= F_CALLS;
        }
        setg(g);
        let mut k: u32 = 0;
        while k < 3 {
            yield_now();
            if !g_ok(ring, m, g) {
                f |= F_GO1;
            }
            k += 1;
        }
        if timer_sleep(ring, 500) < 0 {
            f |= F_CALLS;
        }
        if !g_ok(ring, m, g) {
            f |= F_GO1;
        }
        if t.index == 0 {
            // the forever sleeper
            vstore(&raw mut SLEEPER_PARKING, 1);
            let r = futexsleep(ring, futex(), 0, -1);
            vstore(&raw mut SLEEPER_RESULT, r);
            vstore(&raw mut SLEEPER_DONE, 1);
            if !g_ok(ring, m, g) {
                f |= F_GO1;
            }
        }
        say(ring, cstr!("m done"), t.index as u64 + 1, f);
        f
    }
}

#[inline(always)]
fn rd64(a: u64) -> u64 {
    unsafe { vload(a as usize as *const u64) }
}
#[inline(always)]
fn wr64(a: u64, v: u64) {
    unsafe { vstore(a as usize as *mut u64, v) }
}

unsafe fn vm_checks(ring: usize) -> u64 {
    unsafe {
        let mut f: u64 = 0;
        let mut addr: u64 = 0;
        let mut addr2: u64 = 0;
        let p: u64 = PAGE_SIZE as u64;
        let size = RESERVE_PAGES * p;
        let csize = COMMIT_PAGES * p;
        let rw = PROT_READ | PROT_WRITE;
        let mut s = vm_reserve(ring, 0, size, &mut addr);
        say(ring, cstr!("sysReserve"), addr, s as u64);
        if s < 0 || (addr & (p - 1)) != 0 || addr < LAYOUT_VM_WINDOW_BASE as u64 || addr + size > LAYOUT_VM_WINDOW_END as u64 {
            return F_GO2 | F_GO3 | F_GO4 | F_GO5 | F_GO6;
        }
        let words = csize >> 3u32;
        // sysMap + sysUsed: commit rw; zero-filled and writable
        s = vm_commit(ring, addr, csize, rw);
        say(ring, cstr!("sysMap"), addr, s as u64);
        let mut ok = s >= 0;
        let mut i: u64 = 0;
        while ok && i < words {
            ok = rd64(addr + 8 * i) == 0;
            i += 64;
        }
        if ok {
            i = 0;
            while i < words {
                wr64(addr + 8 * i, 0xc0ffee00 + i);
                i += 64;
            }
            i = 0;
            while i < words {
                ok &= rd64(addr + 8 * i) == 0xc0ffee00 + i;
                i += 64;
            }
        }
        if !ok {
            f |= F_GO3;
        }
        // sysFault: protect(none) keeps pages committed; protect(rw) gives the contents back
        s = vm_protect(ring, addr, csize, PROT_NONE);
        let mut s2 = vm_protect(ring, addr, csize, rw);
        say(ring, cstr!("sysFault"), s as u64, s2 as u64);
        ok = s >= 0 && s2 >= 0;
        i = 0;
        while ok && i < words {
            ok = rd64(addr + 8 * i) == 0xc0ffee00 + i;
            i += 64;
        }
        if !ok {
            f |= F_GO5;
        }
        // sysUnused: decommit; a later commit is zero-filled
        s = vm_decommit(ring, addr, csize);
        s2 = vm_commit(ring, addr, csize, rw);
        say(ring, cstr!("sysUnused"), s as u64, s2 as u64);
        ok = s >= 0 && s2 >= 0;
        i = 0;
        while ok && i < words {
            ok = rd64(addr + 8 * i) == 0;
            i += 64;
        }
        if !ok {
            f |= F_GO4;
        }
        // VMX-1: a size that is not a page multiple is invalidArgument
        s = vm_commit(ring, addr, p + 8, PROT_READ);
        say(ring, cstr!("unaligned commit"), s as u64, 0);
        if s != STATUS_EXC_BASE - EXC_INVALID_ARGUMENT as i64 {
            f |= F_VMX1;
        }
        // sysFree: unmap (twice: VMX-3), then the hint is free again (VMX-2)
        s = vm_unmap(ring, addr, size);
        s2 = vm_unmap(ring, addr, size);
        let s3 = vm_reserve(ring, addr, size, &mut addr2);
        say(ring, cstr!("sysFree"), addr2, s3 as u64);
        if s < 0 || s2 < 0 || s3 < 0 || addr2 != addr || vm_unmap(ring, addr2, size) < 0 {
            f |= F_GO6;
        }
        // map: reserve+commit in one step
        s = vm_map(ring, 0, 2 * p, rw, &mut addr);
        say(ring, cstr!("map"), addr, s as u64);
        ok = s >= 0 && (addr & (p - 1)) == 0;
        if ok {
            let b = addr as usize;
            let last = b + 2 * PAGE_SIZE - 1;
            ok = vload(b as *const u8) == 0 && vload(last as *const u8) == 0;
            vstore(last as *mut u8, 0x5a);
            ok &= vload(last as *const u8) == 0x5a;
            ok &= vm_unmap(ring, addr, 2 * p) >= 0;
        }
        if !ok {
            f |= F_MAP;
        }
        f
    }
}

unsafe fn futex_checks(ring: usize) -> u64 {
    unsafe {
        let mut f: u64 = 0;
        let mut t0: u64 = 0;
        let mut t1: u64 = 0;
        vstore(&raw mut FUTEX_WORD, 0);
        // ns == 0 never blocks: timedOut when equal, mismatch when not
        let r1 = futexsleep(ring, futex(), 0, 0);
        let r2 = futexsleep(ring, futex(), 1, 0);
        say(ring, cstr!("futexsleep ns=0"), r1 as i64 as u64, r2 as i64 as u64);
        if r1 != PARK_TIMED_OUT || r2 != PARK_MISMATCH {
            f |= F_GO7;
        }
        // finite timeout, nobody wakes: timedOut, not before start + timeout
        if timer_now(ring, &mut t0) < 0 {
            f |= F_CALLS;
        }
        let r3 = futexsleep(ring, futex(), 0, 100000);
        if timer_now(ring, &mut t1) < 0 {
            f |= F_CALLS;
        }
        say(ring, cstr!("futexsleep ns=1e5"), r3 as i64 as u64, t1 - t0);
        if r3 != PARK_TIMED_OUT || t1 - t0 < 100000 {
            f |= F_GO7;
        }
        f
    }
}

pub fn capos_main(ring: usize, _pid: u64, _capset: usize) -> u64 {
    unsafe {
        let mut f: u64 = 0;
        // before Go takes over FS: the kernel-provided TLS (TLSV2-1, TLSV2-4)
        let tp = read_tp();
        let ctls = vload(&raw const rs_t_ctls);
        say(ring, cstr!("c tls"), tp, ctls);
        if tp == 0 || vload(tp as usize as *const u64) != tp || ctls != V_CTLS || vload(&raw const rs_t_cbss) != 0 {
            f |= F_CTLS;
        }
        // m0: the main thread becomes a Go m
        let m0 = m_at(0);
        let g0 = g_at(0);
        vstore((m0 + 64) as *mut u64, g0 as u64);
        vstore((g0 + 8) as *mut u64, m0 as u64);
        vstore((m0 + 72) as *mut u64, ring as u64);
        if settls(ring, m0) < 0 {
            f |= F_CALLS;
        }
        setg(g0);
        say(ring, cstr!("m0"), m_fs(m0), getg() as u64);
        if !g_ok(ring, m0, g0) {
            f |= F_GO1;
        }

        // futexwakeup with no waiters wakes nobody (GO-8, PARKX-1)
        let w0 = futexwakeup(ring, futex(), 1);
        let w1 = futexwakeup(ring, futex(), 0);
        say(ring, cstr!("futexwakeup idle"), w0 as i64 as u64, w1 as i64 as u64);
        if w0 != 0 || w1 != 0 {
            f |= F_GO8;
        }

        let mut i: usize = 0;
        while i < NTHREADS {
            let m = m_at(i + 1);
            let g = g_at(i + 1);
            vstore((m + 64) as *mut u64, g as u64);
            vstore((g + 8) as *mut u64, m as u64);
            vstore(g as *mut u64, i as u64 + 1);
            vstore(m as *mut u64, g as u64); // newosproc: g already at -8(FS)
            let t = &mut *thread(i);
            t.index = i as u32;
            t.stack_top = ((&raw mut STACKS) as usize + (i + 1) * STACK_SIZE) as u64;
            t.fs_base = m_fs(m);
            if thread_spawn(ring, t) < 0 {
                f |= F_CALLS;
            }
            i += 1;
        }
        f |= vm_checks(ring);
        if !g_ok(ring, m0, g0) {
            f |= F_GO1;
        }
        f |= futex_checks(ring);
        if !g_ok(ring, m0, g0) {
            f |= F_GO1;
        }

        // wake the forever sleeper: keep waking until it reports (it may not have parked yet)
        while vload(&raw const SLEEPER_PARKING) == 0 {
            timer_sleep(ring, 1000);
        }
        let mut k: u32 = 0;
        while k < 1000 && vload(&raw const SLEEPER_DONE) == 0 {
            if timer_sleep(ring, 1000) < 0 {
                f |= F_CALLS;
            }
            if futexwakeup(ring, futex(), 1) < 0 {
                f |= F_GO7;
            }
            k += 1;
        }
        let done = vload(&raw const SLEEPER_DONE);
        let res = vload(&raw const SLEEPER_RESULT);
        say(ring, cstr!("forever sleeper"), res as i64 as u64, done as u64);
        if done == 0 || res != PARK_WOKEN {
            f |= F_GO7;
        }

        i = 0;
        while i < NTHREADS {
            let mut v: u64 = !0u64;
            if join(ring, (*thread(i)).handle, &mut v) < 0 {
                f |= F_CALLS;
            }
            f |= v & 0xfff;
            i += 1;
        }
        if !g_ok(ring, m0, g0) {
            f |= F_GO1;
        }
        let mut l = line_new();
        l.str(cstr!("go-contract-probe.rs: result"));
        l.kv(cstr!("failed"), f);
        l.flush(ring);
        probe_status(f)
    }
}
