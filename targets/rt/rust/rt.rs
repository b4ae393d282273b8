//! Minimal capOS runtime for `#![no_core]` Rust programs (the Rust twin of rt/c/capos_rt.c).
//!
//! Every ABI number comes from capos_abi.rs, generated from spec/binding.ts. A program
//! includes minicore.rs, capos_abi.rs and this file as modules and defines
//! `fn capos_main(ring: usize, pid: u64, capset: usize) -> u64` at its crate root.
//! The kernel sets up the initial thread's TLS and FS base; `_start` does not touch them.
//! Statuses follow the C runtime: >= 0 success, a negative CQE transport error, or
//! STATUS_EXC_BASE - CapException.type.
#![allow(dead_code)]
use crate::capos_abi::*;
use crate::minicore::*;

pub const STATUS_EXC_BASE: i64 = -1000;
pub const STATUS_BAD_RESULT: i64 = -900;

#[repr(C)]
pub struct Caps {
    pub console: u32,
    pub vm: u32,
    pub park: u32,
    pub spawner: u32,
    pub thread_control: u32,
    pub timer: u32,
    pub found: u32,
}
pub static mut CAPS: Caps = Caps { console: 0, vm: 0, park: 0, spawner: 0, thread_control: 0, timer: 0, found: 0 };

macro_rules! entry_asm {
    ($ring:literal, $pid:literal, $capset:literal, $arg:literal) => {
        global_asm!(
            concat!(
                ".section .text.start,\"ax\",@progbits\n",
                ".globl _start\n.type _start,@function\n_start:\n",
                "  push %", $ring, "\n  push %", $pid, "\n  push %", $capset, "\n",
                "  pop %rdx\n  pop %rsi\n  pop %rdi\n",
                "  xor %ebp, %ebp\n  and $-16, %rsp\n  call {start}\n  ud2\n",
                ".size _start, .-_start\n",
                ".globl capos_rust_thread_entry\n.type capos_rust_thread_entry,@function\ncapos_rust_thread_entry:\n",
                "  push %", $ring, "\n  push %", $arg, "\n",
                "  pop %rsi\n  pop %rdi\n",
                "  xor %ebp, %ebp\n  and $-16, %rsp\n  call {thread}\n  ud2\n",
                ".size capos_rust_thread_entry, .-capos_rust_thread_entry\n",
                ".text\n"
            ),
            start = sym rust_start,
            thread = sym rust_thread_main,
            options(att_syntax)
        );
    };
}
crate::capos_entry_regs!(entry_asm);

unsafe extern "C" {
    fn capos_rust_thread_entry();
}

extern "C" fn rust_start(ring: usize, pid: u64, capset: usize) -> ! {
    unsafe {
        let iids: [u64; 6] = [IID_CONSOLE, IID_VIRTUAL_MEMORY, IID_PARK_SPACE, IID_THREAD_SPAWNER, IID_THREAD_CONTROL, IID_TIMER];
        let slots: [*mut u32; 6] = [
            &raw mut CAPS.console,
            &raw mut CAPS.vm,
            &raw mut CAPS.park,
            &raw mut CAPS.spawner,
            &raw mut CAPS.thread_control,
            &raw mut CAPS.timer,
        ];
        let mut i: usize = 0;
        while i < 6 {
            let iid = *((&raw const iids) as *const u64).add_bytes(i * 8);
            let slot = *((&raw const slots) as *const *mut u32).add_bytes(i * 8);
            let mut cap: u32 = 0;
            if capset_lookup(capset, iid, &mut cap) {
                *slot = cap;
                CAPS.found |= 1u32 << (i as u32);
            }
            i += 1;
        }
        let status = crate::capos_main(ring, pid, capset);
        exit(status)
    }
}

/// Pointer arithmetic without core: byte offsets on raw pointers.
pub trait AddBytes {
    fn add_bytes(self, n: usize) -> Self;
}
impl<T> AddBytes for *const T {
    #[inline(always)]
    fn add_bytes(self, n: usize) -> Self {
        ((self as usize) + n) as *const T
    }
}
impl<T> AddBytes for *mut T {
    #[inline(always)]
    fn add_bytes(self, n: usize) -> Self {
        ((self as usize) + n) as *mut T
    }
}

