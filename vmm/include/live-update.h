/* SPDX-License-Identifier: GPL-2.0 */
#ifndef MIRRORVM_LIVE_UPDATE_H
#define MIRRORVM_LIVE_UPDATE_H

/*
 * Live update (mirrorvm(1) LIVE UPDATE): a paused guest's state and RAM
 * memfds handed to the next host kernel through PRAM (kvm-patches 0015),
 * under tokens made from the VM's name, and taken back by
 * "mirrorvm run --live-restore NAME" after the kexec.
 */
#include "util.h"

/* The state memfd's index; RAM slot i's memfd has index i. */
#define LIVE_UPDATE_STATE_INDEX	0xffff
#define LIVE_UPDATE_NAME_MAX	64

/* 0 if @name can name a live update ([A-Za-z0-9._-], 1-64 bytes), else why in @e. */
int live_update__check_name(const char *name, struct err *e);
/* The PRAM token of memfd @index of the VM @name: a hash of the name, then the index. */
u64 live_update__token(const char *name, unsigned int index);

#endif
