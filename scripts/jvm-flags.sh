#!/usr/bin/env bash
# JVM flags Tessera runs with: the Vector API module, native access for FFM/JavaCPP, and 512-bit vectors
# where the CPU has AVX-512 (FloatVector.SPECIES_PREFERRED is 256-bit without -XX:UseAVX=3; 512-bit
# doubled matmul throughput when measured).
flags="--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow"
if grep -qw avx512f /proc/cpuinfo 2>/dev/null; then flags="$flags -XX:UseAVX=3"; fi
echo "$flags"
