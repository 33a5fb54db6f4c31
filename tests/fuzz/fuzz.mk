# The libFuzzer build and smoke run (GNU make), called by `make fuzz-smoke`
# from the build directory with the library's sources and flags; built
# with clang whatever CC configure chose, into fuzz-build/, so the normal
# build is untouched.  See docs/FUZZING.md.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
# A fixed seed: the smoke run repeats itself, so CI gates on known ground;
# FUZZ_SEED=0 lets libFuzzer pick one (exploring, not gating).
FUZZ_SEED ?= 1
FUZZ_FLAGS ?= -rss_limit_mb=2048 -timeout=10
B = fuzz-build
SAN = -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
HARNESSES = fuzz_query fuzz_reply fuzz_config fuzz_zonefile \
	fuzz_flow_aws fuzz_flow_azure fuzz_flow_gcp fuzz_logfilter
SUPPORT = tests/fuzz/common.c tests/fuzz/rig.c tests/fuzz/flow.c

# Sources are found in the build directory first (generated ones), then
# in the source tree.
VPATH = $(top_srcdir)
LIB_OBJS = $(patsubst %.c,$(B)/%.o,$(filter %.c,$(LIB_SOURCES)))
SUPPORT_OBJS = $(patsubst %.c,$(B)/%.o,$(SUPPORT))
CPPFLAGS = -I$(top_builddir) -I$(top_srcdir)/include -I$(top_builddir)/src -D_GNU_SOURCE
FUZZ_CPPFLAGS = $(CPPFLAGS) -I$(top_srcdir)/tests/fuzz -DFUZZ_LIBFUZZER \
	-DFUZZ_SRCDIR='"$(top_srcdir)"'

all: $(addprefix $(B)/,$(HARNESSES))

$(B)/src/%.o: src/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(DEP_CFLAGS) $(SAN) -fsanitize=fuzzer-no-link -c $< -o $@

$(B)/tests/fuzz/%.o: tests/fuzz/%.c $(wildcard $(top_srcdir)/tests/fuzz/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CPPFLAGS) $(DEP_CFLAGS) $(SAN) -fsanitize=fuzzer-no-link -c $< -o $@

$(B)/libairlock-fuzz.a: $(LIB_OBJS)
	rm -f $@
	ar cr $@ $(LIB_OBJS)

# The harness and the rig first: rig.c stands in for src/listener.c.
$(B)/fuzz_%: $(B)/tests/fuzz/fuzz_%.o $(SUPPORT_OBJS) $(B)/libairlock-fuzz.a
	$(FUZZ_CC) $(SAN) -fsanitize=fuzzer -o $@ $^ $(DEP_LIBS) $(LIBS)

# Each harness alone, single process, on a copy of its corpus (and the
# saved findings); any crash, leak, timeout or sanitizer report fails it.
smoke: all
	@passed=0; failed=0; \
	for h in $(HARNESSES); do \
	  run=$(B)/run/$$h; rm -rf $$run; mkdir -p $$run/corpus $$run/artifacts; \
	  cp $(top_srcdir)/tests/fuzz/corpus/$$h/* $$run/corpus/; \
	  regress=; [ -d $(top_srcdir)/tests/fuzz/regress/$$h ] && regress=$(top_srcdir)/tests/fuzz/regress/$$h; \
	  if (cd $$run && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	      ../../$$h -max_total_time=$(FUZZ_SECONDS) -seed=$(FUZZ_SEED) $(FUZZ_FLAGS) -print_final_stats=1 \
	      -artifact_prefix=artifacts/ corpus $$regress) >$$run/log 2>&1; then \
	    passed=$$((passed + 1)); \
	    echo "fuzz-smoke: $$h passed: $$(grep -a -m1 'DONE' $$run/log | sed 's/^#//')"; \
	  else \
	    failed=$$((failed + 1)); \
	    echo "fuzz-smoke: $$h FAILED (log $$run/log, input in $$run/artifacts/):"; \
	    grep -a -E 'ERROR|invariant|runtime error|SUMMARY' $$run/log | head -n 20; \
	  fi; \
	done; \
	echo "fuzz-smoke: $$passed passed, $$failed failed"; \
	test $$failed -eq 0

.PHONY: all smoke

# Keep the objects between runs.
.SECONDARY:
