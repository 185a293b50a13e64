/* QEMU TCG plugin (API version 1, which Debian 12's QEMU 7.2 speaks) that counts the guest
 * instructions executed inside calls of one AArch64 function, callees included:
 *
 *   qemu-aarch64 -plugin ./libinsncount.so,entry=0x31cb44 -d plugin -D log ./prog ...
 *
 * prints `insns: TOTAL`, `calls: N` and `insns_in_calls: M` (M counts every instruction from
 * each entry of the function at `entry` to its matching `ret`, following `bl`/`blr` depth).
 * Without `entry` only the total is counted. Counts are deterministic for a static non-PIE
 * binary (symbol addresses are the run-time addresses); `cargo xtask cross-test` builds this
 * file with `gcc -O2 -shared -fPIC`.
 *
 * Debian's QEMU is built with plugin support but ships no `qemu-plugin.h`, so the few API
 * functions used here are declared below. Every AArch64 `bl`, `blr` and `ret` ends a
 * translation block, and a called function's entry starts one, so the per-block callback sees
 * calls and returns as the last instruction of a block.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
typedef struct { const char *target_name; struct { int min, cur; } version; bool system_emulation;
                 union { struct { int smp_vcpus, max_vcpus; } system; }; } qemu_info_t;
struct qemu_plugin_tb; struct qemu_plugin_insn;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
typedef void (*tb_trans_cb_t)(qemu_plugin_id_t, struct qemu_plugin_tb *);
typedef void (*udata_cb_t)(qemu_plugin_id_t, void *);
typedef void (*vcpu_udata_cb_t)(unsigned int, void *);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t, tb_trans_cb_t);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *, size_t);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *, enum qemu_plugin_op, void *, uint64_t);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *, vcpu_udata_cb_t, enum qemu_plugin_cb_flags, void *);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t, udata_cb_t, void *);
void qemu_plugin_outs(const char *);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

static uint64_t total;      /* every executed instruction */
static uint64_t entry;      /* address of the measured function (0: none) */

/* Per guest thread (vCPU in user mode): other threads run concurrently (the runner waits for
 * the model's thread), so their calls and returns must not move this thread's depth. */
#define MAX_VCPUS 1024
static struct {
    uint64_t in_calls;      /* instructions executed inside calls of the function */
    uint64_t calls;         /* how many times it was entered */
    uint64_t depth;         /* calls made from inside it, not yet returned */
    bool active;            /* inside a call of it */
} vcpus[MAX_VCPUS];

enum { LAST_CALL = 1, LAST_RET = 2, FIRST_ENTRY = 4 };

/* A block's instruction count (low 32 bits) and flags (above). */
static void on_block(unsigned int vcpu, void *udata) {
    if (vcpu >= MAX_VCPUS)
        return;
    uint64_t d = (uint64_t)(uintptr_t)udata;
    uint64_t n = d & 0xffffffffu, flags = d >> 32;
    __typeof__(&vcpus[0]) v = &vcpus[vcpu];
    if (!v->active) {
        if (!(flags & FIRST_ENTRY))
            return;
        v->active = true;
        v->depth = 0;
        v->calls++;
    }
    v->in_calls += n;
    if (flags & LAST_CALL) {
        v->depth++;
    } else if (flags & LAST_RET) {
        if (v->depth == 0)
            v->active = false;
        else
            v->depth--;
    }
}

static void trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
    (void)id;
    size_t n = qemu_plugin_tb_n_insns(tb);
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &total, n);
    if (entry == 0 || n == 0)
        return;
    uint64_t flags = 0;
    if (qemu_plugin_tb_vaddr(tb) == entry)
        flags |= FIRST_ENTRY;
    struct qemu_plugin_insn *last = qemu_plugin_tb_get_insn(tb, n - 1);
    if (qemu_plugin_insn_size(last) == 4) {
        uint32_t w;
        memcpy(&w, qemu_plugin_insn_data(last), 4);
        if ((w & 0xfc000000u) == 0x94000000u || (w & 0xfffffc1fu) == 0xd63f0000u)
            flags |= LAST_CALL;                       /* bl imm26 / blr xN */
        else if ((w & 0xfffffc1fu) == 0xd65f0000u)
            flags |= LAST_RET;                        /* ret xN */
    }
    qemu_plugin_register_vcpu_tb_exec_cb(tb, on_block, QEMU_PLUGIN_CB_NO_REGS, (void *)(uintptr_t)((flags << 32) | n));
}

static void at_exit(qemu_plugin_id_t id, void *p) {
    (void)id; (void)p;
    char buf[200];
    uint64_t calls = 0, in_calls = 0;
    for (int i = 0; i < MAX_VCPUS; i++) {
        calls += vcpus[i].calls;
        in_calls += vcpus[i].in_calls;
    }
    if (entry)
        snprintf(buf, sizeof buf, "insns: %" PRIu64 "\ncalls: %" PRIu64 "\ninsns_in_calls: %" PRIu64 "\n", total, calls, in_calls);
    else
        snprintf(buf, sizeof buf, "insns: %" PRIu64 "\n", total);
    qemu_plugin_outs(buf);
}

__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv) {
    (void)info;
    for (int i = 0; i < argc; i++)
        if (!strncmp(argv[i], "entry=", 6))
            entry = strtoull(argv[i] + 6, NULL, 0);
    qemu_plugin_register_vcpu_tb_trans_cb(id, trans);
    qemu_plugin_register_atexit_cb(id, at_exit, NULL);
    return 0;
}
