// SPDX-License-Identifier: GPL-2.0
/*
 * A 64 KiB -bios image for QEMU: from the reset vector it loads a flat GDT,
 * enters protected mode and jumps to the kernel's 32-bit entry with %esi at
 * the zero page, as Documentation/arch/x86/boot.rst asks (__BOOT_CS 0x10,
 * __BOOT_DS 0x18, %ebp/%edi/%ebx zero).  It builds no table: everything the
 * guest reads was put in RAM by the firmware builder.
 */
#include <string.h>

#include "engine.h"
#include "platform.h"

#define ROM_BASE	((u32)RESET_ROM_BASE)
#define GDT_OFF		0xFF00
#define GDTR_OFF	0xFF20
#define CODE16_OFF	0xFF30
#define CODE32_OFF	0xFF60
#define RESET_OFF	0xFFF0

static void put32(u8 *p, u32 v) { memcpy(p, &v, 4); }

void reset_stub__build(u8 *rom, u32 zero_page, u32 entry32)
{
	static const u64 gdt[4] = {
		0,
		0,
		0x00CF9A000000FFFFULL,	/* 0x10: code, base 0, 4 GiB, 32-bit */
		0x00CF92000000FFFFULL,	/* 0x18: data, base 0, 4 GiB */
	};
	static const u8 code16[] = {
		0xfa,					/* cli */
		0x66, 0x2e, 0x0f, 0x01, 0x16,		/* lgdtl %cs:GDTR_OFF */
		GDTR_OFF & 0xff, GDTR_OFF >> 8,
		0x0f, 0x20, 0xc0,			/* mov %cr0, %eax */
		0x66, 0x83, 0xc8, 0x01,			/* or $1, %eax (PE) */
		0x0f, 0x22, 0xc0,			/* mov %eax, %cr0 */
		0x66, 0xea, 0, 0, 0, 0, 0x10, 0x00,	/* ljmpl $0x10, $code32 */
	};
	u8 code32[] = {
		0xb8, 0x18, 0, 0, 0,			/* mov $0x18, %eax */
		0x8e, 0xd8, 0x8e, 0xc0, 0x8e, 0xd0,	/* ds, es, ss */
		0x8e, 0xe0, 0x8e, 0xe8,			/* fs, gs */
		0xbe, 0, 0, 0, 0,			/* mov $zero_page, %esi */
		0x31, 0xed, 0x31, 0xff, 0x31, 0xdb,	/* ebp = edi = ebx = 0 */
		0xb8, 0, 0, 0, 0,			/* mov $entry32, %eax */
		0xff, 0xe0,				/* jmp *%eax */
	};
	u16 rel = CODE16_OFF - (RESET_OFF + 3);

	memset(rom, 0xf4, RESET_STUB_SIZE);	/* hlt everywhere else */
	memcpy(rom + GDT_OFF, gdt, sizeof(gdt));
	rom[GDTR_OFF] = sizeof(gdt) - 1;
	rom[GDTR_OFF + 1] = 0;
	put32(rom + GDTR_OFF + 2, ROM_BASE + GDT_OFF);
	memcpy(rom + CODE16_OFF, code16, sizeof(code16));
	put32(rom + CODE16_OFF + 20, ROM_BASE + CODE32_OFF);
	put32(code32 + 16, zero_page);
	put32(code32 + 27, entry32);
	memcpy(rom + CODE32_OFF, code32, sizeof(code32));
	rom[RESET_OFF] = 0xe9;			/* jmp near CODE16_OFF */
	memcpy(rom + RESET_OFF + 1, &rel, 2);
}
