# mirrorvm's libvirt pieces, included by the top Makefile.  Nothing here is
# built or installed by default.
#
#   make install-libvirt-hook [DESTDIR=...] [LIBVIRT_HOOKDIR=...] [PREFIX=...]
#       installs the QEMU-driver hook (libvirt-xml/hooks/mirrorvm) as
#       $(DESTDIR)$(LIBVIRT_HOOKDIR)/qemu.d/mirrorvm, set to run
#       $(PREFIX)/bin/mirrorvm (what "make install" installs); libvirtd
#       picks it up after a restart.
#   make check-xml
#       runs tests/xml/run.sh against build/mirrorvm.

LIBVIRT_HOOKDIR ?= /etc/libvirt/hooks

.PHONY: install-libvirt-hook check-xml

install-libvirt-hook:
	install -d -m 0755 $(DESTDIR)$(LIBVIRT_HOOKDIR)/qemu.d
	sed 's|^MIRRORVM_BIN=mirrorvm$$|MIRRORVM_BIN=$(PREFIX)/bin/mirrorvm|' libvirt-xml/hooks/mirrorvm \
		>$(DESTDIR)$(LIBVIRT_HOOKDIR)/qemu.d/mirrorvm.tmp
	grep -q '^MIRRORVM_BIN=$(PREFIX)/bin/mirrorvm$$' $(DESTDIR)$(LIBVIRT_HOOKDIR)/qemu.d/mirrorvm.tmp
	chmod 0755 $(DESTDIR)$(LIBVIRT_HOOKDIR)/qemu.d/mirrorvm.tmp
	mv $(DESTDIR)$(LIBVIRT_HOOKDIR)/qemu.d/mirrorvm.tmp $(DESTDIR)$(LIBVIRT_HOOKDIR)/qemu.d/mirrorvm

check-xml: $(BUILD)/mirrorvm
	tests/xml/run.sh $(BUILD)/mirrorvm
