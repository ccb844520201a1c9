#!/bin/bash
# Session 5, lavapipe (2 cores), one after another: Sluice, llama.cpp Vulkan (lavapipe), llama.cpp CPU, Sluice again.
M=models/SmolLM2-135M-Instruct.Q4_1.gguf
.build/release/sluice bench -m $M -p 64 -n 16 -r 2 > sluice.out
GGML_VK_VISIBLE_DEVICES=0 llama-bench -m $M -ngl 99 -t 2 -p 64 -n 16 -r 2 > llama_vk.out    # Vulkan build
llama-bench -m $M -ngl 0 -t 2 -p 64 -n 16 -r 2 > llama_cpu.out                               # CPU build
.build/release/sluice bench -m $M -p 64 -n 16 -r 2 > sluice_again.out
