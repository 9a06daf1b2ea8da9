/**
 * Model families as data: per family a config record with its preset table
 * ({@code LlamaGenConfig}, {@code ParConfig}, {@code LpdConfig}, {@code VqConfig}), the official checkpoint
 * name map resolved and shape-checked ({@code *Weights}), the {@code ModelSpec} a backend builds from; the
 * {@link io.tessera.core.model.Detector} that names a checkpoint's family and preset; the one 2-D RoPE
 * table ({@link io.tessera.core.model.Rope2d}); and {@link io.tessera.core.model.RandomWeights}, the
 * generator behind {@code checkpoint: "random:SEED"}.
 */
package io.tessera.core.model;
