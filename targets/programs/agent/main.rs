//! agent (Rust, #![no_core], x86_64-unknown-capos.json): the Rust twin of main.c, the generic
//! guest for property tests (spec/agent-protocol.ts). Same script slot (section/symbol of
//! capos_agent.rs, AGENT_SCRIPT_CAPACITY zero bytes in the RW PT_LOAD), same op semantics,
//! same records "@1 <thread> <opIndex> <ok|exc|err> <value>\n" (one Console.write each), same
//! TLS variables (two .tdata u64s, a .tbss u64, a 64-byte-aligned .tdata u64), same exit
//! codes (AGENT_BAD_SCRIPT_EXIT for a malformed script). See main.c for the full contract.
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
#[path = "../../rt/rust/capos_agent.rs"]
#[macro_use]
mod capos_agent;
#[path = "../../rt/rust/rt.rs"]
#[macro_use]
mod rt;

use capos_abi::*;
use capos_agent::*;
use minicore::*;
use rt::*;

// The op-script slot: AGENT_SCRIPT_CAPACITY zero bytes in its own "aw" PROGBITS section.
macro_rules! script_slot_asm {
    ($section:literal, $symbol:literal, $capacity:literal) => {
        global_asm!(
            concat!(
                ".section ", $section, ",\"aw\",@progbits\n",
                ".globl ", $symbol, "\n",
                ".type ", $symbol, ",@object\n",
                ".p2align 4\n", $symbol, ":\n",
                ".zero ", $capacity, "\n",
                ".size ", $symbol, ", ", $capacity, "\n",
                ".text\n"
            ),
            options(att_syntax)
        );
    };
}
crate::capos_agent_script!(script_slot_asm);
unsafe extern "C" {
    static capos_script: u8;
}
#[inline(always)]
fn script() -> usize {
    unsafe { (&raw const capos_script) as usize }
}
#[inline(always)]
fn rd8(off: u32) -> u8 {
    unsafe { vload((script() + off as usize) as *const u8) }
}
#[inline(always)]
fn rd16(off: u32) -> u16 {
    unsafe { vload((script() + off as usize) as *const u16) }
}
#[inline(always)]
fn rd32(off: u32) -> u32 {
    unsafe { vload((script() + off as usize) as *const u32) }
}
#[inline(always)]
fn rd64(off: u32) -> u64 {
    unsafe { vload((script() + off as usize) as *const u64) }
}

// TLS variables, AGENT_TLS_INITIAL order: .tdata, .tdata, .tbss, 64-aligned .tdata.
#[repr(C, align(64))]
pub struct Al64(pub u64);
#[thread_local]
#[unsafe(no_mangle)]
static mut agent_tls0: u64 = AGENT_TLS_INITIAL_0;
#[thread_local]
#[unsafe(no_mangle)]
static mut agent_tls1: u64 = AGENT_TLS_INITIAL_1;
#[thread_local]
#[unsafe(no_mangle)]
static mut agent_tls2: u64 = AGENT_TLS_INITIAL_2;
#[thread_local]
#[unsafe(no_mangle)]
static mut agent_tls3: Al64 = Al64(AGENT_TLS_INITIAL_3);
// Compile-time checks (no core::assert!): a false condition makes the array lengths differ.
const _: [(); 0] = [(); (AGENT_TLS_INITIAL_2 != 0) as usize]; // variable 2 is the .tbss one
const _: [(); 0] = [(); (AGENT_TLS_VARS != 4) as usize]; // the agent declares four TLS variables