// ---- memory helpers (compiler-emitted calls land here)
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcpy(d: *mut u8, s: *const u8, n: usize) -> *mut u8 {
    unsafe { asm!("rep movsb", inout("rdi") d => _, inout("rsi") s => _, inout("rcx") n => _, options(nostack, preserves_flags)) };
    d
}
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memset(d: *mut u8, c: i32, n: usize) -> *mut u8 {
    unsafe { asm!("rep stosb", inout("rdi") d => _, inout("rcx") n => _, in("eax") c, options(nostack, preserves_flags)) };
    d
}
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    let mut i: usize = 0;
    while i < n {
        let x = unsafe { vload(a.add_bytes(i)) };
        let y = unsafe { vload(b.add_bytes(i)) };
        if x != y {
            return if x < y { -1 } else { 1 };
        }
        i += 1;
    }
    0
}

/// Exit status from a probe's failed-check mask (see capos_probe_status in rt/c/capos_rt.h):
/// bits 0..5 exact, bit 6 = some check >= 6 failed; always < 128.
pub fn probe_status(mask: u64) -> u64 {
    (mask & 0x3f) | (if (mask >> 6u32) != 0 { 0x40 } else { 0 })
}

// ---- CapSet
pub unsafe fn capset_lookup(capset: usize, iid: u64, cap: &mut u32) -> bool {
    if capset == 0 {
        return false;
    }
    unsafe {
        if capset_hdr_get_magic(capset) != CAPSET_MAGIC {
            return false;
        }
        let n = capset_hdr_get_count(capset) as usize;
        let mut i: usize = 0;
        while i < n {
            let e = capset + CAPSET_HEADER_SIZE + i * CAPSET_ENTRY_SIZE;
            if capset_entry_get_interface_id(e) == iid {
                *cap = capset_entry_get_cap_id(e);
                return true;
            }
            i += 1;
        }
    }
    false
}

// ---- ring
#[repr(C)]
pub struct Cqe {
    pub user_data: u64,
    pub result: i32,
    pub flags: u32,
    pub cap_id: u32,
    pub interface_id: u64,
}
pub fn cqe_zero() -> Cqe {
    Cqe { user_data: 0, result: 0, flags: 0, cap_id: 0, interface_id: 0 }
}

/// Zeroed SQE at sq_tail, or 0 if the SQ is full.
pub unsafe fn sqe_next(ring: usize) -> usize {
    unsafe {
        let tail = ring_hdr_get_sq_tail(ring);
        let head = ring_hdr_get_sq_head(ring);
        if tail - head >= RING_SQ_ENTRIES {
            return 0;
        }
        let sqe = ring + RING_SQ_OFFSET + ((tail & (RING_SQ_ENTRIES - 1)) as usize) * SQE_SIZE;
        // Zeroed eight bytes at a time (every SQE is 8-aligned in the ring page), as capos_rt.c.
        let mut i: usize = 0;
        while i < SQE_SIZE {
            vstore((sqe + i) as *mut u64, 0u64);
            i += 8;
        }
        sqe
    }
}
pub unsafe fn cq_pop(ring: usize, out: &mut Cqe) -> bool {
    unsafe {
        let head = ring_hdr_get_cq_head(ring);
        if head == ring_hdr_get_cq_tail(ring) {
            return false;
        }
        barrier();
        let c = ring + RING_CQ_OFFSET + ((head & (RING_CQ_ENTRIES - 1)) as usize) * CQE_SIZE;
        out.user_data = cqe_get_user_data(c);
        out.result = cqe_get_result(c);
        out.flags = cqe_get_flags(c);
        out.cap_id = cqe_get_cap_id(c);
        out.interface_id = cqe_get_interface_id(c);
        barrier();
        ring_hdr_set_cq_head(ring, head + 1);
        true
    }
}
/// Publish the SQE from sqe_next and wait for its completion; returns the CQE result.
pub unsafe fn op(ring: usize, sqe: usize, cqe: &mut Cqe) -> i32 {
    unsafe {
        let tail = ring_hdr_get_sq_tail(ring);
        let ud = (tail as u64) | (1u64 << 32);
        sqe_set_user_data(sqe, ud);
        barrier();
        ring_hdr_set_sq_tail(ring, tail + 1);
        barrier();
        loop {
            cap_enter(1, CAP_ENTER_WAIT_FOREVER);
            while cq_pop(ring, cqe) {
                if cqe.user_data == ud {
                    return cqe.result;
                }
            }
        }
    }
}
pub unsafe fn yield_now() -> i64 {
    unsafe { cap_enter(0, 0) }
}

