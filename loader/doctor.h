/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __LOADER_DOCTOR_H
#define __LOADER_DOCTOR_H

#include <stdbool.h>

/* Print what this kernel supports and what each tool would attach with. */
int cmd_doctor(bool pretty);

#endif /* __LOADER_DOCTOR_H */
