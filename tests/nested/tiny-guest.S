/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A bzImage-shaped test guest for the KVM engine that needs no Linux, so
 * it runs even on /dev/kvm that cannot boot Linux (kvm_pvm): a boot
 * protocol 2.12 header, and at the 64-bit entry (load address + 0x200) code
 * that picks an action from the first byte of the kernel command line:
 *
 *   p  power off (0x34 on the control port)      r  reset (0x01)
 *   s  status 42 through port 0x602               k  pvpanic PANICKED
 *   t  triple fault                               h  halt forever (signals)
 *   g  junk on every unemulated port, wrong sizes on mirrorvm's ports,
 *      reads and writes in the PCI hole; "ok" or "BAD" on COM1; status 42
 *      when every read gave all-ones, 99 otherwise
 *   c  count forever: 1, 2, 3... each written (32 bits) to the test port
 *      (MIRRORVM_TEST_DEVICES=1, port 0x6f0); the pause tests check that
 *      no write is lost or repeated and that a paused vCPU never sits on
 *      an OUT whose value the port already has
 *   e  eject unplug unit 0 through the memory hotplug block (port 0xa00:
 *      select it, then the eject bit), as a guest's sysfs eject would,
 *      then count as c (snapshots of a guest with an unplugged unit)
 *
 * Build: gcc -c tiny-guest.S && objcopy -O binary tiny-guest.o bzImage
 */
	.section .text
	.code16
	.globl _start
_start:
	.org 0x1f1
	.byte 1			/* setup_sects: the 64-bit code starts at 0x400 */
	.org 0x1fe
	.word 0xaa55
	.byte 0xeb, 0x66	/* jump; 0x201 bounds the header (0x268) */
	.ascii "HdrS"
	.word 0x020c		/* protocol 2.12 */
	.org 0x211
	.byte 0x01		/* loadflags: LOADED_HIGH */
	.org 0x22c
	.long 0x7fffffff	/* initrd_addr_max */
	.long 0x200000		/* kernel_alignment */
	.byte 0			/* relocatable_kernel */
	.org 0x236
	.word 0x0001		/* xloadflags: XLF_KERNEL_64 */
	.long 0x7ff		/* cmdline_size */
	.org 0x258
	.quad 0x1000000		/* pref_address */
	.long 0x10000		/* init_size */

	.org 0x400		/* protected-mode image: loaded at 16 MiB */
	.code64
	.org 0x600		/* entry64 = load address + 0x200 */
entry64:
	lea	stack_top(%rip), %rsp	/* the boot protocol gives no stack */
	mov	0x228(%rsi), %eax	/* hdr.cmd_line_ptr */
	movzbl	(%rax), %ebx
	cmp	$'p', %bl
	je	poweroff
	cmp	$'r', %bl
	je	reset
	cmp	$'s', %bl
	je	status42
	cmp	$'k', %bl
	je	panic
	cmp	$'t', %bl
	je	triple
	cmp	$'h', %bl
	je	hang
	cmp	$'g', %bl
	je	garbage
	cmp	$'c', %bl
	je	count
	cmp	$'e', %bl
	je	eject_count
	jmp	status42

poweroff:
	mov	$0x600, %dx
	mov	$0x34, %al
	out	%al, %dx
	jmp	hang
reset:
	mov	$0x600, %dx
	mov	$0x01, %al
	out	%al, %dx
	jmp	hang
status42:
	mov	$42, %al
status:
	mov	$0x602, %dx
	out	%al, %dx
	jmp	hang
panic:
	mov	$0x505, %dx
	in	%dx, %al
	cmp	$0x01, %al		/* pvpanic says PANICKED is supported */
	jne	bad
	out	%al, %dx
	jmp	hang
triple:
	lidt	null_idt(%rip)
	int3				/* no IDT: #GP, #DF, shutdown */
hang:
	cli
1:	hlt
	jmp	1b

/*
 * The counting loop.  Where a paused vCPU may stand, and what the test
 * port must have seen then (V = its last value):
 *   count_inc, count_jmp	V == %ecx (the OUT of %ecx is done)
 *   count_mov, count_out	V == %ecx - 1 (the OUT of %ecx is not)
 */
	.globl count_inc, count_mov, count_out, count_jmp
count:
	mov	$0x6f0, %dx
	xor	%ecx, %ecx
count_inc:
	inc	%ecx
count_mov:
	mov	%ecx, %eax
count_out:
	out	%eax, %dx
count_jmp:
	jmp	count_inc