// ---- Cap'n Proto messages (framed, unpacked, one segment)
pub const MSG_WORDS: usize = 80;
#[repr(C, align(8))]
pub struct Msg {
    pub w: [u64; MSG_WORDS],
}
pub fn msg_new() -> Msg {
    Msg { w: [0u64; MSG_WORDS] }
}
impl Msg {
    #[inline(always)]
    pub fn addr(&mut self) -> usize {
        (&raw mut self.w) as usize
    }
    #[inline(always)]
    pub fn word(&mut self, i: usize) -> *mut u64 {
        (self.addr() + 8 * i) as *mut u64
    }
}
/// Root struct with dw data words and pw pointers; returns (data section address, length).
pub unsafe fn msg_init(m: &mut Msg, dw: u32, pw: u32) -> (usize, u32) {
    let words = 1 + dw + pw;
    unsafe {
        *m.word(0) = (words as u64) << 32;
        *m.word(1) = ((pw as u64) << 48) | ((dw as u64) << 32);
        let mut i: usize = 0;
        while i < (dw + pw) as usize {
            *m.word(2 + i) = 0;
            i += 1;
        }
    }
    (m.addr() + 16, 8 + 8 * words)
}
/// Append a Data (byte list) for pointer `index`; returns the new message length.
pub unsafe fn msg_set_data(m: &mut Msg, dw: u32, index: u32, bytes: *const u8, n: u32) -> u32 {
    unsafe {
        let words = (*m.word(0) >> 32) as u32;
        let list_word = words;
        let ptr_word = 1 + dw + index;
        let nwords = (n + 7) >> 3;
        if nwords > 0 {
            *m.word((list_word + nwords) as usize) = 0;
        }
        memcpy(m.word(1 + list_word as usize) as *mut u8, bytes, n as usize);
        let off = (list_word - (ptr_word + 1)) as u64;
        *m.word(1 + ptr_word as usize) = 1u64 | ((off << 2) & 0xffff_ffff) | (2u64 << 32) | ((n as u64) << 35);
        let total = words + nwords;
        *m.word(0) = (total as u64) << 32;
        8 + 8 * total
    }
}
/// Root struct of a result message: (ok, data address, data words).
pub unsafe fn msg_root(buf: usize, len: u32) -> (bool, usize, u32) {
    unsafe {
        if len < 16 {
            return (false, 0, 0);
        }
        let segs = vload(buf as *const u32) + 1;
        let table = ((4 * (segs + 1)) + 7) & !7u32;
        if segs > 512 || table + 8 > len {
            return (false, 0, 0);
        }
        let seg_words = vload((buf + 4) as *const u32);
        let seg = buf + table as usize;
        if (table as u64) + 8 * (seg_words as u64) > len as u64 || seg_words < 1 {
            return (false, 0, 0);
        }
        let p = vload(seg as *const u64);
        if p == 0 {
            return (true, seg, 0);
        }
        if (p & 3) != 0 {
            return (false, 0, 0);
        }
        let off = ((p as u32) as i32) >> 2u32;
        let sdw = ((p >> 32) as u32) & 0xffff;
        let spw = (p >> 48) as u32;
        let start = 1i64 + off as i64;
        if start < 0 || start + (sdw as i64) + (spw as i64) > seg_words as i64 {
            return (false, 0, 0);
        }
        (true, seg + 8 * (start as usize), sdw)
    }
}

/// Fill a CALL SQE (the first half of `call`, for callers that batch SQEs).
pub unsafe fn sqe_call(sqe: usize, cap: u32, method: u16, params: usize, plen: u32, result: usize, rlen: u32) {
    unsafe {
        sqe_set_opcode(sqe, OP_CALL);
        sqe_set_cap_id(sqe, cap);
        sqe_call_set_addr(sqe, params as u64);
        sqe_call_set_len(sqe, plen);
        sqe_call_set_method_id(sqe, method);
        sqe_call_set_result_addr(sqe, result as u64);
        sqe_call_set_result_len(sqe, rlen);
    }
}
/// sq_tail += 1 (after a barrier): publish the SQE from sqe_next.
pub unsafe fn sq_publish(ring: usize) {
    unsafe {
        barrier();
        ring_hdr_set_sq_tail(ring, ring_hdr_get_sq_tail(ring) + 1);
        barrier();
    }
}

