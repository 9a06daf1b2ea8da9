/**
 * A complete third-party order plugin (one class and a manifest): an outside-in spiral for
 * position-query families.
 */
package io.tessera.examples.spiral;