// TLS ops per spec/agent-protocol.ts: READ/WRITE are direct %fs:tpoff accesses (after SET_FS
// they go wherever FS points); ADDR is %fs:0 + tpoff.
macro_rules! tls_case {
    ($sym:literal, $op:expr, $w:expr) => {{
        let v: u64;
        if $op == AGENT_OP_TLS_READ {
            unsafe { asm!(concat!("movq %fs:", $sym, "@tpoff, {0}"), out(reg) v, options(att_syntax, nostack, preserves_flags)) };
        } else if $op == AGENT_OP_TLS_WRITE {
            unsafe { asm!(concat!("movq {0}, %fs:", $sym, "@tpoff"), in(reg) $w, options(att_syntax, nostack, preserves_flags)) };
            v = 0;
        } else {
            unsafe { asm!(concat!("movq %fs:0, {0}\n\taddq $", $sym, "@tpoff, {0}"), out(reg) v, options(att_syntax, nostack)) };
        }
        (true, v)
    }};
}
#[inline(never)]
fn tls_op(op: u8, i: u64, w: u64) -> (bool, u64) {
    if i == 0 {
        tls_case!("agent_tls0", op, w)
    } else if i == 1 {
        tls_case!("agent_tls1", op, w)
    } else if i == 2 {
        tls_case!("agent_tls2", op, w)
    } else if i == 3 {
        tls_case!("agent_tls3", op, w)
    } else {
        (false, 0)
    }
}

const STACK_SIZE: usize = 0x4000;
const TLS_AREA_SIZE: usize = 0x1000;
static mut REGS: [u64; AGENT_SCRIPT_REGISTERS as usize] = [0u64; AGENT_SCRIPT_REGISTERS as usize];
const TH0: Thread = Thread { func: thread_fn, ring: 0, fs_base: 0, stack_top: 0, handle: 0, index: 0 };
static mut THREADS: [Thread; AGENT_MAX_THREADS] = [TH0, TH0, TH0, TH0, TH0, TH0, TH0, TH0];
static mut SPAWNED: [u8; AGENT_MAX_THREADS] = [0u8; AGENT_MAX_THREADS];
#[repr(C, align(16))]
pub struct Stack(pub [u8; STACK_SIZE]);
const STACK0: Stack = Stack([0u8; STACK_SIZE]);
static mut STACKS: [Stack; AGENT_MAX_THREADS] = [STACK0, STACK0, STACK0, STACK0, STACK0, STACK0, STACK0, STACK0];
#[repr(C, align(4096))]
pub struct TlsArea(pub [u8; TLS_AREA_SIZE]);
const AREA0: TlsArea = TlsArea([0u8; TLS_AREA_SIZE]);
static mut TLS_AREAS: [TlsArea; AGENT_MAX_THREADS] = [AREA0, AREA0, AREA0, AREA0, AREA0, AREA0, AREA0, AREA0];
const _: [(); 0] = [(); (AGENT_PAGE_SIZE != 4096 || AGENT_MAX_THREADS != 8) as usize]; // the literals above
static mut THREAD_COUNT: u16 = 0;
static mut OP_COUNT: u32 = 0;

fn reg(i: u8) -> *mut u64 {
    ((&raw mut REGS) as usize + 8 * i as usize) as *mut u64
}
fn spawned(i: u64) -> *mut u8 {
    ((&raw mut SPAWNED) as usize + i as usize) as *mut u8
}
fn thread(i: u64) -> *mut Thread {
    ((&raw mut THREADS) as usize + i as usize * const { size_of::<Thread>() }) as *mut Thread
}
fn thread_count() -> u16 {
    unsafe { vload(&raw const THREAD_COUNT) }
}
fn op_count() -> u32 {
    unsafe { vload(&raw const OP_COUNT) }
}

fn bad_script(ring: usize, why: *const u8) -> ! {
    let mut l = line_new();
    l.str(cstr!("agent: bad script: "));
    l.str(why);
    unsafe {
        l.flush(ring);
        exit(AGENT_BAD_SCRIPT_EXIT)
    }
}

fn ops_at() -> u32 {
    AGENT_SCRIPT_HEADER_SIZE + (thread_count() as u32) * AGENT_SCRIPT_THREAD_ENTRY_SIZE
}

