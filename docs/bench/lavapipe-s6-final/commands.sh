#!/bin/bash
# Session 6, lavapipe (2 cores), one after another: Sluice, llama.cpp Vulkan (lavapipe),
# llama.cpp CPU, Sluice again. Run from the repository root with OUT set to this folder;
# VK and CPU are llama-bench from llama.cpp builds made outside the repository.
M=models/SmolLM2-135M-Instruct.Q4_1.gguf
.build/release/sluice bench -m $M -p 64 -n 16 -r 2 > $OUT/sluice.out
GGML_VK_VISIBLE_DEVICES=0 $VK -m $M -ngl 99 -t 2 -p 64 -n 16 -r 2 > $OUT/llama_vk.out 2>/dev/null
$CPU -m $M -ngl 0 -t 2 -p 64 -n 16 -r 2 > $OUT/llama_cpu.out 2>/dev/null
.build/release/sluice bench -m $M -p 64 -n 16 -r 2 > $OUT/sluice_again.out
