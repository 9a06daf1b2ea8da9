/**
 * A pipeline YAML file turned into a runnable {@link io.tessera.core.pipeline.Pipeline}: the spec and
 * its {@code --set} overrides ({@code PipelineSpec}), model loading with presets or explicit fields and
 * checkpoint references ({@code ModelLoader}, {@code CheckpointRef}, the one binding of LlamaGen's
 * fields), and order specs ({@code OrderSpec}, {@code zipar:window=4}).
 */
package io.tessera.core.pipeline;