fn validate(ring: usize) {
    if rd32(0) != AGENT_SCRIPT_MAGIC {
        bad_script(ring, cstr!("magic"));
    }
    if rd16(4) != AGENT_SCRIPT_VERSION {
        bad_script(ring, cstr!("version"));
    }
    unsafe {
        vstore(&raw mut THREAD_COUNT, rd16(6));
        vstore(&raw mut OP_COUNT, rd32(8));
    }
    let tc = thread_count() as u32;
    let oc = op_count();
    if tc < 1 {
        bad_script(ring, cstr!("no threads"));
    }
    if ops_at() as u64 + (oc as u64) * (AGENT_SCRIPT_OP_SIZE as u64) > AGENT_SCRIPT_CAPACITY {
        bad_script(ring, cstr!("size"));
    }
    let mut t: u32 = 0;
    while t < tc {
        let first = rd32(AGENT_SCRIPT_HEADER_SIZE + t * 8);
        let count = rd32(AGENT_SCRIPT_HEADER_SIZE + t * 8 + 4);
        if first as u64 + count as u64 > oc as u64 {
            bad_script(ring, cstr!("thread table"));
        }
        t += 1;
    }
    let mut i: u32 = 0;
    while i < oc {
        let at = ops_at() + i * AGENT_SCRIPT_OP_SIZE;
        let kind = rd8(at);
        let dst = rd8(at + 1);
        let base = rd8(at + 2);
        if (kind < AGENT_OP_MAP || kind > AGENT_OP_SPIN) && kind != AGENT_OP_PARK_ASYNC && !ring_op_kind(kind) {
            bad_script(ring, cstr!("op kind"));
        }
        if dst >= AGENT_SCRIPT_REGISTERS || base >= AGENT_SCRIPT_REGISTERS {
            bad_script(ring, cstr!("register"));
        }
        let b = rd64(at + 16);
        if (kind == AGENT_OP_LOAD || kind == AGENT_OP_STORE) && (b < 1 || b > 8) {
            bad_script(ring, cstr!("access size"));
        }
        i += 1;
    }
}

fn load_n(addr: u64, n: u64) -> u64 {
    let a = addr as usize;
    unsafe {
        if n == 1 {
            vload(a as *const u8) as u64
        } else if n == 2 {
            vload(a as *const u16) as u64
        } else if n == 4 {
            vload(a as *const u32) as u64
        } else if n == 8 {
            vload(a as *const u64)
        } else {
            let mut v: u64 = 0;
            let mut i = n;
            while i > 0 {
                i -= 1;
                v = (v << 8u32) | vload((a + i as usize) as *const u8) as u64;
            }
            v
        }
    }
}
fn store_n(addr: u64, n: u64, v: u64) {
    let a = addr as usize;
    unsafe {
        if n == 1 {
            vstore(a as *mut u8, v as u8)
        } else if n == 2 {
            vstore(a as *mut u16, v as u16)
        } else if n == 4 {
            vstore(a as *mut u32, v as u32)
        } else if n == 8 {
            vstore(a as *mut u64, v)
        } else {
            let mut i: u64 = 0;
            while i < n {
                vstore((a + i as usize) as *mut u8, (v >> ((8 * i) as u32)) as u8);
                i += 1;
            }
        }
    }
}

// ---- Ring and capability ops (spec/agent-protocol.ts, 24..31)
fn ring_op_kind(kind: u8) -> bool {
    kind == AGENT_OP_RELEASE_HANDLE || kind == AGENT_OP_RING_BATCH
}

/// The handle of a spawned script thread, as JOIN and RELEASE_HANDLE name it.
fn handle_of(ring: usize, a: u64, why: *const u8) -> u32 {
    unsafe {
        if a == 0 || a >= thread_count() as u64 || a >= AGENT_MAX_THREADS as u64 || vload(spawned(a)) == 0 {
            bad_script(ring, why);
        }
        (*thread(a)).handle
    }
}

const BATCH_MAX: usize = (RING_SQ_ENTRIES + RING_CQ_ENTRIES) as usize;

