# Sluice -- the two entry points are `make run` and `make test`.

# The main job `make run` performs after building: generate text with the default model
# (models/SmolLM2-135M-Instruct.Q4_1.gguf) on the best Vulkan device.
RUN_CMD = .build/release/sluice generate -p "The three primary colors are" -n 32

# Build parallelism (swift build --jobs); defaults to the number of CPUs.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
# Extra flags for scripts/setup.sh, e.g. `make test SETUP_FLAGS=--onnx`.
SETUP_FLAGS ?=

# A toolchain unpacked in /opt/swift works even when it is not on PATH.
export PATH := $(PATH):/opt/swift/usr/bin

SWIFT ?= swift

.PHONY: help setup build run test

help:
	@echo "make run    installs what is missing, fetches SmolLM2-135M, builds (release), runs:"
	@echo "            $(RUN_CMD)"
	@echo "make test   installs what is missing, runs the whole suite (Vulkan validation layer on)"
	@echo "make setup  only the install/fetch step (scripts/setup.sh $(SETUP_FLAGS))"
	@echo "make build  release build (.build/release/sluice)"

setup:
	scripts/setup.sh $(SETUP_FLAGS)

build:
	$(SWIFT) build -c release --jobs $(JOBS)

run:
	scripts/setup.sh $(SETUP_FLAGS)
	$(SWIFT) build -c release --jobs $(JOBS)
	$(RUN_CMD)

test:
	scripts/setup.sh $(SETUP_FLAGS)
	SLUICE_JOBS=$(JOBS) scripts/test.sh
