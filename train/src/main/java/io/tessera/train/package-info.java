/**
 * {@code tessera train CONFIG.yaml}: the trainers (VQ tokenizer, raster GPT, LPD, classifier) on
 * libtorch autograd, AdamW, the training YAML ({@code TrainConfig}), loss logs and plots, resumable
 * checkpoints and exports in the official layouts. Entry point: {@link io.tessera.train.Trainers}.
 */
package io.tessera.train;