/// RING_BATCH: an optional JOIN of thread a, then b NOPs, one cap_enter(0, 0) whose return is
/// reported, c more without reaping, then reap every completion (spec/agent-protocol.ts).
fn do_batch(ring: usize, a: u64, b: u64, c: u64, v: &mut u64) -> i64 {
    unsafe {
        let lead: u64 = if a != 0 { 1 } else { 0 };
        let total = lead + b;
        if total >= BATCH_MAX as u64 {
            bad_script(ring, cstr!("batch size"));
        }
        let handle = if lead != 0 { handle_of(ring, a, cstr!("batch join")) } else { 0 };
        // On this thread's stack: the kernel writes the JOIN's result here.
        let mut req = join_req_new();
        let mut done = [0u8; BATCH_MAX];
        let done_at = (&raw mut done) as usize;
        // user_data: a tag above anything `op` uses (1 << 32 | slot), then the SQE's index.
        let tag: u64 = 0xba7c << 48;
        let mut i: u64 = 0;
        while i < total {
            let mut sqe = sqe_next(ring);
            while sqe == 0 {
                cap_enter(0, 0);
                sqe = sqe_next(ring);
            }
            if i == 0 && lead != 0 {
                join_prepare(sqe, handle, &mut req);
            } else {
                sqe_set_opcode(sqe, OP_NOP);
            }
            sqe_set_user_data(sqe, tag | i);
            sq_publish(ring);
            i += 1;
        }
        let entered = cap_enter(0, 0);
        let mut k: u64 = 0;
        while k < c {
            cap_enter(0, 0);
            k += 1;
        }
        let mut seen: u64 = 0;
        let mut anomalies: u64 = 0;
        let mut lead_result: i32 = 0;
        while seen < total && anomalies == 0 {
            let mut cqe = cqe_zero();
            while cq_pop(ring, &mut cqe) {
                if cqe.user_data >> 32 == PARK_ASYNC_TAG {
                    continue; // a PARK_ASYNC completion: dropped, as everywhere
                }
                let j = cqe.user_data ^ tag;
                let flag = (done_at + j as usize) as *mut u8;
                if j >= total || vload(flag) != 0 || (!(lead != 0 && j == 0) && cqe.result != 0) {
                    anomalies += 1;
                    continue;
                }
                vstore(flag, 1u8);
                seen += 1;
                if lead != 0 && j == 0 {
                    lead_result = cqe.result;
                }
            }
            if seen < total && anomalies == 0 {
                cap_enter(1, CAP_ENTER_WAIT_FOREVER);
            }
        }
        if lead != 0 && anomalies == 0 {
            let mut x: u64 = 0;
            let s = join_finish(&mut req, lead_result, &mut x);
            if s < 0 {
                return s;
            }
        }
        *v = (entered as u64) | (anomalies << AGENT_BATCH_ANOMALY_SHIFT);
        0
    }
}

unsafe fn thread_fn(t: &mut Thread) -> u64 {
    run_thread(t.index, t.ring)
}

fn do_spawn(ring: usize, a: u64) -> i64 {
    unsafe {
        if a == 0 || a >= thread_count() as u64 || a >= AGENT_MAX_THREADS as u64 || vload(spawned(a)) != 0 {
            bad_script(ring, cstr!("spawn"));
        }
        let th = &mut *thread(a);
        th.index = a as u32;
        th.stack_top = ((&raw mut STACKS) as usize + (a as usize + 1) * STACK_SIZE) as u64;
        th.fs_base = tls_init((&raw mut TLS_AREAS) as usize + a as usize * TLS_AREA_SIZE, TLS_AREA_SIZE) as u64;
        if th.fs_base == 0 {
            bad_script(ring, cstr!("TLS block does not fit"));
        }
        vstore(spawned(a), 1);
        let s = thread_spawn(ring, th);
        if s < 0 { s } else { 0 }
    }
}