pub unsafe fn call(ring: usize, cap: u32, method: u16, params: usize, plen: u32, result: usize, rlen: u32, cqe: &mut Cqe) -> i64 {
    unsafe {
        let sqe = sqe_next(ring);
        if sqe == 0 {
            return TERR_INVALID_SQE as i64;
        }
        sqe_call(sqe, cap, method, params, plen, result, rlen);
        call_status(op(ring, sqe, cqe), result, rlen)
    }
}
/// A CALL's CQE result as a status (the second half of `call`): decodes the CapException of an applicationException.
pub unsafe fn call_status(r: i32, result: usize, rlen: u32) -> i64 {
    unsafe {
        if r == TERR_APPLICATION_EXCEPTION {
            let (ok, d, dw) = msg_root(result, rlen);
            if ok && (dw as usize) * 8 >= CAP_EXCEPTION_TYPE + 2 {
                return STATUS_EXC_BASE - (vload((d + CAP_EXCEPTION_TYPE) as *const u16) as i64);
            }
            return STATUS_EXC_BASE;
        }
        r as i64
    }
}

/// The outcome of a call: status, the result struct's first data words (copied), the CQE cap.
pub struct Reply {
    pub status: i64,
    pub words: [u64; 4],
    pub dw: u32,
    pub cap_id: u32,
}
impl Reply {
    /// Address of the copied data section, for the generated *_results_get_* accessors.
    pub fn data(&self) -> usize {
        (&raw const self.words) as usize
    }
}
pub unsafe fn simple_call(ring: usize, cap: u32, method: u16, p: &mut Msg, plen: u32) -> Reply {
    unsafe {
        let mut r = msg_new();
        let mut cqe = cqe_zero();
        let mut out = Reply { status: 0, words: [0u64; 4], dw: 0, cap_id: 0 };
        let s = call(ring, cap, method, p.addr(), plen, r.addr(), (MSG_WORDS * 8) as u32, &mut cqe);
        out.status = s;
        if s < 0 {
            return out;
        }
        let (ok, d, dw) = msg_root(r.addr(), s as u32);
        if !ok {
            out.status = STATUS_BAD_RESULT;
            return out;
        }
        let n = if dw > 4 { 4 } else { dw };
        let mut i: u32 = 0;
        while i < n {
            vstore(((&raw mut out.words) as usize + 8 * i as usize) as *mut u64, vload((d + 8 * i as usize) as *const u64));
            i += 1;
        }
        out.dw = n;
        out.cap_id = cqe.cap_id;
        out
    }
}

pub unsafe fn console_write(ring: usize, bytes: *const u8, n: u32) -> i64 {
    unsafe {
        let mut done: u32 = 0;
        loop {
            let chunk = if n - done > 512 { 512 } else { n - done };
            let mut m = msg_new();
            msg_init(&mut m, CONSOLE_WRITE_PARAMS_DATA_WORDS, CONSOLE_WRITE_PARAMS_PTR_WORDS);
            let len = msg_set_data(&mut m, CONSOLE_WRITE_PARAMS_DATA_WORDS, CONSOLE_WRITE_PARAMS_DATA_PTR as u32, bytes.add_bytes(done as usize), chunk);
            let r = simple_call(ring, CAPS.console, METHOD_CONSOLE_WRITE, &mut m, len);
            if r.status < 0 {
                return r.status;
            }
            done += chunk;
            if done >= n {
                return 0;
            }
        }
    }
}

