// SPDX-License-Identifier: GPL-2.0
/*
 * A 16550A serial port (COM1 in the platform table): the guest's console.
 * Transmit is instant (each THR byte goes to the host console through the
 * device context), receive is fed from the host console by the engine.  Interrupts follow the 16550's priorities; the THR-empty
 * interrupt is an event (set when the THR empties or THRI is enabled,
 * cleared by reading IIR or writing THR), so each transmitted byte gives the
 * edge-triggered IOAPIC pin a fresh edge, as Linux's 8250 driver expects.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "aml.h"
#include "device.h"

#define UART_RX		0	/* in: receive buffer (DLAB=0) */
#define UART_TX		0	/* out: transmit buffer (DLAB=0) */
#define UART_DLL	0	/* DLAB=1 */
#define UART_IER	1
#define UART_DLM	1	/* DLAB=1 */
#define UART_IIR	2	/* in */
#define UART_FCR	2	/* out */
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define UART_MSR	6
#define UART_SCR	7

#define UART_IER_RDI	0x01
#define UART_IER_THRI	0x02
#define UART_IER_RLSI	0x04
#define UART_IER_MSI	0x08

#define UART_IIR_NO_INT	0x01
#define UART_IIR_MSI	0x00
#define UART_IIR_THRI	0x02
#define UART_IIR_RDI	0x04
#define UART_IIR_RLSI	0x06
#define UART_IIR_FIFO	0xc0

#define UART_FCR_ENABLE	0x01
#define UART_FCR_CLEAR_RCVR 0x02

#define UART_LCR_DLAB	0x80

#define UART_MCR_DTR	0x01
#define UART_MCR_RTS	0x02
#define UART_MCR_OUT1	0x04
#define UART_MCR_OUT2	0x08
#define UART_MCR_LOOP	0x10

#define UART_LSR_DR	0x01
#define UART_LSR_OE	0x02
#define UART_LSR_BI	0x10
#define UART_LSR_THRE	0x20
#define UART_LSR_TEMT	0x40

#define UART_MSR_DCTS	0x01
#define UART_MSR_DDSR	0x02
#define UART_MSR_TERI	0x04
#define UART_MSR_DDCD	0x08
#define UART_MSR_DELTA	0x0f
#define UART_MSR_CTS	0x10
#define UART_MSR_DSR	0x20
#define UART_MSR_RI	0x40
#define UART_MSR_DCD	0x80

#define RX_SIZE		64

struct uart {
	struct device *dev;
	pthread_mutex_t lock;
	u8 ier, lcr, mcr, lsr, msr, scr, fcr, dll, dlm;
	bool thr_ipending;
	int irq_level;
	u8 rx[RX_SIZE];
	unsigned int rx_head, rx_len;
};

static void set_irq(struct uart *u, int level)
{
	struct dev_ctx *ctx = u->dev->ctx;

	if (u->irq_level == level)
		return;
	u->irq_level = level;
	if (u->dev->desc->gsi != NO_GSI)
		ctx->set_irq(ctx, u->dev->desc->gsi, level);
}

static u8 iir(struct uart *u)
{
	if ((u->ier & UART_IER_RLSI) && (u->lsr & (UART_LSR_OE | UART_LSR_BI)))
		return UART_IIR_RLSI;
	if ((u->ier & UART_IER_RDI) && (u->lsr & UART_LSR_DR))
		return UART_IIR_RDI;
	if ((u->ier & UART_IER_THRI) && u->thr_ipending)
		return UART_IIR_THRI;
	if ((u->ier & UART_IER_MSI) && (u->msr & UART_MSR_DELTA))
		return UART_IIR_MSI;
	return UART_IIR_NO_INT;
}

static void update_irq(struct uart *u)
{
	set_irq(u, iir(u) != UART_IIR_NO_INT);
}

/* Modem status: loopback reflects MCR, otherwise a connected line. */
static void update_msr(struct uart *u)
{
	u8 old = u->msr, now;

	if (u->mcr & UART_MCR_LOOP)
		now = ((u->mcr & UART_MCR_DTR) ? UART_MSR_DSR : 0) |
		      ((u->mcr & UART_MCR_RTS) ? UART_MSR_CTS : 0) |
		      ((u->mcr & UART_MCR_OUT1) ? UART_MSR_RI : 0) |
		      ((u->mcr & UART_MCR_OUT2) ? UART_MSR_DCD : 0);
	else
		now = UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
	u->msr = (u->msr & UART_MSR_DELTA) | now;
	if ((old ^ now) & UART_MSR_CTS)
		u->msr |= UART_MSR_DCTS;
	if ((old ^ now) & UART_MSR_DSR)
		u->msr |= UART_MSR_DDSR;
	if ((old ^ now) & UART_MSR_DCD)
		u->msr |= UART_MSR_DDCD;
	if ((old & UART_MSR_RI) && !(now & UART_MSR_RI))
		u->msr |= UART_MSR_TERI;
}

