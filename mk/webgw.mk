# The web gateway (services/web-gateway, docs/web.md, "The gateway"): TLS
# 1.3 through lib/tls, the protocol engines of mk/web.mk built for capOS
# userspace, and the page's files embedded at build time; and its system
# (system/webshell.capnp, packed as build/web.pkg; tests/qemu/test_web.py,
# make run-webshell).
#
# This file needs mk/tls.mk's TLS_UOBJS and mk/crypto.mk's objects (it
# sorts after both).

WEBGW_STATIC := $(sort $(wildcard services/web-gateway/static/*))
WEBGW_STATIC_C := $(BUILD)/web-gateway/static.c
WEBGW_STATIC_O := $(BUILD)/u/$(WEBGW_STATIC_C).o

# xterm.js and its fit addon from npm, pinned by
# services/web-gateway/npm/package-lock.json and tools/third-party.lock
# (tools/fetch-npm.sh), embedded beside the page's own files as /xterm.js,
# /xterm.css and /addon-fit.js: the browser loads nothing from elsewhere.
WEBGW_NPM := $(BUILD)/web-gateway/npm
WEBGW_NPM_STAMP := $(WEBGW_NPM)/node_modules/.capos-stamp
WEBGW_XTERM := $(addprefix $(WEBGW_NPM)/node_modules/@xterm/, \
	xterm/lib/xterm.js xterm/css/xterm.css addon-fit/lib/addon-fit.js)
$(WEBGW_NPM_STAMP): services/web-gateway/npm/package.json \
    services/web-gateway/npm/package-lock.json tools/fetch-npm.sh \
    tools/third-party.lock | deps
	@sh tools/fetch-npm.sh services/web-gateway/npm $(WEBGW_NPM)
	@touch $@
$(WEBGW_XTERM): $(WEBGW_NPM_STAMP)

$(WEBGW_STATIC_C): $(WEBGW_STATIC) $(WEBGW_XTERM) $(WEBGW_NPM_STAMP) \
    tools/embed-files.py | deps
	@mkdir -p $(dir $@)
	@$(PYTHON) tools/embed-files.py $@ static.h $(WEBGW_STATIC) \
		$(WEBGW_XTERM)

WEBGW_ENGINES := lib/proto/http/http.c lib/proto/websocket/websocket.c \
	lib/proto/termstream/termstream.c
WEBGW_ENGINE_UOBJS := $(patsubst %,$(BUILD)/u/%.o,$(WEBGW_ENGINES))
WEBGW_OBJS := $(patsubst %,$(BUILD)/u/%.o, \
	$(wildcard services/web-gateway/*.c))
$(WEBGW_OBJS) $(WEBGW_ENGINE_UOBJS) $(WEBGW_STATIC_O): UCFLAGS += \
	$(TLS_INCLUDES) -Ilib/proto/http -Ilib/proto/websocket \
	-Ilib/proto/termstream -Iservices/web-gateway
# The WebSocket handshake's SHA-1 and base64 (lib/crypto/hash.c, ssh.c),
# compiled against the TLS build's wolfCrypt the gateway links, not
# lib/crypto's.
WEBGW_CRYPTO_O := $(BUILD)/u/web-gateway/hash.c.o \
	$(BUILD)/u/web-gateway/ssh.c.o
$(WEBGW_CRYPTO_O): $(BUILD)/u/web-gateway/%.c.o: lib/crypto/%.c \
    $(USER_GEN_HDRS) | deps $(WOLFSSL_STAMP)
	@mkdir -p $(dir $@)
	@echo "  UCC     $< (TLS build)"
	@$(UCC) $(UCFLAGS) $(TLS_INCLUDES) -c -o $@ $<
-include $(WEBGW_CRYPTO_O:.o=.d)
$(BUILD)/user/web-gateway: $(TLS_UOBJS) $(WEBGW_ENGINE_UOBJS) \
	$(WEBGW_STATIC_O) $(WEBGW_CRYPTO_O)

$(BUILD)/web.manifest.bin: system/webshell.capnp $(DEVTLS_DIR)/devtls.capnp \
    $(CAPNP_SCHEMAS) | deps
	@mkdir -p $(dir $@)
	capnp eval --binary -I$(DEVTLS_DIR) $< manifest > $@.tmp && \
		mv $@.tmp $@

PKG_BINARIES_web = $(BUILD)/user/init $(BUILD)/user/virtio-net \
	$(BUILD)/user/netstack $(BUILD)/user/keyvault $(BUILD)/user/launcher \
	$(BUILD)/user/auth $(BUILD)/user/shell-launcher \
	$(BUILD)/user/capos-shell $(BUILD)/user/web-gateway \
	$(BUILD)/user/hello $(BUILD)/user/count
PKG_BINARIES_web += $(BUILD)/user/model-script
ALL_TARGETS += $(BUILD)/web.pkg

WEB_QEMU_NET := -netdev user,id=n0,hostfwd=tcp:127.0.0.1:8443-:443 \
	-device virtio-net-pci,netdev=n0

.PHONY: run-webshell
## run-webshell: the web shell's system: open https://localhost:8443/ (development certificate build/devtls/cert.pem; log in as admin, capos-dev); Ctrl-a x quits
run-webshell: $(KERNEL) $(BUILD)/web.pkg $(KVM_PROBE) | deps
	@echo "web-gateway: https://localhost:8443/ (Ctrl-a x leaves QEMU)"
	@$(RUN_QEMU) -kernel $(KERNEL) -initrd $(BUILD)/web.pkg $(WEB_QEMU_NET)

# The browser proof (tests/qemu/test_webshell.py, tests/browser/): Node
# and Debian's chromium from make deps, and playwright-core from npm into
# build/browser/ (never committed) by tools/fetch-npm.sh, as pinned by
# tests/browser/package-lock.json and tools/third-party.lock.
# Debian's npm only where no npm came with Node (a nodejs package from
# elsewhere carries its own, and conflicts with Debian's).
DEB_PACKAGES += chromium nodejs $(if $(shell command -v npm),,npm)
BROWSER_DIR := $(BUILD)/browser
BROWSER_STAMP := $(BROWSER_DIR)/node_modules/.capos-stamp
$(BROWSER_STAMP): tests/browser/package.json tests/browser/package-lock.json \
    tools/fetch-npm.sh tools/third-party.lock | deps
	@sh tools/fetch-npm.sh tests/browser $(BROWSER_DIR)
	@touch $@
BROWSER_SCRIPTS := $(addprefix $(BROWSER_DIR)/,webshell.js enrol-link.js \
	common.js)
$(BROWSER_SCRIPTS): $(BROWSER_DIR)/%.js: tests/browser/%.js $(BROWSER_STAMP)
	@cp $< $@
ALL_TARGETS += $(BROWSER_SCRIPTS)

# The web shell rows (bench/webshell.py and bench/webshell.js,
# docs/benchmarks.md "The web shell rows"): chromium against the web
# shell system, capOS alone (no Linux guest serves a browser terminal).
# The script runs from bench/ with playwright-core found through
# NODE_PATH in build/browser/. BENCH_ACCEL, BENCH_RUNS and BENCH_CPU as
# for make bench, which runs them after its own table; make bench-smoke
# once, quickly. Expanded only in recipes, after mk/kernel.mk set KERNEL.
BENCH_WEBSHELL = $(PYTHON) bench/webshell.py \
	--capos-kernel $(KERNEL) --capos-initrd $(BUILD)/web.pkg \
	--cert $(DEVTLS_DIR)/cert.pem --node-path $(BROWSER_DIR)/node_modules \
	$(if $(BENCH_CPU),--cpu '$(BENCH_CPU)') --qemu $(QEMU)

.PHONY: bench-webshell
## bench-webshell: the web shell rows: page load to the first prompt after a passkey login, and keystroke to echo, in chromium (docs/benchmarks.md)
bench-webshell: $(KERNEL) $(BUILD)/web.pkg $(BROWSER_STAMP) | deps
	$(BENCH_WEBSHELL) --accel $(BENCH_ACCEL) \
		$(if $(BENCH_RUNS),--runs $(BENCH_RUNS)) \
		--json $(BENCH_OUT)/webshell.json --logdir $(BENCH_OUT)/logs

bench bench-smoke: $(KERNEL) $(BUILD)/web.pkg $(BROWSER_STAMP)