pub unsafe fn get_fs_base(ring: usize, base: &mut u64) -> i64 {
    unsafe {
        let mut m = msg_new();
        let (_, len) = msg_init(&mut m, THREAD_CONTROL_GET_FS_BASE_PARAMS_DATA_WORDS, THREAD_CONTROL_GET_FS_BASE_PARAMS_PTR_WORDS);
        let r = simple_call(ring, CAPS.thread_control, METHOD_THREAD_CONTROL_GET_FS_BASE, &mut m, len);
        if r.status >= 0 {
            *base = thread_control_get_fs_base_results_get_base(r.data(), r.dw);
        }
        r.status
    }
}
pub unsafe fn set_fs_base(ring: usize, base: u64) -> i64 {
    unsafe {
        let mut m = msg_new();
        let (d, len) = msg_init(&mut m, THREAD_CONTROL_SET_FS_BASE_PARAMS_DATA_WORDS, THREAD_CONTROL_SET_FS_BASE_PARAMS_PTR_WORDS);
        thread_control_set_fs_base_params_set_base(d, base);
        simple_call(ring, CAPS.thread_control, METHOD_THREAD_CONTROL_SET_FS_BASE, &mut m, len).status
    }
}
pub unsafe fn thread_exit(ring: usize, value: u64) -> ! {
    unsafe {
        let mut m = msg_new();
        let (d, len) = msg_init(&mut m, THREAD_CONTROL_EXIT_PARAMS_DATA_WORDS, THREAD_CONTROL_EXIT_PARAMS_PTR_WORDS);
        thread_control_exit_params_set_value(d, value);
        simple_call(ring, CAPS.thread_control, METHOD_THREAD_CONTROL_EXIT, &mut m, len);
        exit(value | 0x80)
    }
}
pub unsafe fn spawn(ring: usize, entry: u64, stack_top: u64, arg: u64, fs_base: u64, handle: &mut u32) -> i64 {
    unsafe {
        let mut m = msg_new();
        let (d, len) = msg_init(&mut m, THREAD_SPAWNER_SPAWN_PARAMS_DATA_WORDS, THREAD_SPAWNER_SPAWN_PARAMS_PTR_WORDS);
        thread_spawner_spawn_params_set_entry(d, entry);
        thread_spawner_spawn_params_set_stack_top(d, stack_top);
        thread_spawner_spawn_params_set_arg(d, arg);
        thread_spawner_spawn_params_set_fs_base(d, fs_base);
        let r = simple_call(ring, CAPS.spawner, METHOD_THREAD_SPAWNER_SPAWN, &mut m, len);
        if r.status >= 0 {
            *handle = r.cap_id; // THRX-2: the handle is the CQE's result capability
        }
        r.status
    }
}
pub unsafe fn join(ring: usize, handle: u32, value: &mut u64) -> i64 {
    unsafe {
        let mut m = msg_new();
        let (_, len) = msg_init(&mut m, THREAD_HANDLE_JOIN_PARAMS_DATA_WORDS, THREAD_HANDLE_JOIN_PARAMS_PTR_WORDS);
        let r = simple_call(ring, handle, METHOD_THREAD_HANDLE_JOIN, &mut m, len);
        if r.status >= 0 {
            *value = thread_handle_join_results_get_exit_value(r.data(), r.dw);
        }
        r.status
    }
}
/// ThreadHandle.join without waiting: its buffers must live until its CQE is reaped.
pub struct JoinReq {
    pub p: Msg,
    pub r: Msg,
}
pub fn join_req_new() -> JoinReq {
    JoinReq { p: msg_new(), r: msg_new() }
}
pub unsafe fn join_prepare(sqe: usize, handle: u32, req: &mut JoinReq) {
    unsafe {
        let (_, len) = msg_init(&mut req.p, THREAD_HANDLE_JOIN_PARAMS_DATA_WORDS, THREAD_HANDLE_JOIN_PARAMS_PTR_WORDS);
        sqe_call(sqe, handle, METHOD_THREAD_HANDLE_JOIN, req.p.addr(), len, req.r.addr(), (MSG_WORDS * 8) as u32);
    }
}
/// The status of a prepared JOIN from its CQE result; the exit value through `value`.
pub unsafe fn join_finish(req: &mut JoinReq, result: i32, value: &mut u64) -> i64 {
    unsafe {
        let s = call_status(result, req.r.addr(), (MSG_WORDS * 8) as u32);
        if s < 0 {
            return s;
        }
        let (ok, d, dw) = msg_root(req.r.addr(), s as u32);
        if !ok {
            return STATUS_BAD_RESULT;
        }
        *value = thread_handle_join_results_get_exit_value(d, dw);
        s
    }
}
/// CAP_OP_RELEASE of `cap`: the CQE result.
pub unsafe fn release(ring: usize, cap: u32) -> i32 {
    unsafe {
        let sqe = sqe_next(ring);
        if sqe == 0 {
            return TERR_INVALID_SQE;
        }
        sqe_set_opcode(sqe, OP_RELEASE);
        sqe_set_cap_id(sqe, cap);
        let mut cqe = cqe_zero();
        op(ring, sqe, &mut cqe)
    }
}
pub unsafe fn timer_sleep(ring: usize, ns: u64) -> i64 {
    unsafe {
        let mut m = msg_new();
        let (d, len) = msg_init(&mut m, TIMER_SLEEP_PARAMS_DATA_WORDS, TIMER_SLEEP_PARAMS_PTR_WORDS);
        timer_sleep_params_set_ns(d, ns);
        simple_call(ring, CAPS.timer, METHOD_TIMER_SLEEP, &mut m, len).status
    }
}
pub unsafe fn timer_now(ring: usize, ns: &mut u64) -> i64 {
    unsafe {
        let mut m = msg_new();
        let (_, len) = msg_init(&mut m, TIMER_NOW_PARAMS_DATA_WORDS, TIMER_NOW_PARAMS_PTR_WORDS);
        let r = simple_call(ring, CAPS.timer, METHOD_TIMER_NOW, &mut m, len);
        if r.status >= 0 {
            *ns = timer_now_results_get_ns(r.data(), r.dw);
        }
        r.status
    }
}