/// PARK_ASYNC: submit a PARK and let the kernel take it (cap_enter drains the SQ, ENTER-1)
/// without waiting for its completion. Its user_data (PARK_ASYNC_TAG in the high half) never
/// equals the tag-1 user_data `op` waits for, so later ops drop its CQE.
const PARK_ASYNC_TAG: u64 = 2;
fn park_async(ring: usize, addr: u64, expected: u32, timeout_ns: u64) -> i64 {
    unsafe {
        let sqe = sqe_next(ring);
        if sqe == 0 {
            return TERR_INVALID_SQE as i64;
        }
        sqe_set_opcode(sqe, OP_PARK);
        sqe_set_cap_id(sqe, CAPS.park);
        sqe_park_set_addr(sqe, addr);
        sqe_park_set_expected(sqe, expected);
        sqe_park_set_timeout_ns(sqe, timeout_ns);
        let tail = ring_hdr_get_sq_tail(ring);
        sqe_set_user_data(sqe, (tail as u64) | (PARK_ASYNC_TAG << 32));
        barrier();
        ring_hdr_set_sq_tail(ring, tail + 1);
        barrier();
        yield_now();
        0
    }
}

// Record formatting, as main.c: the line is built in place on the stack and written with one
// Console.write. Decimal digits come from a powers-of-ten table (highest digit first, by
// subtraction: no division in #![no_core]); a byte-per-call Line with a 20-power scan was the
// Rust agent's hottest code.
static mut POW10: [u64; 20] = [ // mut: #![no_core] has no Sync for a plain static
    1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000, 10_000_000_000,
    100_000_000_000, 1_000_000_000_000, 10_000_000_000_000, 100_000_000_000_000, 1_000_000_000_000_000,
    10_000_000_000_000_000, 100_000_000_000_000_000, 1_000_000_000_000_000_000, 10_000_000_000_000_000_000,
];
#[inline(always)]
fn pow10(k: usize) -> u64 {
    unsafe { vload(((&raw const POW10) as usize + 8 * k) as *const u64) }
}
#[inline(always)]
fn put_byte(p: usize, b: u8) -> usize {
    unsafe { vstore(p as *mut u8, b) };
    p + 1
}
fn put_str(p: usize, s: *const u8) -> usize {
    let mut q = p;
    let mut c = s as usize;
    loop {
        let b = unsafe { vload(c as *const u8) };
        if b == 0 {
            return q;
        }
        q = put_byte(q, b);
        c += 1;
    }
}
/// u in decimal at p, no leading zeros; returns the end.
fn put_dec(p: usize, u: u64) -> usize {
    let mut k: usize = 0;
    while k < 19 && u >= pow10(k + 1) {
        k += 1;
    }
    let mut u = u;
    let mut q = p;
    loop {
        let pw = pow10(k);
        let mut d: u8 = 0;
        while u >= pw {
            u -= pw;
            d += 1;
        }
        q = put_byte(q, b'0' + d);
        if k == 0 {
            return q;
        }
        k -= 1;
    }
}
/// v in lowercase hex without 0x or leading zeros (0 is "0"); returns the end.
fn put_hex(p: usize, v: u64) -> usize {
    let digits = cstr!("0123456789abcdef") as usize;
    let mut shift: u32 = 60;
    while shift != 0 && (v >> shift) == 0 {
        shift -= 4;
    }
    let mut q = p;
    loop {
        q = put_byte(q, unsafe { vload((digits + ((v >> shift) & 15) as usize) as *const u8) });
        if shift == 0 {
            return q;
        }
        shift -= 4;
    }
}

fn record(ring: usize, t: u32, i: u32, s: i64, value: u64) {
    let mut line = [0u8; 64]; // at most 3 + 10 + 1 + 10 + 5 + 20 + 1 bytes
    let start = (&raw mut line) as usize;
    let mut p = put_str(start, cstr!("@1 "));
    p = put_dec(p, t as u64);
    p = put_byte(p, b' ');
    p = put_dec(p, i as u64);
    if s >= 0 {
        p = put_str(p, cstr!(" ok "));
        p = put_hex(p, value);
    } else if s <= STATUS_EXC_BASE {
        p = put_str(p, cstr!(" exc "));
        p = put_dec(p, (STATUS_EXC_BASE - s) as u64);
    } else {
        p = put_str(p, cstr!(" err -"));
        p = put_dec(p, 0u64 - (s as u64));
    }
    p = put_byte(p, b'\n');
    unsafe { console_write(ring, start as *const u8, (p - start) as u32) };
}

