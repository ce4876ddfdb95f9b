// SPDX-License-Identifier: GPL-2.0
/*
 * mvm-garbage STATUS: runs in an L2 guest of the KVM engine.  Writes junk
 * to, and reads from, I/O ports nothing emulates and guest-physical
 * addresses nothing backs (the PCI hole, through /dev/mem), pokes the
 * emulated ports with wrong sizes, then ends the guest with STATUS through
 * port 0x602.  The VMM must survive all of it and exit with STATUS.
 *
 * Prints GARBAGE ports=N bad_reads=B mmio=M mmio_bad=K, then exits
 * through the status port (or prints GARBAGE-ERROR and returns 1).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <unistd.h>

/* Devices KVM emulates in the kernel, and mirrorvm's own: left alone. */
static int skip(unsigned int port)
{
	return (port >= 0x20 && port <= 0x21) || (port >= 0xa0 && port <= 0xa1) ||
	       (port >= 0x40 && port <= 0x43) || port == 0x61 ||
	       (port >= 0x4d0 && port <= 0x4d1) || (port >= 0x3f8 && port <= 0x3ff) ||
	       (port >= 0x600 && port <= 0x602) || port == 0x505;
}

static unsigned long bad_reads, ports;

static void bad(const char *what, unsigned int port, unsigned long v)
{
	if (bad_reads++ < 8)
		printf("GARBAGE-BAD %s port=0x%x value=0x%lx\n", what, port, v);
}

static void poke(unsigned int port)
{
	unsigned long v = inb(port);

	if (v != 0xff)
		bad("inb", port, v);
	outb(0xa5, port);
	outb(0x5a, port);
	ports++;
	if (!(port & 3) && !skip(port + 1) && !skip(port + 2) && !skip(port + 3) &&
	    port + 3 <= 0xffff) {
		if ((v = inw(port)) != 0xffff)
			bad("inw", port, v);
		if ((v = inl(port)) != 0xffffffffU)
			bad("inl", port, v);
		outw(0xdead, port);
		outl(0xdeadbeef, port);
	}
}

static int mmio(unsigned long pa, unsigned long *count)
{
	int fd = open("/dev/mem", O_RDWR | O_SYNC);
	volatile uint8_t *p;
	int bad = 0;
	unsigned int off;

	if (fd < 0) {
		perror("GARBAGE-ERROR /dev/mem");
		return -1;
	}
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, pa);
	close(fd);
	if (p == MAP_FAILED) {
		printf("GARBAGE-ERROR mmap /dev/mem 0x%lx: %m\n", pa);
		return -1;
	}
	for (off = 0; off < 4096; off += 512) {
		bad += *(volatile uint8_t *)(p + off) != 0xff;
		bad += *(volatile uint16_t *)(p + off + 2) != 0xffff;
		bad += *(volatile uint32_t *)(p + off + 4) != 0xffffffffU;
		bad += *(volatile uint64_t *)(p + off + 8) != ~0ULL;
		*(volatile uint8_t *)(p + off) = 0x12;
		*(volatile uint16_t *)(p + off + 2) = 0x3456;
		*(volatile uint32_t *)(p + off + 4) = 0x789abcde;
		*(volatile uint64_t *)(p + off + 8) = 0x0123456789abcdefULL;
		/* still unbacked: the write went nowhere */
		bad += *(volatile uint32_t *)(p + off + 4) != 0xffffffffU;
		*count += 9;
	}
	munmap((void *)p, 4096);
	return bad;
}

int main(int argc, char **argv)
{
	static const unsigned long holes[] = { 0xc0000000UL, 0xd0001000UL, 0xfebff000UL };
	int status = argc > 1 ? atoi(argv[1]) : 0;
	unsigned long mmio_count = 0, mmio_bad = 0;
	unsigned int port, i;
	char junk[64];

	if (iopl(3) && ioperm(0, 0x10000, 1)) {
		perror("GARBAGE-ERROR iopl/ioperm");
		return 1;
	}
	for (port = 0; port < 0x1000; port++)
		if (!skip(port))
			poke(port);
	for (port = 0x1000; port <= 0xffff; port += 0x3f)
		if (!skip(port))
			poke(port);
	/* String I/O on an unclaimed port (one exit, many items). */
	memset(junk, 0x3c, sizeof(junk));
	outsb(0x1234, junk, sizeof(junk));
	insb(0x1234, junk, sizeof(junk));
	for (i = 0; i < sizeof(junk); i++)
		if ((unsigned char)junk[i] != 0xff)
			bad("insb", 0x1234, (unsigned char)junk[i]);
	/*
	 * mirrorvm's devices with sizes and offsets they do not take: a word
	 * of 0x0034 on the control port is not the power-off byte, a dword
	 * straddles it, so do reads wider than pvpanic's byte.
	 */
	outw(0x0034, 0x600);
	outl(0x00000034, 0x600);
	outl(0x00000001, 0x5fe);
	outb(0x77, 0x600);		/* an unknown control byte: warning only */
	if (inl(0x600) != 0xffffffffU || inw(0x505) != 0xffff)
		bad("wide", 0x600, 0);
	if (inb(0x601) != 0 || inb(0x505) != 0x01)
		bad("mirrorvm", 0x601, 0);
	outw(0x0101, 0x504);		/* straddles pvpanic: not a panic */

	for (i = 0; i < sizeof(holes) / sizeof(holes[0]); i++) {
		int b = mmio(holes[i], &mmio_count);

		if (b < 0)
			return 1;
		mmio_bad += b;
	}
	printf("GARBAGE ports=%lu bad_reads=%lu mmio=%lu mmio_bad=%lu\n", ports, bad_reads,
	       mmio_count, mmio_bad);
	fflush(stdout);
	outb(status, 0x602);
	sleep(5);
	printf("GARBAGE-ERROR status port did not end the guest\n");
	return 1;
}