// ---- VirtualMemory
pub unsafe fn vm_map(ring: usize, hint: u64, size: u64, prot: u32, addr: &mut u64) -> i64 {
    unsafe {
        let mut m = msg_new();
        let (d, len) = msg_init(&mut m, VIRTUAL_MEMORY_MAP_PARAMS_DATA_WORDS, VIRTUAL_MEMORY_MAP_PARAMS_PTR_WORDS);
        virtual_memory_map_params_set_hint(d, hint);
        virtual_memory_map_params_set_size(d, size);
        virtual_memory_map_params_set_prot(d, prot);
        let r = simple_call(ring, CAPS.vm, METHOD_VIRTUAL_MEMORY_MAP, &mut m, len);
        if r.status >= 0 {
            *addr = virtual_memory_map_results_get_addr(r.data(), r.dw);
        }
        r.status
    }
}
pub unsafe fn vm_unmap(ring: usize, addr: u64, size: u64) -> i64 {
    unsafe {
        let mut m = msg_new();
        let (d, len) = msg_init(&mut m, VIRTUAL_MEMORY_UNMAP_PARAMS_DATA_WORDS, VIRTUAL_MEMORY_UNMAP_PARAMS_PTR_WORDS);
        virtual_memory_unmap_params_set_addr(d, addr);
        virtual_memory_unmap_params_set_size(d, size);
        simple_call(ring, CAPS.vm, METHOD_VIRTUAL_MEMORY_UNMAP, &mut m, len).status
    }
}
pub unsafe fn vm_protect(ring: usize, addr: u64, size: u64, prot: u32) -> i64 {
    unsafe {
        let mut m = msg_new();
        let (d, len) = msg_init(&mut m, VIRTUAL_MEMORY_PROTECT_PARAMS_DATA_WORDS, VIRTUAL_MEMORY_PROTECT_PARAMS_PTR_WORDS);
        virtual_memory_protect_params_set_addr(d, addr);
        virtual_memory_protect_params_set_size(d, size);
        virtual_memory_protect_params_set_prot(d, prot);
        simple_call(ring, CAPS.vm, METHOD_VIRTUAL_MEMORY_PROTECT, &mut m, len).status
    }
}
pub unsafe fn vm_reserve(ring: usize, hint: u64, size: u64, addr: &mut u64) -> i64 {
    unsafe {
        let mut m = msg_new();
        let (d, len) = msg_init(&mut m, VIRTUAL_MEMORY_RESERVE_PARAMS_DATA_WORDS, VIRTUAL_MEMORY_RESERVE_PARAMS_PTR_WORDS);
        virtual_memory_reserve_params_set_hint(d, hint);
        virtual_memory_reserve_params_set_size(d, size);
        let r = simple_call(ring, CAPS.vm, METHOD_VIRTUAL_MEMORY_RESERVE, &mut m, len);
        if r.status >= 0 {
            *addr = virtual_memory_reserve_results_get_addr(r.data(), r.dw);
        }
        r.status
    }
}
pub unsafe fn vm_commit(ring: usize, addr: u64, size: u64, prot: u32) -> i64 {
    unsafe {
        let mut m = msg_new();
        let (d, len) = msg_init(&mut m, VIRTUAL_MEMORY_COMMIT_PARAMS_DATA_WORDS, VIRTUAL_MEMORY_COMMIT_PARAMS_PTR_WORDS);
        virtual_memory_commit_params_set_addr(d, addr);
        virtual_memory_commit_params_set_size(d, size);
        virtual_memory_commit_params_set_prot(d, prot);
        simple_call(ring, CAPS.vm, METHOD_VIRTUAL_MEMORY_COMMIT, &mut m, len).status
    }
}
pub unsafe fn vm_decommit(ring: usize, addr: u64, size: u64) -> i64 {
    unsafe {
        let mut m = msg_new();
        let (d, len) = msg_init(&mut m, VIRTUAL_MEMORY_DECOMMIT_PARAMS_DATA_WORDS, VIRTUAL_MEMORY_DECOMMIT_PARAMS_PTR_WORDS);
        virtual_memory_decommit_params_set_addr(d, addr);
        virtual_memory_decommit_params_set_size(d, size);
        simple_call(ring, CAPS.vm, METHOD_VIRTUAL_MEMORY_DECOMMIT, &mut m, len).status
    }
}
pub unsafe fn park(ring: usize, word: usize, expected: u32, timeout_ns: u64) -> i32 {
    unsafe {
        let sqe = sqe_next(ring);
        if sqe == 0 {
            return TERR_INVALID_SQE;
        }
        sqe_set_opcode(sqe, OP_PARK);
        sqe_set_cap_id(sqe, CAPS.park);
        sqe_park_set_addr(sqe, word as u64);
        sqe_park_set_expected(sqe, expected);
        sqe_park_set_timeout_ns(sqe, timeout_ns);
        let mut cqe = cqe_zero();
        op(ring, sqe, &mut cqe)
    }
}
pub unsafe fn unpark(ring: usize, word: usize, count: u32) -> i32 {
    unsafe {
        let sqe = sqe_next(ring);
        if sqe == 0 {
            return TERR_INVALID_SQE;
        }
        sqe_set_opcode(sqe, OP_UNPARK);
        sqe_set_cap_id(sqe, CAPS.park);
        sqe_unpark_set_addr(sqe, word as u64);
        sqe_unpark_set_count(sqe, count);
        let mut cqe = cqe_zero();
        op(ring, sqe, &mut cqe)
    }
}