eject_count:
	mov	$0xa00, %dx		/* selector: unit 0 */
	xor	%eax, %eax
	out	%eax, %dx
	mov	$0xa14, %dx		/* control: eject */
	mov	$0x08, %al
	out	%al, %dx
	jmp	count

/* in/out on every port nothing in mirrorvm or KVM claims; %r12 counts bad reads */
garbage:
	xor	%r12d, %r12d
	xor	%ecx, %ecx
2:	mov	%cx, %dx
	call	skip_port
	jc	3f
	in	%dx, %al
	cmp	$0xff, %al
	setne	%r8b
	movzbl	%r8b, %r8d
	add	%r8, %r12
	mov	$0xa5, %al
	out	%al, %dx
	mov	$0xdeadbeef, %eax
	out	%eax, %dx		/* may straddle anything: must be harmless */
	in	%dx, %ax
3:	inc	%ecx
	cmp	$0x10000, %ecx
	jb	2b

	/* mirrorvm's ports with sizes they do not take */
	mov	$0x600, %dx
	mov	$0x0034, %ax
	out	%ax, %dx		/* a word of 0x34 is not the power-off byte */
	mov	$0x34, %eax
	out	%eax, %dx		/* straddles 0x600-0x603 */
	mov	$0x77, %al
	out	%al, %dx		/* unknown control byte: a warning */
	in	%dx, %eax
	cmp	$0xffffffff, %eax
	jne	bad
	mov	$0x601, %dx
	in	%dx, %al
	test	%al, %al		/* sleep status reads 0 */
	jnz	bad
	mov	$0x504, %dx
	mov	$0x0101, %ax
	out	%ax, %dx		/* straddles pvpanic: not a panic */
	mov	$0x505, %dx
	in	%dx, %ax
	cmp	$0xffff, %ax		/* pvpanic is one byte wide */
	jne	bad
	/* rep outsb/insb: one exit with many items */
	mov	$0x1234, %dx
	lea	buf(%rip), %rsi
	mov	$16, %ecx
	rep outsb
	lea	buf(%rip), %rdi
	mov	$16, %ecx
	rep insb
	cmpq	$-1, buf(%rip)
	jne	bad
	cmpq	$-1, buf+8(%rip)
	jne	bad

	/* the PCI hole: reads all-ones, writes vanish */
	mov	$0xc0000000, %eax
	movq	$0x1234, (%rax)
	movl	$0x1234, 8(%rax)
	movb	$0x12, 16(%rax)
	cmpq	$-1, (%rax)
	jne	bad
	cmpl	$-1, 8(%rax)
	jne	bad
	cmpb	$-1, 16(%rax)
	jne	bad
	mov	$0xe0000000, %eax
	cmpw	$-1, 2(%rax)
	jne	bad

	test	%r12, %r12
	jnz	bad
	mov	$'o', %al
	call	putc
	mov	$'k', %al
	call	putc
	mov	$'\n', %al
	call	putc
	jmp	status42
bad:
	mov	$'B', %al
	call	putc
	mov	$'A', %al
	call	putc
	mov	$'D', %al
	call	putc
	mov	$'\n', %al
	call	putc
	mov	$99, %al
	jmp	status

putc:
	mov	$0x3f8, %dx
	out	%al, %dx
	ret

/* CF set for ports to leave alone: in-kernel PIC/PIT/ELCR, COM1, ours */
skip_port:
	cmp	$0x20, %dx
	je	9f
	cmp	$0x21, %dx
	je	9f
	cmp	$0xa0, %dx
	je	9f
	cmp	$0xa1, %dx
	je	9f
	cmp	$0x40, %dx
	jb	8f
	cmp	$0x43, %dx
	jbe	9f
	cmp	$0x61, %dx
	je	9f
	cmp	$0x4d0, %dx
	je	9f
	cmp	$0x4d1, %dx
	je	9f
	cmp	$0x3f5, %dx		/* a dword at 0x3f5 reaches COM1 */
	jb	8f
	cmp	$0x3ff, %dx
	jbe	9f
	cmp	$0x502, %dx
	jb	8f
	cmp	$0x505, %dx
	jbe	9f
	cmp	$0x5fd, %dx
	jb	8f
	cmp	$0x602, %dx
	jbe	9f
8:	clc
	ret
9:	stc
	ret

	.balign 8
null_idt:
	.word 0
	.quad 0
buf:
	.fill 16, 1, 0x3c
	.balign 16
	.fill 256, 1, 0
stack_top:

	.org 0x2000
