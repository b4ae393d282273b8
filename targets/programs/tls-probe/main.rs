//! tls-probe (Rust, #![no_core], x86_64-unknown-capos.json): the Rust twin of main.c.
//! Same checks, same exit-status bits (see main.c); reports over Console with the prefix
//! "tls-probe.rs:". TLS variables are `#[thread_local]` statics compiled with the target's
//! local-exec model; direct `%fs:off` loads name them in inline asm (`SYM@tpoff`).
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

const V_DATA64: u64 = 0x1122334455667788;
const V_DATA32: u32 = 0xdeadbeef;
const V_AL256: u64 = 0x0256025602560256;

#[repr(C, align(64))]
pub struct Al64(pub [u8; 64]);
#[repr(C, align(256))]
pub struct Al256(pub u64);

#[thread_local]
#[unsafe(no_mangle)]
static mut t_data64: u64 = V_DATA64;
#[thread_local]
#[unsafe(no_mangle)]
static mut t_data32: u32 = V_DATA32;
#[thread_local]
#[unsafe(no_mangle)]
static mut t_bss64: u64 = 0;
#[thread_local]
#[unsafe(no_mangle)]
static mut t_bss_arr: [u8; 40] = [0u8; 40];
#[thread_local]
#[unsafe(no_mangle)]
static mut t_al64: Al64 = Al64([0x40, 1, 2, 3, 4, 5, 6, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
#[thread_local]
#[unsafe(no_mangle)]
static mut t_al256: Al256 = Al256(V_AL256);
#[thread_local]
#[unsafe(no_mangle)]
static mut t_bss256: Al256 = Al256(0);

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
macro_rules! fsload32 {
    ($sym:literal) => {{
        let v: u32;
        unsafe { asm!(concat!("movl %fs:", $sym, "@tpoff, {0:e}"), out(reg) v, options(att_syntax, nostack, readonly, preserves_flags)) };
        v
    }};
}

static mut FAILED: u64 = 0;

fn check(ring: usize, bit: u32, name: *const u8, ok: bool) {
    unsafe {
        if !ok {
            FAILED |= 1u64 << bit;
        }
        let mut l = line_new();
        l.str(cstr!("tls-probe.rs: check "));
        l.str(name);
        l.str(if ok { cstr!(" ok") } else { cstr!(" FAIL") });
        l.flush(ring);
    }
}
fn report(ring: usize, name: *const u8, addr: usize, value: u64, tpoff: i64) {
    let mut l = line_new();
    l.str(cstr!("tls-probe.rs: var "));
    l.str(name);
    l.kv(cstr!("addr"), addr as u64);
    l.kv(cstr!("value"), value);
    l.kv(cstr!("tpoff"), tpoff as u64);
    unsafe { l.flush(ring) };
}
fn b8(p: usize) -> u8 {
    unsafe { vload(p as *const u8) }
}

pub fn capos_main(ring: usize, pid: u64, capset: usize) -> u64 {
    unsafe {
        let tp = read_tp() as usize;
        let align = tp_align();
        let off = tls_offset();
        let mut l = line_new();
        l.str(cstr!("tls-probe.rs: start"));
        l.kv(cstr!("ring"), ring as u64);
        l.kv(cstr!("pid"), pid);
        l.kv(cstr!("capset"), capset as u64);
        l.kv(cstr!("tp"), tp as u64);
        l.flush(ring);
        l.str(cstr!("tls-probe.rs: image"));
        l.kv(cstr!("start"), tls_image() as u64);
        l.kv(cstr!("filesz"), tls_filesz() as u64);
        l.kv(cstr!("memsz"), tls_memsz() as u64);
        l.kv(cstr!("align"), tls_align() as u64);
        l.kv(cstr!("tlsoff"), off as u64);
        l.flush(ring);

        check(ring, 12, cstr!("CAPS"), (CAPS.found & 0x11) == 0x11);
        check(ring, 0, cstr!("SELF"), tp != 0 && vload(tp as *const u64) == tp as u64);

        let a_data64 = (&raw const t_data64) as usize;
        let a_data32 = (&raw const t_data32) as usize;
        let a_bss64 = (&raw const t_bss64) as usize;
        let a_bss_arr = (&raw const t_bss_arr) as usize;
        let a_al64 = (&raw const t_al64) as usize;
        let a_al256 = (&raw const t_al256) as usize;
        let a_bss256 = (&raw const t_bss256) as usize;
        report(ring, cstr!("t_data64"), a_data64, vload(a_data64 as *const u64), tpoff!("t_data64"));
        report(ring, cstr!("t_data32"), a_data32, vload(a_data32 as *const u32) as u64, tpoff!("t_data32"));
        report(ring, cstr!("t_bss64"), a_bss64, vload(a_bss64 as *const u64), tpoff!("t_bss64"));
        report(ring, cstr!("t_bss_arr"), a_bss_arr, b8(a_bss_arr) as u64, tpoff!("t_bss_arr"));
        report(ring, cstr!("t_al64"), a_al64, b8(a_al64) as u64, tpoff!("t_al64"));
        report(ring, cstr!("t_al256"), a_al256, vload(a_al256 as *const u64), tpoff!("t_al256"));
        report(ring, cstr!("t_bss256"), a_bss256, vload(a_bss256 as *const u64), tpoff!("t_bss256"));

        let mut ok = t_data64 == V_DATA64 && t_data32 == V_DATA32 && t_al256.0 == V_AL256;
        let mut i: usize = 0;
        while i < 64 {
            let want: u8 = if i == 0 { 0x40 } else if i < 8 { i as u8 } else { 0 };
            ok &= b8(a_al64 + i) == want;
            i += 1;
        }
        check(ring, 1, cstr!("TDATA"), ok);

        check(
            ring,
            2,
            cstr!("DIRECT"),
            fsload64!("t_data64") == V_DATA64 && fsload32!("t_data32") == V_DATA32 && fsload64!("t_al256") == V_AL256 && (fsload64!("t_al64") & 0xff) == 0x40,
        );

        ok = t_bss64 == 0 && t_bss256.0 == 0 && fsload64!("t_bss64") == 0 && fsload64!("t_bss256") == 0;
        i = 0;
        while i < 40 {
            ok &= b8(a_bss_arr + i) == 0;
            i += 1;
        }
        check(ring, 3, cstr!("TBSS"), ok);

        check(ring, 4, cstr!("ALIGN"), (a_al64 & 63) == 0 && (a_al256 & 255) == 0 && (a_bss256 & 255) == 0);

        check(
            ring,
            5,
            cstr!("ADDR"),
            a_data64 == tp + tpoff!("t_data64") as usize
                && a_data32 == tp + tpoff!("t_data32") as usize
                && a_bss64 == tp + tpoff!("t_bss64") as usize
                && a_bss_arr == tp + tpoff!("t_bss_arr") as usize
                && a_al64 == tp + tpoff!("t_al64") as usize
                && a_al256 == tp + tpoff!("t_al256") as usize
                && a_bss256 == tp + tpoff!("t_bss256") as usize,
        );

        let block = tp - off;
        ok = true;
        i = 0;
        while i < tls_filesz() {
            ok &= b8(block + i) == b8(tls_image() + i);
            i += 1;
        }
        while i < tls_memsz() {
            ok &= b8(block + i) == 0;
            i += 1;
        }
        l.str(cstr!("tls-probe.rs: block"));
        l.kv(cstr!("start"), block as u64);
        l.kv(cstr!("end"), tp as u64);
        l.flush(ring);
        check(ring, 6, cstr!("IMAGE"), ok);

        vstore(a_data64 as *mut u64, 0xa5a5a5a5a5a5a5a5);
        ok = fsload64!("t_data64") == 0xa5a5a5a5a5a5a5a5;
        asm!("movq {0}, %fs:t_bss64@tpoff", in(reg) 0x5a5a5a5a5a5a5a5au64, options(att_syntax, nostack, preserves_flags));
        ok &= vload(a_bss64 as *const u64) == 0x5a5a5a5a5a5a5a5a;
        vstore((a_bss_arr + 39) as *mut u8, 0x77u8);
        ok &= b8(tp + tpoff!("t_bss_arr") as usize + 39) == 0x77;
        check(ring, 7, cstr!("WRITE"), ok);

        let want_tp = (ring - LAYOUT_TCB_SIZE) & !(align - 1);
        l.str(cstr!("tls-probe.rs: tp"));
        l.kv(cstr!("expected"), want_tp as u64);
        l.kv(cstr!("actual"), tp as u64);
        l.kv(cstr!("align"), align as u64);
        l.flush(ring);
        // TLSV2-7: the block and TCB lie in the TLS area; where in it is the kernel's choice.
        check(ring, 8, cstr!("TPPOS"), tp - off >= ring - LAYOUT_TLS_AREA_SIZE && tp + LAYOUT_TCB_SIZE <= ring);
        check(ring, 9, cstr!("TPALIGN"), (tp & (align - 1)) == 0);

        let mut fsb: u64 = 0;
        let s = get_fs_base(ring, &mut fsb);
        l.str(cstr!("tls-probe.rs: getFsBase"));
        l.kv(cstr!("status"), s as u64);
        l.kv(cstr!("base"), fsb);
        l.flush(ring);
        check(ring, 10, cstr!("GETFS"), s >= 0 && fsb == tp as u64);

        // PT_TLS from our own program headers
        let eh = (&raw const __ehdr_start) as usize;
        let phoff = vload((eh + 32) as *const u64) as usize;
        let phentsize = vload((eh + 54) as *const u16) as usize;
        let phnum = vload((eh + 56) as *const u16) as usize;
        ok = false;
        i = 0;
        while i < phnum {
            let ph = eh + phoff + i * phentsize;
            if vload(ph as *const u32) == 7 {
                let vaddr = vload((ph + 16) as *const u64);
                let filesz = vload((ph + 32) as *const u64);
                let memsz = vload((ph + 40) as *const u64);
                let palign = vload((ph + 48) as *const u64);
                l.str(cstr!("tls-probe.rs: PT_TLS"));
                l.kv(cstr!("vaddr"), vaddr);
                l.kv(cstr!("filesz"), filesz);
                l.kv(cstr!("memsz"), memsz);
                l.kv(cstr!("align"), palign);
                l.flush(ring);
                ok = vaddr == tls_image() as u64 && filesz == tls_filesz() as u64 && memsz == tls_memsz() as u64 && palign == tls_align() as u64;
            }
            i += 1;
        }
        check(ring, 11, cstr!("PHDR"), ok);

        l.str(cstr!("tls-probe.rs: done"));
        l.kv(cstr!("failed"), FAILED);
        l.flush(ring);
        probe_status(FAILED)
    }
}