// ---- TLS (variant II), from the capos.ld symbols
unsafe extern "C" {
    static __tls_image_start: u8;
    static __tls_filesz: u8;
    static __tls_memsz: u8;
    static __tls_align: u8;
    pub static __ehdr_start: u8;
}
pub fn tls_image() -> usize {
    (&raw const __tls_image_start) as usize
}
pub fn tls_filesz() -> usize {
    (&raw const __tls_filesz) as usize
}
pub fn tls_memsz() -> usize {
    (&raw const __tls_memsz) as usize
}
pub fn tls_align() -> usize {
    (&raw const __tls_align) as usize
}
pub fn tp_align() -> usize {
    let a = tls_align();
    if a > LAYOUT_TP_MIN_ALIGN { a } else { LAYOUT_TP_MIN_ALIGN }
}
/// Offset of the TLS block below TP (TLSV2-2).
pub fn tls_offset() -> usize {
    let align = if tls_align() == 0 { 1 } else { tls_align() };
    let memsz = tls_memsz();
    memsz + ((0usize - (tls_image() + memsz)) & (align - 1))
}
/// Build a fresh TLS block + TCB in [area, area+size); returns TP or 0.
pub unsafe fn tls_init(area: usize, size: usize) -> usize {
    if size < LAYOUT_TCB_SIZE {
        return 0;
    }
    let tp = (area + size - LAYOUT_TCB_SIZE) & !(tp_align() - 1);
    let off = tls_offset();
    if tp < area + off {
        return 0;
    }
    unsafe {
        let block = tp - off;
        memcpy(block as *mut u8, tls_image() as *const u8, tls_filesz());
        memset((block + tls_filesz()) as *mut u8, 0, off - tls_filesz());
        memset(tp as *mut u8, 0, LAYOUT_TCB_SIZE);
        vstore(tp as *mut u64, tp as u64);
    }
    tp
}
#[inline(always)]
pub fn read_tp() -> u64 {
    let v: u64;
    unsafe { asm!("movq %fs:0, {0}", out(reg) v, options(att_syntax, nostack, readonly, preserves_flags)) };
    v
}

