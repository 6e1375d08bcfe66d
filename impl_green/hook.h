/*
 * hook.h - what the two files of the hooks share (hook.c: the descriptor
 * table, the sockets' set-up, connect, poll, the sleeps; hook_io.c: the
 * transfers).  Nothing else includes it: the hooks have no API, they are
 * the C library's own names, defined in the model binary.
 */
#ifndef HOOK_H
#define HOOK_H

#include <stdatomic.h>
#include <stdint.h>

/* What the hooks know of one descriptor. */
struct hook_fd {
	atomic_uint flags;       /* HOOK_ADOPTED, HOOK_NONBLOCK (hook.c); 0: not ours */
	_Atomic uint64_t rcv_us; /* its SO_RCVTIMEO (us), 0: none */
	_Atomic uint64_t snd_us; /* its SO_SNDTIMEO (us), 0: none */
};

/* hook_blocking - fd's entry if a coroutine calls on a socket it adopted
 * and the library wants blocking: the call must wait the runtime's way.
 * NULL otherwise: the call goes straight through.  Cost: a thread-local
 * read and two loads. */
struct hook_fd *hook_blocking(int fd);

/* hook_real - *slot, set first to the definition of `name` after ours (a
 * sanitizer's interceptor, __interceptor_NAME or ___interceptor_NAME, if
 * one is linked in, so ASan and TSan still see the call; else the next
 * object's, libc's).  Aborts if there is none. */
void *hook_real(void **slot, const char *name);

/* HOOK_REAL(name) - the real `name`, through its pointer real_name (declared
 * with HOOK_REAL_PTR, resolved by a constructor of the file before main). */
#define HOOK_REAL(name) ((__typeof__(real_##name))hook_real((void **)&real_##name, #name))
#define HOOK_REAL_PTR(name) static __typeof__(name) *real_##name

#endif