static void rx_push(struct uart *u, u8 c)
{
	if (u->rx_len == RX_SIZE) {
		u->lsr |= UART_LSR_OE;
		return;
	}
	u->rx[(u->rx_head + u->rx_len++) % RX_SIZE] = c;
	u->lsr |= UART_LSR_DR;
}

static void emit(struct uart *u, u8 c)
{
	struct dev_ctx *ctx = u->dev->ctx;

	ctx->console_out(ctx, &c, 1);
}

static void uart_write_reg(struct uart *u, u64 off, u8 v)
{
	switch (off) {
	case UART_TX:
		if (u->lcr & UART_LCR_DLAB) {
			u->dll = v;
			break;
		}
		u->thr_ipending = false;
		update_irq(u);
		if (u->mcr & UART_MCR_LOOP)
			rx_push(u, v);
		else
			emit(u, v);
		u->lsr |= UART_LSR_THRE | UART_LSR_TEMT;
		u->thr_ipending = true;
		break;
	case UART_IER:
		if (u->lcr & UART_LCR_DLAB) {
			u->dlm = v;
			break;
		}
		if ((v & UART_IER_THRI) && !(u->ier & UART_IER_THRI) &&
		    (u->lsr & UART_LSR_THRE))
			u->thr_ipending = true;
		u->ier = v & 0x0f;
		break;
	case UART_FCR:
		u->fcr = v;
		if (v & UART_FCR_CLEAR_RCVR) {
			u->rx_len = 0;
			u->lsr &= ~UART_LSR_DR;
		}
		break;
	case UART_LCR:
		u->lcr = v;
		break;
	case UART_MCR:
		u->mcr = v & 0x1f;
		update_msr(u);
		break;
	case UART_LSR:
	case UART_MSR:
		break;		/* read-only */
	case UART_SCR:
		u->scr = v;
		break;
	}
	update_irq(u);
}

static u8 uart_read_reg(struct uart *u, u64 off)
{
	u8 v = 0xff;

	switch (off) {
	case UART_RX:
		if (u->lcr & UART_LCR_DLAB)
			return u->dll;
		v = 0;
		if (u->rx_len) {
			v = u->rx[u->rx_head];
			u->rx_head = (u->rx_head + 1) % RX_SIZE;
			if (!--u->rx_len)
				u->lsr &= ~UART_LSR_DR;
		}
		break;
	case UART_IER:
		return (u->lcr & UART_LCR_DLAB) ? u->dlm : u->ier;
	case UART_IIR:
		v = iir(u);
		if (v == UART_IIR_THRI)
			u->thr_ipending = false;
		if (u->fcr & UART_FCR_ENABLE)
			v |= UART_IIR_FIFO;
		break;
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		v = u->lsr;
		u->lsr &= ~(UART_LSR_OE | UART_LSR_BI);
		break;
	case UART_MSR:
		v = u->msr;
		u->msr &= ~UART_MSR_DELTA;
		break;
	case UART_SCR:
		return u->scr;
	}
	update_irq(u);
	return v;
}

/* Wider accesses: byte by byte, as an 8-bit ISA device answers them. */
static void uart_read(struct device *dev, u64 off, u8 *data, unsigned int size)
{
	struct uart *u = dev->state;
	unsigned int i;

	pthread_mutex_lock(&u->lock);
	for (i = 0; i < size; i++)
		data[i] = uart_read_reg(u, off + i);
	pthread_mutex_unlock(&u->lock);
}

static void uart_write(struct device *dev, u64 off, const u8 *data, unsigned int size)
{
	struct uart *u = dev->state;
	unsigned int i;

	pthread_mutex_lock(&u->lock);
	for (i = 0; i < size; i++)
		uart_write_reg(u, off + i, data[i]);
	pthread_mutex_unlock(&u->lock);
}

static size_t uart_input_room(struct device *dev)
{
	struct uart *u = dev->state;
	size_t room;

	pthread_mutex_lock(&u->lock);
	room = (u->mcr & UART_MCR_LOOP) ? 0 : RX_SIZE - u->rx_len;
	pthread_mutex_unlock(&u->lock);
	return room;
}