// ---- threads
#[repr(C)]
pub struct Thread {
    pub func: unsafe fn(&mut Thread) -> u64,
    pub ring: usize,
    pub fs_base: u64,
    pub stack_top: u64,
    pub handle: u32,
    pub index: u32,
}
extern "C" fn rust_thread_main(ring: usize, t: *mut Thread) -> ! {
    unsafe {
        (*t).ring = ring;
        let f = (*t).func;
        let v = f(&mut *t);
        thread_exit(ring, v)
    }
}
pub unsafe fn thread_spawn(ring: usize, t: &mut Thread) -> i64 {
    let entry = capos_rust_thread_entry as unsafe extern "C" fn() as usize as u64;
    let arg = (t as *mut Thread) as usize as u64;
    let mut h: u32 = 0;
    let s = unsafe { spawn(ring, entry, t.stack_top, arg, t.fs_base, &mut h) };
    t.handle = h;
    s
}

// ---- output
/// p / 10 for a power of ten p (<= 10^19) without a division.
fn div10(p: u64) -> u64 {
    let mut q: u64 = 1;
    while q * 10 < p {
        q = q * 10;
    }
    q
}
pub struct Line {
    pub buf: [u8; 256],
    pub n: usize,
}
pub fn line_new() -> Line {
    Line { buf: [0u8; 256], n: 0 }
}
impl Line {
    pub fn byte(&mut self, b: u8) {
        if self.n < 255 {
            unsafe { vstore(((&raw mut self.buf) as usize + self.n) as *mut u8, b) };
            self.n += 1;
        }
    }
    /// NUL-terminated string (see the cstr! macro).
    pub fn str(&mut self, s: *const u8) {
        let mut p = s;
        loop {
            let b = unsafe { vload(p) };
            if b == 0 {
                return;
            }
            self.byte(b);
            p = p.add_bytes(1);
        }
    }
    pub fn hex(&mut self, v: u64) {
        self.byte(b'0');
        self.byte(b'x');
        // Leading zero digits skipped by a shift-and-test loop first: formatting every one of the
        // sixteen digit positions cost about 160 instructions per value.
        let mut shift: u32 = 60;
        while shift != 0 && (v >> shift) == 0 {
            shift -= 4;
        }
        loop {
            let d = ((v >> shift) & 15) as u8;
            self.byte(if d < 10 { b'0' + d } else { b'a' + d - 10 });
            if shift == 0 {
                return;
            }
            shift -= 4;
        }
    }
    /// Signed decimal (no division: core's Div needs panic lang items).
    pub fn dec(&mut self, v: i64) {
        let mut u: u64 = if v < 0 { 0u64 - (v as u64) } else { v as u64 };
        if v < 0 {
            self.byte(b'-');
        }
        let mut p: u64 = 10_000_000_000_000_000_000;
        let mut started = false;
        loop {
            let mut d: u8 = 0;
            while u >= p {
                u -= p;
                d += 1;
            }
            if d != 0 || started || p == 1 {
                started = true;
                self.byte(b'0' + d);
            }
            if p == 1 {
                return;
            }
            p = div10(p);
        }
    }
    pub fn kv(&mut self, key: *const u8, v: u64) {
        self.byte(b' ');
        self.str(key);
        self.byte(b'=');
        self.hex(v);
    }
    pub unsafe fn flush(&mut self, ring: usize) -> i64 {
        self.byte(b'\n');
        let s = unsafe { console_write(ring, (&raw const self.buf) as *const u8, self.n as u32) };
        self.n = 0;
        s
    }
}
#[macro_export]
macro_rules! cstr {
    ($s:literal) => {
        crate::concat!($s, "\0") as *const str as *const u8
    };
}
