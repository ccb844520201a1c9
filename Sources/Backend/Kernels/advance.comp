#version 450
// Between two chained greedy decode steps (ExecutorChain.swift): the token a step chose
// becomes the next step's input, the position advances by one, and the choice is kept
// for the host at index `step`.
layout(local_size_x = 1) in;
layout(std430, binding = 0) buffer StepValues { uint T; uint P; uint C; uint pad; } stepv;
layout(std430, binding = 1) readonly buffer Chosen { int chosen[]; };
layout(std430, binding = 2) writeonly buffer Tokens { int tokens[]; };
layout(std430, binding = 3) writeonly buffer Chain { int ids[]; };
layout(push_constant) uniform PC { uint step; } pc;

void main() {
    int id = chosen[0];
    tokens[0] = id;
    ids[pc.step] = id;
    stepv.P += 1u;
}