static void uart_input(struct device *dev, const u8 *buf, size_t len)
{
	struct uart *u = dev->state;
	size_t i;

	pthread_mutex_lock(&u->lock);
	for (i = 0; i < len; i++)
		rx_push(u, buf[i]);
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

/*
 * Snapshot state: the registers, the receive FIFO in order, and the
 * interrupt line, which load checks against the registers.
 */
enum {
	ST_IER, ST_LCR, ST_MCR, ST_LSR, ST_MSR, ST_SCR, ST_FCR, ST_DLL, ST_DLM,
	ST_THR_IPENDING, ST_IRQ_LEVEL, ST_RX_LEN, ST_RX,	/* rx bytes follow */
};

static int uart_save(struct device *dev, struct state_writer *w, u32 kind, u32 index,
		     struct err *e)
{
	struct uart *u = dev->state;
	u8 st[ST_RX + RX_SIZE];
	unsigned int i;

	pthread_mutex_lock(&u->lock);
	st[ST_IER] = u->ier;
	st[ST_LCR] = u->lcr;
	st[ST_MCR] = u->mcr;
	st[ST_LSR] = u->lsr;
	st[ST_MSR] = u->msr;
	st[ST_SCR] = u->scr;
	st[ST_FCR] = u->fcr;
	st[ST_DLL] = u->dll;
	st[ST_DLM] = u->dlm;
	st[ST_THR_IPENDING] = u->thr_ipending;
	st[ST_IRQ_LEVEL] = u->irq_level > 0;
	st[ST_RX_LEN] = u->rx_len;
	for (i = 0; i < u->rx_len; i++)
		st[ST_RX + i] = u->rx[(u->rx_head + i) % RX_SIZE];
	pthread_mutex_unlock(&u->lock);
	return state_writer__add(w, kind, index, st, ST_RX + st[ST_RX_LEN], e);
}

static int uart_load(struct device *dev, const struct state_section *s, struct err *e)
{
	struct uart *u = dev->state, t;
	const u8 *st = s->data;

	if (s->size < ST_RX || st[ST_RX_LEN] > RX_SIZE || s->size != (u64)ST_RX + st[ST_RX_LEN] ||
	    st[ST_THR_IPENDING] > 1 || st[ST_IRQ_LEVEL] > 1)
		return err_set(e, "%s: saved state of %llu bytes is not an 8250's", dev->desc->name,
			       (unsigned long long)s->size);
	t = *u;
	t.ier = st[ST_IER];
	t.lcr = st[ST_LCR];
	t.mcr = st[ST_MCR];
	t.lsr = st[ST_LSR];
	t.msr = st[ST_MSR];
	t.scr = st[ST_SCR];
	t.fcr = st[ST_FCR];
	t.dll = st[ST_DLL];
	t.dlm = st[ST_DLM];
	t.thr_ipending = st[ST_THR_IPENDING];
	if ((iir(&t) != UART_IIR_NO_INT) != st[ST_IRQ_LEVEL])
		return err_set(e, "%s: the saved interrupt line contradicts the saved registers",
			       dev->desc->name);
	pthread_mutex_lock(&u->lock);
	u->ier = t.ier;
	u->lcr = t.lcr;
	u->mcr = t.mcr;
	u->lsr = t.lsr;
	u->msr = t.msr;
	u->scr = t.scr;
	u->fcr = t.fcr;
	u->dll = t.dll;
	u->dlm = t.dlm;
	u->thr_ipending = t.thr_ipending;
	u->rx_head = 0;
	u->rx_len = st[ST_RX_LEN];
	memcpy(u->rx, st + ST_RX, u->rx_len);
	u->irq_level = -1;	/* drive the line whatever it was */
	update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return 0;
}

static int uart_create(struct device *dev, struct err *e)
{
	struct uart *u = calloc(1, sizeof(*u));

	if (!u)
		return err_set(e, "out of memory");
	u->dev = dev;
	pthread_mutex_init(&u->lock, NULL);
	u->lsr = UART_LSR_THRE | UART_LSR_TEMT;
	u->mcr = UART_MCR_OUT2;
	update_msr(u);
	u->msr &= ~UART_MSR_DELTA;
	dev->state = u;
	return 0;
}

static void uart_destroy(struct device *dev)
{
	struct uart *u = dev->state;

	if (!u)
		return;
	pthread_mutex_destroy(&u->lock);
	free(u);
}

/* PNP0501 with its port range and IRQ (ACPI 6.5 6.4.2.1, 6.4.2.5). */
static int uart_aml(struct aml *sb, const struct platform_device *d, const struct layout *lay)
{
	struct aml *dev = aml_device(d->name);
	struct aml *crs = aml_resource_template();

	(void)lay;
	aml_append(dev, aml_name("_HID", aml_eisaid("PNP0501")));
	aml_append(dev, aml_name("_UID", aml_int(0)));
	aml_res_io(crs, d->base, d->len);
	aml_res_irq(crs, d->gsi);
	aml_append(dev, aml_name("_CRS", aml_resource_end(crs)));
	aml_append(sb, dev);
	return 0;
}

const struct device_model serial_8250 = {
	.kind = "8250",
	.aml = uart_aml,
	.ops = {
		.create = uart_create,
		.destroy = uart_destroy,
		.read = uart_read,
		.write = uart_write,
		.input_room = uart_input_room,
		.input = uart_input,
		.save = uart_save,
		.load = uart_load,
	},
};
