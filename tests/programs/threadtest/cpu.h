/* Where threads run: ThreadControl.setCpu and the hand-off (cpu.c). */
#ifndef THREADTEST_CPU_H
#define THREADTEST_CPU_H

void cpu_placement(void);

#endif
