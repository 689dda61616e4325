/*
 * spin: a test program that never writes and never ends: it spins in user
 * mode until it is killed. It holds whatever it is given and uses none of
 * it, takes no arguments, and shows that Ctrl-C in capos-shell ends a
 * program through its ProcessHandle rather than by waiting for it to
 * write (tests/qemu/test_shell.py).
 */
#include "rt.h"

int
main(void)
{
	for (;;)
		__asm__ volatile("pause");
}