fn run_thread(t: u32, ring: usize) -> u64 {
    let first = rd32(AGENT_SCRIPT_HEADER_SIZE + t * 8);
    let count = rd32(AGENT_SCRIPT_HEADER_SIZE + t * 8 + 4);
    let mut i: u32 = 0;
    while i < count {
        let at = ops_at() + (first + i) * AGENT_SCRIPT_OP_SIZE;
        let kind = rd8(at);
        let dst = rd8(at + 1);
        let base = rd8(at + 2);
        let a = rd64(at + 8) + (if base != 0 { unsafe { vload(reg(base)) } } else { 0 });
        let b = rd64(at + 16);
        let c = rd64(at + 24);
        let mut v: u64 = 0;
        let mut s: i64 = 0;
        unsafe {
            match kind {
                AGENT_OP_MAP => s = vm_map(ring, a, b, c as u32, &mut v),
                AGENT_OP_UNMAP => s = vm_unmap(ring, a, b),
                AGENT_OP_PROTECT => s = vm_protect(ring, a, b, c as u32),
                AGENT_OP_RESERVE => s = vm_reserve(ring, a, b, &mut v),
                AGENT_OP_COMMIT => s = vm_commit(ring, a, b, c as u32),
                AGENT_OP_DECOMMIT => s = vm_decommit(ring, a, b),
                AGENT_OP_LOAD => v = load_n(a, b),
                AGENT_OP_STORE => store_n(a, b, c),
                AGENT_OP_PARK => {
                    s = park(ring, a as usize, b as u32, c) as i64;
                    v = s as u64;
                }
                AGENT_OP_UNPARK => {
                    s = unpark(ring, a as usize, b as u32) as i64;
                    v = s as u64;
                }
                AGENT_OP_SPAWN => s = do_spawn(ring, a),
                AGENT_OP_JOIN => {
                    if a == 0 || a >= thread_count() as u64 || a >= AGENT_MAX_THREADS as u64 || vload(spawned(a)) == 0 {
                        bad_script(ring, cstr!("join"));
                    }
                    s = join(ring, (*thread(a)).handle, &mut v);
                }
                AGENT_OP_SET_FS => s = set_fs_base(ring, a),
                AGENT_OP_GET_FS => s = get_fs_base(ring, &mut v),
                AGENT_OP_TLS_READ | AGENT_OP_TLS_WRITE | AGENT_OP_TLS_ADDR => {
                    let (ok, x) = tls_op(kind, a, b);
                    if !ok {
                        bad_script(ring, cstr!("tls index"));
                    }
                    v = x;
                }
                AGENT_OP_NOW => s = timer_now(ring, &mut v),
                AGENT_OP_SLEEP => s = timer_sleep(ring, a),
                AGENT_OP_YIELD => {
                    yield_now();
                }
                AGENT_OP_RELEASE_HANDLE => s = release(ring, handle_of(ring, a, cstr!("release"))) as i64,
                AGENT_OP_RING_BATCH => s = do_batch(ring, a, b, c, &mut v),
                AGENT_OP_SPIN => {
                    // A pure-CPU delay: the empty asm keeps the loop from being folded away.
                    let mut k: u64 = 0;
                    while k < a {
                        asm!("", options(nostack, preserves_flags));
                        k += 1;
                    }
                }
                AGENT_OP_PARK_ASYNC => s = park_async(ring, a, b as u32, c),
                AGENT_OP_EXIT => exit(a & 0xff),
                AGENT_OP_THREAD_EXIT => thread_exit(ring, a),
                _ => bad_script(ring, cstr!("op kind")),
            }
        }
        if s >= 0 {
            if dst != 0 {
                unsafe { vstore(reg(dst), v) };
            }
        } else {
            v = 0;
        }
        record(ring, t, i, s, v);
        i += 1;
    }
    0
}

pub fn capos_main(ring: usize, _pid: u64, _capset: usize) -> u64 {
    validate(ring);
    run_thread(0, ring);
    0
}
